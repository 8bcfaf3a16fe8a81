"""A year of calendar for the synthetic clinic: ``needlechart synthetic_calendar`` (bench/bench_calendar.py).

Adds to the clinic ``needlechart synthetic`` made: three rooms, three appointment types (60, 45 and
30 minutes, the first two bookable online), every practitioner's week (Monday to Friday, 08:00 to
11:30 and 12:00 to 16:00, the first three in a room of their own) and appointments from
``--weeks-back`` weeks ago to ``--weeks-ahead`` weeks ahead, filling ``--fill`` of each day's time
(a few cancelled, the past ones arrived), and publishes the clinic's public pages at ``/c/synthetic/``
(Norwegian first), where patients book online. The settings go through the scheduling and public
services, as a clinic admin would make them; the appointments are bulk-inserted, so the database's double-booking
guard still checks every row.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from needlechart.clinics.models import Clinic, User
from needlechart.core.access import Role
from needlechart.patients.models import Patient
from needlechart.public import services as public
from needlechart.scheduling import configuration, selectors
from needlechart.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from needlechart.scheduling.slots import wall_clock

TYPES = [  # name (en, nb), minutes, kept free after, online, needling
    ("New patient assessment + needling", "Førstegangsundersøkelse med nålebehandling", 60, 15, True, True),
    ("IMS review", "IMS-kontroll", 45, 5, True, True),
    ("Follow-up needling", "Oppfølgende nålebehandling", 30, 0, False, True),
]
DAY = ((dt.time(8), dt.time(11, 30)), (dt.time(12), dt.time(16)))
CHUNK = 2_000
PUBLIC_SLUG = "synthetic"
PUBLIC_BLANK = ("street_address", "postal_code", "city", "phone", "email")


class Command(BaseCommand):
    help = "Add rooms, appointment types, working weeks and a year of appointments to a synthetic clinic."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", default="Synthetic clinic")
        parser.add_argument("--weeks-back", type=int, default=26)
        parser.add_argument("--weeks-ahead", type=int, default=26)
        parser.add_argument("--fill", type=float, default=0.7, help="share of each day's time booked, default 0.7")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(name=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic named {options['clinic']!r}: run needlechart synthetic first.")
        if AppointmentType.objects.filter(clinic=clinic).exists():
            raise CommandError("This clinic has a calendar already.")
        if not (0 < options["fill"] <= 1 and 0 <= options["weeks_back"] <= 104 and 0 <= options["weeks_ahead"] <= 104):
            raise CommandError("--fill must be above 0 and at most 1, the weeks 0 to 104.")
        admin = User.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN).order_by("username").first()
        practitioners = list(User.objects.filter(clinic=clinic, role=Role.PRACTITIONER, is_active=True).order_by("username"))
        if admin is None or not practitioners:
            raise CommandError("The clinic needs an admin and practitioners.")
        types, count = self._set_up(admin, practitioners), 0
        zone = selectors.zone_of(selectors.calendar_settings(clinic.pk))
        patients = list(Patient.objects.filter(clinic=clinic).values_list("id", flat=True)[:20_000])
        rng = random.Random(options["seed"])
        today = timezone.localdate()
        first = today - dt.timedelta(weeks=options["weeks_back"], days=today.weekday())
        last = today + dt.timedelta(weeks=options["weeks_ahead"])
        rows: list[Appointment] = []
        day = first
        while day <= last:
            if day.weekday() < 5:
                for i, practitioner in enumerate(practitioners):
                    rows += self._day(clinic, admin, practitioner, types, day, zone, rng, patients, options["fill"], room=i)
            if len(rows) >= CHUNK or day == last:
                with transaction.atomic():
                    Appointment.objects.bulk_create(rows)
                count += len(rows)
                rows = []
            day += dt.timedelta(days=1)
        self.stdout.write(f"{count:,} appointments for {len(practitioners)} practitioners from {first} to {last}.")

    def _set_up(self, admin: User, practitioners: list[User]) -> list[AppointmentType]:
        rooms = [configuration.room_save(actor=admin, data={"name": f"Room {n}"}) for n in (1, 2, 3)]
        types = [
            configuration.appointment_type_save(
                actor=admin,
                data={
                    "name_en": en,
                    "name_nb": nb,
                    "duration_minutes": minutes,
                    "buffer_minutes": buffer,
                    "price": 900,
                    "bookable_online": online,
                    "is_needling": needling,
                },
            )
            for en, nb, minutes, buffer, online, needling in TYPES
        ]
        for i, practitioner in enumerate(practitioners):
            for weekday in range(5):
                for start, end in DAY:
                    room = rooms[i] if i < len(rooms) else None
                    configuration.working_hours_add(
                        actor=admin, practitioner=practitioner, weekday=weekday, start_time=start, end_time=end, room=room
                    )
        self._rooms = rooms
        public.profile_save(
            actor=admin,
            values={"slug": PUBLIC_SLUG, "published": True, "default_language": "nb"} | dict.fromkeys(PUBLIC_BLANK, ""),
            opening_hours=[],
            photo_alts={},
        )
        return types

    def _day(
        self,
        clinic: Clinic,
        admin: User,
        practitioner: User,
        types: list[AppointmentType],
        day: dt.date,
        zone: ZoneInfo,
        rng: random.Random,
        patients: list[Any],
        fill: float,
        room: int,
    ) -> list[Appointment]:
        """One practitioner's appointments of one day: back to back in each interval, a free gap now and then."""
        now = timezone.now()
        rows = []
        for start, end in DAY:
            at, until = wall_clock(day, start, zone), wall_clock(day, end, zone)
            while True:
                kind = rng.choice(types)
                ends = at + dt.timedelta(minutes=kind.duration_minutes)
                blocked = ends + dt.timedelta(minutes=kind.buffer_minutes)
                if blocked > until:
                    break
                if rng.random() < fill:
                    past = ends < now
                    status = AppointmentStatus.ARRIVED if past else AppointmentStatus.BOOKED
                    if rng.random() < 0.04:
                        status = AppointmentStatus.CANCELLED
                    rows.append(
                        Appointment(
                            clinic=clinic,
                            patient_id=rng.choice(patients),
                            practitioner=practitioner,
                            room=self._rooms[room] if room < len(self._rooms) else None,
                            appointment_type=kind,
                            starts_at=at,
                            ends_at=ends,
                            blocked_until=blocked,
                            status=status,
                            created_by=admin,
                        )
                    )
                at = blocked
        return rows
