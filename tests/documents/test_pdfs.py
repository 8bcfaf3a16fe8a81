"""The session note and aftercare PDFs render and say what they must (text extracted)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from needlechart.charting import services as charting
from needlechart.charting.pain_maps import pain_map_mark
from needlechart.documents.models import AftercareLink


def _text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def signed_session(practitioner, ready_session):
    pain_map_mark(actor=practitioner, encounter=ready_session, region="temple_r", intensity=7)
    note = charting.note_save_draft(actor=practitioner, encounter=ready_session, subjective="Headache and hip pain 6/10")
    return charting.note_sign(actor=practitioner, note=note)


def test_the_session_note_pdf_contains_the_whole_record(client_for, practitioner, signed_session):
    text = _text(client_for(practitioner).get(reverse("session_note_pdf", args=[signed_session.encounter_id])))
    for expected in (
        "Session note",
        "Kari Nordmann",
        "17058512311",
        "IMS course",
        "Upper trapezius",
        "Gluteus medius",
        "0.25 × 25 mm",
        "Needle count",
        "Verbal",
        "Jon Vik",
        "Temple, right 7/10",
        "Headache and hip pain 6/10",
        signed_session.digest[:32],
    ):
        assert expected in text, expected
    assert "pneumothorax" in text.lower()  # consent risk and safety-netting


def test_a_draft_pdf_is_marked_as_not_signed(client_for, practitioner, ready_session):
    text = _text(client_for(practitioner).get(reverse("session_note_pdf", args=[ready_session.pk])))
    assert "DRAFT" in text


def test_the_aftercare_pdf_is_in_the_patients_language(client_for, practitioner, signed_session, patient):
    text = _text(client_for(practitioner).get(reverse("aftercare_pdf", args=[signed_session.encounter_id])))
    assert patient.preferred_language == "nb"
    assert "Etter behandlingen" in text or "behandling" in text.lower()
    assert "Kari" in text and "113" in text  # safety-netting after needling over the thorax names the emergency number


def test_the_aftercare_page_and_email(client_for, practitioner, signed_session, patient, django_capture_on_commit_callbacks):
    client = client_for(practitioner)
    page = client.get(reverse("aftercare_page", args=[signed_session.encounter_id]))
    assert page.status_code == 200 and 'lang="nb"' in page.content.decode()
    patient.email = "kari@example.invalid"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("aftercare_send", args=[signed_session.encounter_id])).status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["kari@example.invalid"] and message.attachments[0][2] == "application/pdf"
    link = next(line for line in message.body.splitlines() if "/aftercare/" in line).strip().split("testserver", 1)[-1]
    client.logout()
    public = client.get(link)
    assert public.status_code == 200 and 'lang="nb"' in public.content.decode() and "Kari" in public.content.decode()
    assert client.get(link + "pdf/")["Content-Type"] == "application/pdf"
    assert client.get(link[:-5] + "xxxx/").status_code == 404
    AftercareLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(link).status_code == 404


def test_front_desk_cannot_download_clinical_pdfs(client_for, front_desk, signed_session):
    assert client_for(front_desk).get(reverse("session_note_pdf", args=[signed_session.encounter_id])).status_code == 403
