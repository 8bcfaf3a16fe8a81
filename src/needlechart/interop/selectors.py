"""Reads for export: one clinic's records, in chunks, with a fixed number of queries per chunk.

Each function streams a clinic's rows of one kind (``iterator(chunk_size)``: the rows are never
all in memory, so an export of 100,000 patients holds one chunk at a time), reading with each row
what its builder needs in the same chunk's queries: identifiers and certifications are prefetched
per chunk, a row's visit is joined, and whether the visit's note is signed comes in the same row.
Builders read only foreign-key ids beyond that, so no row costs a query of its own.

Rows come in whatever order the database reads them (``order_by()`` clears the models' default
orders too; the access log alone is read in time order, its index's): ordering a clinic's million
visits by key made SQLite sort them all before the first row (about a millisecond per resource
at 100,000 patients), and an NDJSON file needs no order.

These are the bulk reads behind the FHIR export: the caller (an export job, the API's ``$export``)
has checked that its client may export this clinic.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.db.models import Case, Exists, F, OuterRef, Prefetch, When

from needlechart.audit.models import AuditEvent
from needlechart.audit.selectors import with_subjects
from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.clinics.models import Clinic, User
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX
from needlechart.needling.models import AdverseEvent, Consent, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode, Patient, PatientIdentifier

CHUNK_SIZE = 2000
# A signed note's canonical JSON and texts are not needed to describe it: only its digest is.
_NOTE_TEXT = ("canonical", "subjective", "objective", "assessment", "plan")
# What a Practitioner shows of a staff account: never its password hash or sign-in state.
_STAFF = ("id", "clinic_id", "role", "username", "first_name", "last_name", "email", "is_active", "preferred_language")
# What an AuditEvent shows of a log row: its place in the chain, not its seal or its free detail.
_AUDIT = ("id", "chain_key", "seq", "at", "clinic_id", "actor_id", "actor_username", "actor_role", "patient_id")
_AUDIT_MORE = ("action", "object_type", "object_id", "ip", "hash")


def clinic_get(clinic_id: uuid.UUID) -> Clinic:
    """The clinic with what its Organization shows."""
    return Clinic.objects.only("id", "name", "organisation_number", "address", "phone").get(pk=clinic_id)


def clinic_staff(clinic_id: uuid.UUID) -> list[User]:
    """The clinic's staff with their practitioner profiles, registrations and certifications (4 queries);
    not the online booking's account, which is no person."""
    return list(
        User.objects.filter(clinic_id=clinic_id)
        .exclude(username__startswith=SYSTEM_ACCOUNT_PREFIX)
        .only(*_STAFF, "practitioner_profile__discipline", "practitioner_profile__title", "practitioner_profile__clinic_id")
        .select_related("practitioner_profile")
        .prefetch_related("practitioner_profile__registrations", "practitioner_profile__certifications")
        .order_by("pk")
    )


def clinic_patients(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Patient]:
    """Patients with their identifiers: 2 queries per chunk."""
    identifiers = Prefetch("identifiers", queryset=PatientIdentifier.objects.only("patient_id", "system", "value"))
    return (
        Patient.objects.filter(clinic_id=clinic_id)
        .defer("family_key", "given_key", "created_at")
        .prefetch_related(identifiers)
        .order_by()
        .iterator(chunk_size=chunk_size)
    )


def clinic_episodes(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Episode]:
    return Episode.objects.filter(clinic_id=clinic_id).order_by().iterator(chunk_size=chunk_size)


def clinic_encounters(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Encounter]:
    return Encounter.objects.filter(clinic_id=clinic_id).order_by().iterator(chunk_size=chunk_size)


def clinic_needling_entries(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[NeedlingEntry, uuid.UUID | None]]:
    """Needling entries with their visit and the visit's note id if it is signed (one query per chunk)."""
    rows = (
        NeedlingEntry.objects.filter(clinic_id=clinic_id)
        .select_related("encounter")
        .annotate(signed_note_id=Case(When(encounter__note__signed_at__isnull=False, then=F("encounter__note__id"))))
    )
    for entry in rows.order_by().iterator(chunk_size=chunk_size):
        yield entry, entry.signed_note_id


def clinic_measurements(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Measurement]:
    return Measurement.objects.filter(clinic_id=clinic_id).order_by().iterator(chunk_size=chunk_size)


def clinic_pressure_pain_thresholds(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[PressurePainThreshold, bool]]:
    """Thresholds with their visit and whether its note is signed (one query per chunk)."""
    rows = (
        PressurePainThreshold.objects.filter(clinic_id=clinic_id)
        .select_related("encounter")
        .annotate(note_signed=Exists(Note.objects.filter(encounter_id=OuterRef("encounter_id"), signed_at__isnull=False)))
    )
    for row in rows.order_by().iterator(chunk_size=chunk_size):
        yield row, row.note_signed


def clinic_ranges_of_motion(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[RangeOfMotion, bool]]:
    """Ranges of motion with their visit and whether its note is signed (one query per chunk)."""
    rows = (
        RangeOfMotion.objects.filter(clinic_id=clinic_id)
        .select_related("encounter")
        .annotate(note_signed=Exists(Note.objects.filter(encounter_id=OuterRef("encounter_id"), signed_at__isnull=False)))
    )
    for row in rows.order_by().iterator(chunk_size=chunk_size):
        yield row, row.note_signed


def clinic_consents(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Consent]:
    """Consents with their visit (one query per chunk)."""
    return Consent.objects.filter(clinic_id=clinic_id).select_related("encounter").order_by().iterator(chunk_size=chunk_size)


def clinic_adverse_events(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[AdverseEvent, list[uuid.UUID]]]:
    """Adverse events with the ids of their visit's needling entries (2 queries per chunk)."""
    entries = Prefetch("encounter__needling_entries", queryset=NeedlingEntry.objects.only("id", "encounter_id").order_by("pk"))
    rows = AdverseEvent.objects.filter(clinic_id=clinic_id).select_related("encounter").prefetch_related(entries)
    for event in rows.order_by().iterator(chunk_size=chunk_size):
        yield event, [entry.pk for entry in event.encounter.needling_entries.all()]


def clinic_signed_notes(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[Note, bool]]:
    """Signed notes, without their texts, and whether each has a signed addendum (one query per chunk)."""
    signed_addenda = Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__isnull=False)
    rows = Note.objects.filter(clinic_id=clinic_id, signed_at__isnull=False).defer(*_NOTE_TEXT).annotate(amended=Exists(signed_addenda))
    for note in rows.order_by().iterator(chunk_size=chunk_size):
        yield note, note.amended


def clinic_signed_addenda(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[Addendum, uuid.UUID]]:
    """Signed addenda, without their texts, with their note's patient (one query per chunk)."""
    rows = (
        Addendum.objects.filter(clinic_id=clinic_id, signed_at__isnull=False)
        .defer("canonical", "text")
        .annotate(patient_id=F("note__patient_id"))
    )
    for addendum in rows.order_by().iterator(chunk_size=chunk_size):
        yield addendum, addendum.patient_id


def clinic_audit_events(clinic_id: uuid.UUID, *, chunk_size: int = CHUNK_SIZE) -> Iterator[AuditEvent]:
    """The clinic's access log in time order (its (clinic, time) index), without the rows' free detail."""
    rows = with_subjects(AuditEvent.objects.filter(clinic_id=clinic_id).only(*_AUDIT, *_AUDIT_MORE).order_by("at"))
    return rows.iterator(chunk_size=chunk_size)
