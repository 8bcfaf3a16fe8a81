"""``needlechart refresh-analytics``: rebuild the dashboard's reporting rows from the records."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlechart.analytics import summaries
from needlechart.clinics.models import Clinic


class Command(BaseCommand):
    help = "Recompute the clinic dashboard's session and episode summaries from the signed records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Only this clinic (its id).")

    def handle(self, *args: Any, clinic: str | None, **options: Any) -> None:
        if clinic is not None:
            try:
                known = Clinic.objects.filter(pk=clinic).exists()
            except ValidationError:  # not a UUID
                known = False
            if not known:
                raise CommandError(f"No clinic has the id {clinic!r}: give a clinic's id (a UUID), or leave out --clinic for every clinic.")
        started = time.monotonic()
        sessions, episodes = summaries.rebuild(clinic)
        self.stdout.write(
            self.style.SUCCESS(f"{sessions:,} sessions and {episodes:,} episodes summarised in {time.monotonic() - started:.1f} s.")
        )
