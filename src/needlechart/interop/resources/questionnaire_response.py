"""QuestionnaireResponse: the answers behind an outcome measurement, item by item.

The questionnaire is named by a canonical URL of needlechart's (``.../Questionnaire/<instrument
id>``); the Observation of the same measurement (same id) carries the score and points here with
``derivedFrom``. PSFS activities are a group of items, each with the activity's name and rating.
"""

from __future__ import annotations

from typing import Any

from needlechart.interop.elements import QUESTIONNAIRE, instant, number, ref
from needlechart.interop.validation import finished
from needlechart.outcomes.models import Measurement, MeasurementSource


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, (int, float)):
        plain = number(value)
        return {"valueInteger": plain} if isinstance(plain, int) else {"valueDecimal": plain}
    return {"valueString": str(value)}


def _items(answers: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for link_id, value in answers.items():
        if link_id == "activities" and isinstance(value, list):
            activities = [
                {"linkId": f"activity-{number}", "text": activity["name"], "answer": [_answer(activity["score"])]}
                for number, activity in enumerate(value, start=1)
            ]
            items.append({"linkId": "activities", "item": activities})
        elif isinstance(value, list):
            items.append({"linkId": link_id, "answer": [_answer(v) for v in value]} if value else {"linkId": link_id})
        elif value is not None:
            items.append({"linkId": link_id, "answer": [_answer(value)]})
    return items


def questionnaire_response_resource(measurement: Measurement, *, validate: bool = True) -> dict[str, Any]:
    by_patient = measurement.source == MeasurementSource.FOLLOW_UP or measurement.recorded_by_id is None
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(measurement.pk),
        "questionnaire": QUESTIONNAIRE + measurement.instrument,
        "status": "entered-in-error" if measurement.retracted_at else "completed",
        "subject": ref("Patient", measurement.patient_id),
    }
    if measurement.encounter_id:
        resource["encounter"] = ref("Encounter", measurement.encounter_id)
    resource["authored"] = instant(measurement.taken_at)
    resource["author"] = ref("Patient", measurement.patient_id) if by_patient else ref("Practitioner", measurement.recorded_by_id)
    resource["source"] = ref("Patient", measurement.patient_id)
    items = _items(measurement.answers) if isinstance(measurement.answers, dict) else []
    if items:
        resource["item"] = items
    return finished(resource, validate)
