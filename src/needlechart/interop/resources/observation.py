"""Observation: outcome measurements (NPRS, VAS, PSFS, GROC, a clinic's own questionnaires) and the
pressure pain thresholds and ranges of motion recorded with the needling.

Each measure is coded as data/observations.yaml says (NPRS with LOINC 72514-3, VAS with 38214-3,
the others with needlechart's instrument code system) and valued in UCUM units. A retracted
measurement stays on record as ``entered-in-error`` with the reason. Thresholds and ranges of
motion are ``final`` once the visit's note is signed (they are frozen with it), ``preliminary``
before.
"""

from __future__ import annotations

from typing import Any

from needlechart.charting.models import Encounter
from needlechart.interop.elements import SIDE_WORDS, body_site, concept, instant, laterality, number, quantity, ref
from needlechart.interop.terminology import Measure, terminology
from needlechart.interop.validation import finished
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement, MeasurementSource


def _code(measure: Measure) -> dict[str, Any]:
    codes = terminology()
    return {"coding": [codes.coding(system, code) for system, code in measure.codes]}


def _component(measure: Measure, value: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    assert measure.component is not None  # only measures with parts call this
    code = concept(*measure.component, text)
    return {"code": code, **value}


def measurement_observation(measurement: Measurement, *, validate: bool = True) -> dict[str, Any]:
    """One scored instrument; a clinic's own questionnaire is coded with its id in the clinic's system."""
    codes = terminology()
    measure = codes.measures.get(measurement.instrument)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(measurement.pk),
        "status": "entered-in-error" if measurement.retracted_at else "final",
        "category": [concept("observation-category", measure.category if measure else "survey")],
        "code": _code(measure) if measure else {"coding": [codes.coding("clinic-instrument", measurement.instrument)]},
        "subject": ref("Patient", measurement.patient_id),
    }
    if measurement.encounter_id:
        resource["encounter"] = ref("Encounter", measurement.encounter_id)
    resource["effectiveDateTime"] = instant(measurement.taken_at)
    by_patient = measurement.source == MeasurementSource.FOLLOW_UP or measurement.recorded_by_id is None
    resource["performer"] = [ref("Patient", measurement.patient_id) if by_patient else ref("Practitioner", measurement.recorded_by_id)]
    resource["valueQuantity"] = quantity(number(measurement.score), measure.unit if measure else "{score}")
    if measurement.retracted_at:
        resource["note"] = [{"text": f"Retracted {instant(measurement.retracted_at)}: {measurement.retraction_reason}"}]
    activities = measurement.answers.get("activities") if isinstance(measurement.answers, dict) else None
    if measure and measure.component and activities:
        resource["component"] = [
            _component(measure, {"valueQuantity": quantity(number(a["score"]), measure.unit)}, a["name"]) for a in activities
        ]
    resource["derivedFrom"] = [ref("QuestionnaireResponse", measurement.pk)]
    return finished(resource, validate)


def _clinical(row_id: object, measure_id: str, encounter: Encounter, signed: bool) -> dict[str, Any]:
    measure = terminology().measures[measure_id]
    return {
        "resourceType": "Observation",
        "id": str(row_id),
        "status": "final" if signed else "preliminary",
        "category": [concept("observation-category", measure.category)],
        "code": _code(measure),
        "subject": ref("Patient", encounter.patient_id),
        "encounter": ref("Encounter", encounter.pk),
        "effectiveDateTime": instant(encounter.starts_at),
        "performer": [ref("Practitioner", encounter.practitioner_id)],
    }


def pressure_pain_observation(ppt: PressurePainThreshold, *, encounter: Encounter, signed: bool, validate: bool = True) -> dict[str, Any]:
    """The mean of the algometer trials over one muscle on one side, each trial a component."""
    measure = terminology().measures["ppt"]
    resource = _clinical(ppt.pk, "ppt", encounter, signed)
    resource["bodySite"] = body_site(ppt.muscle_id, ppt.side)
    resource["valueQuantity"] = quantity(number(ppt.mean_kpa), measure.unit)
    resource["component"] = [_component(measure, {"valueQuantity": quantity(number(t), measure.unit)}) for t in ppt.trials_kpa]
    return finished(resource, validate)


def range_of_motion_observation(rom: RangeOfMotion, *, encounter: Encounter, signed: bool, validate: bool = True) -> dict[str, Any]:
    """One movement of one joint in degrees: the movement coded in the movement code system, the side as laterality."""
    measure = terminology().measures["rom"]
    resource = _clinical(rom.pk, "rom", encounter, signed)
    movement = f"{rom.joint}.{rom.movement}"
    resource["code"]["coding"].append(terminology().coding("joint-movement", movement))
    joint = treatment_catalog().joints.get(rom.joint)
    site: dict[str, Any] = {"extension": [laterality(rom.side)]} if rom.side in SIDE_WORDS else {}
    site["text"] = (joint.name.en if joint else rom.joint) + (f", {SIDE_WORDS[rom.side]}" if rom.side in SIDE_WORDS else "")
    resource["bodySite"] = site
    resource["valueQuantity"] = quantity(number(rom.degrees), measure.unit)
    resource["component"] = [_component(measure, {"valueBoolean": rom.painful})]
    return finished(resource, validate)
