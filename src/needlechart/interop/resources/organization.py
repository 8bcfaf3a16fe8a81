"""Organization: the clinic, with its organisation number (Norwegian ones under Enhetsregisteret's system)."""

from __future__ import annotations

from typing import Any

from needlechart.clinics.models import Clinic
from needlechart.interop.elements import concept
from needlechart.interop.identifiers import organisation_identifier
from needlechart.interop.validation import finished


def organization_resource(clinic: Clinic, *, validate: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Organization", "id": str(clinic.pk)}
    if clinic.organisation_number.strip():
        resource["identifier"] = [organisation_identifier(clinic.organisation_number)]
    resource["active"] = True
    resource["type"] = [concept("organization-type", "prov")]
    resource["name"] = clinic.name
    if clinic.phone:
        resource["telecom"] = [{"system": "phone", "value": clinic.phone, "use": "work"}]
    if clinic.address:
        resource["address"] = [{"text": clinic.address}]
    return finished(resource, validate)
