"""The calendar's reads for speed: the lean rows of ``calendar_read`` hold what the pages and the
free-time search use, the lower bound on an appointment's start finds every appointment that
overlaps a span, and "first available" searched in parts finds exactly what one search of the
whole span finds."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from types import SimpleNamespace

import pytest
from django.utils import formats, timezone, translation
from django.utils.http import urlencode

from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.core.formatting import url
from needlechart.scheduling import configuration, selectors, services, span_rows
from needlechart.scheduling.calendar import TimeLabels
from needlechart.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from needlechart.scheduling.slots import Slot, Span
from needlechart.scheduling.span_rows import LONGEST_APPOINTMENT, LONGEST_VISIT, BookedTime, OutsideVisit, TakenTime
from needlechart.scheduling.templating import FreeTimeLinks, free_time_url
from needlechart.scheduling.views import find_free
from tests.scheduling.conftest import next_weekday, oslo, other_clinics_appointment


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
    other_clinics_appointment(other_admin, other_practitioner, oslo(monday, 10))
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


def _sorted_diaries(diaries):
    return [(d.practitioner_id, d.hours, d.time_off, sorted(d.taken)) for d in diaries]


def test_the_free_time_read_holds_the_times_the_search_makes_of_the_whole_read(
    clinic_admin, front_desk, patient, episode, practitioner, second_practitioner, follow_up, rooms, week, other_practitioner, other_admin
):
    """``free_time_read`` (only the time taken, ``span_rows.held_in``) gives a search the diaries and
    the rooms' taken times that ``calendar_read`` gives it, on both databases: cancelled, no-show and
    late-cancelled appointments free their time, arrived ones hold it, a visit that is a booked
    appointment's own is counted once, an outside visit holds its practitioner's time and no room's,
    other clinics' rows are not read."""
    monday = next_weekday(0)
    span = Span(oslo(monday, 9), oslo(monday, 16))
    book = {"actor": front_desk, "patient": patient, "appointment_type": follow_up, "outside_hours": True}
    services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 9), room=rooms[0])
    arrived = services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 10), room=rooms[1])
    Appointment.objects.filter(pk=arrived.pk).update(status=AppointmentStatus.ARRIVED)
    for hour, status in ((11, AppointmentStatus.CANCELLED), (12, AppointmentStatus.NO_SHOW), (13, AppointmentStatus.LATE_CANCELLED)):
        freed = services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, hour), room=rooms[0])
        Appointment.objects.filter(pk=freed.pk).update(status=status)
    services.appointment_book(**book, practitioner=second_practitioner, starts_at=span.start - dt.timedelta(minutes=30))
    services.appointment_book(**book, practitioner=second_practitioner, starts_at=oslo(monday, 14), room=rooms[0])
    visit = {"clinic_id": practitioner.clinic_id, "patient": patient, "episode": episode, "duration_minutes": 45}
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 9))  # the 09:00 appointment's, not linked
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 11))  # the cancelled one's time: holds it
    Encounter.objects.create(**visit, practitioner=second_practitioner, starts_at=oslo(monday, 15, 30))
    Encounter.objects.create(
        **visit, practitioner=second_practitioner, starts_at=span.start - dt.timedelta(minutes=45)
    )  # over as it starts
    other_clinics_appointment(other_admin, other_practitioner, oslo(monday, 12))
    ids = [practitioner.pk, second_practitioner.pk]
    whole = selectors.calendar_read(user=front_desk, span=span, practitioner_ids=ids)
    lean = selectors.free_time_read(user=front_desk, span=span, practitioner_ids=ids)
    assert _sorted_diaries(selectors.diaries(lean, ids)) == _sorted_diaries(selectors.diaries(whole, ids))
    lean_rooms = selectors.rooms_taken(lean)
    assert {room: sorted(spans) for room, spans in lean_rooms.items()} == {
        room: sorted(spans) for room, spans in selectors.rooms_taken(whole).items()
    }
    # What the search is given, spelt out: 09:00 once (its visit not again), 10:00 arrived, 11:00 the visit only.
    mine = sorted(selectors.diaries(lean, [practitioner.pk])[0].taken)
    assert [s.start for s in mine] == [oslo(monday, 9), oslo(monday, 10), oslo(monday, 11)]
    assert mine[2].end == oslo(monday, 11, 45)
    assert sorted(lean_rooms) == sorted(r.pk for r in rooms) and len(lean_rooms[rooms[0].pk]) == 2 and len(lean_rooms[rooms[1].pk]) == 1
    assert all(isinstance(room, uuid.UUID) for room in lean_rooms)
    moments = [m for d in selectors.diaries(lean, ids) for s in d.taken for m in (s.start, s.end)]
    assert moments and all(m.utcoffset() == dt.timedelta(0) for m in moments)
    lean_rooms[rooms[0].pk].append(span)  # the caller's list to add holds to, not the read's
    assert len(selectors.rooms_taken(lean)[rooms[0].pk]) == 2
    assert selectors.free_time_read(user=front_desk, span=span, practitioner_ids=[]).held.by_practitioner.keys() == {
        practitioner.pk,
        second_practitioner.pk,
    }  # appointments are read for the clinic; the outside visits only for those asked


def test_a_free_time_read_cannot_leave_an_appointment_out(front_desk, practitioner):
    monday = next_weekday(0)
    lean = selectors.free_time_read(user=front_desk, span=Span(oslo(monday, 9), oslo(monday, 12)), practitioner_ids=[practitioner.pk])
    with pytest.raises(ValueError, match="no appointment ids"):
        selectors.diaries(lean, [practitioner.pk], leaving_out=uuid.uuid4())
    with pytest.raises(ValueError, match="no appointment ids"):
        selectors.rooms_taken(lean, leaving_out=uuid.uuid4())


def test_a_move_still_finds_its_own_time_free(front_desk, patient, practitioner, follow_up, week):
    """The search that leaves the moved appointment out reads the whole rows (their ids)."""
    calendar = selectors.calendar_settings(practitioner.clinic_id)
    monday = next_weekday(0, timezone.localdate() + dt.timedelta(days=1))
    moved = services.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9)
    )
    span = Span(oslo(monday, 0), oslo(monday + dt.timedelta(days=1), 0))
    arguments = {"calendar": calendar, "kind": follow_up, "practitioners": [practitioner], "span": span}
    request = SimpleNamespace(user=front_desk)
    assert oslo(monday, 9) not in {slot.start for slot in find_free(request, **arguments)}
    assert oslo(monday, 9) in {slot.start for slot in find_free(request, **arguments, leaving_out=moved.pk)}


def test_the_links_written_once_a_page_are_the_booking_form_links_parameter_for_parameter(follow_up, practitioner, rooms):
    """``FreeTimeLinks`` (the path and each practitioner's and room's part encoded once) writes what
    one ``urlencode`` of the form's values writes, in the page's zone, across a clock change."""
    zone = zoneinfo.ZoneInfo("Europe/Oslo")
    autumn = dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC)
    slots = [
        Slot(autumn + dt.timedelta(minutes=30 * n), autumn, autumn, pid, room)
        for n in range(6)
        for pid in (practitioner.pk, practitioner.pk + 1)
        for room in (None, rooms[0].pk)
    ]
    patient = uuid.uuid4()
    for kind, who in ((follow_up, patient), (follow_up, None), (None, None), (None, str(patient))):
        links = FreeTimeLinks(kind, who, zone)
        for slot in slots:
            values = {
                "starts_at": slot.start.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
                "practitioner": slot.practitioner_id,
                "appointment_type": kind.pk if kind else "",
                "room": slot.room_id or "",
                "patient": who or "",
            }
            expected = url("booking") + "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})
            assert links(slot) == free_time_url(slot, kind, who, zone) == expected
    assert FreeTimeLinks(None, None, zone)(slots[0]) == url("booking") + "?" + urlencode(
        {"starts_at": "2026-10-25T02:00", "practitioner": practitioner.pk}
    )
