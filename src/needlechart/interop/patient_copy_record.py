"""What the patient's copy of their record says, gathered for its PDF (interop/jinja2/interop/patient_copy.html).

Every signed note with its signed addenda, each with its SHA-256 digest and whether it still
verifies (``charting.services.signed_record_verify``); the measurements of each episode as the
progress report reads them; the adverse events; the latest home programme; and the access log.
Drafts are not part of the record yet and are left out. Everything is read by the patient's id,
so nothing of another patient can enter; the caller has fetched the patient for ``user`` (clinic
scoped) and ``user`` may disclose records (the access log's selector checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from needlechart.audit.models import AuditEvent
from needlechart.audit.selectors import patient_access_log_disclosed
from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.charting.services import signed_record_verify
from needlechart.clinics.models import User
from needlechart.homecare.models import HomeProgramme
from needlechart.homecare.selectors import PatientProgramme, patient_programme
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import AdverseEvent
from needlechart.outcomes.progress import Point, Series, episode_progress
from needlechart.patients.identifiers import NATIONAL_ID_SYSTEMS
from needlechart.patients.models import Episode, Patient

ROWS_PER_TABLE = 40  # the PDF cuts longer lists into several tables (see the template)


@dataclass(frozen=True)
class SignedText:
    """A signed note or addendum as the copy shows it: the record, its digest and whether it verifies."""

    record: Note | Addendum
    intact: bool


@dataclass
class NoteInCopy:
    note: SignedText
    addenda: list[SignedText] = field(default_factory=list)


@dataclass(frozen=True)
class EpisodeMeasures:
    episode: Episode
    series: list[Series]

    @property
    def rows(self) -> Iterator[tuple[Series, Point]]:
        """Every value of the episode, measure by measure, each in the order it was taken."""
        return ((series, point) for series in self.series for point in series.points)


@dataclass(frozen=True)
class Programme:
    encounter: Encounter
    programme: PatientProgramme


def _notes(patient: Patient) -> list[NoteInCopy]:
    """The signed notes in visit order, each with its signed addenda in the order they were written."""
    notes = (
        Note.objects.filter(patient_id=patient.pk, signed_at__isnull=False)
        .select_related("author", "signed_by", "encounter__practitioner", "encounter__episode")
        .order_by("encounter__starts_at", "pk")
    )
    by_note: dict[Any, NoteInCopy] = {}
    for note in notes.iterator(chunk_size=100):
        by_note[note.pk] = NoteInCopy(SignedText(note, signed_record_verify(note)))
    addenda = (
        Addendum.objects.filter(note__patient_id=patient.pk, signed_at__isnull=False)
        .select_related("author", "signed_by", "note")
        .order_by("created_at", "pk")
    )
    for addendum in addenda:
        if addendum.note_id in by_note:
            by_note[addendum.note_id].addenda.append(SignedText(addendum, signed_record_verify(addendum)))
    return list(by_note.values())


def _measures(patient: Patient) -> list[EpisodeMeasures]:
    episodes = Episode.objects.filter(patient_id=patient.pk, clinic_id=patient.clinic_id).order_by("started_on", "pk")
    shown = [EpisodeMeasures(episode, episode_progress(episode)) for episode in episodes]
    return [measures for measures in shown if measures.series]


def _adverse_events(patient: Patient, language: str) -> list[tuple[AdverseEvent, str]]:
    types = treatment_catalog().adverse_event_types
    events = AdverseEvent.objects.filter(patient_id=patient.pk, clinic_id=patient.clinic_id).order_by("onset", "pk")
    return [(e, types[e.event_type].name.get(language) if e.event_type in types else e.event_type) for e in events]


def _programme(patient: Patient, language: str) -> Programme | None:
    """The home programme of the latest visit that prescribed one with items (the one the patient follows now)."""
    latest = (
        HomeProgramme.objects.filter(
            encounter__patient_id=patient.pk, clinic_id=patient.clinic_id, encounter__home_programme_items__isnull=False
        )
        .select_related("encounter__clinic")
        .order_by("-encounter__starts_at")
        .first()
    )
    if latest is None:
        return None
    programme = patient_programme(latest.encounter, language)
    return Programme(latest.encounter, programme) if programme else None


def access_log(*, user: User, patient: Patient) -> Iterator[AuditEvent]:
    """Every recorded access to the record, oldest first, read in chunks."""
    return patient_access_log_disclosed(user=user, patient_id=patient.pk).iterator(chunk_size=2000)


def copy_context(*, user: User, patient: Patient, made_at: dt.datetime) -> dict[str, Any]:
    """The PDF's context, in the active language (the caller sets the patient's)."""
    language = get_language() or "en"
    return {
        "patient": patient,
        "clinic": patient.clinic,
        "nin": patient.identifiers.filter(system__in=NATIONAL_ID_SYSTEMS).values_list("value", flat=True).first(),
        "made_at": made_at,
        "made_by": user,
        "notes": _notes(patient),
        "measures": _measures(patient),
        "adverse_events": _adverse_events(patient, language),
        "programme": _programme(patient, language),
        "access_log": access_log(user=user, patient=patient),
        "ROWS_PER_TABLE": ROWS_PER_TABLE,
    }
