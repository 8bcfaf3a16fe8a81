# ruff: noqa: F811 - the booking fixtures are imported from test_booking
"""A returning patient's code: the booking joins the record on file only after the code sent to that
record's phone or e-mail is confirmed; the page says the same whether or not anyone matched; the
code is stored hashed, expires, allows five tries and is rate-limited; without it the booking makes
a new record for the front desk."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.patients import services as patients
from needlechart.patients.models import Patient
from needlechart.public import booking, booking_codes
from needlechart.public.booking_models import BookingCode, OnlineBooking
from needlechart.scheduling import sms
from needlechart.scheduling.models import Appointment
from needlechart.screening.models import IntakeLink
from tests.public.test_booking import _details_url, _empty_cache, _first_free, _form, _hold, open_week, profile, types  # noqa: F401

LOCMEM = "needlechart.scheduling.sms.LocmemSmsBackend"


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.NEEDLECHART_SMS_BACKEND = LOCMEM
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def on_file(front_desk):
    return patients.patient_create(
        actor=front_desk,
        data={
            "given_name": "Ingrid",
            "family_name": "Filed",
            "birth_date": dt.date(1985, 4, 12),
            "phone": "91234567",
            "email": "ingrid.old@patients.invalid",
        },
    )


def _ask_code(client, profile, kind, practitioner, days=3, **changes):
    details = _details_url(_hold(client, kind, _first_free(profile, kind, practitioner, days=days)))
    response = client.post(details, _form(returning="on", **changes))
    assert response.status_code == 302 and response["Location"].endswith("/code/"), response.content.decode()[:300]
    return response["Location"]


def _sent_code() -> str:
    texts = [m.text for m in sms.outbox] + [m.body for m in mail.outbox]
    codes = {code for text in texts for code in re.findall(r"\b(\d{6})\b", text)}
    assert len(codes) == 1, texts
    return codes.pop()


def test_a_confirmed_code_books_into_the_record_on_file(
    client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        code_url = _ask_code(client, profile, types["needling"], practitioner)
    # The code went by SMS to the phone on file (it matched, written otherwise); the e-mail typed in is not on file.
    assert [m.to for m in sms.outbox] == ["91234567"] and not mail.outbox
    code = _sent_code()
    row = BookingCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    done = client.post(code_url, {"action": "confirm", "code": code})
    assert done.status_code == 200 and "Your time is booked" in done.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.patient == on_file and Patient.objects.count() == 1
    online = OnlineBooking.objects.get()
    assert (online.patient, online.new_patient, online.patient_confirmed) == (on_file, False, True)
    assert not IntakeLink.objects.exists() and not BookingCode.objects.exists()


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'<section class="summary".*?</section>', "", html, flags=re.S)
    return re.sub(r"/book/h/[^/]+/", "/book/h/SECRET/", html)


def test_the_code_page_is_the_same_whether_or_not_anyone_matched(
    client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        matched = _ask_code(client, profile, types["needling"], practitioner, days=3)
        nobody = _ask_code(client, profile, types["needling"], practitioner, days=4, birth_date="1990-01-01", phone="99887766")
    assert len(sms.outbox) == 1  # only the matched record's phone heard of it
    first, second = client.get(matched), client.get(nobody)
    assert first.status_code == second.status_code == 200
    assert _normalised(first.content.decode()) == _normalised(second.content.decode())
    wrong = client.post(nobody, {"action": "confirm", "code": _sent_code()})  # another hold's code is no use here
    assert wrong.status_code == 400 and "That code is not right. You have 4 tries left." in wrong.content.decode()


def test_five_wrong_codes_end_the_code_and_the_booking_goes_to_a_new_record(
    client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        code_url = _ask_code(client, profile, types["needling"], practitioner)
    code = _sent_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        page = client.post(code_url, {"action": "confirm", "code": wrong}).content.decode()
        assert f"You have {left} tries left." in page
    assert "can no longer be used" in client.post(code_url, {"action": "confirm", "code": wrong}).content.decode()
    assert "can no longer be used" in client.post(code_url, {"action": "confirm", "code": code}).content.decode()
    assert BookingCode.objects.get().attempts == booking_codes.CODE_ATTEMPTS and not Appointment.objects.exists()
    assert client.post(code_url, {"action": "confirm", "code": "12ab"}).status_code == 400
    done = client.post(code_url, {"action": "new"})
    assert done.status_code == 200
    online = OnlineBooking.objects.get()
    assert online.patient != on_file and online.new_patient and not online.patient_confirmed
    assert Patient.objects.count() == 2


def test_an_expired_code_is_refused(client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code_url = _ask_code(client, profile, types["needling"], practitioner)
    BookingCode.objects.update(expires_at=BookingCode.objects.get().created_at - dt.timedelta(seconds=1))
    page = client.post(code_url, {"action": "confirm", "code": _sent_code()})
    assert page.status_code == 400 and "can no longer be used" in page.content.decode()
    assert not Appointment.objects.exists()


def test_codes_are_limited_per_phone_and_e_mail(client, monkeypatch, profile, types, open_week, practitioner, on_file):
    monkeypatch.setattr(booking_codes, "CODE_CONTACT_LIMIT", 1)
    _ask_code(client, profile, types["needling"], practitioner, days=3)
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner, days=4)))
    refused = client.post(details, _form(returning="on"))
    assert refused.status_code == 429 and BookingCode.objects.count() == 1


def test_the_code_page_without_a_code_asked_for_goes_back_to_the_form(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    back = client.get(details + "code/")
    assert back.status_code == 302 and back["Location"] == details
    assert client.get(reverse("booking_code", kwargs={"clinic_slug": profile.slug, "lang": "en", "secret": "guessed"})).status_code == 404


def test_the_row_records_when_and_by_which_channels_the_code_was_sent(
    client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _ask_code(client, profile, types["needling"], practitioner, email="ingrid.old@patients.invalid")  # phone and e-mail both on file
    row = BookingCode.objects.get()
    assert sorted(row.sent_by) == ["email", "sms"] and row.sent_at is not None and row.sent_at >= before
    assert (row.failed_at, row.failure) == (None, "")
    assert [m.to for m in mail.outbox] == [["ingrid.old@patients.invalid"]] and len(sms.outbox) == 1
    event = AuditEvent.objects.get(object_type="online_booking_code")
    assert event.object_id == str(row.pk) and event.patient_id == on_file.pk
    assert event.detail == {"sent_by": row.sent_by, "failed": []}
    assert event.actor_id == booking.booking_actor(profile.clinic_id).pk


def test_a_failed_channel_is_recorded_and_logged_and_the_other_still_sends(
    client, monkeypatch, caplog, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    def refuse(to, text):
        raise sms.SmsError("gateway down")

    monkeypatch.setattr(sms, "send_sms", refuse)
    with caplog.at_level(logging.INFO, logger="needlechart.public.booking_codes"), django_capture_on_commit_callbacks(execute=True):
        _ask_code(client, profile, types["needling"], practitioner, email="ingrid.old@patients.invalid")
    row = BookingCode.objects.get()
    assert row.sent_by == ["email"] and row.sent_at is not None
    assert row.failed_at is not None and row.failure == "sms: SmsError"
    assert _sent_code() not in row.failure and len(mail.outbox) == 1
    assert any(r.levelno == logging.ERROR and "by sms failed" in r.getMessage() for r in caplog.records)
    assert AuditEvent.objects.get(object_type="online_booking_code").detail == {"sent_by": ["email"], "failed": ["sms"]}


def test_every_channel_failing_is_recorded_and_the_visitor_still_gets_the_code_page(
    client, monkeypatch, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OSError("no route")

    monkeypatch.setattr(sms, "send_sms", refuse)
    monkeypatch.setattr(booking_codes, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        code_url = _ask_code(client, profile, types["needling"], practitioner, email="ingrid.old@patients.invalid")
    row = BookingCode.objects.get()
    assert (row.sent_by, row.sent_at) == ([], None) and row.failed_at is not None
    assert row.failure == "sms: OSError; email: OSError"
    assert client.get(code_url).status_code == 200


def test_a_code_for_no_one_on_file_is_sent_nowhere_and_records_nothing(
    client, profile, types, open_week, practitioner, on_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ask_code(client, profile, types["needling"], practitioner, birth_date="1990-01-01", phone="99887766")
    row = BookingCode.objects.get()
    assert (row.sent_by, row.sent_at, row.failed_at, row.failure) == ([], None, None, "")
    assert not sms.outbox and not mail.outbox and not AuditEvent.objects.filter(object_type="online_booking_code").exists()
