"""Online booking under contention: a time held by one patient cannot be taken by another, and two
clients going for the last free time at the same moment end with one booking and one clear refusal.

On PostgreSQL the clients are threads, each on its own real connection, started together by a
``threading.Barrier`` (as tests/scheduling/test_double_booking.py does for the front desk). SQLite
has one writer at a time, so there the second client comes after the first and must be refused
the same way.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.patients.models import Patient
from needlechart.public import booking
from needlechart.public.booking_models import OnlineBooking, SlotHold
from needlechart.public.models import PublicProfile
from needlechart.scheduling import configuration
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import Appointment, AppointmentStatus, CalendarSettings
from needlechart.scheduling.slots import Slot
from tests.public.conftest import SLUG

# The booking form as a patient sends it (its field names are the page's).
FORM = {
    "given_name": "Kari",
    "family_name": "Online",
    "birth_date": "1984-05-06",
    "phone": "+47 912 34 567",
    "email": "kari@patients.invalid",
    "website": "",
    "q_medications": ["none"],
    "q_medical_conditions": ["none"],
    "q_implants": ["none"],
    "q_needle_fear": "none",
    "q_wants_needling": "yes",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def one_slot_left(public_profile, clinic_admin, practitioner):
    """Tomorrow the practitioner works one half hour: the clinic's last free time for a follow-up."""
    kind = configuration.appointment_type_save(
        actor=clinic_admin,
        data={"name_en": "Follow-up", "name_nb": "Oppfølging", "duration_minutes": 30, "bookable_online": True},
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    configuration.working_hours_add(
        actor=clinic_admin, practitioner=practitioner, weekday=tomorrow.weekday(), start_time=dt.time(10), end_time=dt.time(10, 30)
    )
    CalendarSettings.objects.update_or_create(clinic_id=public_profile.clinic_id, defaults={"minimum_notice_minutes": 0})
    profile = PublicProfile.objects.select_related("clinic").get(pk=public_profile.pk)
    booking.booking_actor(profile.clinic_id)  # made once here, not by both clients at once
    slots, _window = booking.free_times(profile, kind, [practitioner.pk], first_day=tomorrow)
    assert len(slots) == 1
    return profile, kind, slots[0]


def _free_starts(profile: PublicProfile, kind, slot: Slot) -> list[dt.datetime]:
    day = timezone.localtime(slot.start).date()
    return [s.start for s in booking.free_times(profile, kind, [slot.practitioner_id], first_day=day)[0]]


def _hold_post(client: Client, kind, slot: Slot):
    url = reverse("booking_hold", kwargs={"clinic_slug": SLUG, "lang": "en"})
    return client.post(url, {"type": str(kind.pk), "practitioner": "any", "slot": f"{slot.practitioner_id}@{slot.start.isoformat()}"})


def _book_post(client: Client, details_url: str):
    return client.post(details_url, FORM)


def _at_once(*calls: Callable[[], str]) -> list[str]:
    """Run ``calls`` each in a thread of its own (its own connection), released together."""
    start = threading.Barrier(len(calls), timeout=10)
    outcomes: list[str] = []

    def run(call: Callable[[], str]) -> None:
        try:
            start.wait()
            outcomes.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_a_time_held_by_one_patient_cannot_be_taken_by_another(client, one_slot_left, front_desk):
    profile, kind, slot = one_slot_left
    held = _hold_post(client, kind, slot)
    assert held.status_code == 302
    secret = held["Location"].rstrip("/").rsplit("/", 1)[1]
    assert slot.start not in _free_starts(profile, kind, slot)  # gone from everyone's list

    other = Client()
    refused = _hold_post(other, kind, slot)
    assert refused.status_code == 409 and "someone else booked or is booking that time" in refused.content.decode()
    with pytest.raises(booking.TimeTaken):
        booking.hold_create(profile, kind, slot.practitioner_id, slot.start)
    assert SlotHold.objects.count() == 1
    # Knowing the hold's address is the only way to its form: a made-up secret finds nothing.
    assert booking.hold_get(profile, secret + "x") is None
    assert other.get(held["Location"].replace(secret, secret[:-1] + ("A" if secret[-1] != "A" else "B"))).status_code == 404

    # The patient who holds it books it; the time is then taken for good.
    booked = _book_post(client, held["Location"])
    assert booked.status_code == 200 and Appointment.objects.get().starts_at == slot.start
    assert _hold_post(other, kind, slot).status_code == 409
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1 and not SlotHold.objects.exists()


def test_an_expired_hold_lets_the_next_patient_have_the_time_and_cannot_book_it_any_more(client, one_slot_left):
    _profile, kind, slot = one_slot_left
    first = _hold_post(client, kind, slot)["Location"]
    SlotHold.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    other = Client()
    second = _hold_post(other, kind, slot)
    assert second.status_code == 302
    late = _book_post(client, first)  # the first patient comes back too late: told so, and nothing is booked
    assert late.status_code == 404 and "no longer held" in late.content.decode()
    assert not Appointment.objects.exists()
    assert _book_post(other, second["Location"]).status_code == 200
    assert Appointment.objects.get().starts_at == slot.start
    assert OnlineBooking.objects.count() == 1 and Patient.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_patients_holding_the_last_time_at_the_same_moment_get_one_hold_and_one_refusal(one_slot_left, monkeypatch):
    """Both post the time together, each from a client of its own; the free times are read slowly,
    so without the practitioner's lock both would find the time free."""
    profile, kind, slot = one_slot_left
    read = booking.free_times

    def slow_read(*args, **kwargs):
        found = read(*args, **kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(booking, "free_times", slow_read)

    def hold() -> str:
        response = _hold_post(Client(), kind, slot)
        return "held" if response.status_code == 302 else f"{response.status_code} {'just taken' in response.content.decode()}"

    outcomes = sorted([hold(), hold()]) if connection.vendor == "sqlite" else _at_once(hold, hold)
    assert outcomes == ["409 True", "held"]
    assert SlotHold.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_online_booking_and_the_front_desk_booking_the_last_time_at_once_end_with_one_booking(
    one_slot_left, front_desk, patient, monkeypatch
):
    """A hold does not bind the front desk: both check the time free, then both write, and the
    database lets one through. The other hears it clearly: the patient as ``TimeTaken`` (the page
    with other times), the front desk as the calendar's message."""
    _profile, kind, slot = one_slot_left
    patient_client = Client()
    details_url = _hold_post(patient_client, kind, slot)["Location"]
    practitioner = SlotHold.objects.get().practitioner

    def online() -> str:
        response = _book_post(patient_client, details_url)
        if response.status_code == 409 and "someone else booked or is booking that time" in response.content.decode():
            return "online refused"
        return "online booked" if response.status_code == 200 else f"online {response.status_code}"

    def desk() -> str:
        try:
            scheduling.appointment_book(
                actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=kind, starts_at=slot.start
            )
        except scheduling.BookingConflict as refusal:
            return f"desk refused: {refusal.messages[0]}"
        return "desk booked"

    if connection.vendor == "sqlite":
        outcomes = sorted([online(), desk()])
    else:
        both_checked = threading.Barrier(2, timeout=10)
        check = scheduling._problem

        waited: set[int] = set()

        def check_then_wait(*args, **kwargs):
            found = check(*args, **kwargs)
            if threading.get_ident() not in waited:  # once: a booking run again after a deadlock checks anew
                waited.add(threading.get_ident())
                both_checked.wait()  # each found the time free before either wrote
            return found

        monkeypatch.setattr(scheduling, "_problem", check_then_wait)
        outcomes = _at_once(online, desk)
    booked = [o for o in outcomes if o.endswith("booked")]
    refused = [o for o in outcomes if "refused" in o]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert refused[0] in ("online refused", "desk refused: The practitioner has another appointment then."), outcomes
    assert Appointment.objects.filter(starts_at=slot.start, status=AppointmentStatus.BOOKED).count() == 1
    if booked == ["desk booked"]:  # the patient's attempt leaves nothing behind
        assert not OnlineBooking.objects.exists() and not SlotHold.objects.exists() and Patient.objects.count() == 1
