"""Observations: NPRS checked by hand against the expected JSON (issue 15); PSFS items, retractions,
thresholds and ranges of motion; the QuestionnaireResponse behind a measurement."""

from __future__ import annotations

import datetime as dt
import uuid

from needlechart.interop.checks import check_resource
from needlechart.interop.export import clinic_resources
from needlechart.interop.resources.observation import measurement_observation
from needlechart.interop.resources.questionnaire_response import questionnaire_response_resource
from needlechart.outcomes.models import Measurement

CLINIC = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001")
PATIENT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000a1")
VISIT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000e1")
MEASUREMENT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000b1")
TAKEN = dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC)


def _nprs(**fields) -> Measurement:
    values = {
        "id": MEASUREMENT,
        "clinic_id": CLINIC,
        "patient_id": PATIENT,
        "episode_id": uuid.uuid4(),
        "encounter_id": VISIT,
        "instrument": "nprs",
        "score": 6.0,
        "answers": {"pain": 6},
        "source": "clinic",
        "taken_at": TAKEN,
        "recorded_by_id": 42,
        **fields,
    }
    return Measurement(**values)


EXPECTED_NPRS = {
    "resourceType": "Observation",
    "id": "6f1c2d3e-0000-4000-8000-0000000000b1",
    "status": "final",
    "category": [
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey", "display": "Survey"}]}
    ],
    "code": {
        "coding": [
            {"system": "http://loinc.org", "code": "72514-3", "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"},
            {"system": "https://needlechart.org/fhir/CodeSystem/instrument", "code": "nprs", "display": "Numeric Pain Rating Scale"},
        ]
    },
    "subject": {"reference": "Patient/6f1c2d3e-0000-4000-8000-0000000000a1"},
    "encounter": {"reference": "Encounter/6f1c2d3e-0000-4000-8000-0000000000e1"},
    "effectiveDateTime": "2026-11-30T09:05:00+00:00",
    "performer": [{"reference": "Practitioner/42"}],
    "valueQuantity": {"value": 6, "unit": "score", "system": "http://unitsofmeasure.org", "code": "{score}"},
    "derivedFrom": [{"reference": "QuestionnaireResponse/6f1c2d3e-0000-4000-8000-0000000000b1"}],
}


def test_an_nprs_score_is_the_expected_json():
    resource = measurement_observation(_nprs())
    assert resource == EXPECTED_NPRS
    assert check_resource(resource) == []


def test_a_patient_answer_is_performed_by_the_patient_and_a_retracted_one_is_entered_in_error():
    resource = measurement_observation(
        _nprs(source="follow_up", recorded_by_id=None, retracted_at=TAKEN + dt.timedelta(days=1), retraction_reason="Wrong patient")
    )
    assert resource["performer"] == [{"reference": "Patient/6f1c2d3e-0000-4000-8000-0000000000a1"}]
    assert resource["status"] == "entered-in-error"
    assert resource["note"] == [{"text": "Retracted 2026-12-01T09:05:00+00:00: Wrong patient"}]
    assert check_resource(resource) == []


def test_vas_is_in_millimetres_and_a_clinic_questionnaire_in_the_clinic_system():
    vas = measurement_observation(_nprs(instrument="vas", score=45.0, answers={"pain": 45}))
    assert vas["code"]["coding"][0]["code"] == "38214-3" and vas["valueQuantity"]["code"] == "mm"
    own = measurement_observation(_nprs(instrument="neck_disability", score=12.0, answers={"q1": 2}))
    assert own["code"] == {"coding": [{"system": "https://needlechart.org/fhir/CodeSystem/clinic-instrument", "code": "neck_disability"}]}
    assert check_resource(vas) == [] and check_resource(own) == []


def test_the_visit_observations_and_answers(full_visit):
    observations = {}
    for resource in clinic_resources(full_visit.clinic_id, "Observation"):
        observations[resource["code"]["coding"][-1]["code"]] = resource
        assert check_resource(resource) == []
    assert sorted(observations) == ["cervical_spine.rotation", "nprs", "ppt", "psfs"]
    psfs = observations["psfs"]
    assert psfs["valueQuantity"]["value"] == 3.3
    assert [(c["code"]["text"], c["valueQuantity"]["value"]) for c in psfs["component"]] == [
        ("Climbing stairs", 2),
        ("Sitting at a desk", 3),
        ("Turning my head when driving", 5),
    ]
    ppt = observations["ppt"]
    assert ppt["status"] == "final"  # frozen with the signed note
    assert ppt["valueQuantity"] == {"value": 230.2, "unit": "kilopascal", "system": "http://unitsofmeasure.org", "code": "kPa"}
    assert [c["valueQuantity"]["value"] for c in ppt["component"]] == [210, 230.5, 250]
    assert ppt["bodySite"]["text"] == "Upper trapezius, right"
    rom = observations["cervical_spine.rotation"]
    assert rom["valueQuantity"]["code"] == "deg" and rom["valueQuantity"]["value"] == 55
    assert rom["bodySite"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "7771000"  # left
    assert rom["component"][0]["valueBoolean"] is False


def test_the_answers_behind_a_psfs_score_are_a_group_of_rated_activities(full_visit):
    measurement = Measurement.objects.get(instrument="psfs", encounter=full_visit)
    resource = questionnaire_response_resource(measurement)
    assert resource["questionnaire"] == "https://needlechart.org/fhir/Questionnaire/psfs"
    assert resource["status"] == "completed"
    assert resource["item"] == [
        {
            "linkId": "activities",
            "item": [
                {"linkId": "activity-1", "text": "Climbing stairs", "answer": [{"valueInteger": 2}]},
                {"linkId": "activity-2", "text": "Sitting at a desk", "answer": [{"valueInteger": 3}]},
                {"linkId": "activity-3", "text": "Turning my head when driving", "answer": [{"valueInteger": 5}]},
            ],
        }
    ]
    assert check_resource(resource) == []
