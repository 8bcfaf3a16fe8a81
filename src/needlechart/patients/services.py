"""Writes for patients and episodes of care. Each is atomic and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.patients.identifiers import filed_identifier, validate_identifier
from needlechart.patients.models import Episode, Patient, PatientIdentifier

DEMOGRAPHIC_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
    "postal_code",
    "city",
    "preferred_language",
    "emergency_contact_name",
    "emergency_contact_relation",
    "emergency_contact_phone",
)


def _set_identifiers(*, patient: Patient, identifiers: list[tuple[str, str]]) -> None:
    """Replace the patient's identifiers; each is validated (a national identity number against the
    patient's date of birth), filed under the system of its kind (a D-number under the D-number
    system) and unique within the clinic."""
    cleaned: dict[tuple[str, str], None] = {}
    for given_system, raw in identifiers:
        system, value = filed_identifier(given_system, raw)
        if not value:
            continue
        validate_identifier(system, value, birth_date=patient.birth_date)
        cleaned[(system, value)] = None
    taken = (
        PatientIdentifier.objects.filter(clinic_id=patient.clinic_id, value__in=[v for _, v in cleaned])
        .exclude(patient=patient)
        .values_list("system", "value")
    )
    clash = [v for s, v in taken if (s, v) in cleaned]
    if clash:
        raise ValidationError(_("Another patient in this clinic already has the identifier %(value)s.") % {"value": clash[0]})
    patient.identifiers.all().delete()
    PatientIdentifier.objects.bulk_create(
        PatientIdentifier(clinic_id=patient.clinic_id, patient=patient, system=s, value=v) for s, v in cleaned
    )


@transaction.atomic
def patient_create(*, actor: User, data: dict[str, Any], identifiers: Sequence[tuple[str, str]] = ()) -> Patient:
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    assert actor.clinic_id is not None  # guaranteed by the capability check
    patient = Patient(clinic_id=actor.clinic_id, **{k: v for k, v in data.items() if k in DEMOGRAPHIC_FIELDS})
    patient.full_clean(exclude=["clinic", "family_key", "given_key"])
    patient.save()
    _set_identifiers(patient=patient, identifiers=list(identifiers))
    audit_record(actor=actor, action=AuditAction.CREATE, object_type="patient", object_id=patient.pk, patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_update(*, actor: User, patient: Patient, data: dict[str, Any], identifiers: list[tuple[str, str]] | None = None) -> Patient:
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    changed = sorted(k for k, v in data.items() if k in DEMOGRAPHIC_FIELDS and getattr(patient, k) != v)
    for key in changed:
        setattr(patient, key, data[key])
    patient.full_clean(exclude=["clinic", "family_key", "given_key"])
    patient.save()
    if identifiers is not None:
        _set_identifiers(patient=patient, identifiers=identifiers)
        changed.append("identifiers")
    elif "birth_date" in changed:  # the numbers kept must still encode the date of birth
        for identifier in patient.identifiers.all():
            validate_identifier(identifier.system, identifier.value, birth_date=patient.birth_date)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"fields": changed},
    )
    return patient


@transaction.atomic
def episode_create(*, actor: User, patient: Patient, complaint: str, condition: str, started_on: dt.date, referrer: str = "") -> Episode:
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    episode = Episode(
        clinic_id=patient.clinic_id,
        patient=patient,
        complaint=complaint,
        condition=condition,
        started_on=started_on,
        referrer=referrer,
        created_by=actor,
    )
    episode.full_clean(exclude=["clinic", "patient", "created_by"])
    episode.save()
    audit_record(actor=actor, action=AuditAction.CREATE, object_type="episode", object_id=episode.pk, patient_id=patient.pk)
    return episode


@transaction.atomic
def episode_close(*, actor: User, episode: Episode, ended_on: dt.date) -> Episode:
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    if ended_on < episode.started_on:
        raise ValidationError(_("An episode cannot end before it started."))
    episode.ended_on = ended_on
    episode.save(update_fields=["ended_on", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="episode",
        object_id=episode.pk,
        patient_id=episode.patient_id,
        detail={"fields": ["ended_on"]},
    )
    return episode
