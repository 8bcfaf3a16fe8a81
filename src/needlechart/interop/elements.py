"""The small pieces every builder uses: references, times, codings, quantities, extension URLs.

Everything here returns plain JSON-ready values (str, int, float, dict, list): the builders'
resources go to ``json.dumps`` as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from needlechart.interop.terminology import terminology
from needlechart.knowledge.catalog import catalog

EXTENSION_BASE = "https://needlechart.org/fhir/StructureDefinition/"
# needlechart's own extensions (docs/architecture.md, "FHIR mapping", lists what each holds).
LATERALITY = EXTENSION_BASE + "laterality"  # on a bodySite: SNOMED CT right or left
NEEDLING = EXTENSION_BASE + "needling"  # on a Procedure: the needles placed in one muscle on one side
JURISDICTION = EXTENSION_BASE + "certification-jurisdiction"  # on a qualification: the roster or rule it answers to
CONSENT_METHOD = EXTENSION_BASE + "consent-method"
CONSENT_RISKS = EXTENSION_BASE + "consent-risk-explained"  # one per risk explained
CONSENT_WITNESS = EXTENSION_BASE + "consent-witness"
CONSENT_VERSION = "https://needlechart.org/fhir/consent/needling/"  # + version: the consent text given
EVENT_DESCRIPTION = EXTENSION_BASE + "adverse-event-description"
EVENT_ACTION = EXTENSION_BASE + "adverse-event-action-taken"
QUESTIONNAIRE = "https://needlechart.org/fhir/Questionnaire/"  # + instrument id
SIDES = {"r": "24028007", "l": "7771000"}  # SNOMED CT right, left
SIDE_WORDS = {"r": "right", "l": "left"}


def ref(resource_type: str, resource_id: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def instant(moment: dt.datetime) -> str:
    """An aware datetime in UTC, as FHIR's instant and dateTime take it."""
    return moment.astimezone(dt.UTC).isoformat()


def concept(system_id: str, code: str, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one coding the terminology holds."""
    result: dict[str, Any] = {"coding": [terminology().coding(system_id, code)]}
    if text:
        result["text"] = text
    return result


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A UCUM quantity; ``unit`` is a unit code terminology.yaml lists."""
    return {"value": value, "unit": terminology().systems["ucum"].listed[unit].display, "system": "http://unitsofmeasure.org", "code": unit}


def laterality(side: str) -> dict[str, Any]:
    return {"url": LATERALITY, "valueCodeableConcept": concept("snomed", SIDES[side])}


def number(value: Any) -> int | float:
    """A stored number (int, float, Decimal) as JSON takes it: an int when whole."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def body_site(muscle_id: str, side: str) -> dict[str, Any]:
    """A muscle on a side: the atlas's code (and its UBERON id where the atlas has one), the side as laterality."""
    muscle = catalog().muscles.get(muscle_id)
    codings = [terminology().coding("muscle", muscle_id)] if muscle else []
    if muscle and muscle.uberon and muscle.uberon in terminology().systems["uberon"].codes():  # its own id, not a whole muscle's
        codings.append(terminology().coding("uberon", muscle.uberon))
    name = muscle.name.en if muscle else muscle_id
    site: dict[str, Any] = {"extension": [laterality(side)]} if side in SIDE_WORDS else {}
    if codings:
        site["coding"] = codings
    site["text"] = f"{name}, {SIDE_WORDS[side]}" if side in SIDE_WORDS else name
    return site
