"""The calendar's records: rooms, appointment types, a practitioner's week and helpers for times
in the clinic's zone (Europe/Oslo, the server's: the test clinic has no zone of its own)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from needlechart.scheduling import configuration

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def other_clinics_appointment(other_admin, other_practitioner, starts_at: dt.datetime) -> None:
    """A half-hour appointment in another clinic at ``starts_at``: what a clinic's reads must never show."""
    from needlechart.patients.models import Patient
    from needlechart.scheduling.models import Appointment

    patient = Patient.objects.create(
        clinic_id=other_admin.clinic_id, given_name="Other", family_name="Clinic", birth_date=dt.date(1990, 1, 1)
    )
    kind = configuration.appointment_type_save(actor=other_admin, data={"name_en": "Theirs", "name_nb": "Deres", "duration_minutes": 30})
    ends = starts_at + dt.timedelta(minutes=30)
    Appointment.objects.create(
        clinic_id=other_admin.clinic_id,
        patient=patient,
        practitioner=other_practitioner,
        appointment_type=kind,
        starts_at=starts_at,
        ends_at=ends,
        blocked_until=ends,
        created_by=other_admin,
    )


def oslo(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=OSLO)


def next_weekday(weekday: int, after: dt.date | None = None) -> dt.date:
    """The first ``weekday`` (Monday 0) after ``after`` (today)."""
    day = (after or timezone.localdate()) + dt.timedelta(days=1)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def last_sunday(year: int, month: int) -> dt.date:
    """Europe's daylight-saving changes: the last Sunday of March and of October."""
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


def next_change(month: int) -> dt.date:
    """The next daylight-saving change in ``month`` (3 or 10) from today."""
    today = timezone.localdate()
    change = last_sunday(today.year, month)
    return change if change > today + dt.timedelta(days=14) else last_sunday(today.year + 1, month)


@pytest.fixture
def rooms(clinic_admin):
    return [configuration.room_save(actor=clinic_admin, data={"name": name}) for name in ("Room 1", "Room 2")]


@pytest.fixture
def follow_up(clinic_admin):
    return configuration.appointment_type_save(
        actor=clinic_admin,
        data={"name_en": "Follow-up needling", "name_nb": "Oppfølgende nålebehandling", "duration_minutes": 30, "buffer_minutes": 10},
    )


@pytest.fixture
def assessment(clinic_admin):
    return configuration.appointment_type_save(
        actor=clinic_admin,
        data={"name_en": "New patient assessment", "name_nb": "Førstegangsundersøkelse", "duration_minutes": 60, "is_needling": True},
    )


@pytest.fixture
def week(clinic_admin, practitioner, rooms):
    """The practitioner works Monday to Friday 08:00-11:30 and 12:00-16:00 in room 1."""
    return [
        configuration.working_hours_add(
            actor=clinic_admin, practitioner=practitioner, weekday=day, start_time=start, end_time=end, room=rooms[0]
        )
        for day in range(5)
        for start, end in ((dt.time(8), dt.time(11, 30)), (dt.time(12), dt.time(16)))
    ]


@pytest.fixture
def colleague_week(clinic_admin, second_practitioner):
    return [
        configuration.working_hours_add(
            actor=clinic_admin, practitioner=second_practitioner, weekday=day, start_time=dt.time(9), end_time=dt.time(15)
        )
        for day in range(5)
    ]
