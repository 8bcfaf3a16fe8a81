"""Records for the FHIR mapping tests: a whole needling visit, signed, with everything FHIR maps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from needlechart.interop.checks import check_resource
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.interop.validation import validate_resource
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from tests.needling.conftest import ready_session, screened  # noqa: F401 - shared fixtures
from tests.outcomes.conftest import PSFS_ACTIVITIES, sign


@pytest.fixture
def full_visit(ready_session, practitioner):  # noqa: F811 - the shared fixture, as a parameter
    """The ready session with NPRS, PSFS, a threshold and a range of motion, an adverse event, signed."""
    encounter = ready_session
    outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="nprs", raw_answers={"pain": "6"})
    rated = [{"name": name, "score": str(score)} for name, score in zip(PSFS_ACTIVITIES, (2, 3, 5), strict=True)]
    outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="psfs", raw_answers={"activities": rated})
    needling.pressure_pain_record(
        actor=practitioner, encounter=encounter, muscle_id="upper_trapezius", side="r", trials_kpa=[210, 230.5, 250]
    )
    needling.range_of_motion_record(
        actor=practitioner, encounter=encounter, joint="cervical_spine", movement="rotation", side="l", degrees=55
    )
    needling.adverse_event_record(
        actor=practitioner,
        encounter=encounter,
        event_type="bruising",
        severity="mild",
        onset=encounter.starts_at,
        description="Small bruise over the trapezius.",
        outcome="ongoing",
    )
    sign(practitioner, encounter)
    return encounter


def exported(clinic_id) -> Iterator[dict[str, Any]]:
    """Every resource of the clinic, each validated by fhir.resources and passing needlechart's checks."""
    for resource_type in RESOURCE_TYPES:
        for resource in clinic_resources(clinic_id, resource_type, validate=True):
            assert resource["resourceType"] == resource_type
            validate_resource(resource)  # the whole resource by its fhir.resources model, as well as the export did
            assert check_resource(resource) == [], resource
            yield resource
