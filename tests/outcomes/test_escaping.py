"""What staff, patients and a clinic's own questionnaire definition say is shown as text on the outcome
pages (the visit's measures panel, the questionnaires page, the follow-up page, alerts, progress page,
panel and PDF report), never as markup.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import yaml
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from needlechart.clinics.models import Clinic, User
from needlechart.content.records import Text
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.charts import series_svg
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.outcomes.progress import Point, Series
from needlechart.outcomes.views import progress_context
from needlechart.patients.models import Episode, Patient
from tests.outcomes.conftest import answers, link_for, nprs, record
from tests.outcomes.test_measures_and_progress import EDI_DEFINITION

HTMX = {"HTTP_HX_REQUEST": "true"}

# (payload, how it must appear on the page: escaped by the templates)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&#34;&gt;&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]


def assert_shown_as_text(body: str, payload: str, escaped: str) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert escaped in body
    if payload == "{{7*7}}":
        assert ">49<" not in body  # shown as typed, not evaluated (the counts of ``escaped`` say where)


def hostile_definition(payload: str) -> str:
    """The example clinic questionnaire with the payload in its name, questions, answers, anchors and licence note."""
    raw = yaml.safe_load(EDI_DEFINITION)
    raw["name"] = {"en": payload, "nb": payload}
    for item in raw["items"]:
        item["text"] = {"en": f"{payload} {item['id']}", "nb": payload}
        item["choices"] = [{**choice, "label": {"en": f"{payload} {choice['value']}", "nb": payload}} for choice in item["choices"]]
    raw["licence_note"] = {"en": f"Licensed to the clinic: {payload}", "nb": f"Lisensiert til klinikken: {payload}"}
    return yaml.safe_dump(raw, allow_unicode=True)


@pytest.fixture
def typed(clinic, patient, episode, practitioner, clinic_admin):
    """The patient's, the clinic's, the staff's and the episode's texts set to the payload (by the test)."""

    def fill(payload: str) -> Patient:
        Patient.objects.filter(pk=patient.pk).update(given_name=payload, family_name=payload)
        Clinic.objects.filter(pk=clinic.pk).update(name=payload)
        User.objects.filter(pk__in=[practitioner.pk, clinic_admin.pk]).update(first_name=payload)
        Episode.objects.filter(pk=episode.pk).update(complaint=payload, referrer=payload)
        practitioner.refresh_from_db()
        clinic_admin.refresh_from_db()
        return Patient.objects.get(pk=patient.pk)

    return fill


def psfs_named(practitioner, encounter, payload: str):
    """A PSFS whose three activities the patient named with the payload."""
    rated = [{"name": f"{payload} {n}", "score": str(n + 2)} for n in range(3)]
    return record(practitioner, encounter, "psfs", {"activities": rated})


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_visit_measures_panel_shows_typed_text_as_text(client_for, practitioner, clinic_admin, encounter, typed, payload, escaped):
    typed(payload)
    outcomes.clinic_instrument_add(actor=clinic_admin, definition=hostile_definition(payload))
    psfs_named(practitioner, encounter, payload)
    wrong = nprs(practitioner, encounter, 9)
    outcomes.measurement_retract(actor=practitioner, measurement=wrong, reason=payload)
    panel = client_for(practitioner).post(reverse("measurement_save", args=[encounter.pk]), {"instrument": payload}, **HTMX)
    body = panel.content.decode()
    assert panel.status_code == 400 and 'id="outcome-measures"' in body and "<html" not in body
    assert f"retracted: {escaped}</span>" in body  # the retraction's reason
    assert all(f"{escaped} {n}</legend>" in body for n in range(3))  # the PSFS activities the patient named
    assert f"{escaped} dressing</legend>" in body and f"{escaped} 5</label>" in body  # the clinic's questions and answers
    assert f"{escaped}</summary>" in body  # the questionnaire's name
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_questionnaires_page_shows_a_definitions_texts_as_text(client_for, clinic_admin, typed, payload, escaped):
    typed(payload)
    outcomes.clinic_instrument_add(actor=clinic_admin, definition=hostile_definition(payload))
    page = client_for(clinic_admin).get(reverse("clinic_instruments"))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="clinic-instrument"' in body
    assert f"Licensed to the clinic: {escaped}</td>" in body and f"{escaped} Tester</td>" in body  # the licence, who added it
    assert_shown_as_text(body, payload, escaped)

    refused = client_for(clinic_admin).post(reverse("clinic_instruments"), {"definition": f"id: [{payload}"})
    assert refused.status_code == 400
    assert_shown_as_text(refused.content.decode(), payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_follow_up_page_shows_typed_text_as_text(client, practitioner, encounter, signed_note, typed, payload, escaped):
    typed(payload)
    nprs(practitioner, encounter, 7)
    psfs_named(practitioner, encounter, payload)
    _link, path = link_for(encounter)
    page = client.get(path + "?lang=en")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="follow-up-form"' in body and 'class="topbar"' not in body
    assert f"{escaped}. A few questions" in body and f"{escaped}</p>\n  <h1>" in body  # the patient, the clinic
    assert all(f"{escaped} {n}</legend>" in body for n in range(3))  # the activities they named
    assert_shown_as_text(body, payload, escaped)

    refused = client.post(path, {**answers(soreness="11", comment=payload), "lang": "en"})
    body = refused.content.decode()
    assert refused.status_code == 400 and "Choose a number from 0 to 10." in body
    assert f'maxlength="2000">{escaped}</textarea>' in body  # the comment, as typed
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_alerts_page_shows_typed_text_as_text(client, client_for, practitioner, session, typed, payload, escaped):
    typed(payload)
    _link, path = link_for(session)
    sent = client.post(path, {**answers(soreness="8", comment=payload, effects=["headache"], impact_headache="significant"), "lang": "en"})
    assert sent.status_code == 200
    page = client_for(practitioner).get(reverse("alert_list"))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="alert"' in body
    assert f'<blockquote class="pre">{escaped}</blockquote>' in body  # the patient's comment
    assert body.count(escaped) >= 5  # and the patient's two names, the practitioner's in the summary and in the top bar
    assert_shown_as_text(body, payload, escaped)


@pytest.fixture
def measured(practitioner, encounter, signed_note):
    """NPRS and PSFS at the visit: two series on the progress page."""
    nprs(practitioner, encounter, 7)
    record(practitioner, encounter, "psfs", {"activities": [{"name": f"Activity {n}", "score": "3"} for n in range(3)]})
    return encounter


@pytest.fixture
def hostile_labels(monkeypatch):
    """Every progress series labelled with the payload (a clinic's questionnaire names its own series)."""

    def label(payload: str) -> None:
        from needlechart.outcomes import views

        real = views.episode_progress
        monkeypatch.setattr(views, "episode_progress", lambda episode: [dataclasses.replace(s, label=payload) for s in real(episode)])

    return label


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_progress_page_shows_labels_and_typed_text_as_text(client_for, practitioner, measured, typed, hostile_labels, payload, escaped):
    typed(payload)
    hostile_labels(payload)
    page = client_for(practitioner).get(reverse("episode_progress", args=[measured.episode_id]))
    body = page.content.decode()
    assert page.status_code == 200 and body.count("<svg") == 2
    assert body.count(f"<strong>{escaped}</strong>") == 2  # each chart's caption
    assert body.count(f"{escape(payload)}</title><desc") == 2  # each chart's title, inside its SVG (escaped as it is built)
    assert body.count(f"<tr><td>{escaped}</td>") == 2  # the table of values (NPRS, PSFS)
    assert f"Referred by: {escaped}." in body
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_progress_panel_shows_labels_and_typed_text_as_text(
    client_for, practitioner, patient, measured, typed, hostile_labels, payload, escaped
):
    typed(payload)
    hostile_labels(payload)
    panel = client_for(practitioner).get(reverse("progress_panel", args=[patient.pk]), **HTMX)
    body = panel.content.decode()
    assert panel.status_code == 200 and 'id="progress-panel"' in body and body.count("<svg") == 2
    assert f"<h3>{escaped} <a" in body and body.count(f"<strong>{escaped}</strong>") == 2  # the complaint, the captions
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_progress_report_shows_labels_and_typed_text_as_text(practitioner, measured, typed, hostile_labels, payload, escaped):
    typed(payload)
    hostile_labels(payload)
    html = render_to_string("outcomes/progress_report.html", progress_context(Episode.objects.get(pk=measured.episode_id)))
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2
    assert html.count(escaped) >= 2 + 1 + 1 + 2 + 2  # the patient's names, complaint, referrer, captions, table
    assert html.count(f"<strong>{escaped}</strong>") == 2 and html.count(f"<tr><td>{escaped}</td>") == 2
    assert html.count(f"{escape(payload)}</title><desc") == 2  # each chart's title, inside its SVG
    assert f"Referred by: {escaped}</p>" in html
    assert_shown_as_text(html, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_follow_up_link_page_shows_the_patients_name_as_text(client_for, practitioner, measured, typed, payload, escaped):
    typed(payload)
    page = client_for(practitioner).post(reverse("follow_up_send", args=[measured.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="follow-up-url"' in body
    assert f"{escaped} has no e-mail address." in body
    assert_shown_as_text(body, payload, escaped)


SVG_ELEMENTS = {"svg", "title", "desc", "rect", "line", "text", "polyline", "circle"}


@pytest.mark.parametrize(("payload", "_escaped"), PAYLOADS)
def test_the_progress_chart_escapes_a_hostile_label_and_unit(payload, _escaped):
    """A clinic's questionnaire names its series (abbreviation) and its unit: both are text inside the SVG."""
    instrument = dataclasses.replace(shipped_instruments()["nprs"], unit=Text(payload, payload))
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    series = Series("nprs", instrument, payload, "neck", [Point(start, 7, False), Point(start + dt.timedelta(days=7), 3, True)])
    svg = str(series_svg(series, "chart-0"))
    if any(c in payload for c in '<>"'):
        assert payload not in svg
    root = ET.fromstring(svg)  # noqa: S314 - the chart just built here: well-formed, and nothing but its own elements
    assert {element.tag.rpartition("}")[2] for element in root.iter()} <= SVG_ELEMENTS
    assert root.find("{http://www.w3.org/2000/svg}title").text == payload
    assert payload in root.find("{http://www.w3.org/2000/svg}desc").text  # "2 measurements; first 7, latest 3 <unit>."
    assert svg.count(escape(payload)) == 2
