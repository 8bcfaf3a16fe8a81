"""Practitioner and PractitionerRole: a clinic's staff, their registrations and needling certificates.

Every staff member is a Practitioner (front desk staff and admins appear in the access log and as
the ones who recorded a consent or booked a visit), with a PractitionerRole for their role in the
clinic. A clinician's professional registrations (the Norwegian HPR number, a college licence) are
identifiers; their discipline and each needling or IMS certificate are qualifications, the
certificate with its issuer, its period and the jurisdiction it answers to.
"""

from __future__ import annotations

from typing import Any

from needlechart.clinics.models import Certification, PractitionerProfile, User
from needlechart.interop.elements import JURISDICTION, concept, ref
from needlechart.interop.identifiers import identifier
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished


def _profile(user: User) -> PractitionerProfile | None:
    try:
        return user.practitioner_profile
    except PractitionerProfile.DoesNotExist:
        return None


def _certificate(certification: Certification) -> dict[str, Any]:
    qualification: dict[str, Any] = {
        "identifier": [{"system": terminology().url("certification"), "value": str(certification.pk)}],
        "code": concept("certification-kind", certification.kind, certification.course),
        "period": {"start": certification.completed_on.isoformat()},
        "issuer": {"display": certification.issuer},
    }
    if certification.expires_on:
        qualification["period"]["end"] = certification.expires_on.isoformat()
    if certification.jurisdiction:
        qualification["extension"] = [{"url": JURISDICTION, "valueString": certification.jurisdiction}]
    return qualification


def practitioner_resource(user: User, *, validate: bool = True) -> dict[str, Any]:
    """A staff member; read with the profile, its registrations and certifications prefetched."""
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": str(user.pk)}
    profile = _profile(user)
    if profile is not None:
        registrations = [identifier(r.system, r.value, use="official") for r in profile.registrations.all()]
        if registrations:
            resource["identifier"] = registrations
    resource["active"] = user.is_active
    if user.first_name or user.last_name:
        name: dict[str, Any] = {"use": "official", "text": user.display_name}
        if user.last_name:
            name["family"] = user.last_name
        if user.first_name:
            name["given"] = user.first_name.split()
        resource["name"] = [name]
    if user.email:
        resource["telecom"] = [{"system": "email", "value": user.email, "use": "work"}]
    if profile is not None:
        qualifications = [{"code": concept("discipline", profile.discipline, profile.title or None)}]
        qualifications.extend(_certificate(c) for c in profile.certifications.all())
        resource["qualification"] = qualifications
    resource["communication"] = [concept("language", user.preferred_language)]
    return finished(resource, validate)


def practitioner_role_resource(user: User, *, validate: bool = True) -> dict[str, Any]:
    """The staff member's role in their clinic (and a clinician's discipline as its specialty)."""
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(user.pk),
        "active": user.is_active,
        "practitioner": ref("Practitioner", user.pk),
        "organization": ref("Organization", user.clinic_id),
        "code": [concept("staff-role", user.role)],
    }
    profile = _profile(user)
    if profile is not None:
        resource["specialty"] = [concept("discipline", profile.discipline)]
    return finished(resource, validate)
