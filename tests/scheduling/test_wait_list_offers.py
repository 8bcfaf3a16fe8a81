"""A freed time offered to a patient on the wait list by message: only on the channel the patient
agreed to (none by default: the clinic calls), in their language, with no clinical detail, once per
time, sent by the outbox job while the patient is still offered it, and audited; the page's button,
who may press it, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from needlechart.audit.models import AuditEvent
from needlechart.patients import services as patients
from needlechart.scheduling import outbox, sms
from needlechart.scheduling import wait_list as service
from needlechart.scheduling.outbox_models import MessageKind, MessageStatus, OutgoingMessage
from needlechart.scheduling.wait_list_models import WaitListStatus
from tests.scheduling.conftest import OSLO, next_weekday, oslo


@pytest.fixture(autouse=True)
def _locmem_sms(settings):
    settings.NEEDLECHART_SMS_BACKEND = "needlechart.scheduling.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def other_patient(front_desk):
    return patients.patient_create(
        actor=front_desk, data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1970, 1, 2), "phone": "+47 91111111"}
    )


def _entry(actor, patient, kinds, **data):
    return service.entry_add(actor=actor, patient=patient, data={"appointment_types": kinds, **data})


def _offer(actor, entry, practitioner, start):
    return service.entry_offer_time(actor=actor, entry=entry, practitioner=practitioner, starts_at=start)


def _post(client, entry, practitioner, start):
    local = start.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M")
    return client.post(reverse("wait_list_offer_time", args=[entry.pk]), {"practitioner": practitioner.pk, "starts_at": local})


def test_an_offer_by_sms_is_queued_in_the_patients_language_without_clinical_detail(front_desk, patient, practitioner, follow_up, monday):
    entry = _entry(front_desk, patient, [follow_up], offer_by="sms")
    start = oslo(monday, 9, 30)
    message = _offer(front_desk, entry, practitioner, start)
    assert (message.kind, message.channel, message.recipient) == (MessageKind.TIME_OFFERED, "sms", "+47 90000000")
    assert message.appointment_id is None and message.wait_list_entry_id == entry.pk and message.appointment_starts_at == start
    assert message.language == "nb" and "ledig" in message.body and "09:30" in message.body
    assert practitioner.display_name in message.body
    for clinical in (follow_up.name_en, follow_up.name_nb, "needling", "nål", "IMS"):
        assert clinical.lower() not in message.body.lower()
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.OFFERED
    audit = AuditEvent.objects.filter(object_type="wait_list_entry", object_id=str(entry.pk), patient_id=patient.pk).latest("seq")
    assert audit.detail["status"] == "offered" and audit.detail["channel"] == "sms"
    assert audit.detail["offered"] == start.isoformat() and audit.detail["message"] == str(message.pk)


def test_an_english_speaking_patient_is_offered_by_e_mail_in_english(front_desk, patient, practitioner, follow_up, monday):
    patient.email, patient.preferred_language = "kari@example.org", "en"
    patient.save(update_fields=["email", "preferred_language"])
    entry = _entry(front_desk, patient, [follow_up], offer_by="email")
    message = _offer(front_desk, entry, practitioner, oslo(monday, 13))
    assert (message.channel, message.recipient, message.language) == ("email", "kari@example.org", "en")
    assert message.subject.startswith("A free time at") and "come free" in message.body and "13:00" in message.body
    assert OutgoingMessage.objects.filter(wait_list_entry=entry).count() == 1  # the one channel agreed to, not SMS too


def test_no_message_without_the_patients_consent_or_an_address(front_desk, patient, practitioner, follow_up, monday):
    no_consent = _entry(front_desk, patient, [follow_up])
    assert no_consent.offer_by == ""
    with pytest.raises(ValidationError, match="not agreed to messages"):
        _offer(front_desk, no_consent, practitioner, oslo(monday, 9))
    by_email = _entry(front_desk, patient, [follow_up], offer_by="email")
    with pytest.raises(ValidationError, match="no e-mail address"):
        _offer(front_desk, by_email, practitioner, oslo(monday, 9))
    assert not OutgoingMessage.objects.exists()
    no_consent.refresh_from_db()
    by_email.refresh_from_db()
    assert no_consent.status == by_email.status == WaitListStatus.ACTIVE


def test_the_same_time_is_offered_once_and_a_past_time_or_another_practitioner_not_at_all(
    front_desk, patient, practitioner, follow_up, monday, other_practitioner
):
    entry = _entry(front_desk, patient, [follow_up], offer_by="sms", practitioners=[practitioner])
    _offer(front_desk, entry, practitioner, oslo(monday, 10))
    with pytest.raises(ValidationError, match="offered to the patient already"):
        _offer(front_desk, entry, practitioner, oslo(monday, 10))
    with pytest.raises(ValidationError, match="has passed"):
        _offer(front_desk, entry, practitioner, oslo(monday - dt.timedelta(days=14), 10))
    with pytest.raises(ValidationError, match="practitioner of this clinic"):
        _offer(front_desk, entry, other_practitioner, oslo(monday, 11))
    assert OutgoingMessage.objects.filter(wait_list_entry=entry).count() == 1
    _offer(front_desk, entry, practitioner, oslo(monday, 11))  # another time: a message of its own
    assert OutgoingMessage.objects.filter(wait_list_entry=entry).count() == 2


def test_the_job_sends_an_offer_once_and_not_after_the_patient_is_off_the_list(front_desk, patient, practitioner, follow_up, monday):
    entry = _entry(front_desk, patient, [follow_up], offer_by="sms")
    _offer(front_desk, entry, practitioner, oslo(monday, 9))
    assert outbox.send_due().sent == 1 and outbox.send_due().sent == 0
    assert len(sms.outbox) == 1 and sms.outbox[0].to == "+47 90000000" and not mail.outbox
    later = _offer(front_desk, entry, practitioner, oslo(monday, 14))
    service.entry_remove(actor=front_desk, entry=entry, reason="Found a time elsewhere")
    assert outbox.send_due().skipped == 1
    later.refresh_from_db()
    assert later.status == MessageStatus.SKIPPED and len(sms.outbox) == 1


def test_the_fits_page_offers_by_message_only_where_the_patient_agreed(
    client_for, front_desk, patient, other_patient, practitioner, follow_up, week, monday
):
    agreed = _entry(front_desk, patient, [follow_up], offer_by="sms")
    _entry(front_desk, other_patient, [follow_up])
    page = client_for(front_desk).get(
        reverse("wait_list_fits"), {"practitioner": practitioner.pk, "starts_at": oslo(monday, 9).strftime("%Y-%m-%dT%H:%M")}
    )
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="offer-by-message"') == 1
    assert reverse("wait_list_offer_time", args=[agreed.pk]) in html
    response = _post(client_for(front_desk), agreed, practitioner, oslo(monday, 9))
    assert response.status_code == 302 and OutgoingMessage.objects.filter(wait_list_entry=agreed).count() == 1


def test_offering_is_for_staff_of_the_clinic_who_book_and_bad_input_is_refused(
    client, client_for, front_desk, practitioner, patient, follow_up, other_practitioner, other_admin, monday
):
    entry = _entry(front_desk, patient, [follow_up], offer_by="sms")
    url = reverse("wait_list_offer_time", args=[entry.pk])
    response = client.post(url, {"practitioner": practitioner.pk, "starts_at": "2030-01-07T09:00"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user in (other_practitioner, other_admin):
        assert _post(client_for(user), entry, practitioner, oslo(monday, 9)).status_code == 404
    for data in ({"practitioner": practitioner.pk, "starts_at": "not a time"}, {"practitioner": "x", "starts_at": "2030-01-07T09:00"}, {}):
        refused = client_for(front_desk).post(url, data)
        assert refused.status_code == 400 and "Not offered" in refused.content.decode()
    assert client_for(front_desk).get(url).status_code == 405
    assert not OutgoingMessage.objects.exists()
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.ACTIVE


def test_the_entry_form_keeps_the_channel_and_refuses_an_unknown_one(client_for, front_desk, patient, follow_up):
    entry = _entry(front_desk, patient, [follow_up])
    data = {"appointment_types": [follow_up.pk], "offer_by": "sms"}
    assert client_for(front_desk).post(reverse("wait_list_entry", args=[entry.pk]), data).status_code == 302
    entry.refresh_from_db()
    assert entry.offer_by == "sms"
    refused = client_for(front_desk).post(reverse("wait_list_entry", args=[entry.pk]), data | {"offer_by": "pigeon"})
    assert refused.status_code == 400
    entry.refresh_from_db()
    assert entry.offer_by == "sms"
    with pytest.raises(ValidationError, match="freed time from the list"):
        _entry(front_desk, patient, [follow_up], offer_by="pigeon")
