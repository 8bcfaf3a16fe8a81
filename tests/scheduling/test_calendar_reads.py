"""The calendar's reads for speed: the lean rows of ``calendar_read`` hold what the pages and the
free-time search use, the lower bound on an appointment's start finds every appointment that
overlaps a span, and "first available" searched in parts finds exactly what one search of the
whole span finds."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from types import SimpleNamespace

from django.utils import formats, timezone, translation

from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.patients.models import Patient
from needlechart.scheduling import configuration, selectors, services, span_rows
from needlechart.scheduling.calendar import TimeLabels
from needlechart.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from needlechart.scheduling.slots import Span
from needlechart.scheduling.span_rows import LONGEST_APPOINTMENT, LONGEST_VISIT, BookedTime, OutsideVisit, TakenTime
from needlechart.scheduling.views import find_free
from tests.scheduling.conftest import next_weekday, oslo


def _most(field: str) -> int:
    return max(v.limit_value for v in AppointmentType._meta.get_field(field).validators if hasattr(v, "limit_value") and "max" in v.code)


def test_the_lower_bound_is_the_longest_type_with_the_most_time_kept_free():
    assert dt.timedelta(minutes=_most("duration_minutes") + _most("buffer_minutes")) == LONGEST_APPOINTMENT


def test_a_long_appointment_begun_before_the_span_is_read_and_the_page_rows_carry_the_names(
    clinic_admin, front_desk, patient, practitioner, rooms
):
    longest = configuration.appointment_type_save(
        actor=clinic_admin, data={"name_en": "Course day", "name_nb": "Kursdag", "duration_minutes": 480, "buffer_minutes": 120}
    )
    monday = next_weekday(0)
    booked = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=longest,
        starts_at=oslo(monday, 7),
        room=rooms[1],
        outside_hours=True,
    )
    late = Span(booked.blocked_until - dt.timedelta(minutes=1), booked.blocked_until + dt.timedelta(hours=1))
    lean = selectors.calendar_read(user=front_desk, span=late, practitioner_ids=[practitioner.pk])
    assert [type(a) for a in lean.appointments] == [TakenTime] and lean.appointments[0].pk == booked.pk
    assert selectors.calendar_read(user=front_desk, span=Span(booked.blocked_until, late.end), practitioner_ids=[]).appointments == []
    named = selectors.calendar_read(user=front_desk, span=late, practitioner_ids=[practitioner.pk], names=True).appointments[0]
    assert isinstance(named, BookedTime) and named.patient_name == "Kari Nordmann" and named.room_name == "Room 2"
    assert (named.type_name_in("nb"), named.type_name_in("en"), named.ends_at) == ("Kursdag", "Course day", booked.ends_at)
    assert named.get_status_display() == "Booked"


def _orm_rows(clinic_id, span, *, names):
    """What ``span_rows.appointments_in`` reads by plain SQL, read with the ORM (models and their relations)."""
    rows = Appointment.objects.filter(
        clinic_id=clinic_id, starts_at__lt=span.end, starts_at__gt=span.start - LONGEST_APPOINTMENT, blocked_until__gt=span.start
    ).select_related("patient", "appointment_type", "room")
    taken = [
        (a.pk, a.practitioner_id, a.room_id, a.patient_id, a.starts_at, a.blocked_until, a.status) for a in rows.order_by("starts_at", "pk")
    ]
    if not names:
        return [TakenTime(*row) for row in taken]
    return [
        BookedTime(
            *row,
            a.ends_at,
            f"{a.patient.given_name} {a.patient.family_name}",
            a.appointment_type.name_en,
            a.appointment_type.name_nb,
            a.room.name if a.room else "",
        )
        for row, a in zip(taken, rows.order_by("starts_at", "pk"), strict=True)
    ]


def test_the_plain_sql_read_gives_the_rows_the_orm_gives(
    clinic_admin, front_desk, patient, practitioner, second_practitioner, follow_up, rooms, other_practitioner, other_admin
):
    """On both databases (uuids as 32 hex digits on SQLite, datetimes stored naive in UTC): the same
    appointments (of this clinic only, overlapping the span, every status) with the same values and types."""
    monday = next_weekday(0)
    span = Span(oslo(monday, 9), oslo(monday, 12))
    book = {"actor": front_desk, "patient": patient, "appointment_type": follow_up, "outside_hours": True}
    inside = services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 10), room=rooms[0])
    no_room = services.appointment_book(**book, practitioner=second_practitioner, starts_at=oslo(monday, 10))
    cancelled = services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 11), room=rooms[1])
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    into_it = services.appointment_book(**book, practitioner=second_practitioner, starts_at=span.start - dt.timedelta(minutes=30))
    services.appointment_book(**book, practitioner=practitioner, starts_at=span.end)  # starts as the span ends: not in it
    services.appointment_book(**book, practitioner=practitioner, starts_at=span.start - dt.timedelta(hours=2))  # over before it
    elsewhere = Patient.objects.create(
        clinic_id=other_admin.clinic_id, given_name="Other", family_name="Clinic", birth_date=dt.date(1990, 1, 1)
    )
    other_type = configuration.appointment_type_save(
        actor=other_admin, data={"name_en": "Theirs", "name_nb": "Deres", "duration_minutes": 30}
    )
    Appointment.objects.create(
        clinic_id=other_admin.clinic_id,
        patient=elsewhere,
        practitioner=other_practitioner,
        appointment_type=other_type,
        starts_at=oslo(monday, 10),
        ends_at=oslo(monday, 10, 30),
        blocked_until=oslo(monday, 10, 30),
        created_by=other_admin,
    )
    for names in (False, True):
        read = span_rows.appointments_in(practitioner.clinic_id, span, names=names)
        assert read == _orm_rows(practitioner.clinic_id, span, names=names)
        assert {a.pk for a in read} == {inside.pk, no_room.pk, cancelled.pk, into_it.pk}
        assert all(
            isinstance(a.pk, uuid.UUID) and isinstance(a.patient_id, uuid.UUID) and a.starts_at.utcoffset() == dt.timedelta(0) for a in read
        )
        assert {type(a.room_id) for a in read} == {uuid.UUID, type(None)}
    named = {a.pk: a for a in span_rows.appointments_in(practitioner.clinic_id, span, names=True)}
    assert (named[inside.pk].room_name, named[no_room.pk].room_name, named[cancelled.pk].status) == ("Room 1", "", "cancelled")
    assert named[inside.pk].patient_name == "Kari Nordmann" and named[inside.pk].ends_at == inside.ends_at


def _orm_visits(clinic_id, span, practitioner_ids, *, names):
    rows = (
        Encounter.objects.filter(
            clinic_id=clinic_id,
            practitioner_id__in=practitioner_ids,
            starts_at__lt=span.end,
            starts_at__gt=span.start - LONGEST_VISIT,
            appointment__isnull=True,
        )
        .exclude(status=EncounterStatus.CANCELLED)
        .select_related("patient")
        .order_by("starts_at", "pk")
    )
    visits = [
        OutsideVisit(e.pk, e.practitioner_id, e.patient_id, e.starts_at, e.duration_minutes)
        if not names
        else OutsideVisit(
            e.pk,
            e.practitioner_id,
            e.patient_id,
            e.starts_at,
            e.duration_minutes,
            f"{e.patient.given_name} {e.patient.family_name}",
            e.reason,
        )
        for e in rows
    ]
    return [v for v in visits if v.ends_at > span.start]


def test_the_plain_sql_read_of_outside_visits_gives_what_the_orm_gives(
    front_desk, patient, episode, practitioner, second_practitioner, follow_up, other_practitioner
):
    monday = next_weekday(0)
    span = Span(oslo(monday, 9), oslo(monday, 12))
    visit = {"clinic_id": practitioner.clinic_id, "patient": patient, "episode": episode, "duration_minutes": 45}
    outside = Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 10), reason="Neck")
    into_it = Encounter.objects.create(**visit, practitioner=second_practitioner, starts_at=span.start - dt.timedelta(minutes=30))
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 11), status=EncounterStatus.CANCELLED)
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=span.start - dt.timedelta(minutes=45))  # over as it starts
    Encounter.objects.create(**visit, practitioner=other_practitioner, starts_at=oslo(monday, 10))  # not asked for
    booked = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(monday, 11, 30),
        outside_hours=True,
    )
    linked = Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 11, 30))
    Appointment.objects.filter(pk=booked.pk).update(encounter=linked)  # the appointment's own visit
    ids = [practitioner.pk, second_practitioner.pk]
    for names in (False, True):
        read = span_rows.outside_visits_in(practitioner.clinic_id, span, ids, names=names)
        assert read == _orm_visits(practitioner.clinic_id, span, ids, names=names)
        assert [v.pk for v in read] == [into_it.pk, outside.pk]
        assert all(
            isinstance(v.pk, uuid.UUID) and isinstance(v.patient_id, uuid.UUID) and v.starts_at.utcoffset() == dt.timedelta(0) for v in read
        )
    assert span_rows.outside_visits_in(practitioner.clinic_id, span, ids, names=True)[1].reason == "Neck"
    assert span_rows.outside_visits_in(practitioner.clinic_id, span, [], names=False) == []


def test_first_available_in_parts_finds_exactly_what_the_whole_span_finds(
    front_desk, patient, practitioner, follow_up, week, colleague_week, second_practitioner
):
    calendar = selectors.calendar_settings(practitioner.clinic_id)
    zone = selectors.zone_of(calendar)
    today = timezone.now().astimezone(zone).date()
    # The first week nearly full: a search for more than it holds reads on into the next weeks.
    for day in (today + dt.timedelta(days=n) for n in range(1, 8)):
        if day.weekday() < 5:
            for hour in (8, 9, 10, 12, 13, 14, 15):
                services.appointment_book(
                    actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(day, hour)
                )
    span = Span(oslo(today, 0), oslo(today + dt.timedelta(days=28), 0))
    request = SimpleNamespace(user=front_desk)
    arguments = {"calendar": calendar, "kind": follow_up, "practitioners": [practitioner, second_practitioner], "span": span}
    whole = find_free(request, **arguments)
    in_first_week = sum(1 for slot in whole if slot.start < timezone.now() + dt.timedelta(days=7))
    assert len(whole) > in_first_week + 40
    for limit in (1, 5, in_first_week, in_first_week + 1, in_first_week + 37, len(whole) + 10):
        assert find_free(request, **arguments, limit=limit) == whole[:limit], limit


def test_a_search_in_parts_reads_the_working_hours_and_exceptions_once(
    front_desk, patient, practitioner, follow_up, week, django_assert_max_num_queries
):
    calendar = selectors.calendar_settings(practitioner.clinic_id)
    zone = selectors.zone_of(calendar)
    today = timezone.now().astimezone(zone).date()
    span = Span(oslo(today, 0), oslo(today + dt.timedelta(days=28), 0))
    request = SimpleNamespace(user=front_desk)
    arguments = {"calendar": calendar, "kind": follow_up, "practitioners": [practitioner], "span": span}
    whole = find_free(request, **arguments)
    with django_assert_max_num_queries(20) as captured:
        assert find_free(request, **arguments, limit=len(whole)) == whole  # every part read: a week, two, four (28 days)
    tables = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "scheduling_appointment"' in sql for sql in tables) == 3
    assert sum('FROM "charting_encounter"' in sql for sql in tables) == 3
    # The frame is asked for once (its version); the hours and exceptions the first search read are
    # kept at that version (issue 16: the pinned 1 read of each lowered to 0).
    assert sum('FROM "scheduling_calendarversion"' in sql for sql in tables) == 1
    assert sum('FROM "scheduling_workinghours"' in sql for sql in tables) == 0
    assert sum('FROM "scheduling_scheduleexception"' in sql for sql in tables) == 0


def test_the_pages_write_each_time_of_day_as_the_time_filter_does_on_both_sides_of_a_clock_change():
    zone = zoneinfo.ZoneInfo("Europe/Oslo")
    written = TimeLabels(zone)
    autumn = dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC)  # 03:00 CEST becomes 02:00 CET at 01:00 UTC
    moments = [autumn + dt.timedelta(minutes=15 * n) for n in range(12)] * 2  # 02:00-02:45 twice, asked twice
    for language in ("en", "nb"):
        written = TimeLabels(zone)
        with translation.override(language), timezone.override(zone):
            assert [written(moment) for moment in moments] == [formats.time_format(timezone.localtime(m), "TIME_FORMAT") for m in moments]
    assert written(autumn + dt.timedelta(minutes=30)) == written(autumn + dt.timedelta(minutes=90)) == "02:30"
