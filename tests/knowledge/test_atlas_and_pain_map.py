"""Atlas pages, the body map, and marking an encounter's pain map."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import PainMap
from needlechart.charting.pain_maps import pain_map_mark
from needlechart.core.db_triggers import immutability_lifted
from needlechart.knowledge.catalog import catalog


def test_the_body_map_draws_every_region_focusable_with_an_accessible_name(client_for, practitioner, encounter):
    body = client_for(practitioner).get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    for region_id in catalog().regions:
        assert f'data-region="{region_id}" tabindex="0" role="button" aria-label="' in body, region_id
    assert 'aria-label="Temple, right"' in body


@pytest.mark.parametrize(
    "query, expected", [("trapez", "Upper trapezius"), ("øvre trapez", "Upper trapezius"), ("pectoralis", "Pectoralis major")]
)
def test_the_atlas_searches_english_norwegian_and_latin_names(client_for, front_desk, query, expected):
    response = client_for(front_desk).get(reverse("atlas"), {"q": query})
    assert response.status_code == 200 and expected.encode() in response.content


def test_the_atlas_lists_the_whole_atlas_and_returns_a_partial_to_htmx(client_for, practitioner):
    client = client_for(practitioner)
    full = client.get(reverse("atlas")).content.decode()
    assert full.count("/atlas/") >= len(catalog().muscles)
    partial = client.get(reverse("atlas"), {"q": "zzzz"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="atlas-results")
    assert b"<html" not in partial.content and b"No muscles match" in partial.content


def test_a_muscle_page_draws_its_pattern_risks_and_guidance(client_for, practitioner):
    body = client_for(practitioner).get(reverse("muscle_detail", args=["upper_trapezius"])).content.decode()
    assert 'class="region essential" data-region="temple_r"' in body
    assert 'class="region spillover" data-region="eye_r"' in body
    assert "pneumothorax" in body and "30 mm needle" in body and "Kearns" in body


def test_an_unknown_muscle_is_404(client_for, practitioner):
    assert client_for(practitioner).get(reverse("muscle_detail", args=["no_such_muscle"])).status_code == 404


def test_marking_regions_stores_structured_data_and_audits(practitioner, encounter):
    pain_map_mark(actor=practitioner, encounter=encounter, region="temple_r", intensity=7, quality="sharp")
    pain_map = pain_map_mark(actor=practitioner, encounter=encounter, region="neck_back_r", intensity=4)
    assert PainMap.objects.get(pk=pain_map.pk).marks == {
        "temple_r": {"intensity": 7, "quality": "sharp"},
        "neck_back_r": {"intensity": 4, "quality": "aching"},
    }
    pain_map_mark(actor=practitioner, encounter=encounter, region="temple_r", intensity=0)
    assert PainMap.objects.get(pk=pain_map.pk).intensities() == {"neck_back_r": 4}
    assert AuditEvent.objects.filter(object_type="pain_map", patient_id=encounter.patient_id).count() == 3


@pytest.mark.parametrize(
    "region, intensity, quality, message",
    [
        ("temple_x", 5, "aching", "Unknown body region"),
        ("temple_r", 11, "aching", "from 0 to 10"),
        ("temple_r", -1, "aching", "from 0 to 10"),
        ("temple_r", 5, "itchy", "Unknown pain quality"),
    ],
)
def test_bad_marks_are_refused(practitioner, encounter, region, intensity, quality, message):
    with pytest.raises(ValidationError, match=message):
        pain_map_mark(actor=practitioner, encounter=encounter, region=region, intensity=intensity, quality=quality)


def test_the_pain_map_is_signed_with_the_note_and_frozen(practitioner, encounter):
    pain_map_mark(actor=practitioner, encounter=encounter, region="lumbar_l", intensity=6)
    note = services.note_save_draft(actor=practitioner, encounter=encounter, subjective="Low back pain")
    note = services.note_sign(actor=practitioner, note=note)
    assert json.loads(note.canonical)["pain_map"] == {"lumbar_l": {"intensity": 6, "quality": "aching"}}
    with pytest.raises(ValidationError, match="signed"):
        pain_map_mark(actor=practitioner, encounter=encounter, region="lumbar_l", intensity=2)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        PainMap.objects.filter(encounter=encounter).update(marks={})
    with immutability_lifted(connection, {"charting_painmap": "note_signed"}):  # someone with raw database access
        PainMap.objects.filter(encounter=encounter).update(marks={"lumbar_l": {"intensity": 1, "quality": "aching"}})
    assert not services.signed_record_verify(services.Note.objects.get(pk=note.pk))


def test_the_pain_map_endpoint_answers_htmx_with_the_updated_map_and_suggestions(client_for, practitioner, encounter):
    client = client_for(practitioner)
    url = reverse("pain_map_update", args=[encounter.pk])
    response = client.post(url, {"region": "temple_r", "intensity": "7", "quality": "aching"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="region level-7" data-region="temple_r"' in body and "Muscles that may explain this pain" in body
    bad = client.post(url, {"region": "temple_r", "intensity": "lots"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and b"Intensity is from 0 to 10" in bad.content
    unknown = client.post(url, {"region": "nowhere", "intensity": "3"})
    assert unknown.status_code == 400 and b"Unknown body region" in unknown.content


def test_the_chart_shows_the_latest_pain_map_read_only_with_a_fixed_number_of_queries(client_for, practitioner, encounter):
    pain_map_mark(actor=practitioner, encounter=encounter, region="temple_r", intensity=7)
    client = client_for(practitioner)
    client.get(reverse("patient_chart", args=[encounter.patient_id]))
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("patient_chart", args=[encounter.patient_id])).content.decode()
    assert 'data-testid="chart-pain-map"' in body and 'class="region level-7" data-region="temple_r"' in body
    assert 'tabindex="0"' not in body.split('data-testid="chart-pain-map"')[1].split("</section>")[0]
    assert len(ctx) <= 14


def test_the_chart_draws_only_the_marked_regions_over_the_outline_the_browser_keeps(client, client_for, practitioner, encounter):
    pain_map_mark(actor=practitioner, encounter=encounter, region="temple_r", intensity=7)
    client = client_for(practitioner)
    chart = client.get(reverse("patient_chart", args=[encounter.patient_id])).content.decode()
    pain_map = chart.split('data-testid="chart-pain-map"')[1].split("</section>")[0]
    assert pain_map.count('class="region ') == 1 and 'data-region="jaw_r"' not in pain_map
    outline_url = pain_map.split('<image href="')[1].split('"')[0]
    assert outline_url.startswith(reverse("bodymap_outline", args=["front"]) + "?v=")
    outline = client.get(outline_url)
    assert outline.status_code == 200 and outline["Content-Type"] == "image/svg+xml"
    front_paths = sum(len(region.shapes["front"]) for region in catalog().regions.values())
    assert "immutable" in outline["Cache-Control"] and outline.content.decode().count("<path ") == front_paths
    assert client.get(reverse("bodymap_outline", args=["side"])).status_code == 404
