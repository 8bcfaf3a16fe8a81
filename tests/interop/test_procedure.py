"""The Procedure of one muscle and side needled, checked by hand against the expected JSON (issue 15)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from needlechart.charting.models import Encounter
from needlechart.interop.checks import check_resource
from needlechart.interop.resources.procedure import procedure_resource
from needlechart.needling.models import NeedlingEntry

CLINIC = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001")
PATIENT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000a1")
VISIT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000e1")
ENTRY = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000f1")
NOTE = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000d1")
ENCOUNTER = Encounter(
    id=VISIT, clinic_id=CLINIC, patient_id=PATIENT, practitioner_id=42, starts_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
)


def _entry(**fields) -> NeedlingEntry:
    values = {
        "id": ENTRY,
        "clinic_id": CLINIC,
        "encounter": ENCOUNTER,
        "muscle_id": "upper_trapezius",
        "side": "r",
        "gauge_mm": Decimal("0.25"),
        "length_mm": 30,
        "needle_count": 2,
        "technique": "pistoning",
        "depth_mm": 15,
        "direction": "toward the opposite finger",
        "twitch_responses": 3,
        "dwell_seconds": 0,
        **fields,
    }
    return NeedlingEntry(**values)


def _mm(value) -> dict:
    return {"value": value, "unit": "millimetre", "system": "http://unitsofmeasure.org", "code": "mm"}


EXPECTED = {
    "resourceType": "Procedure",
    "id": "6f1c2d3e-0000-4000-8000-0000000000f1",
    "extension": [
        {
            "url": "https://needlechart.org/fhir/StructureDefinition/needling",
            "extension": [
                {"url": "gauge", "valueQuantity": _mm(0.25)},
                {"url": "length", "valueQuantity": _mm(30)},
                {"url": "count", "valueInteger": 2},
                {
                    "url": "technique",
                    "valueCoding": {
                        "system": "https://needlechart.org/fhir/CodeSystem/needling-technique",
                        "code": "pistoning",
                        "display": "Pistoning (fast in and out)",
                    },
                },
                {"url": "depth", "valueQuantity": _mm(15)},
                {"url": "direction", "valueString": "toward the opposite finger"},
                {"url": "twitchResponses", "valueInteger": 3},
                {"url": "dwell", "valueQuantity": {"value": 0, "unit": "second", "system": "http://unitsofmeasure.org", "code": "s"}},
                {"url": "tolerance", "valueCode": "good"},
            ],
        }
    ],
    "status": "completed",
    "code": {
        "coding": [
            {"system": "https://needlechart.org/fhir/CodeSystem/procedure", "code": "dry-needling", "display": "Trigger-point dry needling"}
        ]
    },
    "subject": {"reference": "Patient/6f1c2d3e-0000-4000-8000-0000000000a1"},
    "encounter": {"reference": "Encounter/6f1c2d3e-0000-4000-8000-0000000000e1"},
    "performedDateTime": "2026-11-30T09:00:00+00:00",
    "performer": [
        {"actor": {"reference": "Practitioner/42"}, "onBehalfOf": {"reference": "Organization/6f1c2d3e-0000-4000-8000-000000000001"}}
    ],
    "bodySite": [
        {
            "extension": [
                {
                    "url": "https://needlechart.org/fhir/StructureDefinition/laterality",
                    "valueCodeableConcept": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "24028007", "display": "Right (qualifier value)"}]
                    },
                }
            ],
            # UBERON:0002380, the atlas's id for it, is the whole trapezius: a broader concept, so no second coding
            "coding": [
                {"system": "https://needlechart.org/fhir/CodeSystem/muscle", "code": "upper_trapezius", "display": "Upper trapezius"}
            ],
            "text": "Upper trapezius, right",
        }
    ],
    "report": [{"reference": "DocumentReference/6f1c2d3e-0000-4000-8000-0000000000d1"}],
    "note": [
        {
            "text": "2 x 0.25 x 30 mm needle(s), pistoning (fast in and out) to 15 mm, toward the opposite finger;"
            " 3 twitch response(s); tolerance good."
        }
    ],
}


def test_a_needled_muscle_is_the_expected_json():
    resource = procedure_resource(_entry(), encounter=ENCOUNTER, signed_note_id=NOTE)
    assert resource == EXPECTED
    assert check_resource(resource) == []


def test_before_signing_it_is_in_progress_without_a_report_and_stopped_early_is_stopped():
    draft = procedure_resource(_entry(), encounter=ENCOUNTER, signed_note_id=None)
    assert draft["status"] == "in-progress" and "report" not in draft
    assert procedure_resource(_entry(tolerance="poor"), encounter=ENCOUNTER, signed_note_id=NOTE)["status"] == "stopped"


def test_gunn_ims_with_electrical_stimulation_is_coded_as_ims_with_its_parameters():
    entry = _entry(
        technique="gunn_ims",
        side="l",
        estim=True,
        estim_frequency_hz=10,
        estim_pulse_width_us=250,
        estim_intensity_ma=Decimal("2.5"),
        estim_minutes=10,
    )
    resource = procedure_resource(entry, encounter=ENCOUNTER, signed_note_id=NOTE)
    assert resource["code"]["coding"][0]["code"] == "intramuscular-stimulation"
    assert resource["bodySite"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "7771000"  # left
    (stimulation,) = [part for part in resource["extension"][0]["extension"] if part["url"] == "electricalStimulation"]
    assert [(p["url"], p["valueQuantity"]["value"], p["valueQuantity"]["code"]) for p in stimulation["extension"]] == [
        ("frequency", 10, "Hz"),
        ("pulseWidth", 250, "us"),
        ("intensity", 2.5, "mA"),
        ("duration", 10, "min"),
    ]
    assert check_resource(resource) == []


def test_a_muscle_with_an_uberon_id_of_its_own_is_coded_with_it_too():
    site = procedure_resource(_entry(muscle_id="infraspinatus"), encounter=ENCOUNTER, signed_note_id=NOTE)["bodySite"][0]
    assert site["coding"] == [
        {"system": "https://needlechart.org/fhir/CodeSystem/muscle", "code": "infraspinatus", "display": "Infraspinatus"},
        {"system": "http://purl.obolibrary.org/obo/uberon.owl", "code": "UBERON:0001477"},
    ]


def test_a_muscle_the_atlas_no_longer_holds_keeps_its_name_and_is_reported_uncoded():
    resource = procedure_resource(_entry(muscle_id="retired_muscle"), encounter=ENCOUNTER, signed_note_id=NOTE)
    assert resource["bodySite"][0]["text"] == "retired_muscle, right" and "coding" not in resource["bodySite"][0]
    assert [str(p) for p in check_resource(resource)] == ["Procedure.bodySite.coding: is required by needlechart's mapping and missing"]
