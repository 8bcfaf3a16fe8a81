"""What staff and patients typed is text in the aftercare page and in the PDFs' HTML, never markup.

The PDFs are checked on the HTML handed to WeasyPrint (``render_to_string`` with the views'
own context), and once through the view, where the payload must come out as the PDF's text.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.clinics.models import Clinic, User
from needlechart.documents.context import aftercare_context, session_note_context
from needlechart.documents.models import AftercareLink
from needlechart.needling import services
from needlechart.patients.models import Episode, Patient
from needlechart.screening.services import token_hash

# (payload, how it must appear in the HTML)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]


def assert_shown_as_text(html: str, payload: str, escaped: str, *, at_least: int = 1) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in html
    assert "<script>alert" not in html and "<svg onload" not in html
    assert 'href="javascript:' not in html and 'src="javascript:' not in html
    assert html.count(escaped) >= at_least, (escaped, html.count(escaped))
    if payload == "{{7*7}}":
        assert ">49<" not in html and " 49 " not in html


@pytest.fixture
def typed_visit(practitioner, encounter, screened):
    """A signed needling visit (with an addendum) where every free-text field holds the payload."""

    def fill(payload: str):
        Patient.objects.filter(pk=encounter.patient_id).update(given_name=payload, family_name=payload)
        Episode.objects.filter(pk=encounter.episode_id).update(complaint=payload)
        Clinic.objects.filter(pk=encounter.clinic_id).update(name=payload, address=payload, phone=payload[:40])
        User.objects.filter(pk=practitioner.pk).update(first_name=payload, last_name=payload)
        practitioner.refresh_from_db()
        services.needling_entry_save(
            actor=practitioner,
            encounter=encounter,
            muscle_id="upper_trapezius",
            side="r",
            **{**services.default_entry("upper_trapezius"), "direction": payload},
        )
        services.needling_record_update(
            actor=practitioner,
            encounter=encounter,
            needles_out=1,
            mismatch_search=payload,
            mismatch_outcome="miscount",
            relative_reasoning=payload,
            advice_ids=["soreness_24_48"],
        )
        services.consent_record(
            actor=practitioner,
            encounter=encounter,
            method="verbal",
            witness_name=payload,
            risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
        )
        services.adverse_event_record(
            actor=practitioner,
            encounter=encounter,
            event_type="syncope",
            severity="mild",
            onset=timezone.now() - dt.timedelta(minutes=5),
            description=payload,
            action_taken=payload,
            outcome="resolved",
        )
        note = charting.note_save_draft(
            actor=practitioner, encounter=encounter, subjective=payload, objective=payload, assessment=payload, plan=payload
        )
        note = charting.note_sign(actor=practitioner, note=note)
        addendum = charting.addendum_create(actor=practitioner, note=note, reason=payload, text=payload)
        charting.addendum_sign(actor=practitioner, addendum=addendum)
        encounter.refresh_from_db()
        return encounter

    return fill


def _note(encounter) -> Note:
    return Note.objects.filter(encounter=encounter).select_related("signed_by").get()


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_session_note_pdf_html_shows_typed_text_as_text(typed_visit, payload, escaped):
    encounter = typed_visit(payload)
    html = render_to_string("documents/session_note.html", session_note_context(encounter, _note(encounter)))
    assert "Session note" in html and "SHA-256" in html
    # patient, clinic, practitioner (and addendum author, signer), complaint, reasoning, witness,
    # direction, search, adverse event, the note's four parts, the addendum's reason and text
    assert_shown_as_text(html, payload, escaped, at_least=16)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_aftercare_pdf_html_shows_typed_text_as_text(typed_visit, payload, escaped):
    encounter = typed_visit(payload)
    with translation.override(encounter.patient.preferred_language):
        html = render_to_string("documents/aftercare.html", aftercare_context(encounter))
    assert 'lang="nb"' in html
    assert_shown_as_text(html, payload, escaped, at_least=3)  # clinic, patient, practitioner


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_aftercare_page_shows_typed_text_as_text(client, client_for, practitioner, typed_visit, payload, escaped):
    encounter = typed_visit(payload)
    staff = client_for(practitioner).get(reverse("aftercare_page", args=[encounter.pk]))
    assert staff.status_code == 200 and 'data-testid="aftercare"' in staff.content.decode()
    assert_shown_as_text(staff.content.decode(), payload, escaped, at_least=3)

    client.logout()
    token = "escaping-test-token"
    AftercareLink.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        token_hash=token_hash(token),
        created_by=practitioner,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    public = client.get(reverse("aftercare_public", args=[token]))
    assert public.status_code == 200 and 'data-testid="aftercare"' in public.content.decode()
    assert_shown_as_text(public.content.decode(), payload, escaped, at_least=3)


def test_the_session_note_pdf_prints_typed_markup_as_text(client_for, practitioner, typed_visit):
    payload = "<script>alert(1)</script>"
    encounter = typed_visit(payload)
    response = client_for(practitioner).get(reverse("session_note_pdf", args=[encounter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert text.count(payload) >= 10  # drawn as text, not swallowed as an element
