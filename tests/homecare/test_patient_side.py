"""The patient gets the programme with the aftercare page and PDF; the follow-up asks how often they
did it; the progress page, its PDF and the chart's panel show that beside the outcome."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from needlechart.charting import services as charting
from needlechart.documents.context import aftercare_context
from needlechart.documents.models import AftercareLink
from needlechart.homecare import services
from needlechart.homecare.models import ProgrammeItem
from needlechart.outcomes.adherence import episode_adherence
from needlechart.outcomes.models import FollowUpResponse
from needlechart.screening.services import token_hash
from tests.outcomes.conftest import answers, link_for, nprs, psfs


@pytest.fixture
def measured(prescribed, practitioner):
    """The prescribed visit with a baseline (NPRS 7, PSFS), a dosage changed and a word for the patient, then signed;
    the patient reads English."""
    prescribed.patient.preferred_language = "en"
    prescribed.patient.save()
    nprs(practitioner, prescribed, 7)
    psfs(practitioner, prescribed)
    row = ProgrammeItem.objects.get(encounter=prescribed, item_id="upper_trapezius_stretch")
    services.programme_item_update(
        actor=practitioner, row=row, side="r", dosage={"hold_seconds": 40, "repetitions": 3, "times_per_day": 2}, note="At the desk"
    )
    services.programme_note_save(actor=practitioner, encounter=prescribed, note="A little every day.")
    charting.note_sign(actor=practitioner, note=prescribed.note)
    prescribed.refresh_from_db()
    return prescribed


def _public_link(encounter, practitioner, token="programme-test-token"):  # noqa: S107 - a link token of the test
    AftercareLink.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        token_hash=token_hash(token),
        created_by=practitioner,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return reverse("aftercare_public", args=[token])


# --- aftercare page and PDF ------------------------------------------------------------------------


def test_the_patients_aftercare_link_shows_the_programme_with_drawings_and_dosage(client, practitioner, measured):
    body = client.get(_public_link(measured, practitioner)).content.decode()
    assert 'data-testid="home-programme-patient"' in body and "Your home programme" in body
    assert "A little every day." in body
    assert 'data-testid="hc-card-upper_trapezius_stretch"' in body and "Side neck stretch" in body
    assert "Hold 40 seconds · 3 repetitions · 2 times a day" in body and "(right side)" in body and "At the desk" in body
    assert "Take care" in body and "Stop if you feel dizzy" in body
    # the drawing is inline (the same markup reaches the PDF, which fetches nothing)
    assert 'role="img" aria-label="Side neck stretch"><svg xmlns="http://www.w3.org/2000/svg"' in body
    assert 'data-testid="hc-card-gluteal_ball_release"' in body and "(left side)" in body


def test_the_aftercare_is_in_the_patients_language(client, practitioner, patient, measured):
    patient.preferred_language = "nb"
    patient.save()
    body = client.get(_public_link(measured, practitioner)).content.decode()
    assert "Ditt hjemmeprogram" in body and "Tøying av siden av nakken" in body
    assert "Hold i 40 sekunder · 3 repetisjoner · 2 ganger om dagen" in body and "høyre side" in body


def test_the_staff_aftercare_page_shows_it_too(client_for, practitioner, measured):
    body = client_for(practitioner).get(reverse("aftercare_page", args=[measured.pk])).content.decode()
    assert "Your home programme" in body and "Side neck stretch" in body


def test_a_visit_without_a_programme_has_no_programme_section(client_for, practitioner, ready_session):
    body = client_for(practitioner).get(reverse("aftercare_page", args=[ready_session.pk])).content.decode()
    assert 'data-testid="aftercare"' in body and 'data-testid="home-programme-patient"' not in body


def test_the_aftercare_pdf_carries_the_programme_and_its_drawings(client, practitioner, measured):
    with translation.override("en"):
        html = render_to_string("documents/aftercare.html", aftercare_context(measured))
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 100"') >= 3  # a drawing per item that has one
    response = client.get(_public_link(measured, practitioner) + "pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Your home programme" in text and "Side neck stretch" in text and "Hold 40 seconds" in text
    assert "Buttock release with a ball" in text


# --- follow-up: how often was it done -------------------------------------------------------------


def test_the_follow_up_asks_how_often_the_programme_was_done_and_stores_the_answer(client, measured):
    link, path = link_for(measured)
    page = client.get(path).content.decode()
    assert 'data-testid="follow-up-home-programme"' in page and "How often did you do your home programme?" in page
    assert "Side neck stretch" in page
    for value in ("not_at_all", "some_days", "most_days", "every_day"):
        assert f'data-testid="adherence-{value}"' in page
    missing = client.post(path, answers())
    assert missing.status_code == 400 and "Tell us how often you did your home programme." in missing.content.decode()
    assert not FollowUpResponse.objects.exists()
    wrong = client.post(path, answers(home_programme="always"))
    assert wrong.status_code == 400
    done = client.post(path, answers(home_programme="most_days"))
    assert done.status_code == 200
    assert FollowUpResponse.objects.get(link=link).home_programme_adherence == "most_days"


def test_a_visit_without_a_programme_is_not_asked(client, ready_session, practitioner):
    nprs(practitioner, ready_session, 7)
    psfs(practitioner, ready_session)
    note = charting.note_save_draft(actor=practitioner, encounter=ready_session, subjective="Neck pain")
    charting.note_sign(actor=practitioner, note=note)
    link, path = link_for(ready_session)
    page = client.get(path).content.decode()
    assert 'data-testid="follow-up-form"' in page and 'data-testid="follow-up-home-programme"' not in page
    assert client.post(path, answers(home_programme="every_day")).status_code == 200
    assert FollowUpResponse.objects.get(link=link).home_programme_adherence == ""


# --- progress: adherence beside the outcome --------------------------------------------------------


@pytest.fixture
def answered(client, measured):
    _link, path = link_for(measured)
    assert client.post(path, answers(**{"home_programme": "every_day", "nprs.pain": "3"})).status_code == 200
    return measured


def test_adherence_rows_pair_the_answer_with_the_outcome_reported_with_it(answered):
    (row,) = episode_adherence(answered.episode)
    assert row.items == 4 and row.adherence == "every_day" and row.adherence_label == "Every day"
    assert {(o.label, o.score) for o in row.outcomes} >= {("NPRS", 3.0)}


def test_the_progress_page_pdf_and_chart_panel_show_adherence_beside_the_outcome(client_for, practitioner, answered):
    client = client_for(practitioner)
    page = client.get(reverse("episode_progress", args=[answered.episode_id])).content.decode()
    assert 'data-testid="adherence-table"' in page and "Home programme and outcome" in page
    assert ">Every day" in page and "NPRS 3" in page
    panel = client.get(reverse("progress_panel", args=[answered.patient_id])).content.decode()
    assert 'data-testid="adherence-table"' in panel and "NPRS 3" in panel and "Every day" in panel
    pdf = client.get(reverse("episode_progress_pdf", args=[answered.episode_id]))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Home programme and outcome" in text and "Every day" in text and "NPRS 3" in text


def test_a_programme_not_yet_answered_says_so(client_for, practitioner, measured):
    page = client_for(practitioner).get(reverse("episode_progress", args=[measured.episode_id])).content.decode()
    assert "no follow-up answer yet" in page
