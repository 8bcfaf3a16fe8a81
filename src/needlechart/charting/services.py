"""Writes for encounters, notes and addenda. Each is atomic and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting.models import Addendum, Encounter, EncounterStatus, Note
from needlechart.charting.signals import note_signed
from needlechart.charting.signing import (
    SigningStates,
    addendum_content,
    addendum_rows_match,
    note_content_at_signing,
    note_rows_match,
    signing_problems,
    signing_recorded,
    signing_relations,
    signing_states,
)
from needlechart.clinics.models import User
from needlechart.core.access import Capability, Role, require_capability
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.core.signed import SignedRecordImmutable
from needlechart.patients.models import Episode

NOTE_FIELDS = ("subjective", "objective", "assessment", "plan")


@transaction.atomic
def encounter_create(
    *, actor: User, episode: Episode, practitioner: User, starts_at: dt.datetime, duration_minutes: int = 30, reason: str = ""
) -> Encounter:
    require_capability(actor, Capability.BOOK_ENCOUNTERS)
    if practitioner.clinic_id != episode.clinic_id or practitioner.role != Role.PRACTITIONER:
        raise ValidationError(_("Choose a practitioner of this clinic."))
    encounter = Encounter.objects.create(
        clinic_id=episode.clinic_id,
        patient_id=episode.patient_id,
        episode=episode,
        practitioner=practitioner,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        reason=reason,
    )
    audit_record(actor=actor, action=AuditAction.CREATE, object_type="encounter", object_id=encounter.pk, patient_id=encounter.patient_id)
    return encounter


@transaction.atomic
def encounter_set_status(*, actor: User, encounter: Encounter, status: str) -> Encounter:
    require_capability(actor, Capability.BOOK_ENCOUNTERS)
    if status not in EncounterStatus.values:
        raise ValidationError(_("Unknown status."))
    encounter.status = status
    encounter.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="encounter",
        object_id=encounter.pk,
        patient_id=encounter.patient_id,
        detail={"status": status},
    )
    return encounter


def _require_author(actor: User, record: Note | Addendum) -> None:
    require_capability(actor, Capability.WRITE_CLINICAL)
    if record.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can edit or sign this draft."))


@transaction.atomic
def note_save_draft(*, actor: User, encounter: Encounter, **fields: str) -> Note:
    """Create or update the draft note of an encounter. Signed notes refuse."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    note, action = _drafted(actor, encounter, Note.objects.select_for_update().filter(encounter=encounter).first(), fields)
    note.save()
    audit_record(actor=actor, action=action, object_type="note", object_id=note.pk, patient_id=note.patient_id)
    return note


def _drafted(actor: User, encounter: Encounter, note: Note | None, fields: dict[str, str]) -> tuple[Note, AuditAction]:
    """The visit's note (a new one when ``note`` is None) with ``fields`` typed in, not saved, and
    its audit action; refused (nothing changed) unless ``actor`` may write it and it is not signed."""
    if note is None:
        if actor.pk != encounter.practitioner_id:  # the visit's own: a colleague covering it is made its practitioner first
            raise PermissionDenied(_("Only the practitioner of this visit writes its note."))
        note = Note(clinic_id=encounter.clinic_id, patient_id=encounter.patient_id, encounter=encounter, author=actor)
        action = AuditAction.CREATE
    else:
        _require_author(actor, note)
        action = AuditAction.UPDATE
    if note.is_signed:
        raise SignedRecordImmutable(_("This note is signed. Add an addendum instead."))
    for name in NOTE_FIELDS:
        if name in fields:
            setattr(note, name, fields[name])
    return note, action


_Signed = TypeVar("_Signed", Note, Addendum)


def _freeze(record: _Signed, actor: User, content_builder: Callable[[_Signed], dict[str, Any]]) -> None:
    record.signed_at = timezone.now()
    record.signed_by = actor
    record.canonical = canonical_json(content_builder(record))
    record.digest = sha256_hex(record.canonical)
    record.save()


def _notes_locked_for_signing() -> QuerySet[Note]:
    """Notes to be locked with their visit, the visit's practitioner and their author (as signing
    always locked them), read with the visit's single rows that signing reads
    (``signing_relations``): one statement where each was a statement of its own."""
    related = [f"encounter__{path}" for path in signing_relations()]
    return Note.objects.select_for_update(of=("self", "encounter", "encounter__practitioner", "author")).select_related("author", *related)


def _encounter_locked_for_signing(encounter_id: Any) -> Encounter:
    """As ``_notes_locked_for_signing``, for a visit that has no note yet: the visit and its
    practitioner locked, with the rows signing reads."""
    locked = Encounter.objects.select_for_update(of=("self", "practitioner"))
    return locked.select_related(*signing_relations()).get(pk=encounter_id)


def _states_to_sign(note: Note) -> SigningStates:
    """The contributors' states of the note's visit (read with the rows signing joins), once every
    check of signing it passed: not signed yet, not empty, every gate open (raises otherwise)."""
    if note.is_signed:
        raise SignedRecordImmutable(_("This note is already signed."))
    if not any(getattr(note, name).strip() for name in NOTE_FIELDS):
        raise ValidationError(_("An empty note cannot be signed."))
    states = signing_states(note.encounter, joined=True)  # read once: gates, facts and judgements
    problems = signing_problems(states)
    if problems:
        raise ValidationError(problems)
    return states


def _record_signing(actor: User, note: Note, states: SigningStates) -> None:
    """What follows the frozen note in the signing transaction: the visit finished, the audit row, note_signed."""
    encounter = note.encounter
    if encounter.status in (EncounterStatus.PLANNED, EncounterStatus.ARRIVED):
        encounter.status = EncounterStatus.FINISHED
        encounter.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.SIGN,
        object_type="note",
        object_id=note.pk,
        patient_id=note.patient_id,
        detail={"digest": note.digest},
    )
    note_signed.send(sender=Note, note=note, **signing_recorded(states))  # needling=bool


@transaction.atomic
def note_sign(*, actor: User, note: Note) -> Note:
    note = _notes_locked_for_signing().get(pk=note.pk)
    _require_author(actor, note)
    states = _states_to_sign(note)
    _freeze(note, actor, lambda record: note_content_at_signing(record, states))
    _record_signing(actor, note, states)
    return note


@transaction.atomic
def note_save_and_sign(*, actor: User, encounter: Encounter, **fields: str) -> Note:
    """``note_save_draft`` and then ``note_sign``, as one transaction (the note form's "Sign"):
    every check of both before anything is written, so that a refused signature writes nothing
    (the note form then keeps what was typed with note_save_draft), and then the note written
    once, signed. The audit rows are the two's: the draft's (CREATE or UPDATE) and the
    signature's (SIGN)."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    found = list(_notes_locked_for_signing().filter(encounter_id=encounter.pk)[:1])  # a visit has one: no order (first() adds one)
    note = found[0] if found else None
    if note is None and actor.pk == encounter.practitioner_id:  # a new note's visit, locked with the rows signing reads
        encounter = _encounter_locked_for_signing(encounter.pk)
    note, action = _drafted(actor, encounter, note, fields)
    states = _states_to_sign(note)
    audit_record(actor=actor, action=action, object_type="note", object_id=note.pk, patient_id=note.patient_id)
    _freeze(note, actor, lambda record: note_content_at_signing(record, states))
    _record_signing(actor, note, states)
    return note


@transaction.atomic
def addendum_create(*, actor: User, note: Note, reason: str, text: str) -> Addendum:
    require_capability(actor, Capability.WRITE_CLINICAL)
    if not note.is_signed:
        raise ValidationError(_("Addenda are for signed notes; edit the draft instead."))
    if not reason.strip() or not text.strip():
        raise ValidationError(_("An addendum needs both a reason and a text."))
    addendum = Addendum.objects.create(clinic_id=note.clinic_id, note=note, author=actor, reason=reason.strip(), text=text.strip())
    audit_record(actor=actor, action=AuditAction.CREATE, object_type="addendum", object_id=addendum.pk, patient_id=note.patient_id)
    return addendum


@transaction.atomic
def addendum_sign(*, actor: User, addendum: Addendum) -> Addendum:
    addendum = Addendum.objects.select_for_update().select_related("note", "author").get(pk=addendum.pk)
    _require_author(actor, addendum)
    if addendum.is_signed:
        raise SignedRecordImmutable(_("This addendum is already signed."))
    _freeze(addendum, actor, addendum_content)
    audit_record(
        actor=actor,
        action=AuditAction.SIGN,
        object_type="addendum",
        object_id=addendum.pk,
        patient_id=addendum.note.patient_id,
        detail={"digest": addendum.digest},
    )
    return addendum


def signed_record_verify(record: Note | Addendum) -> bool:
    """True when the stored canonical form hashes to the digest and still matches the rows."""
    if not record.is_signed or not record.digest_matches():
        return False
    if isinstance(record, Addendum):
        return addendum_rows_match(record)
    return note_rows_match(record)
