"""What staff typed is shown as text on the pages that compose several apps, never as markup.

Each payload goes into the patient (names, identifiers, phone, e-mail, address, emergency contact),
the practitioner's name, the episode (complaint, referrer), the visit's reason, the note (every SOAP
field) and its addendum (reason, text) and an adverse event (its type, description and action); then
every page that shows them is fetched by a practitioner: the chart, the visit page, the day list,
an episode's older visits (page and HTMX rows). The top bar shows the practitioner's name on each.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from markupsafe import escape

from needlechart.charting import services as charting
from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.needling.models import AdverseEvent
from needlechart.patients.models import Episode, Patient, PatientIdentifier

# (payload, how it must appear on the page)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]


@pytest.fixture
def typed(request, practitioner, front_desk, patient, episode, encounter):
    """Every field the pages show holds the payload; the visit's note and addendum are signed."""
    payload = request.param
    Patient.objects.filter(pk=patient.pk).update(
        given_name=payload,
        family_name=payload,
        phone=payload,
        email=payload,
        address=payload,
        postal_code=payload[:10],
        city=payload,
        emergency_contact_name=payload,
        emergency_contact_relation=payload,
        emergency_contact_phone=payload,
    )
    PatientIdentifier.objects.create(clinic_id=patient.clinic_id, patient=patient, system=payload, value=payload)
    User.objects.filter(pk=practitioner.pk).update(first_name=payload, last_name=payload)
    Episode.objects.filter(pk=episode.pk).update(complaint=payload, referrer=payload)
    Encounter.objects.filter(pk=encounter.pk).update(reason=payload)
    AdverseEvent.objects.create(
        clinic_id=encounter.clinic_id,
        patient_id=encounter.patient_id,
        encounter=encounter,
        recorded_by=practitioner,
        event_type=payload,
        severity="serious",
        onset=timezone.now(),
        description=payload,
        action_taken=payload,
    )
    note = charting.note_save_draft(
        actor=practitioner, encounter=encounter, subjective=payload, objective=payload, assessment=payload, plan=payload
    )
    note = charting.note_sign(actor=practitioner, note=note)
    charting.addendum_create(actor=practitioner, note=note, reason=payload, text=payload)  # a draft: the visit page offers to sign it
    older = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now() - dt.timedelta(days=1), reason=payload
    )
    charting.note_save_draft(actor=practitioner, encounter=older, subjective=payload)
    return payload


def _get(client, path, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def _chart(client, encounter):
    return _get(client, reverse("patient_chart", args=[encounter.patient_id]))


def _visit(client, encounter):
    return _get(client, reverse("encounter_detail", args=[encounter.pk]))


def _day_list(client, encounter):
    return _get(client, reverse("today"))


def _older_visits_page(client, encounter):
    return _get(client, reverse("episode_visits", args=[encounter.episode_id]))


def _older_visits_rows(client, encounter):
    body = _get(client, reverse("episode_visits", args=[encounter.episode_id]), HTTP_HX_REQUEST="true")
    assert "<html" not in body
    return body


# (page, how many times each payload is shown on it at least, whether it has the top bar)
PAGES = [
    # title, name, 2 identifiers' parts, phone, e-mail, address (2), emergency contact (3), complaint (2), referrer,
    # 2 reasons, practitioner (2 visits, note), 4 SOAP fields, addendum (author, reason, text), adverse event, older note
    pytest.param(_chart, 25, id="chart"),
    # title, name, practitioner, complaint, SOAP fields, the addendum, the adverse event
    pytest.param(_visit, 12, id="visit"),
    pytest.param(_day_list, 3, id="day-list"),  # practitioner, patient, reason
    pytest.param(_older_visits_page, 6, id="older-visits-page"),  # title, name, complaint, 2 reasons, 2 practitioners
    pytest.param(_older_visits_rows, 4, id="older-visits-rows"),
]


@pytest.mark.parametrize(("typed", "escaped"), PAYLOADS, indirect=["typed"])
@pytest.mark.parametrize(("page", "at_least"), PAGES)
def test_composed_pages_show_typed_text_as_text(client_for, practitioner, encounter, typed, escaped, page, at_least):
    practitioner.refresh_from_db()
    body = page(client_for(practitioner), encounter)
    if any(c in typed for c in '<>"'):
        assert typed not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert not re.search(r"""(href|src|action|hx-get|hx-post)=["']?\s*javascript:""", body)
    assert body.count(escaped) >= at_least, (escaped, body.count(escaped))
    if typed == "{{7*7}}":
        assert ">49<" not in body and ">49 " not in body and " 49<" not in body  # shown as typed, not evaluated
    if page is not _older_visits_rows:  # the top bar: who is signed in, by name
        shown = escape(typed)
        assert f'">{shown} {shown}</a> · Practitioner</span>' in body


@pytest.mark.parametrize("intensity", ['">', "<s"])
def test_the_pain_brush_shows_what_was_sent_as_text(client_for, practitioner, encounter, intensity):
    """The pain map's HTMX answer keeps the intensity as sent (two characters) in its field."""
    response = client_for(practitioner).post(
        reverse("pain_map_update", args=[encounter.pk]), {"region": "temple_r", "intensity": intensity}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 400 and "Intensity is from 0 to 10." in body
    assert f'value="{intensity}"' not in body
    assert 'value="&#34;&gt;"' in body or 'value="&lt;s"' in body
