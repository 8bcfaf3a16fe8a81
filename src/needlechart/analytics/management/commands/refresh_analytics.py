"""``needlechart refresh-analytics``: rebuild the dashboard's reporting rows from the records."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from needlechart.analytics import summaries


class Command(BaseCommand):
    help = "Recompute the clinic dashboard's session and episode summaries from the signed records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Only this clinic (its id).")

    def handle(self, *args: Any, clinic: str | None, **options: Any) -> None:
        started = time.monotonic()
        sessions, episodes = summaries.rebuild(clinic)
        self.stdout.write(
            self.style.SUCCESS(f"{sessions:,} sessions and {episodes:,} episodes summarised in {time.monotonic() - started:.1f} s.")
        )
