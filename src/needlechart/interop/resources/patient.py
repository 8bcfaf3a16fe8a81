"""Patient: demographics, the national identity number or D-number, contact and language."""

from __future__ import annotations

from typing import Any

from needlechart.interop.elements import concept, instant, ref
from needlechart.interop.identifiers import identifier
from needlechart.interop.validation import finished
from needlechart.patients.identifiers import NATIONAL_ID_SYSTEMS
from needlechart.patients.models import Patient


def _address(patient: Patient) -> list[dict[str, Any]]:
    address: dict[str, Any] = {}
    if patient.address:
        address["line"] = [patient.address]
    if patient.city:
        address["city"] = patient.city
    if patient.postal_code:
        address["postalCode"] = patient.postal_code
    return [address] if address else []


def _contact(patient: Patient) -> list[dict[str, Any]]:
    """The emergency contact, if one is recorded."""
    if not (patient.emergency_contact_name or patient.emergency_contact_phone):
        return []
    contact: dict[str, Any] = {"relationship": [concept("contact-role", "C", patient.emergency_contact_relation or None)]}
    if patient.emergency_contact_name:
        contact["name"] = {"text": patient.emergency_contact_name}
    if patient.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
    return [contact]


def patient_resource(patient: Patient, *, validate: bool = True) -> dict[str, Any]:
    """The patient; read with its identifiers prefetched (``identifiers``), as the selectors do."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": instant(patient.updated_at)},
    }
    identifiers = [
        identifier(i.system, i.value, use="official" if i.system in NATIONAL_ID_SYSTEMS else None) for i in patient.identifiers.all()
    ]
    if identifiers:
        resource["identifier"] = identifiers
    resource["active"] = True
    resource["name"] = [{"use": "official", "text": patient.full_name, "family": patient.family_name, "given": patient.given_name.split()}]
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    resource["gender"] = patient.sex
    resource["birthDate"] = patient.birth_date.isoformat()
    for key, value in (("address", _address(patient)), ("contact", _contact(patient))):
        if value:
            resource[key] = value
    resource["communication"] = [{"language": concept("language", patient.preferred_language), "preferred": True}]
    resource["managingOrganization"] = ref("Organization", patient.clinic_id)
    return finished(resource, validate)
