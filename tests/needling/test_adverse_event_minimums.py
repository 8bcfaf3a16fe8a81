"""Adverse-event types of the second edition and their minimum severities (issue 13): data checked
by the loader, enforced by the form, the service and the model, and shown in the form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from needlechart.content import ContentError
from needlechart.knowledge.catalog import DATA_DIR
from needlechart.knowledge.treatment import load_treatment_catalog, treatment_catalog
from needlechart.needling import services
from needlechart.needling.forms import AdverseEventForm
from needlechart.needling.models import AdverseEvent, AdverseEventReport
from needlechart.outcomes.follow_up import follow_up_form

TYPES = treatment_catalog().adverse_event_types
NEW_TYPES = (
    "haematoma",
    "light_headedness",
    "skin_reaction",
    "electrical_burn",
    "organ_puncture",
    "spinal_injury",
    "seizure",
    "hypoglycaemia",
    "needle_stick_staff",
)
MINIMUMS = {
    "pneumothorax": "significant",
    "retained_needle": "significant",
    "nerve_injury": "significant",
    "infection": "significant",
    "seizure": "significant",
    "electrical_burn": "significant",
    "organ_puncture": "significant",
    "needle_stick_staff": "significant",
    "spinal_injury": "serious",
}


def test_the_new_types_exist_with_both_languages_and_a_source():
    for type_id in NEW_TYPES:
        kind = TYPES[type_id]
        assert kind.name.en and kind.name.nb and kind.source in treatment_catalog().sources


@pytest.mark.parametrize("type_id", sorted(TYPES))
def test_every_type_has_its_minimum_severity(type_id):
    kind = TYPES[type_id]
    assert kind.minimum_severity == MINIMUMS.get(type_id, "mild")
    if kind.minimum_severity != "mild":
        assert kind.minimum_source in treatment_catalog().sources
        assert not kind.allows("mild") and kind.allows("serious")
    assert kind.allows(kind.minimum_severity) and not kind.allows("catastrophic")


def test_a_pneumothorax_a_retained_needle_or_a_nerve_injury_is_never_mild():
    for type_id in ("pneumothorax", "retained_needle", "nerve_injury"):
        assert not TYPES[type_id].allows("mild")
    assert TYPES["spinal_injury"].at_least_minimum("significant") == "serious"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _break(directory: Path, change) -> str:
    path = directory / "adverse_events.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(t for t in content["types"] if t["id"] == "pneumothorax"))
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_treatment_catalog(directory)
    return str(caught.value)


def test_the_loader_refuses_an_unknown_minimum(data_dir):
    message = _break(data_dir, lambda t: t.update(minimum_severity="deadly"))
    assert message.startswith("adverse_events.yaml: entry 'pneumothorax': minimum_severity must be one of mild, significant, serious")


def test_the_loader_refuses_a_minimum_without_its_source(data_dir):
    message = _break(data_dir, lambda t: t.pop("minimum_source"))
    assert message.startswith("adverse_events.yaml: entry 'pneumothorax': a minimum_severity above mild needs its minimum_source")


def test_the_loader_refuses_an_unknown_minimum_source(data_dir):
    message = _break(data_dir, lambda t: t.update(minimum_source="nobody-1999"))
    assert message.startswith("adverse_events.yaml: entry 'pneumothorax': source 'nobody-1999' is not in")


def _form_data(**changes):
    return {
        "event_type": "pneumothorax",
        "severity": "significant",
        "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": "Short of breath the evening after",
        "action_taken": "Sent to the emergency department",
        "outcome": "ongoing",
        **changes,
    }


def _types():
    return [(t.id, t.name.en) for t in TYPES.values()]


def test_the_form_shows_each_minimum_and_explains_it():
    form = AdverseEventForm(types=_types())
    labels = dict(form.fields["event_type"].choices)
    assert labels["pneumothorax"] == "Pneumothorax (collapsed lung) (at least significant)"
    assert labels["spinal_injury"].endswith("(at least serious)")
    assert labels["bruising"] == "Bruising"
    assert "never mild" in str(form.fields["severity"].help_text)


def test_the_form_refuses_a_severity_below_the_minimum():
    form = AdverseEventForm(_form_data(severity="mild"), types=_types())
    assert not form.is_valid()
    assert form.errors["severity"] == [
        "Pneumothorax (collapsed lung) is never graded below significant: choose significant or a higher severity."
    ]
    assert AdverseEventForm(_form_data(severity="serious"), types=_types()).is_valid()
    assert AdverseEventForm(_form_data(event_type="bruising", severity="mild"), types=_types()).is_valid()


def test_the_page_answers_a_below_minimum_severity_with_400_and_the_form(client_for, practitioner, ready_session):
    client = client_for(practitioner)
    url = reverse("adverse_event_save", args=[ready_session.pk])
    refused = client.post(url, _form_data(severity="mild"), HTTP_HX_REQUEST="true")
    body = refused.content.decode()
    assert refused.status_code == 400 and "never graded below significant" in body and 'name="severity"' in body
    assert not AdverseEvent.objects.filter(encounter=ready_session).exists()
    without_htmx = client.post(url, _form_data(severity="mild"))
    assert without_htmx.status_code == 400 and "never graded below significant" in without_htmx.content.decode()
    accepted = client.post(url, _form_data(severity="significant"), HTTP_HX_REQUEST="true")
    assert accepted.status_code == 200
    assert AdverseEvent.objects.get(encounter=ready_session).severity == "significant"


def test_the_form_error_is_in_bokmal_for_a_norwegian_practitioner():
    from django.utils import translation

    with translation.override("nb"):
        form = AdverseEventForm(_form_data(event_type="spinal_injury", severity="significant"), types=_types())
        assert not form.is_valid()
        assert "alvorlig" in form.errors["severity"][0]


def test_the_service_refuses_a_severity_below_the_minimum(practitioner, ready_session):
    with pytest.raises(ValidationError, match="never graded below significant"):
        services.adverse_event_record(
            actor=practitioner, encounter=ready_session, event_type="retained_needle", severity="mild", onset=timezone.now()
        )
    assert not AdverseEvent.objects.exists()


def test_a_patients_mild_report_of_a_type_with_a_minimum_is_stored_at_the_minimum(ready_session):
    """Follow-up answers are written by the outcomes app straight to the model: the floor holds there."""
    event = AdverseEvent.objects.create(
        clinic_id=ready_session.clinic_id,
        encounter=ready_session,
        patient_id=ready_session.patient_id,
        event_type="pneumothorax",
        severity="mild",
        onset=timezone.now(),
        reported_via=AdverseEventReport.FOLLOW_UP,
    )
    assert AdverseEvent.objects.get(pk=event.pk).severity == "significant"
    bruise = AdverseEvent.objects.create(
        clinic_id=ready_session.clinic_id,
        encounter=ready_session,
        patient_id=ready_session.patient_id,
        event_type="bruising",
        severity="mild",
        onset=timezone.now(),
    )
    assert AdverseEvent.objects.get(pk=bruise.pk).severity == "mild"


def test_follow_up_side_effects_map_to_known_types():
    for effect in follow_up_form().side_effects.values():
        assert effect.adverse_event in TYPES
