"""``needlechart send-follow-ups``: e-mail the follow-up questions after recent sessions (run it from cron, e.g. hourly).

A signed needling session gets one automatic link, once it is ``--after-hours`` old and while it is
younger than ``--within-days``, if the patient has an e-mail address and no link was made for it yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from needlechart.charting.models import Encounter
from needlechart.outcomes.services import follow_up_link_create


class Command(BaseCommand):
    help = "E-mail the follow-up questionnaire to patients after their recent needling sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--after-hours", type=int, default=24, help="Wait this long after the session (default 24).")
        parser.add_argument("--within-days", type=int, default=7, help="Skip sessions older than this (default 7).")
        parser.add_argument("--base-url", default=settings.PUBLIC_BASE_URL, help="The clinic server's public address for the link.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent, send nothing.")

    def handle(self, *args: Any, after_hours: int, within_days: int, base_url: str, dry_run: bool, **options: Any) -> None:
        if not 0 <= after_hours <= 24 * within_days or not 1 <= within_days <= 60:
            raise CommandError("--within-days must be 1 to 60 and --after-hours between 0 and that many days.")
        address = urlsplit(base_url or "")
        if address.scheme not in ("http", "https") or not address.netloc:
            raise CommandError(
                "Give the public address of the server with --base-url (or NEEDLECHART_BASE_URL), e.g. https://clinic.example."
            )
        now = timezone.now()
        due = (
            Encounter.objects.filter(
                starts_at__lte=now - dt.timedelta(hours=after_hours),
                starts_at__gte=now - dt.timedelta(days=within_days),
                note__signed_at__isnull=False,
                needling_entries__isnull=False,
                follow_up_links__isnull=True,
            )
            .exclude(patient__email="")
            .select_related("patient")
            .distinct()
        )
        sent = 0
        for encounter in due.order_by("starts_at"):
            if not dry_run:
                follow_up_link_create(actor=None, encounter=encounter, base_url=base_url)
            sent += 1
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(self.style.SUCCESS(f"{verb} {sent} follow-up link(s)."))
