"""What the v1 API answers of clinical records: visits, notes with their addenda, needling with the
thresholds and ranges of motion measured at the visit, outcome measurements with their answers,
and adverse events; and the functions that fill the answers from records."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from needlechart.charting.models import Addendum, Encounter, EncounterStatus, Note
from needlechart.needling.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventReport,
    AdverseEventSeverity,
    MismatchOutcome,
    NeedlingEntry,
    PressurePainThreshold,
    RangeOfMotion,
    Side,
    Technique,
    Tolerance,
)
from needlechart.outcomes.models import Measurement, MeasurementSource

_NEXT = "Pass as cursor for the next page; null on the last page."
Status = Literal["draft", "signed"]


def _fields(schema: type[Schema], row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in schema.model_fields}


# --- visits -----------------------------------------------------------------------------------


class EncounterOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    episode_id: uuid.UUID
    practitioner_id: int = Field(description="The staff member (see /staff/{staff_id}) the visit is with.")
    starts_at: dt.datetime = Field(description="The booked start.")
    duration_minutes: int
    status: EncounterStatus
    reason: str
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="The last change: booked, a status, the signature that finished it.")


def encounter_out(encounter: Encounter) -> EncounterOut:
    return EncounterOut(**_fields(EncounterOut, encounter))


class EncounterPage(Schema):
    items: list[EncounterOut]
    next_cursor: str | None = Field(description=_NEXT)


# --- notes and addenda ------------------------------------------------------------------------


class _Signed(Schema):
    status: Status = Field(description="signed, or draft: a draft is shown only to its author (a token acting as them).")
    author_id: int
    created_at: dt.datetime
    signed_at: dt.datetime | None
    signed_by_id: int | None
    digest: str = Field(description="The SHA-256 of the record's canonical form at signing; empty for a draft.")


class AddendumOut(_Signed):
    id: uuid.UUID
    reason: str
    text: str


class NoteOut(_Signed):
    id: uuid.UUID
    patient_id: uuid.UUID
    encounter_id: uuid.UUID
    subjective: str
    objective: str
    assessment: str
    plan: str
    updated_at: dt.datetime
    addenda: list[AddendumOut] = Field(description="Oldest first: the signed ones, and the reader's own drafts.")


def _status(record: Note | Addendum) -> Status:
    return "signed" if record.is_signed else "draft"


def addendum_out(addendum: Addendum) -> AddendumOut:
    return AddendumOut(**{name: getattr(addendum, name) for name in AddendumOut.model_fields if name != "status"}, status=_status(addendum))


def note_out(note: Note) -> NoteOut:
    """The note with the addenda its reader may see (``addenda_list``: charting.selectors.readable_notes)."""
    values = {name: getattr(note, name) for name in NoteOut.model_fields if name not in ("status", "addenda")}
    return NoteOut(**values, status=_status(note), addenda=[addendum_out(a) for a in note.addenda_list])


class NotePage(Schema):
    items: list[NoteOut]
    next_cursor: str | None = Field(description=_NEXT)


# --- needling -----------------------------------------------------------------------------------


class NeedlingEntryOut(Schema):
    id: uuid.UUID
    muscle_id: str = Field(description="The muscle's id in needlechart's atlas (the FHIR Procedure's bodySite code).")
    side: Side = Field(description="r (right) or l (left).")
    gauge_mm: float
    length_mm: int
    needle_count: int
    technique: Technique
    depth_mm: int
    direction: str
    twitch_responses: int
    dwell_seconds: int
    estim: bool = Field(description="Whether electrical stimulation was given; its settings are null without it.")
    estim_frequency_hz: int | None
    estim_pulse_width_us: int | None
    estim_intensity_ma: float | None
    estim_minutes: int | None
    tolerance: Tolerance


def _entry_out(entry: NeedlingEntry) -> NeedlingEntryOut:
    values = _fields(NeedlingEntryOut, entry)
    values["gauge_mm"] = float(entry.gauge_mm)
    values["estim_intensity_ma"] = float(entry.estim_intensity_ma) if entry.estim_intensity_ma is not None else None
    return NeedlingEntryOut(**values)


class PressurePainOut(Schema):
    id: uuid.UUID
    muscle_id: str
    side: Side
    trials_kpa: list[float] = Field(description="Each algometer trial, in kPa.")
    mean_kpa: float


class RangeOfMotionOut(Schema):
    id: uuid.UUID
    joint: str
    movement: str
    side: Side | None = Field(description="Null for a movement of no side (e.g. of the spine).")
    degrees: int
    painful: bool


def _pressure_out(row: PressurePainThreshold) -> PressurePainOut:
    return PressurePainOut(id=row.pk, muscle_id=row.muscle_id, side=row.side, trials_kpa=row.trials_kpa, mean_kpa=row.mean_kpa)  # type: ignore[arg-type]


def _range_out(row: RangeOfMotion) -> RangeOfMotionOut:
    return RangeOfMotionOut(**{**_fields(RangeOfMotionOut, row), "side": row.side or None})


class NeedlingVisitOut(Schema):
    """What the needling of one visit documents."""

    encounter_id: uuid.UUID
    patient_id: uuid.UUID
    starts_at: dt.datetime
    needles_out: int | None = Field(description="The needles counted out after the session; null until counted.")
    mismatch_outcome: MismatchOutcome | None = Field(description="When the count in and out differed: what the search found.")
    mismatch_search: str
    advice_ids: list[str] = Field(description="The aftercare advice given, by its id in needlechart's catalogue.")
    entries: list[NeedlingEntryOut] = Field(description="The needles placed, per muscle and side, in the chart's order.")
    pressure_pain_thresholds: list[PressurePainOut]
    ranges_of_motion: list[RangeOfMotionOut]


def needling_visit_out(encounter: Encounter) -> NeedlingVisitOut:
    """A visit of needling.selectors.needling_visits, with its rows prefetched."""
    record = getattr(encounter, "needling_record", None)
    return NeedlingVisitOut(
        encounter_id=encounter.pk,
        patient_id=encounter.patient_id,
        starts_at=encounter.starts_at,
        needles_out=record.needles_out if record else None,
        mismatch_outcome=(record.mismatch_outcome or None) if record else None,
        mismatch_search=record.mismatch_search if record else "",
        advice_ids=list(record.advice_ids) if record else [],
        entries=[_entry_out(e) for e in encounter.needling_entries.all()],
        pressure_pain_thresholds=[_pressure_out(p) for p in encounter.pressure_pain_thresholds.all()],
        ranges_of_motion=[_range_out(r) for r in encounter.range_of_motion.all()],
    )


class NeedlingVisitPage(Schema):
    items: list[NeedlingVisitOut]
    next_cursor: str | None = Field(description=_NEXT)


# --- outcome measurements --------------------------------------------------------------------------


class MeasurementOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    episode_id: uuid.UUID
    encounter_id: uuid.UUID | None = Field(description="The visit it was taken at; null for a patient's answer on follow-up.")
    instrument: str = Field(description="nprs, vas, psfs, groc, or a clinic's own questionnaire's id.")
    score: float
    answers: dict[str, Any] = Field(description="The questionnaire's answers as scored: {item id: value}, or PSFS's activities.")
    source: MeasurementSource
    taken_at: dt.datetime
    retracted_at: dt.datetime | None = Field(description="A retracted entry was wrong: it stays on record but counts for nothing.")
    retraction_reason: str


def measurement_out(measurement: Measurement) -> MeasurementOut:
    return MeasurementOut(**_fields(MeasurementOut, measurement))


class MeasurementPage(Schema):
    items: list[MeasurementOut]
    next_cursor: str | None = Field(description=_NEXT)


# --- adverse events ---------------------------------------------------------------------------


class AdverseEventOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    encounter_id: uuid.UUID
    event_type: str = Field(description="The type's id in needlechart's catalogue of adverse events.")
    severity: AdverseEventSeverity
    onset: dt.datetime
    description: str
    action_taken: str
    outcome: AdverseEventOutcome = Field(description="Changes as it becomes known.")
    reported_via: AdverseEventReport
    recorded_at: dt.datetime


def adverse_event_out(event: AdverseEvent) -> AdverseEventOut:
    return AdverseEventOut(**_fields(AdverseEventOut, event))


class AdverseEventPage(Schema):
    items: list[AdverseEventOut]
    next_cursor: str | None = Field(description=_NEXT)
