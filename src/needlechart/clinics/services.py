"""Writes for clinics, staff and credentials. Each is atomic and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics import accounts
from needlechart.clinics.models import Certification, Clinic, PractitionerProfile, RegistrationNumber, User
from needlechart.core.access import Role


@transaction.atomic
def clinic_create(
    *, actor: User | None, name: str, organisation_number: str = "", address: str = "", phone: str = "", email: str = ""
) -> Clinic:
    clinic = Clinic.objects.create(name=name, organisation_number=organisation_number, address=address, phone=phone, email=email)
    audit_record(actor=actor, action=AuditAction.CREATE, object_type="clinic", object_id=clinic.pk, clinic_id=clinic.pk)
    return clinic


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    clinic: Clinic,
    username: str,
    password: str,
    role: Role | str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    preferred_language: str = "en",
    discipline: str = "",
    registrations: Iterable[tuple[str, str]] = (),
) -> User:
    """A staff account; practitioners also get a profile with discipline and registrations.

    ``actor`` gives the role under the rules of clinics.accounts (a clinical role given by an admin
    waits for a second admin's approval); ``None`` is the system's operator (the command line, the demo)."""
    user = User(
        clinic=clinic,
        role=role,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        preferred_language=preferred_language,
    )
    accounts.new_account(actor=actor, staff=user)
    user.set_password(password)
    user.save()
    if role == Role.PRACTITIONER:
        profile = PractitionerProfile.objects.create(user=user, clinic=clinic, discipline=discipline or "physiotherapist")
        RegistrationNumber.objects.bulk_create(RegistrationNumber(profile=profile, system=s, value=v) for s, v in registrations)
    accounts.account_created(actor=actor, staff=user)
    return user


@transaction.atomic
def certification_add(
    *,
    actor: User,
    profile: PractitionerProfile,
    kind: str,
    course: str,
    issuer: str,
    completed_on: dt.date,
    expires_on: dt.date | None = None,
    jurisdiction: str = "",
    evidence: UploadedFile[bytes] | None = None,
) -> Certification:
    cert = Certification(
        clinic_id=profile.clinic_id,
        profile=profile,
        kind=kind,
        course=course,
        issuer=issuer,
        completed_on=completed_on,
        expires_on=expires_on,
        jurisdiction=jurisdiction,
    )
    if evidence is not None:
        cert.evidence_content_type = evidence.content_type or ""
        cert.evidence.save(evidence.name or "evidence", evidence, save=False)
    cert.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="certification",
        object_id=cert.pk,
        clinic_id=profile.clinic_id,
        detail={"practitioner": profile.user_id, "kind": kind},
    )
    return cert
