"""The demo clinic's calendar: rooms, appointment types, the practitioners' week templates with a
course and a holiday, and a few weeks of appointments (the visits the demo already has, booked,
and more booked into the free times ahead), all through the scheduling services."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Patient
from needlechart.scheduling import configuration, selectors, services
from needlechart.scheduling.models import AppointmentType, Room
from needlechart.scheduling.slots import SlotQuery, Span, free_slots, wall_clock

DEMO_TYPES = [  # name (en, nb), minutes, kept free after, price (NOK), online, needling
    ("New patient assessment + needling", "Førstegangsundersøkelse med nålebehandling", 60, 15, 1150, True, True),
    ("Follow-up needling", "Oppfølgende nålebehandling", 30, 10, 790, True, True),
    ("IMS review", "IMS-kontroll", 45, 5, 950, False, True),
]
# practitioner: (weekdays, the day's intervals, room index)
DEMO_WEEKS = {
    "ingrid": (range(5), ((dt.time(8), dt.time(11, 30)), (dt.time(12), dt.time(16))), 0),
    "lars": (range(4), ((dt.time(9), dt.time(12)), (dt.time(12, 30), dt.time(17))), 1),
    "erik": ((1, 3), ((dt.time(8), dt.time(15)),), 2),
}
DAYS_AHEAD = 14
SHARE_BOOKED = 0.55  # of the free times ahead


def build_demo_calendar(*, clinic: Clinic, staff: dict[str, User], rng: random.Random) -> None:
    admin, desk = staff["admin"], staff["frontdesk"]
    rooms = [configuration.room_save(actor=admin, data={"name": f"Behandlingsrom {n}"}) for n in (1, 2, 3)]
    types = [
        configuration.appointment_type_save(
            actor=admin,
            data={
                "name_en": en,
                "name_nb": nb,
                "duration_minutes": minutes,
                "buffer_minutes": buffer,
                "price": price,
                "bookable_online": online,
                "is_needling": needling,
            },
        )
        for en, nb, minutes, buffer, price, online, needling in DEMO_TYPES
    ]
    for username, (weekdays, intervals, room) in DEMO_WEEKS.items():
        for weekday in weekdays:
            for start, end in intervals:
                configuration.working_hours_add(
                    actor=admin, practitioner=staff[username], weekday=weekday, start_time=start, end_time=end, room=rooms[room]
                )
    today = timezone.localdate()
    course = today + dt.timedelta(days=(3 - today.weekday()) % 7 + 7)  # Thursday next week
    configuration.schedule_exception_add(
        actor=admin, practitioner=staff["erik"], first_day=course, last_day=course, reason="course", note="Dry needling refresher"
    )
    holiday = today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)  # Friday next week
    configuration.schedule_exception_add(actor=admin, practitioner=staff["ingrid"], first_day=holiday, last_day=holiday, reason="holiday")
    _book_the_visits(clinic, desk, types[1], today)
    _fill_the_days_ahead(clinic, desk, [staff[name] for name in DEMO_WEEKS], types, rooms, rng, today)


def _book_the_visits(clinic: Clinic, desk: User, kind: AppointmentType, today: dt.date) -> None:
    """The demo's visits of the last week and the coming weeks become appointments: those past are
    marked arrived (linked to their visits), those ahead are booked. Today's visits stay as the day
    list has them (booked outside the calendar)."""
    window = (timezone.now() - dt.timedelta(days=7), timezone.now() + dt.timedelta(days=28))
    visits = Encounter.objects.filter(clinic=clinic, starts_at__range=window).exclude(status=EncounterStatus.CANCELLED)
    for visit in visits.select_related("patient", "practitioner").order_by("starts_at"):
        if timezone.localtime(visit.starts_at).date() == today:
            continue
        try:
            appointment = services.appointment_book(
                actor=desk,
                patient=visit.patient,
                practitioner=visit.practitioner,
                appointment_type=kind,
                starts_at=visit.starts_at,
                reason=visit.reason,
                outside_hours=True,
            )
        except ValidationError:
            continue  # the demo's visits may overlap one another: the calendar keeps the first
        if visit.starts_at < timezone.now():
            services.appointment_mark_arrived(actor=desk, appointment=appointment)


def _fill_the_days_ahead(
    clinic: Clinic,
    desk: User,
    practitioners: list[User],
    types: list[AppointmentType],
    rooms: list[Room],
    rng: random.Random,
    today: dt.date,
) -> None:
    """About half of the free times of the next two weeks booked, a weekly series among them, one
    cancellation and one patient who did not come yesterday."""
    zone = selectors.clinic_zone(clinic.pk)
    patients = list(Patient.objects.filter(clinic=clinic).order_by("family_name", "given_name"))
    if not patients:
        return
    window = Span(
        wall_clock(today + dt.timedelta(days=1), dt.time(0), zone), wall_clock(today + dt.timedelta(days=DAYS_AHEAD), dt.time(0), zone)
    )
    read = selectors.calendar_read(user=desk, span=window, practitioner_ids=[p.pk for p in practitioners])
    query = SlotQuery(length=dt.timedelta(minutes=30), buffer=dt.timedelta(minutes=10), window=window, now=timezone.now())
    for practitioner in practitioners:
        free_from = window.start  # the times are taken in order: each booking starts after the one before it
        for slot in free_slots(selectors.diaries(read, [practitioner.pk]), query, zone, selectors.rooms_taken(read)):
            if slot.start < free_from or rng.random() > SHARE_BOOKED:
                continue
            kind = rng.choices(types, weights=(2, 6, 2))[0]
            try:
                services.appointment_book(
                    actor=desk,
                    patient=rng.choice(patients),
                    practitioner=practitioner,
                    appointment_type=kind,
                    starts_at=slot.start,
                    room=next((room for room in rooms if room.pk == slot.room_id), None),
                )
            except ValidationError:
                continue  # a longer type that would run into a break or past the day's end
            free_from = slot.start + dt.timedelta(minutes=kind.duration_minutes + kind.buffer_minutes)
    _a_week_of_changes(desk, practitioners[0], patients, types[1], zone, today)


def _a_week_of_changes(
    desk: User, practitioner: User, patients: list[Patient], kind: AppointmentType, zone: ZoneInfo, today: dt.date
) -> None:
    monday = today + dt.timedelta(days=7 - today.weekday())
    first, second, third = (patients * 3)[:3]  # a small demo has fewer patients: some come twice
    services.appointment_book_series(
        actor=desk,
        patient=first,
        practitioner=practitioner,
        appointment_type=kind,
        first_start=wall_clock(monday, dt.time(7, 15), zone),
        weeks=6,
        reason="Weekly IMS course of treatment",
        outside_hours=True,
    )
    ahead = services.appointment_book(
        actor=desk,
        patient=second,
        practitioner=practitioner,
        appointment_type=kind,
        starts_at=wall_clock(monday, dt.time(16, 15), zone),
        outside_hours=True,
    )
    services.appointment_cancel(actor=desk, appointment=ahead, reason="The patient is travelling")
    yesterday = today - dt.timedelta(days=1)
    missed = services.appointment_book(
        actor=desk,
        patient=third,
        practitioner=practitioner,
        appointment_type=kind,
        starts_at=wall_clock(yesterday, dt.time(7, 15), zone),
        outside_hours=True,
    )
    services.appointment_mark_no_show(actor=desk, appointment=missed)
