"""``needlechart run-exports``: run the FHIR bulk exports API clients asked for (api.fhir.bulk_jobs).

With ``--once`` it runs the jobs that are due and deletes expired files, then stops (for cron,
e.g. every minute); without it it keeps running and looks again every ``--interval`` seconds.
Several may run at once: each job is claimed by one of them.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlechart.api.fhir.bulk_jobs import purge_expired, run_due
from needlechart.api.models import ExportStatus


class Command(BaseCommand):
    help = "Run the FHIR bulk exports ($export) that are waiting, and delete the files of expired ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is waiting now, then stop.")
        parser.add_argument("--interval", type=int, default=10, help="Seconds between rounds when running on (default 10).")

    def handle(self, *args: Any, once: bool, interval: int, **options: Any) -> None:
        if not 1 <= interval <= 3600:
            raise CommandError("--interval must be 1 to 3600 seconds.")
        while True:
            ended = run_due()
            purged = purge_expired()
            if once or ended or purged:
                done = sum(1 for job in ended if job.status == ExportStatus.DONE)
                failed = sum(1 for job in ended if job.status == ExportStatus.FAILED)
                self.stdout.write(
                    f"Exports done {done}, failed {failed}, cancelled {len(ended) - done - failed}; expired files deleted {purged}."
                )
            if once:
                return
            time.sleep(interval)
