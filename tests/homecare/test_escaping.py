"""What the practitioner types into a home programme is text in the panel, the aftercare page and the PDF's HTML."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from needlechart.documents.context import aftercare_context
from needlechart.documents.models import AftercareLink
from needlechart.homecare import services
from needlechart.homecare.models import ProgrammeItem
from needlechart.screening.services import token_hash
from tests.escaping import PAYLOADS, assert_shown_as_text


@pytest.fixture
def typed(prescribed, practitioner):
    def fill(payload: str):
        for row in ProgrammeItem.objects.filter(encounter=prescribed):
            services.programme_item_update(actor=practitioner, row=row, side=row.side, dosage={"hold_seconds": 30}, note=payload[:300])
        services.programme_note_save(actor=practitioner, encounter=prescribed, note=payload)
        return prescribed

    return fill


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_visit_pages_programme_panel_shows_typed_text_as_text(client_for, practitioner, typed, payload, escaped):
    encounter = typed(payload)
    client = client_for(practitioner)
    page = client.get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    assert 'data-testid="home-programme"' in page
    assert_shown_as_text(page, payload, escaped, at_least=5)  # four item notes (shown and in their inputs) and the word for the patient
    panel = client.post(reverse("homecare_note", args=[encounter.pk]), {"note": payload}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="home-programme"' in panel
    assert_shown_as_text(panel, payload, escaped, at_least=5)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_aftercare_page_and_pdf_show_the_programmes_typed_text_as_text(client, practitioner, typed, payload, escaped):
    encounter = typed(payload)
    with translation.override(encounter.patient.preferred_language):
        html = render_to_string("documents/aftercare.html", aftercare_context(encounter))
    assert 'data-testid="home-programme-patient"' in html
    assert_shown_as_text(html, payload, escaped, at_least=5)
    token = "programme-escaping"
    AftercareLink.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        token_hash=token_hash(token),
        created_by=practitioner,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    page = client.get(reverse("aftercare_public", args=[token])).content.decode()
    assert_shown_as_text(page, payload, escaped, at_least=5)
