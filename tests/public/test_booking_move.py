# ruff: noqa: F811 - the booking fixtures are imported from test_booking
"""Moving a booking from the manage link: another free time of the same type, with the same
practitioner or the first available, until the clinic's limit; a time held by a visitor or booked
meanwhile is refused, and the database's guard decides a race."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from needlechart.public import booking, booking_manage
from needlechart.public.booking_models import OnlineBooking
from needlechart.public.models import PublicProfile
from needlechart.scheduling import configuration
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import Appointment, OutgoingMessage
from tests.conftest import certify
from tests.public.test_booking import _booked, _empty_cache, _first_free, _hold, _in_days, open_week, profile, types  # noqa: F401


def _move_url(manage):
    return manage + "move/"


def _slot_value(slot):
    return f"{slot.practitioner_id}@{slot.start.isoformat()}"


def test_the_manage_link_moves_the_booking_to_another_free_time(client, profile, types, open_week, practitioner):
    manage = _booked(client, profile, types["needling"], practitioner)
    assert 'data-testid="booking-move"' in client.get(manage).content.decode()
    appointment = Appointment.objects.get()
    page = client.get(_move_url(manage), {"day": _in_days(5).isoformat()})
    assert page.status_code == 200 and "Free times for Follow-up needling" in page.content.decode()
    later = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(5))[0][2]
    moved = client.post(_move_url(manage), {"slot": _slot_value(later)})
    assert moved.status_code == 302 and moved["Location"].endswith("?moved=1")
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.appointment_type) == (later.start, types["needling"])
    assert OutgoingMessage.objects.filter(appointment=appointment, kind="moved").exists()
    assert "Your booking is moved." in client.get(moved["Location"]).content.decode()


def test_a_move_to_a_time_a_visitor_holds_or_the_desk_booked_is_refused(
    client, profile, types, open_week, practitioner, front_desk, patient
):
    manage = _booked(client, profile, types["needling"], practitioner)
    appointment = Appointment.objects.get()
    held = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(6))[0][0]
    assert _hold(client.__class__(), types["needling"], held).status_code == 302
    refused = client.post(_move_url(manage), {"slot": _slot_value(held)})
    assert refused.status_code == 409 and "someone else booked or is booking that time" in refused.content.decode()
    # Free when the page was drawn, booked at the desk before the click: the time is checked again.
    slot = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(7))[0][0]
    scheduling.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=types["needling"], starts_at=slot.start
    )
    assert client.post(_move_url(manage), {"slot": _slot_value(slot)}).status_code == 409
    before = appointment.starts_at
    appointment.refresh_from_db()
    assert appointment.starts_at == before


def test_the_database_guard_decides_a_race_for_the_new_time(
    profile, types, open_week, practitioner, front_desk, patient, monkeypatch, client
):
    _booked(client, profile, types["needling"], practitioner)
    online = OnlineBooking.objects.select_related("appointment").get()
    slot = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(8))[0][0]
    # The check passes (the free times are read before the other booking), then the database refuses.
    read = booking_manage.move_times(profile, online, [practitioner.pk], first_day=_in_days(8))
    monkeypatch.setattr(booking_manage, "move_times", lambda *args, **kwargs: read)
    scheduling.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=types["needling"], starts_at=slot.start
    )
    with pytest.raises(booking.TimeTaken):
        booking_manage.move(profile, online, practitioner.pk, slot.start)
    assert Appointment.objects.get(pk=online.appointment_id).starts_at == online.appointment.starts_at


def test_first_available_moves_to_another_practitioner(client, clinic_admin, profile, types, open_week, practitioner, second_practitioner):
    for day in range(7):
        configuration.working_hours_add(
            actor=clinic_admin, practitioner=second_practitioner, weekday=day, start_time=dt.time(8), end_time=dt.time(16)
        )
    manage = _booked(client, profile, types["needling"], practitioner)
    other = booking.free_times(profile, types["needling"], [second_practitioner.pk], first_day=_in_days(5))[0][0]
    assert client.post(_move_url(manage), {"slot": _slot_value(other)}).status_code == 400  # not the practitioner shown
    uncertified = client.post(_move_url(manage), {"practitioner": "any", "slot": _slot_value(other)})
    assert uncertified.status_code == 400  # a needling session only with a practitioner certified today
    certify(second_practitioner, completed_days_ago=30)
    moved = client.post(_move_url(manage), {"practitioner": "any", "slot": _slot_value(other)})
    assert moved.status_code == 302
    assert Appointment.objects.get().practitioner == second_practitioner


def test_moving_is_refused_past_the_limit_and_for_bad_input(client, profile, types, open_week, practitioner):
    manage = _booked(client, profile, types["needling"], practitioner)
    assert client.post(_move_url(manage), {"slot": "not-a-time"}).status_code == 400
    assert client.get(_move_url(manage), {"practitioner": "999999"}).status_code == 400
    PublicProfile.objects.filter(pk=profile.pk).update(cancellation_limit_hours=24 * 7)
    late = client.get(_move_url(manage))
    assert late.status_code == 400 and "too late to cancel or move online" in late.content.decode()
    slot = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(9))[0][0]
    assert client.post(_move_url(manage), {"slot": _slot_value(slot)}).status_code == 400
    guessed = reverse("booking_move", kwargs={"clinic_slug": profile.slug, "lang": "en", "secret": "guessed"})
    assert client.get(guessed).status_code == 404
