"""Every calendar view as anonymous, wrong role, other clinic's staff, and permitted.

Anonymous users are sent to sign in; a role that may not do it gets 403; another clinic's
appointment, room, type, hours or exception answers 404 like a missing one; the permitted roles
get through (200, or a redirect after a successful POST). Cases that change an appointment take
a fresh one for each role (``fresh``)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from needlechart.scheduling import configuration, services, wait_list
from needlechart.scheduling import urls as scheduling_urls
from needlechart.scheduling.outbox_models import MessageStatus, OutgoingMessage
from needlechart.screening import services as screening
from tests.conftest import every_case
from tests.scheduling.conftest import next_weekday, oslo
from tests.scheduling.test_messages import failed, reachable  # noqa: F401 - fixtures: a failed message of the clinic

ALL_STAFF = ("practitioner", "front_desk", "clinic_admin")
_BY_SMS = {"offer_by": "sms"}  # a wait list entry whose patient agreed to hear of a freed time by SMS
DESK = ("front_desk", "clinic_admin")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Any  # callable(objects) -> str
    permitted: tuple[str, ...]
    data: Any = None  # callable(objects) -> dict
    other_clinic_persona: str = "other_practitioner"
    object_scoped: bool = True
    refusal: bytes = b"Not available for your role"  # what the 403 page says
    missing_status: int = 404  # what another clinic's object answers: as a missing one does


@pytest.fixture
def objects(practitioner, front_desk, clinic_admin, patient, follow_up, rooms, week, other_practitioner, other_admin, request):
    minutes = itertools.count()

    def fresh():
        """A new booked appointment of the practitioner that has just begun, at a time of its own."""
        start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=20) + dt.timedelta(minutes=45 * next(minutes))
        return services.appointment_book(
            actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=start, outside_hours=True
        )

    def fresh_hours():
        hour = 6 + next(minutes) % 16  # Saturdays, an hour of its own
        return configuration.working_hours_add(
            actor=clinic_admin, practitioner=practitioner, weekday=5, start_time=dt.time(hour), end_time=dt.time(hour, 59)
        )

    def fresh_exception():
        day = timezone.localdate() + dt.timedelta(days=30 + next(minutes))
        return configuration.schedule_exception_add(
            actor=clinic_admin, practitioner=practitioner, first_day=day, last_day=day, reason="course"
        )

    failed_message = request.getfixturevalue("failed")

    def failed_again():
        """The clinic's failed message, failed again (a resend takes it out of the failed ones)."""
        OutgoingMessage.objects.filter(pk=failed_message.pk).update(status=MessageStatus.FAILED)
        return failed_message

    monday = next_weekday(0)
    return {
        "practitioner": practitioner,
        "front_desk": front_desk,
        "clinic_admin": clinic_admin,
        "other_practitioner": other_practitioner,
        "other_admin": other_admin,
        "patient": patient,
        "type": follow_up,
        "room": rooms[0],
        "appointment": fresh(),
        "fresh": fresh,
        "fresh_hours": fresh_hours,
        "fresh_exception": fresh_exception,
        "fresh_entry": lambda: wait_list.entry_add(actor=front_desk, patient=patient, data={"appointment_types": [follow_up]}),
        "failed_message": failed_again,
        "free_time": oslo(monday, 12),
        "monday": monday,
    }


def _free_monday_time(o) -> str:
    """A free time on Monday for each call (each booking takes one)."""
    o["free_time"] += dt.timedelta(minutes=45)
    return o["free_time"].strftime("%Y-%m-%dT%H:%M")


CASES = [
    Case("calendar", "get", lambda o: reverse("calendar"), ALL_STAFF, object_scoped=False),
    Case(
        "calendar_week",
        "get",
        lambda o: reverse("calendar") + f"?view=week&practitioner={o['practitioner'].pk}",
        ALL_STAFF,
        object_scoped=False,
    ),
    Case("calendar_clinic_week", "get", lambda o: reverse("calendar") + "?view=week&practitioner=", ALL_STAFF, object_scoped=False),
    Case("free_times", "get", lambda o: reverse("free_times") + f"?appointment_type={o['type'].pk}", ALL_STAFF, object_scoped=False),
    Case("booking", "get", lambda o: reverse("booking") + f"?patient={o['patient'].pk}", ALL_STAFF, object_scoped=False),
    Case(
        "booking_post",
        "post",
        lambda o: reverse("booking"),
        ALL_STAFF,
        data=lambda o: {
            "patient": o["patient"].pk,
            "appointment_type": o["type"].pk,
            "practitioner": o["practitioner"].pk,
            "starts_at": _free_monday_time(o),
            "weeks": "1",
        },
        object_scoped=False,
    ),
    Case("booking_patients", "get", lambda o: reverse("booking_patients") + "?q=Nordmann", ALL_STAFF, object_scoped=False),
    Case("appointment_detail", "get", lambda o: reverse("appointment_detail", args=[o["appointment"].pk]), ALL_STAFF),
    Case("appointment_move", "get", lambda o: reverse("appointment_move", args=[o["appointment"].pk]), DESK),
    Case(
        "appointment_move_post",
        "post",
        lambda o: reverse("appointment_move", args=[o["fresh"]().pk]),
        DESK,
        data=lambda o: {"starts_at": _free_monday_time(o), "practitioner": o["practitioner"].pk},
    ),
    Case(
        "appointment_cancel",
        "post",
        lambda o: reverse("appointment_cancel", args=[o["fresh"]().pk]),
        DESK,
        data=lambda o: {"reason": "Ill"},
    ),
    Case(
        "appointment_arrived",
        "post",
        lambda o: reverse("appointment_status", args=[o["fresh"]().pk]),
        ALL_STAFF,  # the practitioner is the appointment's own
        data=lambda o: {"status": "arrived"},
    ),
    Case(
        "appointment_no_show",
        "post",
        lambda o: reverse("appointment_status", args=[o["fresh"]().pk]),
        DESK,
        data=lambda o: {"status": "no_show"},
    ),
    Case("appointment_visit", "post", lambda o: reverse("appointment_visit", args=[o["fresh"]().pk]), ("practitioner",)),
    Case("calendar_setup", "get", lambda o: reverse("calendar_setup"), ("clinic_admin",), object_scoped=False),
    Case(
        "calendar_setup_post",
        "post",
        lambda o: reverse("calendar_setup"),
        ("clinic_admin",),
        data=lambda o: {"time_zone": "", "slot_minutes": "15", "minimum_notice_minutes": "60", "horizon_days": "90", "reminder_hours": "0"},
        object_scoped=False,
    ),
    Case("room_create", "get", lambda o: reverse("room_create"), ("clinic_admin",), object_scoped=False),
    Case("room_edit", "get", lambda o: reverse("room_edit", args=[o["room"].pk]), ("clinic_admin",), other_clinic_persona="other_admin"),
    Case("appointment_type_create", "get", lambda o: reverse("appointment_type_create"), ("clinic_admin",), object_scoped=False),
    Case(
        "appointment_type_edit",
        "get",
        lambda o: reverse("appointment_type_edit", args=[o["type"].pk]),
        ("clinic_admin",),
        other_clinic_persona="other_admin",
    ),
    Case("working_hours", "get", lambda o: reverse("working_hours"), ("clinic_admin",), object_scoped=False),
    Case(
        "working_hours_remove",
        "post",
        lambda o: reverse("working_hours_remove", args=[o["fresh_hours"]().pk]),
        ("clinic_admin",),
        other_clinic_persona="other_admin",
    ),
    Case(
        "schedule_exception_remove",
        "post",
        lambda o: reverse("schedule_exception_remove", args=[o["fresh_exception"]().pk]),
        ("clinic_admin",),
        other_clinic_persona="other_admin",
    ),
    # The practitioner's own calendar feed (its .ics address is a secret token: tests/scheduling/test_ical.py).
    Case(
        "calendar_feed",
        "get",
        lambda o: reverse("calendar_feed"),
        ("practitioner",),
        object_scoped=False,
        refusal=b"Calendar feeds are for practitioners",
    ),
    Case(
        "calendar_feed_new",
        "post",
        lambda o: reverse("calendar_feed"),
        ("practitioner",),
        data=lambda o: {"action": "new"},
        object_scoped=False,
        refusal=b"Calendar feeds are for practitioners",
    ),
    # Messages that could not be sent.
    Case("outbox_failed", "get", lambda o: reverse("outbox_failed"), DESK, object_scoped=False),
    Case(
        "outbox_resend",
        "post",
        lambda o: reverse("outbox_resend", args=[o["failed_message"]().pk]),
        DESK,
        other_clinic_persona="other_admin",
        missing_status=400,  # "not among the failed ones", as for an unknown message
    ),
    # The wait list.
    Case("wait_list", "get", lambda o: reverse("wait_list"), ALL_STAFF, object_scoped=False),
    Case("wait_list_new", "get", lambda o: reverse("wait_list_new") + f"?patient={o['patient'].pk}", ALL_STAFF),
    Case(
        "wait_list_new_post",
        "post",
        lambda o: reverse("wait_list_new") + f"?patient={o['patient'].pk}",
        ALL_STAFF,
        data=lambda o: {"patient": o["patient"].pk, "appointment_types": [o["type"].pk]},
    ),
    Case(
        "wait_list_fits",
        "get",
        lambda o: reverse("wait_list_fits") + f"?practitioner={o['practitioner'].pk}&starts_at={_free_monday_time(o)}",
        ALL_STAFF,
    ),
    Case("wait_list_fits_appointment", "get", lambda o: reverse("wait_list_fits_appointment", args=[o["appointment"].pk]), ALL_STAFF),
    Case("wait_list_entry", "get", lambda o: reverse("wait_list_entry", args=[o["fresh_entry"]().pk]), ALL_STAFF),
    Case(
        "wait_list_remove",
        "post",
        lambda o: reverse("wait_list_remove", args=[o["fresh_entry"]().pk]),
        ALL_STAFF,
        data=lambda o: {"reason": "Found another time"},
    ),
    Case(
        "wait_list_offer",
        "post",
        lambda o: reverse("wait_list_offer", args=[o["fresh_entry"]().pk]),
        ALL_STAFF,
        data=lambda o: {"offered": "1"},
    ),
    Case(
        "wait_list_book",
        "post",
        lambda o: reverse("wait_list_book", args=[o["fresh_entry"]().pk]),
        ALL_STAFF,
        data=lambda o: {"practitioner": o["practitioner"].pk, "appointment_type": o["type"].pk, "starts_at": _free_monday_time(o)},
    ),
    Case(  # an entry whose patient agreed to hear of a freed time by SMS
        "wait_list_offer_time",
        "post",
        lambda o: reverse(
            "wait_list_offer_time",
            args=[wait_list.entry_add(actor=o["front_desk"], patient=o["patient"], data=_BY_SMS | {"appointment_types": [o["type"]]}).pk],
        ),
        ALL_STAFF,
        data=lambda o: {"practitioner": o["practitioner"].pk, "starts_at": _free_monday_time(o)},
    ),
]
IDS = [c.name for c in CASES]
# Addressed by a secret token, not by a sign-in (tests/scheduling/test_ical.py tries guessed and revoked ones).
TOKEN_ROUTES = {"calendar_feed_ics"}


def _call(client, case: Case, objects):
    url = case.url(objects)
    data = case.data(objects) if case.data else {}
    return client.get(url) if case.method == "get" else client.post(url, data)


# The refusals change nothing, so each test checks every case on one set of records
# (tests.conftest.every_case names each case that fails); the permitted requests, which change
# records, are a test each.


def test_anonymous_users_are_sent_to_sign_in(client, objects):
    def check(case: Case) -> None:
        response = _call(client, case, objects)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    every_case(CASES, check)


def test_roles_that_may_not_are_refused_with_403(client, objects):
    def check(case: Case) -> None:
        for role in [r for r in ALL_STAFF if r not in case.permitted]:
            client.force_login(objects[role])
            response = _call(client, case, objects)
            assert response.status_code == 403, role
            assert case.refusal in response.content

    every_case([c for c in CASES if set(c.permitted) != set(ALL_STAFF)], check)


def test_other_clinics_staff_get_404_for_this_clinics_objects(client, objects):
    def check(case: Case) -> None:
        client.force_login(objects[case.other_clinic_persona])
        assert _call(client, case, objects).status_code == case.missing_status

    every_case([c for c in CASES if c.object_scoped], check)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_permitted_roles_get_through(client, objects, case):
    for role in case.permitted:
        client.force_login(objects[role])
        response = _call(client, case, objects)
        assert response.status_code in (200, 302), (role, response.status_code, response.content.decode()[:800])
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("login"))


def test_a_practitioner_may_not_record_the_arrival_of_a_colleagues_patient(client, objects, second_practitioner):
    client.force_login(second_practitioner)
    response = client.post(reverse("appointment_status", args=[objects["fresh"]().pk]), {"status": "arrived"})
    assert response.status_code == 403


def test_other_clinics_calendars_never_show_this_clinics_appointments(client, objects):
    client.force_login(objects["other_admin"])
    for url in (reverse("calendar"), reverse("calendar") + "?view=week", reverse("calendar") + "?view=week&practitioner="):
        page = client.get(url).content.decode()
        assert "Nordmann" not in page and str(objects["appointment"].pk) not in page
    assert "Nordmann" not in client.get(reverse("booking_patients") + "?q=Nordmann").content.decode()
    stranger = client.get(reverse("calendar") + f"?practitioner={objects['practitioner'].pk}").content.decode()
    assert "Nordmann" not in stranger  # a practitioner id of another clinic is no one's here: the whole clinic is shown


@pytest.fixture
def patients_browser(client, front_desk, patient):
    """A browser in which the patient has just answered through their own link (patients have no
    staff account: what a patient can reach is what their links open)."""
    _link, url = screening.intake_link_create(actor=front_desk, patient=patient, base_url="http://testserver", send_email=False)
    assert client.get(urlsplit(url).path).status_code == 200
    return client


def test_a_patient_with_their_intake_link_open_is_sent_to_sign_in(patients_browser, objects):
    def check(case: Case) -> None:
        response = _call(patients_browser, case, objects)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    every_case(CASES, check)


def test_every_calendar_route_is_in_the_matrix(objects):
    routes = {pattern.name for pattern in scheduling_urls.urlpatterns}
    covered = {resolve(urlsplit(case.url(objects)).path).url_name for case in CASES}
    assert routes - covered - TOKEN_ROUTES == set(), "add a Case for each new calendar view"
