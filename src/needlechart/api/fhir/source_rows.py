"""The rows each source of /fhir/ reads: one clinic's, with what its builder needs (as
interop.selectors reads them for the export)."""

from __future__ import annotations

import functools
import uuid

from django.db.models import Case, Exists, F, OuterRef, Prefetch, QuerySet, When

from needlechart.audit.models import AuditEvent
from needlechart.audit.selectors import naming_patients, with_subjects
from needlechart.charting.models import Addendum, Note
from needlechart.clinics.models import Clinic, User
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX, clinic_id_of
from needlechart.needling.models import AdverseEvent, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.selectors import patients_for_user

# What a Practitioner shows of a staff account (never its password hash or sign-in state).
_STAFF = ("id", "clinic_id", "role", "username", "first_name", "last_name", "email", "is_active", "preferred_language")
_AUDIT = ("id", "chain_key", "seq", "at", "clinic_id", "actor_id", "actor_username", "actor_role", "patient_id")
_AUDIT_MORE = ("action", "object_type", "object_id", "ip", "hash")
_NOTE_TEXT = ("canonical", "subjective", "objective", "assessment", "plan")


def clinic(user: User) -> QuerySet[Clinic]:
    return Clinic.objects.filter(pk=clinic_id_of(user)).only("id", "name", "organisation_number", "address", "phone")


def staff(user: User) -> QuerySet[User]:
    return (
        User.objects.filter(clinic_id=clinic_id_of(user))
        .exclude(username__startswith=SYSTEM_ACCOUNT_PREFIX)
        .only(*_STAFF, "practitioner_profile__discipline", "practitioner_profile__title", "practitioner_profile__clinic_id")
        .select_related("practitioner_profile")
        .prefetch_related("practitioner_profile__registrations", "practitioner_profile__certifications")
    )


def patients(user: User) -> QuerySet[Patient]:
    """As the v1 API reads them (patients.selectors: the clinic's, for a role that may view demographics)."""
    identifiers = Prefetch("identifiers", queryset=PatientIdentifier.objects.only("patient_id", "system", "value"))
    return patients_for_user(user=user).prefetch_related(identifiers)


def procedures(user: User) -> QuerySet[NeedlingEntry]:
    return (
        NeedlingEntry.objects.filter(clinic_id=clinic_id_of(user))
        .select_related("encounter")
        .annotate(signed_note_id=Case(When(encounter__note__signed_at__isnull=False, then=F("encounter__note__id"))))
    )


def _signed() -> Exists:
    """Whether the row's visit has a signed note (its thresholds and ranges are then final)."""
    return Exists(Note.objects.filter(encounter_id=OuterRef("encounter_id"), signed_at__isnull=False))


# The thresholds and ranges with their visits and whether the note is signed, for every clinic:
# built once (resolving the Exists annotation cost about as much as running the query) and never
# evaluated itself; each search filters a copy by the reader's clinic.
@functools.cache
def _all_thresholds() -> QuerySet[PressurePainThreshold]:
    return PressurePainThreshold.objects.select_related("encounter").annotate(note_signed=_signed())


@functools.cache
def _all_ranges() -> QuerySet[RangeOfMotion]:
    return RangeOfMotion.objects.select_related("encounter").annotate(note_signed=_signed())


def thresholds(user: User) -> QuerySet[PressurePainThreshold]:
    return _all_thresholds().filter(clinic_id=clinic_id_of(user))


def ranges(user: User) -> QuerySet[RangeOfMotion]:
    return _all_ranges().filter(clinic_id=clinic_id_of(user))


def adverse_events(user: User) -> QuerySet[AdverseEvent]:
    entries = Prefetch("encounter__needling_entries", queryset=NeedlingEntry.objects.only("id", "encounter_id").order_by("pk"))
    return AdverseEvent.objects.filter(clinic_id=clinic_id_of(user)).select_related("encounter").prefetch_related(entries)


def notes(user: User) -> QuerySet[Note]:
    signed_addenda = Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__isnull=False)
    rows = Note.objects.filter(clinic_id=clinic_id_of(user), signed_at__isnull=False).defer(*_NOTE_TEXT)
    return rows.annotate(amended=Exists(signed_addenda))


def addenda(user: User) -> QuerySet[Addendum]:
    rows = Addendum.objects.filter(clinic_id=clinic_id_of(user), signed_at__isnull=False).defer("canonical", "text")
    return rows.annotate(patient_id=F("note__patient_id"))


def audit(user: User) -> QuerySet[AuditEvent]:
    return with_subjects(AuditEvent.objects.filter(clinic_id=clinic_id_of(user)).only(*_AUDIT, *_AUDIT_MORE))


def audit_of_patients(rows: QuerySet[AuditEvent], user: User, patients: list[uuid.UUID]) -> QuerySet[AuditEvent]:
    """AuditEvent?patient=: the events of the patients and the lists that showed any of them, each
    list naming those patients only (not the others it showed)."""
    return with_subjects(rows.filter(naming_patients(clinic_id_of(user), patients)).prefetch_related(None), patients)
