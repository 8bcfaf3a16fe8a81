"""The free-time search's own read (``selectors.free_time_read``, ``span_rows.held_in``) and the
links of its free times (``templating.FreeTimeLinks``): made for speed (issue 16), they must give
exactly what the calendar's rows and ``free_time_url`` give, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.scheduling import selectors, services, span_rows
from needlechart.scheduling.models import Appointment, AppointmentStatus
from needlechart.scheduling.slots import Slot, SlotQuery, Span, free_slots
from needlechart.scheduling.templating import FreeTimeLinks, free_time_url
from needlechart.scheduling.views import find_free
from tests.scheduling.conftest import next_weekday, oslo, other_clinics_appointment


def _taken(diaries):
    return {d.practitioner_id: sorted(d.taken) for d in diaries}


@pytest.fixture
def busy_monday(
    clinic_admin, front_desk, patient, episode, practitioner, second_practitioner, follow_up, rooms, week, other_admin, other_practitioner
):
    """A Monday with every kind of row a search meets: booked, arrived, cancelled and no-show
    appointments, with a room and without, one begun before the span, one at an odd microsecond,
    outside visits (one of them an appointment's own, one cancelled) and another clinic's appointment."""
    monday = next_weekday(0)
    book = {"actor": front_desk, "patient": patient, "appointment_type": follow_up, "outside_hours": True}
    services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 9), room=rooms[0])
    arrived = services.appointment_book(**book, practitioner=second_practitioner, starts_at=oslo(monday, 9), room=rooms[1])
    cancelled = services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 10), room=rooms[1])
    no_show = services.appointment_book(**book, practitioner=second_practitioner, starts_at=oslo(monday, 11))
    services.appointment_book(**book, practitioner=practitioner, starts_at=oslo(monday, 7, 45))  # begun before the span
    odd = services.appointment_book(**book, practitioner=second_practitioner, starts_at=oslo(monday, 13))
    Appointment.objects.filter(pk=arrived.pk).update(status=AppointmentStatus.ARRIVED)
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    Appointment.objects.filter(pk=no_show.pk).update(status=AppointmentStatus.NO_SHOW)
    micro = dt.timedelta(microseconds=123457)
    Appointment.objects.filter(pk=odd.pk).update(starts_at=odd.starts_at + micro, blocked_until=odd.blocked_until + micro)
    visit = {"clinic_id": practitioner.clinic_id, "patient": patient, "episode": episode, "duration_minutes": 45}
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 14))  # outside the calendar
    Encounter.objects.create(**visit, practitioner=practitioner, starts_at=oslo(monday, 9))  # the 09:00 appointment's own visit
    Encounter.objects.create(**visit, practitioner=second_practitioner, starts_at=oslo(monday, 15), status=EncounterStatus.CANCELLED)
    other_clinics_appointment(other_admin, other_practitioner, oslo(monday, 12))
    return SimpleNamespace(monday=monday, odd=odd, micro=micro)


def test_the_search_read_holds_exactly_the_time_the_calendar_read_does(front_desk, practitioner, second_practitioner, busy_monday):
    monday, ids = busy_monday.monday, [practitioner.pk, second_practitioner.pk]
    span = Span(oslo(monday, 8), oslo(monday, 17))
    rows = selectors.calendar_read(user=front_desk, span=span, practitioner_ids=ids)
    lean = selectors.free_time_read(user=front_desk, span=span, practitioner_ids=ids)
    assert _taken(selectors.diaries(lean, ids)) == _taken(selectors.diaries(rows, ids))
    assert {room: sorted(spans) for room, spans in selectors.rooms_taken(lean).items()} == {
        room: sorted(spans) for room, spans in selectors.rooms_taken(rows).items()
    }
    taken = _taken(selectors.diaries(lean, ids))
    # booked 09:00 (its own visit counted once), the one begun at 07:45, the visit at 14:00; cancelled and no-show hold nothing
    assert [s.start for s in taken[practitioner.pk]] == [oslo(monday, 7, 45), oslo(monday, 9), oslo(monday, 14)]
    assert [s.start for s in taken[second_practitioner.pk]] == [oslo(monday, 9), oslo(monday, 13) + busy_monday.micro]
    odd = next(s for s in taken[second_practitioner.pk] if s.start.microsecond)
    assert (odd.start, odd.end) == (busy_monday.odd.starts_at + busy_monday.micro, busy_monday.odd.blocked_until + busy_monday.micro)
    assert all(s.start.utcoffset() == dt.timedelta(0) and s.end.tzinfo is not None for spans in taken.values() for s in spans)
    assert all(isinstance(room, uuid.UUID) for room in selectors.rooms_taken(lean))
    query = SlotQuery(length=dt.timedelta(minutes=30), buffer=dt.timedelta(minutes=10), window=span, now=span.start - dt.timedelta(days=1))
    whole = free_slots(selectors.diaries(rows, ids), query, rows.zone, selectors.rooms_taken(rows))
    assert whole and free_slots(selectors.diaries(lean, ids), query, lean.zone, selectors.rooms_taken(lean)) == whole


def test_the_page_rows_keep_microseconds_and_utc_on_both_databases(front_desk, practitioner, busy_monday):
    span = Span(oslo(busy_monday.monday, 8), oslo(busy_monday.monday, 17))
    for names in (False, True):
        odd = next(a for a in span_rows.appointments_in(practitioner.clinic_id, span, names=names) if a.pk == busy_monday.odd.pk)
        stored = Appointment.objects.get(pk=odd.pk)
        assert (odd.starts_at, odd.blocked_until) == (stored.starts_at, stored.blocked_until)
        assert odd.starts_at.microsecond == busy_monday.micro.microseconds and odd.starts_at.utcoffset() == dt.timedelta(0)


def test_first_available_finds_with_the_search_read_what_the_calendar_read_finds(
    front_desk, practitioner, second_practitioner, follow_up, busy_monday, colleague_week
):
    calendar = selectors.calendar_settings(practitioner.clinic_id)
    today = timezone.now().astimezone(selectors.zone_of(calendar)).date()
    span = Span(oslo(today, 0), oslo(today + dt.timedelta(days=28), 0))
    people = [practitioner, second_practitioner]
    request = SimpleNamespace(user=front_desk)
    rows = selectors.calendar_read(user=front_desk, span=span, practitioner_ids=[p.pk for p in people], calendar=calendar)
    arguments = {"calendar": calendar, "kind": follow_up, "practitioners": people, "span": span}
    whole = find_free(request, **arguments, read=rows)  # from the rows, as the calendar's pages search
    assert len(whole) > 40
    assert find_free(request, **arguments) == whole  # the search's own read
    assert find_free(request, **arguments, limit=40) == whole[:40]


def _old_free_time_url(slot, kind, patient=None, zone=None):
    """The link as it was written before FreeTimeLinks: reverse() and one urlencode of the five values."""
    values = {
        "starts_at": timezone.localtime(slot.start, zone).strftime("%Y-%m-%dT%H:%M"),
        "practitioner": slot.practitioner_id,
        "appointment_type": kind.pk if kind else "",
        "room": slot.room_id or "",
        "patient": patient or "",
    }
    return reverse("booking") + "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def test_the_free_time_links_are_the_links_free_time_url_wrote(follow_up, rooms):
    zone = zoneinfo.ZoneInfo("Europe/Oslo")
    autumn = dt.datetime(2026, 10, 25, 0, 15, tzinfo=dt.UTC)  # 02:15 CEST and, an hour on, 02:15 CET
    slots = [
        Slot(autumn + dt.timedelta(minutes=m), autumn + dt.timedelta(minutes=m + 30), autumn + dt.timedelta(minutes=m + 40), who, room)
        for m in (0, 60, 75)
        for who in (3, 12)
        for room in (None, rooms[0].pk, rooms[1].pk)
    ]
    patient = uuid.uuid4()
    for kind, someone in ((follow_up, None), (follow_up, patient), (None, None), (None, str(patient))):
        for in_zone in (zone, None):
            links = FreeTimeLinks(kind, someone, in_zone)
            with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
                expected = [_old_free_time_url(slot, kind, someone, in_zone) for slot in slots]
                assert [links(slot) for slot in slots] == expected
                assert [free_time_url(slot, kind, someone, in_zone) for slot in slots] == expected
    first = dict(parse_qsl(urlsplit(FreeTimeLinks(follow_up, patient, zone)(slots[2])).query))
    assert first == {
        "starts_at": "2026-10-25T02:15",
        "practitioner": "3",
        "appointment_type": str(follow_up.pk),
        "room": str(rooms[1].pk),
        "patient": str(patient),
    }
