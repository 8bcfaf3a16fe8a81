"""Checking an entry before it is written: its type, fhir.resources' R4B model and needlechart's own checks."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticError

from needlechart.interop.checks import check_resource
from needlechart.interop.importing_reading import Incoming
from needlechart.interop.validation import _model

IMPORTED_TYPES = ("Practitioner", "Patient", "EpisodeOfCare", "Observation")  # in the order they are written
# What needlechart's own checks require of an exported resource that an imported one need not carry.
_NOT_REQUIRED_HERE = ("Patient.managingOrganization", "EpisodeOfCare.managingOrganization")


def _model_problems(resource: dict[str, Any]) -> list[str]:
    try:
        _model(resource["resourceType"]).model_validate(resource)
    except PydanticError as error:
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "__root__")
            problems.append(f"{where or resource['resourceType']}: {item.get('msg', 'invalid')}")
        return problems
    except (KeyError, LookupError, TypeError, ValueError) as error:
        return [f"not a valid {resource.get('resourceType')}: {error}"]
    return []


def entry_problems(incoming: Incoming) -> list[str]:
    """Every reason to reject the entry found without the database; none for an entry that may be written."""
    if incoming.problems:
        return incoming.problems
    resource_type = incoming.resource_type
    if resource_type not in IMPORTED_TYPES:
        named = f"resource type {resource_type!r}" if resource_type else "a resource without a resourceType"
        return [f"{named} is not imported (only {', '.join(IMPORTED_TYPES)})"]
    problems = _model_problems(incoming.resource)
    if problems:
        return problems
    for problem in check_resource(incoming.resource):
        # References are resolved here (urn:uuid: ones too); the clinic is the importing one.
        if problem.path.endswith(".reference") or problem.path in _NOT_REQUIRED_HERE:
            continue
        problems.append(str(problem))
    return problems
