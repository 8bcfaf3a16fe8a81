"""What patients and staff typed is shown as text on the intake pages, never as markup.

Each payload goes into the patient's name, the clinic's name, a staff member's name and the
intake's free-text answers, and every page that shows them is fetched as someone allowed to see it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Patient
from needlechart.screening import services
from tests.screening.test_intake_pages import healthy_answers

# (payload, how it must appear on the page: escaped by the templates)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&#34;&gt;&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]
TEXT_ANSWERS = ("main_complaint", "medications_other", "allergies_other")


def assert_shown_as_text(body: str, payload: str, escaped: str) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert escaped in body
    if payload == "{{7*7}}":
        assert ">49<" not in body  # shown as typed, not evaluated (the counts of ``escaped`` say where)


@pytest.fixture
def typed(clinic, patient, front_desk):
    """The patient's, the clinic's and the front desk's names set to the payload (by the test)."""

    def fill(payload: str) -> Patient:
        Patient.objects.filter(pk=patient.pk).update(given_name=payload, family_name=payload)
        Clinic.objects.filter(pk=clinic.pk).update(name=payload)
        User.objects.filter(pk=front_desk.pk).update(first_name=payload)
        return Patient.objects.get(pk=patient.pk)

    return fill


def _answers(payload: str) -> dict:
    """Healthy answers whose free-text ones (the conditional ones asked for) hold the payload."""
    return {**healthy_answers(), "medications": ["other"], "allergies": ["other"], **dict.fromkeys(TEXT_ANSWERS, payload)}


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_staff_intake_page_shows_typed_text_as_text(client_for, front_desk, practitioner, typed, payload, escaped):
    patient = typed(payload)
    front_desk.refresh_from_db()
    services.intake_record_by_staff(actor=front_desk, patient=patient, raw_answers=_answers(payload))
    client = client_for(practitioner)  # the earlier answers are offered again to clinicians only
    page = client.get(reverse("intake_staff", args=[patient.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="intake-form"' in body
    assert body.count(escaped) >= 3 + len(TEXT_ANSWERS)  # title, heading, top bar, and each answer in its box
    assert_shown_as_text(body, payload, escaped)

    # sent back with a mistake, the answers are shown again as they were typed
    refused = client.post(reverse("intake_staff", args=[patient.pk]), {**_answers(payload), "age": "abc"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'class="field-error"' in body
    assert body.count(escaped) >= 2 + len(TEXT_ANSWERS)
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_screening_page_shows_typed_text_as_text(client_for, practitioner, front_desk, typed, payload, escaped):
    patient = typed(payload)
    front_desk.refresh_from_db()
    services.intake_record_by_staff(actor=front_desk, patient=patient, raw_answers=_answers(payload))
    page = client_for(practitioner).get(reverse("screening_detail", args=[patient.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="suitability"' in body
    assert body.count(f"{escaped}</dd>") == len(TEXT_ANSWERS)
    assert f"{escaped} Tester)</p>" in body  # who entered the answers
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_link_page_shows_the_patients_name_as_text(client_for, front_desk, typed, payload, escaped):
    patient = typed(payload)
    page = client_for(front_desk).post(reverse("intake_link_create", args=[patient.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="intake-url"' in body
    assert body.count(escaped) >= 3  # the patient's two names, the front desk's in the top bar
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_patients_intake_page_shows_typed_text_as_text(client, front_desk, typed, payload, escaped):
    patient = typed(payload)
    _link, url = services.intake_link_create(actor=front_desk, patient=patient, base_url="http://testserver/", send_email=False)
    path = url.removeprefix("http://testserver")
    page = client.get(path + "?lang=en")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="intake-form"' in body and 'class="topbar"' not in body
    assert f"{escaped}. These questions" in body and f"{escaped}</p>\n  <h1>" in body  # the patient and the clinic
    assert_shown_as_text(body, payload, escaped)

    refused = client.post(path, {**_answers(payload), "age": "abc", "lang": "en"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'class="field-error"' in body
    assert body.count(escaped) >= 2 + len(TEXT_ANSWERS)  # the greeting, the clinic and each answer in its box
    assert_shown_as_text(body, payload, escaped)
