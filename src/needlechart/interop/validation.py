"""Validating a built resource with fhir.resources' R4B models (pydantic).

R4B is wire-compatible with R4 for the resources needlechart builds (../shared/domain/REFERENCE.md).
The models check structure, cardinality, types and the primitive formats (dates, ids, decimals);
they do not check codes, units or FHIRPath invariants: ``checks.check_resource`` does that for
needlechart's resources.
"""

from __future__ import annotations

import functools
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError


class InvalidResource(ValueError):
    """A built resource fhir.resources refuses: a bug in a builder, never bad input."""


@functools.cache
def _model(resource_type: str) -> Any:
    return get_fhir_model_class(resource_type)


def validate_resource(resource: dict[str, Any]) -> None:
    """Raise ``InvalidResource`` naming the resource and the errors unless its R4B model accepts it."""
    try:
        _model(resource["resourceType"]).model_validate(resource)
    except ValidationError as error:
        raise InvalidResource(f"{resource['resourceType']}/{resource.get('id')}: {error}") from error


def finished(resource: dict[str, Any], validate: bool) -> dict[str, Any]:
    """The resource as built, validated first when asked."""
    if validate:
        validate_resource(resource)
    return resource
