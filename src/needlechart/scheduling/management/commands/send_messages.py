"""``needlechart send-messages``: send the patients' queued appointment messages (scheduling.outbox).

With ``--once`` it sends what is due and stops (for cron, e.g. every minute); without it it keeps
running and looks again every ``--interval`` seconds. Several may run at once: each message is
claimed by one of them.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlechart.scheduling.outbox import send_due


class Command(BaseCommand):
    help = "Send the appointment confirmations, reminders and changes that are due (e-mail and SMS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then stop.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between rounds when running on (default 30).")

    def handle(self, *args: Any, once: bool, interval: int, **options: Any) -> None:
        if not 1 <= interval <= 3600:
            raise CommandError("--interval must be 1 to 3600 seconds.")
        while True:
            outcome = send_due()
            if once or outcome.sent or outcome.retried or outcome.failed:
                self.stdout.write(
                    f"Sent {outcome.sent}, to retry {outcome.retried}, failed {outcome.failed}, not needed {outcome.skipped}."
                )
            if once:
                return
            time.sleep(interval)
