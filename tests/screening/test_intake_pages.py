"""Intake through a secure link or with staff; the suitability banner; clinic rule settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.screening import services
from needlechart.screening.models import IntakeLink, IntakeResponse
from tests.screening.test_rules_engine import minimal_valid_answers


def healthy_answers() -> dict:
    return {**minimal_valid_answers(), "wants_needling": "yes", "needle_fear": "none"}


def _post_form(client, url, answers):
    return client.post(url, answers)


@pytest.fixture
def link_url(client_for, front_desk, patient, django_capture_on_commit_callbacks):
    patient.email = "kari@example.invalid"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(reverse("intake_link_create", args=[patient.pk]))
    assert response.status_code == 200
    url = response.context["link_url"]
    client_for(front_desk).logout()
    return url.split("testserver", 1)[-1] if "testserver" in url else url


def test_sending_a_link_emails_the_patient_in_their_language_and_stores_only_a_hash(link_url, patient):
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kari@example.invalid"]
    assert "Helsespørsmål" in mail.outbox[0].subject  # the patient prefers Norwegian
    token = link_url.rstrip("/").rsplit("/", 1)[-1]
    link = IntakeLink.objects.get(patient=patient)
    assert link.token_hash != token and len(link.token_hash) == 64


def test_the_patient_answers_once_through_the_link(client, link_url, patient):
    page = client.get(link_url)
    assert page.status_code == 200 and b'lang="nb"' in page.content and b"able_to_consent" not in page.content
    done = client.post(link_url, healthy_answers())
    assert done.status_code == 200 and "Takk" in done.content.decode()
    response = IntakeResponse.objects.get(patient=patient)
    assert response.source == "patient_link" and response.answers["needle_fear"] == "none"
    assert AuditEvent.objects.filter(object_type="intake", patient_id=patient.pk).exists()
    again = client.get(link_url)
    assert again.status_code == 410 and "allerede besvart" in again.content.decode()


def test_missing_answers_are_shown_again_with_messages_and_nothing_is_stored(client, link_url, patient):
    response = client.post(link_url, {"age": "abc"})
    assert response.status_code == 400
    assert "Dette spørsmålet må besvares" in response.content.decode()
    assert not IntakeResponse.objects.exists()
    assert client.get(link_url).status_code == 200  # still usable


def test_expired_tampered_and_unknown_links_are_refused_safely(client, link_url):
    IntakeLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = client.get(link_url)
    assert expired.status_code == 410 and "utløpt" in expired.content.decode()
    assert client.post(link_url, healthy_answers()).status_code == 410
    tampered = link_url[:-3] + "xyz/"
    assert client.get(tampered).status_code == 404
    assert client.get("/intake/nothing-here/").status_code == 404
    assert not IntakeResponse.objects.exists()


def test_the_patients_language_can_be_switched_on_the_link(client, link_url):
    assert b'lang="en"' in client.get(link_url + "?lang=en").content


def test_staff_fill_the_intake_including_clinic_questions(client_for, front_desk, practitioner, patient):
    client = client_for(front_desk)
    page = client.get(reverse("intake_staff", args=[patient.pk]))
    assert b"able_to_consent" in page.content
    answers = {**healthy_answers(), "needle_fear": "severe", "able_to_consent": "yes"}
    assert client.post(reverse("intake_staff", args=[patient.pk]), answers).status_code == 302
    chart = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert 'data-testid="suitability"' in chart and "do not needle" in chart


def test_front_desk_records_intake_but_does_not_see_the_screening(client_for, front_desk, patient):
    client = client_for(front_desk)
    assert b'data-testid="suitability"' not in client.get(reverse("patient_chart", args=[patient.pk])).content
    assert client.get(reverse("screening_detail", args=[patient.pk])).status_code == 403


def test_a_clinic_admin_adjusts_a_rule_for_the_clinic_only(client_for, clinic_admin, practitioner, other_practitioner, patient):
    client = client_for(clinic_admin)
    assert client.post(reverse("rule_settings"), {"rule": "anticoagulants", "severity": "precaution"}).status_code == 302
    assert client.post(reverse("rule_settings"), {"rule": "no-such-rule", "severity": "precaution"}).status_code == 400
    assert client.post(reverse("rule_settings"), {"rule": "anticoagulants", "severity": "extreme"}).status_code == 400
    services.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "medications": ["warfarin"]})
    from needlechart.screening.selectors import screening_for_patient

    result = screening_for_patient(user=practitioner, patient=patient).suitability
    assert next(f for f in result.findings if f.rule.id == "anticoagulants").severity == "precaution"
    assert AuditEvent.objects.filter(object_type="rule_setting", object_id="anticoagulants").exists()


def test_the_chart_judges_the_latest_intake_by_the_clinics_own_rules(client_for, clinic_admin, practitioner, patient):
    chart_url = reverse("patient_chart", args=[patient.pk])
    client = client_for(practitioner)

    def suitability():
        html = client.get(chart_url).content.decode()
        return re.search(r'<section class="card suitability (status-\w+)".*?</section>', html, re.S)

    assert suitability().group(1) == "status-none" and "no intake yet" in suitability().group(0)
    consenting = {**healthy_answers(), "able_to_consent": "yes"}
    services.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers={**consenting, "medications": ["warfarin"]})
    panel = suitability()
    assert panel.group(1) == "status-relative" and "needs your reasoning" in panel.group(0)
    assert '<li class="finding relative"><span class="badge warn">Relative</span> Blood-thinning' in panel.group(0)
    assert client_for(clinic_admin).post(reverse("rule_settings"), {"rule": "anticoagulants", "severity": "off"}).status_code == 302
    client = client_for(practitioner)  # the one test client, signed in as the practitioner again
    panel = suitability()  # the clinic switched the rule off
    assert panel.group(1) == "status-precautions" and "Blood-thinning" not in panel.group(0)
    services.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**consenting, "sex_at_birth": "female", "pregnant": "yes"}
    )
    assert suitability().group(1) not in ("status-precautions", "status-suitable")  # the newest intake counts


def test_the_front_desks_intake_form_offers_no_earlier_health_answers_and_every_view_is_audited(
    client_for, front_desk, practitioner, patient
):
    """The staff intake form pre-ticked the latest answers (warfarin, pregnancy, red flags) for the
    front desk, who may not read them, and wrote no audit row."""
    from needlechart.audit.models import AuditEvent

    services.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "needle_fear": "severe", "able_to_consent": "yes"}
    )
    before = AuditEvent.objects.filter(patient_id=patient.pk, detail__page="staff intake form").count()
    desk = client_for(front_desk).get(reverse("intake_staff", args=[patient.pk])).content.decode()
    assert " checked" not in desk
    clinician = client_for(practitioner).get(reverse("intake_staff", args=[patient.pk])).content.decode()
    assert " checked" in clinician
    views = AuditEvent.objects.filter(patient_id=patient.pk, detail__page="staff intake form").order_by("id")
    assert views.count() == before + 2
    assert [e.object_type for e in views][-2:] == ["patient", "intake"]
