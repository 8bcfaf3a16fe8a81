"""The export's reads narrowed to some patients or to what changed since an instant (Group/$export, _since).

``ExportScope(patients=..., since=...)`` narrows each table the export reads in the database: only
the rows of the given patients (a subquery of patient ids), only the rows created or changed at or
after ``since``. The reads are those of interop.selectors (the same rows, annotations and chunks),
with the scope's filter added before the rows are read, so that a Group's or a ``_since`` export
reads and builds only what it writes rather than the whole clinic.

What "changed since" means per table (the times the rows keep; a later change that keeps no time
of its own is named here):

- Patient: ``updated_at`` (every change of the record);
- EpisodeOfCare, Encounter: ``updated_at`` (every change of the row: an episode closed, a visit's
  status, its signature finishing it);
- Observation and QuestionnaireResponse from a measurement: ``taken_at``, or ``retracted_at``
  when it was retracted since (the resource then says entered-in-error);
- Observation (thresholds, ranges of motion) and Procedure: the visit's ``updated_at`` (a row added
  to a visit not signed yet is caught when the visit's status changes or its signature finishes it);
- Consent, AdverseEvent: ``recorded_at``;
- DocumentReference and Provenance: ``signed_at`` (a note or addendum is exported once signed and
  does not change after); a note's DocumentReference also when an addendum to it was signed
  since (its docStatus becomes amended);
- AuditEvent: ``at``; Organization, Practitioner, PractitionerRole keep no time: always whole.

Tables without a patient (the clinic, its staff) are not narrowed by ``patients``: a Group export
does not ask for them (api.fhir.bulk).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, When

from needlechart.audit.models import AuditEvent
from needlechart.audit.selectors import naming_patients, with_subjects
from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.needling.models import AdverseEvent, Consent, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode, Patient, PatientIdentifier

# As interop.selectors reads them: a note's digest, not its texts; a log row's place in the chain, not its seal or detail.
_NOTE_TEXT = ("canonical", "subjective", "objective", "assessment", "plan")
_AUDIT = ("id", "chain_key", "seq", "at", "clinic_id", "actor_id", "actor_username", "actor_role", "patient_id")
_AUDIT_MORE = ("action", "object_type", "object_id", "ip", "hash")


@dataclass(frozen=True)
class ExportScope:
    """Which rows an export reads: ``patients`` (a queryset of patient ids) and ``since`` (an aware instant), each optional."""

    patients: QuerySet[Any] | None = None
    since: dt.datetime | None = None

    @property
    def whole(self) -> bool:
        return self.patients is None and self.since is None

    def narrow(self, rows: QuerySet[Any], *, patient: str | None, changed: Q | str | None) -> QuerySet[Any]:
        if self.patients is not None and patient is not None:
            rows = rows.filter(**{f"{patient}__in": self.patients})
        if self.since is not None and changed is not None:
            rows = rows.filter(changed if isinstance(changed, Q) else Q(**{f"{changed}__gte": self.since}))
        return rows


def _iterate(rows: QuerySet[Any], chunk_size: int) -> Iterator[Any]:
    return rows.order_by().iterator(chunk_size=chunk_size)


def patients(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[Patient]:
    # A patient's identifiers in one order, so the same patient is written the same way in every run.
    identifiers = Prefetch("identifiers", queryset=PatientIdentifier.objects.only("patient_id", "system", "value").order_by("pk"))
    rows = Patient.objects.filter(clinic_id=clinic_id).defer("family_key", "given_key", "created_at").prefetch_related(identifiers)
    return _iterate(scope.narrow(rows, patient="pk", changed="updated_at"), chunk_size)


def episodes(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[Episode]:
    return _iterate(scope.narrow(Episode.objects.filter(clinic_id=clinic_id), patient="patient_id", changed="updated_at"), chunk_size)


def encounters(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[Encounter]:
    return _iterate(scope.narrow(Encounter.objects.filter(clinic_id=clinic_id), patient="patient_id", changed="updated_at"), chunk_size)


def needling_entries(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[NeedlingEntry, uuid.UUID | None]]:
    rows = (
        NeedlingEntry.objects.filter(clinic_id=clinic_id)
        .select_related("encounter")
        .annotate(signed_note_id=Case(When(encounter__note__signed_at__isnull=False, then=F("encounter__note__id"))))
    )
    for entry in _iterate(scope.narrow(rows, patient="encounter__patient_id", changed="encounter__updated_at"), chunk_size):
        yield entry, entry.signed_note_id


def measurements(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[Measurement]:
    since = scope.since
    changed = Q(taken_at__gte=since) | Q(retracted_at__gte=since) if since is not None else None
    return _iterate(scope.narrow(Measurement.objects.filter(clinic_id=clinic_id), patient="patient_id", changed=changed), chunk_size)


def _with_signed_note(model: Any, clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[Any, bool]]:
    rows = (
        model.objects.filter(clinic_id=clinic_id)
        .select_related("encounter")
        .annotate(note_signed=Exists(Note.objects.filter(encounter_id=OuterRef("encounter_id"), signed_at__isnull=False)))
    )
    for row in _iterate(scope.narrow(rows, patient="encounter__patient_id", changed="encounter__updated_at"), chunk_size):
        yield row, row.note_signed


def pressure_pain_thresholds(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[PressurePainThreshold, bool]]:
    return _with_signed_note(PressurePainThreshold, clinic_id, scope, chunk_size)


def ranges_of_motion(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[RangeOfMotion, bool]]:
    return _with_signed_note(RangeOfMotion, clinic_id, scope, chunk_size)


def consents(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[Consent]:
    rows = Consent.objects.filter(clinic_id=clinic_id).select_related("encounter")
    return _iterate(scope.narrow(rows, patient="encounter__patient_id", changed="recorded_at"), chunk_size)


def adverse_events(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[AdverseEvent, list[uuid.UUID]]]:
    entries = Prefetch("encounter__needling_entries", queryset=NeedlingEntry.objects.only("id", "encounter_id").order_by("pk"))
    rows = AdverseEvent.objects.filter(clinic_id=clinic_id).select_related("encounter").prefetch_related(entries)
    for event in _iterate(scope.narrow(rows, patient="patient_id", changed="recorded_at"), chunk_size):
        yield event, [entry.pk for entry in event.encounter.needling_entries.all()]


def signed_notes(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int, *, amended_counts: bool) -> Iterator[tuple[Note, bool]]:
    """Signed notes without their texts; ``amended_counts``: a note amended since has changed (its DocumentReference)."""
    signed_addenda = Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__isnull=False)
    rows = Note.objects.filter(clinic_id=clinic_id, signed_at__isnull=False).defer(*_NOTE_TEXT).annotate(amended=Exists(signed_addenda))
    changed: Q | None = None
    if scope.since is not None:
        changed = Q(signed_at__gte=scope.since)
        if amended_counts:
            changed |= Q(Exists(signed_addenda.filter(signed_at__gte=scope.since)))
    for note in _iterate(scope.narrow(rows, patient="patient_id", changed=changed), chunk_size):
        yield note, note.amended


def signed_addenda(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[tuple[Addendum, uuid.UUID]]:
    rows = (
        Addendum.objects.filter(clinic_id=clinic_id, signed_at__isnull=False)
        .defer("canonical", "text")
        .annotate(patient_id=F("note__patient_id"))
    )
    for addendum in _iterate(scope.narrow(rows, patient="note__patient_id", changed="signed_at"), chunk_size):
        yield addendum, addendum.patient_id


def audit_events(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Iterator[AuditEvent]:
    """The access log in time order (its (clinic, time) index). A group's: the events of its
    patients and the lists that showed any of them, each list naming the group's patients only."""
    rows: QuerySet[AuditEvent] = AuditEvent.objects.filter(clinic_id=clinic_id).only(*_AUDIT, *_AUDIT_MORE)
    if scope.patients is not None:
        rows = rows.filter(naming_patients(clinic_id, scope.patients))
    rows = with_subjects(rows, scope.patients)
    return scope.narrow(rows, patient=None, changed="at").order_by("at").iterator(chunk_size=chunk_size)
