"""iCal (scheduling.ical, scheduling.feeds, scheduling.feed_views): a practitioner's secret feed
parses with icalendar, keeps patients' names out unless they chose otherwise, 404s once revoked
or renewed, never carries another clinic's appointments, has the right UTC on both sides of the
daylight-saving change, writes its audit rows; and one appointment's .ics attachment parses back."""

from __future__ import annotations

import datetime as dt
import io

import icalendar
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.scheduling import feeds, services
from needlechart.scheduling.feed_models import CalendarFeed
from needlechart.scheduling.ical import appointment_ics
from needlechart.scheduling.models import Appointment, AppointmentType
from tests.scheduling.conftest import OSLO, next_weekday, oslo


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def booked(front_desk, patient, practitioner, follow_up, week, monday, rooms):
    return services.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9), room=rooms[0]
    )


def _token_from(response) -> str:
    page = response.content.decode()
    marker = '<code data-testid="feed-url">'
    url = page[page.index(marker) + len(marker) : page.index("</code>", page.index(marker))]
    assert url.startswith("http://testserver/calendar/feed/") and url.endswith(".ics")
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def _feed_url(token: str) -> str:
    return reverse("calendar_feed_ics", args=[token])


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return list(calendar.walk("VEVENT"))


def _appointment(*, clinic_id, practitioner, patient, kind, starts_at, created_by, **extra):
    """An appointment written directly (no booking rules): for fixed dates and other clinics' rows."""
    ends = starts_at + dt.timedelta(minutes=kind.duration_minutes)
    return Appointment.objects.create(
        clinic_id=clinic_id,
        practitioner=practitioner,
        patient=patient,
        appointment_type=kind,
        starts_at=starts_at,
        ends_at=ends,
        blocked_until=ends,
        created_by=created_by,
        **extra,
    )


def test_the_practitioner_makes_a_feed_that_parses_and_hides_the_patients_name(client_for, practitioner, booked, follow_up):
    client = client_for(practitioner)
    assert client.get(reverse("calendar_feed")).status_code == 200
    token = _token_from(client.post(reverse("calendar_feed"), {"action": "new"}))
    feed = CalendarFeed.objects.get(practitioner=practitioner)
    assert feed.private and feed.token_hash == feeds.token_hash(token) and token not in feed.token_hash  # only the hash is kept
    client.logout()
    response = client.get(_feed_url(token))  # no sign-in: the token is the key
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content
    [event] = _events(body)
    assert str(event["SUMMARY"]) == "Follow-up needling" and str(event["LOCATION"]) == "Room 1"
    assert b"Kari" not in body and b"Nordmann" not in body
    assert str(event["UID"]) == f"{booked.pk}@needlechart" and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == booked.starts_at and event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") == booked.ends_at and event.decoded("DTSTAMP").tzinfo is not None
    assert _events(client.get(_feed_url(token)).content)[0]["UID"] == event["UID"]  # stable from fetch to fetch


def test_with_privacy_off_the_feed_names_the_patient_and_the_choice_is_audited(client_for, practitioner, booked, patient):
    client = client_for(practitioner)
    token = _token_from(client.post(reverse("calendar_feed"), {"action": "new"}))
    response = client.post(reverse("calendar_feed"), {"action": "privacy", "private": "off"})
    assert response.status_code == 302
    choice = AuditEvent.objects.get(object_type="calendar_feed", action="update")
    assert choice.detail["private"] is False and choice.actor_id == practitioner.pk
    [event] = _events(client.get(_feed_url(token)).content)
    assert str(event["SUMMARY"]) == "Kari Nordmann · Follow-up needling"
    fetch = AuditEvent.objects.filter(object_type="calendar_feed", action="view", detail__appointments=1)
    assert fetch.count() == 1 and fetch.get().detail["private"] is False
    named = AuditEvent.objects.filter(object_type="patient", patient_id=patient.pk, detail__page="calendar feed")
    assert named.count() == 1 and named.get().actor_id == practitioner.pk


def test_a_private_fetch_writes_one_row_and_no_patient_rows(client_for, practitioner, booked, patient):
    client = client_for(practitioner)
    token = _token_from(client.post(reverse("calendar_feed"), {"action": "new"}))
    before = AuditEvent.objects.count()
    assert client.get(_feed_url(token)).status_code == 200
    rows = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(row.object_type, row.action, row.patient_id) for row in rows] == [("calendar_feed", "view", None)]
    assert rows[0].detail == {"appointments": 1, "private": True} and rows[0].actor_id == practitioner.pk


def test_revoked_renewed_and_made_up_tokens_are_404(client_for, practitioner, booked):
    client = client_for(practitioner)
    first = _token_from(client.post(reverse("calendar_feed"), {"action": "new"}))
    second = _token_from(client.post(reverse("calendar_feed"), {"action": "new"}))
    assert second != first
    assert client.get(_feed_url(first)).status_code == 404  # a new address stops the old one
    assert client.get(_feed_url(second)).status_code == 200
    assert client.post(reverse("calendar_feed"), {"action": "revoke"}).status_code == 302
    assert client.get(_feed_url(second)).status_code == 404
    assert CalendarFeed.objects.get(practitioner=practitioner).token_hash is None
    for made_up in ("x", "a" * 43, "a" * 500, "a.b" * 15):
        assert client.get(f"/calendar/feed/{made_up}.ics").status_code == 404
    assert client.get("/calendar/feed/" + "%00" * 30 + ".ics").status_code == 400  # refused before the view, not a 500
    kinds = list(
        AuditEvent.objects.filter(object_type="calendar_feed").exclude(action="view").order_by("seq").values_list("action", "detail")
    )
    assert kinds == [("create", {"token": "made"}), ("update", {"token": "renewed"}), ("update", {"token": "revoked"})]


def test_a_deactivated_practitioners_feed_is_404(client_for, practitioner, booked):
    token = _token_from(client_for(practitioner).post(reverse("calendar_feed"), {"action": "new"}))
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])
    assert client_for(practitioner).get(_feed_url(token)).status_code == 404


def test_another_clinics_appointments_never_appear(client_for, practitioner, other_practitioner, other_clinic, booked, patient, monday):
    other_kind = AppointmentType.objects.create(clinic=other_clinic, name_en="Other clinic's type", name_nb="Annen", duration_minutes=30)
    # Another clinic's appointment with another practitioner, and a row of the other clinic naming this practitioner.
    theirs = _appointment(
        clinic_id=other_clinic.pk,
        practitioner=other_practitioner,
        patient=patient,
        kind=other_kind,
        starts_at=oslo(monday, 13),
        created_by=other_practitioner,
    )
    stray = _appointment(
        clinic_id=other_clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=other_kind,
        starts_at=oslo(monday, 14),
        created_by=practitioner,
    )
    token = _token_from(client_for(practitioner).post(reverse("calendar_feed"), {"action": "new"}))
    body = client_for(practitioner).get(_feed_url(token)).content
    uids = {str(e["UID"]) for e in _events(body)}
    assert uids == {f"{booked.pk}@needlechart"}
    assert str(theirs.pk).encode() not in body and str(stray.pk).encode() not in body and b"Other clinic" not in body
    other_token = _token_from(client_for(other_practitioner).post(reverse("calendar_feed"), {"action": "new"}))
    other_uids = {str(e["UID"]) for e in _events(client_for(other_practitioner).get(_feed_url(other_token)).content)}
    assert other_uids == {f"{theirs.pk}@needlechart"}


def test_the_feed_covers_30_days_back_to_180_ahead_and_cancelled_ones_say_so(
    client_for, clinic, front_desk, practitioner, patient, follow_up, booked
):
    now = timezone.now()
    old = _appointment(
        clinic_id=clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=follow_up,
        starts_at=now - dt.timedelta(days=31),
        created_by=front_desk,
    )
    far = _appointment(
        clinic_id=clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=follow_up,
        starts_at=now + dt.timedelta(days=181),
        created_by=front_desk,
    )
    recent = _appointment(
        clinic_id=clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=follow_up,
        starts_at=now - dt.timedelta(days=29),
        created_by=front_desk,
    )
    services.appointment_cancel(actor=front_desk, appointment=booked, reason="Ill", late=True)
    token = _token_from(client_for(practitioner).post(reverse("calendar_feed"), {"action": "new"}))
    events = {str(e["UID"]): e for e in _events(client_for(practitioner).get(_feed_url(token)).content)}
    assert set(events) == {f"{booked.pk}@needlechart", f"{recent.pk}@needlechart"}
    assert f"{old.pk}@needlechart" not in events and f"{far.pk}@needlechart" not in events
    assert str(events[f"{booked.pk}@needlechart"]["STATUS"]) == "CANCELLED"
    assert str(events[f"{recent.pk}@needlechart"]["STATUS"]) == "CONFIRMED"
    assert b"Ill" not in client_for(practitioner).get(_feed_url(token)).content  # the reason stays in the clinic


def test_ten_oclock_in_oslo_is_nine_utc_in_winter_and_eight_in_summer(clinic, front_desk, practitioner, patient, follow_up):
    winter = _appointment(
        clinic_id=clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=follow_up,
        starts_at=dt.datetime(2027, 1, 11, 10, tzinfo=OSLO),
        created_by=front_desk,
    )
    summer = _appointment(
        clinic_id=clinic.pk,
        practitioner=practitioner,
        patient=patient,
        kind=follow_up,
        starts_at=dt.datetime(2027, 6, 14, 10, tzinfo=OSLO),
        created_by=front_desk,
    )
    feed = CalendarFeed.objects.create(clinic=clinic, practitioner=practitioner, token_hash=feeds.token_hash("t" * 43))
    read = feeds.feed_read(feed, name="test", now=dt.datetime(2027, 2, 1, tzinfo=dt.UTC))
    assert read.appointments == 2
    starts = {str(e["UID"]): e.decoded("DTSTART") for e in _events(read.body)}
    assert starts[f"{winter.pk}@needlechart"] == dt.datetime(2027, 1, 11, 9, tzinfo=dt.UTC)
    assert starts[f"{summer.pk}@needlechart"] == dt.datetime(2027, 6, 14, 8, tzinfo=dt.UTC)
    assert b"DTSTART:20270111T090000Z" in read.body and b"DTSTART:20270614T080000Z" in read.body


def test_the_feed_page_refuses_bad_input_and_other_roles(client_for, practitioner, front_desk):
    client = client_for(practitioner)
    assert client.post(reverse("calendar_feed"), {"action": "delete-everything"}).status_code == 400
    assert client.post(reverse("calendar_feed"), {"action": "privacy", "private": "maybe"}).status_code == 400
    assert client.post(reverse("calendar_feed"), {"action": "privacy"}).status_code == 400
    assert not CalendarFeed.objects.exists()
    assert client_for(front_desk).get(reverse("calendar_feed")).status_code == 403
    assert client_for(front_desk).post(reverse("calendar_feed"), {"action": "new"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_the_feed_page_in_norwegian(client_for, practitioner):
    client = client_for(practitioner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    page = client.get(reverse("calendar_feed")).content.decode()
    assert "<h1>Mitt kalenderabonnement</h1>" in page and "Skjul dem" in page


def test_one_appointments_ics_parses_back_in_the_clinics_zone(booked):
    body = appointment_ics(booked)
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Oslo"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{booked.pk}@needlechart"
    assert event.decoded("DTSTART") == booked.starts_at and event.decoded("DTEND") == booked.ends_at
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert str(event["LOCATION"]) == "Room 1"
    # The patient's language (Norwegian by default), no patient name (an attachment can be forwarded).
    assert str(event["SUMMARY"]) == "Oppfølgende nålebehandling hos Practitioner Tester"
    assert b"Kari" not in body and b"Nordmann" not in body


def test_the_confirmation_e_mail_carries_this_ics(front_desk, patient, practitioner, follow_up, week, monday, rooms):
    patient.email = "kari@example.org"
    patient.save(update_fields=["email"])
    appointment = services.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 10), room=rooms[0]
    )
    call_command("send_messages", "--once", stdout=io.StringIO())
    [confirmation] = [m for m in mail.outbox if m.attachments]
    [(name, content, mimetype)] = confirmation.attachments
    assert name == "appointment.ics" and mimetype == "text/calendar"
    [event] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert str(event["UID"]) == f"{appointment.pk}@needlechart" and event.decoded("DTSTART") == appointment.starts_at
