"""The patient chart's reads, written out in SQL.

Opening a chart is the clinic's most frequent read. Through the ORM its reads cost about 3 ms
of CPU per chart, most of it spent compiling the same SQL again on every request, and
``Manager.raw()`` still cost three times its queries. Every read here uses a plain cursor: the
patient becomes a model instance (core.raw_sql.model_from_row), the episodes and the visits
(ten rows of twenty-odd columns) plain ``EpisodeSummary`` and ``Visit`` records. Columns come back as the database
gives them; core.raw_sql converts ids, times and JSON, which SQLite gives as text. Tables
and columns are Django's default names for the models.

The chart shows the patient's newest visits; each episode's older ones are read a page at a
time when asked for, so a record of many years opens as fast as a new one.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F
from django.http import Http404

from needlechart.charting.models import Addendum, PainMap
from needlechart.clinics.models import User, display_name
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.core.raw_sql import date_value, datetime_value, json_value, model_columns, model_from_row, uuid_param, uuid_value
from needlechart.needling.models import AdverseEventSeverity
from needlechart.patients.models import Episode, Patient, PatientIdentifier
from needlechart.screening.models import IntakeResponse

VISITS_PER_PAGE = 10
# The newest notes are shown in full on the chart; older ones as one line (open the visit to read them).
FULL_NOTES_ON_CHART = 3


_PERSON = ("first_name", "last_name", "username")  # what a row gives of each person it names


def _select(columns: tuple[tuple[str, str], ...]) -> str:
    return "SELECT " + ", ".join(f"{expression} AS {name}" for expression, name in columns)


def _row_type(name: str, columns: tuple[tuple[str, str], ...]) -> type:
    """A named tuple of the columns' names, for the rows of _select(columns)."""
    return namedtuple(name, [column for _expression, column in columns])


@dataclass(frozen=True, slots=True)
class Person:
    """A member of staff as the chart names them."""

    pk: int
    display_name: str


class _People(dict[int, Person]):
    """The staff a chart's rows name: each built once, as a chart names the same few people again and again."""

    def named(self, row: Any, prefix: str) -> Person | None:
        """The person whose id and names a query returned under ``prefix``."""
        pk = getattr(row, f"{prefix}_id")
        if pk is None:
            return None
        if pk not in self:
            self[pk] = Person(pk, display_name(*(getattr(row, f"{prefix}_{name}") for name in _PERSON)))
        return self[pk]


@dataclass(slots=True)
class NoteOnChart:
    """A visit's whole note as the chart shows its newest ones (charting.templatetags.notes draws it as a Note)."""

    subjective: str
    objective: str
    assessment: str
    plan: str
    signed_at: dt.datetime | None
    digest: str
    author: Person | None
    signed_by: Person | None
    addenda_list: list[Addendum]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


@dataclass
class ChartPatient:
    patient: Patient
    identifiers: list[PatientIdentifier]
    has_serious_events: bool  # significant or serious adverse events: the chart reads them only if there are some
    intake: IntakeResponse | None  # the latest
    has_rule_settings: bool  # whether the clinic has changed any screening rule
    episodes: list[EpisodeSummary]  # newest first
    visits: list[Any]  # the newest VISITS_PER_PAGE visits' rows, newest first


# The patient's episodes and newest visits come as JSON arrays of arrays in two columns of the
# patient's row (the episodes' values in _EPISODE_FIELDS' order, the visits' as _VISITS or
# _CLINICAL_VISITS name them): the chart is read in one statement.
_EPISODE_FIELDS = "e.id, e.complaint, e.condition, e.started_on, e.ended_on, e.referrer, e.created_at"
_EPISODE_VISITS = "(SELECT COUNT(*) FROM charting_encounter v WHERE v.episode_id = e.id)"
_JSON_ROWS = {  # (aggregate, array) by database
    "postgresql": ("json_agg", "json_build_array"),
    "sqlite": ("json_group_array", "json_array"),
}


@functools.cache
def _patient_sql(vendor: str, clinical: bool) -> tuple[str, type]:
    """One row per identifier (or one without), with the latest intake, the episodes and the
    newest visits (with their notes for ``clinical`` readers): the patient's columns, then
    _PatientExtra's; and the visits' row type. The column names come from the models; every
    value is a parameter."""
    aggregate, array = _JSON_ROWS[vendor]
    select, row_type = _CLINICAL_VISITS if clinical else _VISITS
    visit_columns = ", ".join(f"x.{name}" for name in row_type._fields)
    visits = select.format(visits=_PATIENTS_VISITS.format(patient="p.id", clinic="p.clinic_id"), limit=VISITS_PER_PAGE)
    sql = f"""
SELECT {model_columns(Patient, "p")}, i.system AS identifier_system, i.value AS identifier_value,
  EXISTS (SELECT 1 FROM needling_adverseevent a WHERE a.patient_id = p.id AND a.severity IN (%s, %s)) AS has_serious_events,
  r.id AS intake_id, r.answers AS intake_answers, r.source AS intake_source, r.submitted_at AS intake_submitted_at,
  EXISTS (SELECT 1 FROM screening_rulesetting s WHERE s.clinic_id = p.clinic_id) AS has_rule_settings,
  (SELECT {aggregate}({array}({_EPISODE_FIELDS}, {_EPISODE_VISITS}))
    FROM patients_episode e WHERE e.patient_id = p.id AND e.clinic_id = p.clinic_id) AS episodes,
  (SELECT {aggregate}({array}({visit_columns})) FROM ({visits}) x) AS visits
FROM patients_patient p LEFT JOIN patients_patientidentifier i ON i.patient_id = p.id
  LEFT JOIN screening_intakeresponse r ON r.id = (
    SELECT l.id FROM screening_intakeresponse l WHERE l.patient_id = p.id AND l.clinic_id = p.clinic_id
    ORDER BY l.submitted_at DESC LIMIT 1
  )
WHERE p.id = %s AND p.clinic_id = %s
ORDER BY i.id
"""  # noqa: S608
    return sql, row_type


class _PatientExtra(NamedTuple):
    identifier_system: str | None
    identifier_value: str | None
    has_serious_events: Any
    intake_id: Any
    intake_answers: Any
    intake_source: str | None
    intake_submitted_at: Any
    has_rule_settings: Any
    episodes: Any  # JSON
    visits: Any  # JSON


def _intake(patient: Patient, extra: _PatientExtra) -> IntakeResponse | None:
    if extra.intake_id is None:
        return None
    return IntakeResponse(
        id=uuid_value(extra.intake_id),
        clinic_id=patient.clinic_id,
        patient=patient,
        answers=json_value(extra.intake_answers),
        source=extra.intake_source,
        submitted_at=datetime_value(extra.intake_submitted_at),
    )


def chart_patient(*, user: User, patient_id: uuid.UUID) -> ChartPatient:
    """The patient of the reader's clinic (404 otherwise) with identifiers and what the chart must look up."""
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    serious = [AdverseEventSeverity.SIGNIFICANT.value, AdverseEventSeverity.SERIOUS.value]
    sql, row_type = _patient_sql(connection.vendor, has_capability(user, Capability.VIEW_CLINICAL))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*serious, uuid_param(patient_id), uuid_param(user.clinic_id)])
        rows = cursor.fetchall()
    if not rows:
        raise Http404
    columns = len(Patient._meta.concrete_fields)
    patient = model_from_row(Patient, rows[0][:columns])
    extras = [_PatientExtra._make(row[columns:]) for row in rows]
    identifiers = [
        PatientIdentifier(clinic_id=patient.clinic_id, patient=patient, system=extra.identifier_system, value=extra.identifier_value)
        for extra in extras
        if extra.identifier_system is not None
    ]
    first = extras[0]
    visits = sorted((row_type._make(values) for values in json_value(first.visits) or ()), key=_newest_first, reverse=True)
    return ChartPatient(
        patient,
        identifiers,
        bool(first.has_serious_events),
        _intake(patient, first),
        bool(first.has_rule_settings),
        _episodes(first.episodes),
        visits,
    )


def _newest_first(row: Any) -> tuple[dt.datetime | None, str]:
    """The timeline's order, for visits read as JSON (whose arrays keep no order of their own).
    Ids written alike (by one database) sort as their uuids do."""
    return datetime_value(row.starts_at), row.id


@dataclass(slots=True)
class Visit:
    """A visit as the chart's timeline shows it, built straight from its row (no model instance)."""

    pk: uuid.UUID
    episode_id: uuid.UUID
    starts_at: dt.datetime
    status: str
    reason: str
    practitioner: Person
    has_note: bool = False  # these four only for readers of clinical notes
    note_subjective: str = ""  # the first lines of an older note
    note_signed_at: dt.datetime | None = None
    addenda_count: int = 0
    pain_marks: dict[str, Any] | None = None  # of its pain map
    full_note: NoteOnChart | None = None  # for the newest few notes: the whole note, with its addenda


@dataclass(slots=True)
class EpisodeSummary:
    """An episode of care as the chart's timeline heads it, built straight from its row."""

    pk: uuid.UUID
    complaint: str
    condition: str
    started_on: dt.date
    ended_on: dt.date | None
    referrer: str
    visit_count: int

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


@dataclass
class EpisodeTimeline:
    episode: EpisodeSummary
    encounters: list[Visit] = field(default_factory=list)

    @property
    def older(self) -> int:
        """The episode's visits not on the chart: older than the patient's newest VISITS_PER_PAGE."""
        return self.episode.visit_count - len(self.encounters)


def _episodes(column: Any) -> list[EpisodeSummary]:
    """The episodes of _patient_sql's JSON column, newest first."""
    rows = sorted(
        (
            (date_value(started), datetime_value(created), pk, complaint, condition, ended, referrer, visits)
            for pk, complaint, condition, started, ended, referrer, created, visits in json_value(column) or ()
        ),
        reverse=True,
    )
    return [
        EpisodeSummary(uuid_value(pk), complaint, condition, started, ended and date_value(ended), referrer, visits)
        for started, _created, pk, complaint, condition, ended, referrer, visits in rows
    ]


# Visits as the timeline shows them, newest first, with who saw the patient: (expression, name).
# Clinicians also get each visit's note, its number of addenda and its pain map: the chart shows
# the newest notes in full and the newest pain map, and both are nearly always among the newest visits.
_VISIT_COLUMNS = (
    ("v.id", "id"),
    ("v.episode_id", "episode_id"),
    ("v.starts_at", "starts_at"),
    ("v.status", "status"),
    ("v.reason", "reason"),
    ("v.practitioner_id", "practitioner_id"),
    ("u.username", "practitioner_username"),
    ("u.first_name", "practitioner_first_name"),
    ("u.last_name", "practitioner_last_name"),
)
_CLINICAL_COLUMNS = (
    *_VISIT_COLUMNS,
    ("n.id IS NOT NULL", "has_note"),
    *((f"n.{name}", f"note_{name}") for name in ("subjective", "objective", "assessment", "plan", "signed_at", "digest")),
    ("n.author_id", "note_author_id"),
    *((f"a.{name}", f"note_author_{name}") for name in _PERSON),
    ("n.signed_by_id", "note_signed_by_id"),
    *((f"s.{name}", f"note_signed_by_{name}") for name in _PERSON),
    ("(SELECT COUNT(*) FROM charting_addendum d WHERE d.note_id = n.id)", "addenda_count"),
    ("m.marks", "pain_marks"),
)
_VISITS_FROM = """
FROM charting_encounter v JOIN clinics_user u ON u.id = v.practitioner_id
WHERE {visits}
ORDER BY v.starts_at DESC, v.id DESC
LIMIT {limit}
"""
_CLINICAL_VISITS_FROM = """
FROM charting_encounter v JOIN clinics_user u ON u.id = v.practitioner_id
  LEFT JOIN charting_note n ON n.encounter_id = v.id
  LEFT JOIN clinics_user a ON a.id = n.author_id LEFT JOIN clinics_user s ON s.id = n.signed_by_id
  LEFT JOIN charting_painmap m ON m.encounter_id = v.id
WHERE {visits}
ORDER BY v.starts_at DESC, v.id DESC
LIMIT {limit}
"""
_VISITS = (_select(_VISIT_COLUMNS) + _VISITS_FROM, _row_type("VisitRow", _VISIT_COLUMNS))
_CLINICAL_VISITS = (_select(_CLINICAL_COLUMNS) + _CLINICAL_VISITS_FROM, _row_type("ClinicalVisitRow", _CLINICAL_COLUMNS))
_PATIENTS_VISITS = "v.patient_id = {patient} AND v.clinic_id = {clinic}"  # inside the chart's statement
_EPISODES_VISITS = "v.clinic_id = %s AND v.episode_id = %s"
# Keyset paging: the visits after ``before`` in the timeline's order.
_EPISODES_VISITS_BEFORE = (
    "v.clinic_id = %s AND v.episode_id = %s"
    " AND (v.starts_at, v.id) < (SELECT c.starts_at, c.id FROM charting_encounter c WHERE c.id = %s AND c.episode_id = v.episode_id)"
)


def _episode_visits(user: User, visits: str, params: list[Any]) -> list[Visit]:
    """A page of an episode's visits (and one more, to tell whether there are more)."""
    sql, row_type = _CLINICAL_VISITS if has_capability(user, Capability.VIEW_CLINICAL) else _VISITS
    with connection.cursor() as cursor:
        cursor.execute(sql.format(visits=visits, limit=VISITS_PER_PAGE + 1), [uuid_param(user.clinic_id), *params])
        return _visit_records(user, [row_type._make(row) for row in cursor.fetchall()], _People())


def _visit_records(user: User, rows: list[Any], people: _People) -> list[Visit]:
    """Visits from their rows (_VISITS' or _CLINICAL_VISITS')."""
    clinical = has_capability(user, Capability.VIEW_CLINICAL)
    result = []
    for row in rows:
        visit = Visit(
            pk=uuid_value(row.id),
            episode_id=uuid_value(row.episode_id),
            starts_at=datetime_value(row.starts_at),
            status=row.status,
            reason=row.reason,
            practitioner=people.named(row, "practitioner"),
        )
        if clinical:
            visit.has_note = bool(row.has_note)
            visit.note_subjective = row.note_subjective or ""
            visit.note_signed_at = datetime_value(row.note_signed_at)
            visit.addenda_count = row.addenda_count
            visit.pain_marks = json_value(row.pain_marks)
        result.append(visit)
    return result


def _show_newest_notes(visits: list[Visit], rows: list[Any], people: _People) -> None:
    """Give the newest visits with a note (FULL_NOTES_ON_CHART of them) their full note and its addenda."""
    shown = [(visit, row) for visit, row in zip(visits, rows, strict=True) if visit.has_note][:FULL_NOTES_ON_CHART]
    addenda: dict[uuid.UUID, list[Addendum]] = {}
    if any(visit.addenda_count for visit, _row in shown):  # addenda are rare: no query without them
        in_notes = Addendum.objects.filter(note__encounter__in=[visit.pk for visit, _row in shown])
        in_notes = in_notes.annotate(visit_id=F("note__encounter_id"))
        for addendum in in_notes.select_related("author").defer("canonical").order_by("created_at"):
            addenda.setdefault(addendum.visit_id, []).append(addendum)
    for visit, row in shown:
        visit.full_note = NoteOnChart(
            subjective=row.note_subjective,
            objective=row.note_objective,
            assessment=row.note_assessment,
            plan=row.note_plan,
            signed_at=visit.note_signed_at,
            digest=row.note_digest,
            author=people.named(row, "note_author"),
            signed_by=people.named(row, "note_signed_by"),
            addenda_list=addenda.get(visit.pk, []),
        )


def patient_chart(*, user: User, found: ChartPatient) -> list[EpisodeTimeline]:
    """The patient's episodes (as chart_patient read them), newest first, each with its visits
    among the patient's newest VISITS_PER_PAGE.

    No query (but for addenda); older visits come from ``episode_visits`` when asked for.
    """
    timelines = {episode.pk: EpisodeTimeline(episode) for episode in found.episodes}
    people = _People()
    visits = _visit_records(user, found.visits, people)
    for visit in visits:
        timelines[visit.episode_id].encounters.append(visit)
    if has_capability(user, Capability.VIEW_CLINICAL):
        _show_newest_notes(visits, found.visits, people)
    return list(timelines.values())


def episode_visits(*, user: User, episode: Episode, before: uuid.UUID | None) -> tuple[list[Visit], bool]:
    """A page of the episode's visits older than ``before`` (one of them), newest first, and
    whether there are older ones still. Their notes are shown as one line each."""
    if before is None:
        page = _episode_visits(user, _EPISODES_VISITS, [uuid_param(episode.pk)])
    else:
        page = _episode_visits(user, _EPISODES_VISITS_BEFORE, [uuid_param(episode.pk), uuid_param(before)])
    return page[:VISITS_PER_PAGE], len(page) > VISITS_PER_PAGE


_LATEST_PAIN_MAP_SQL = """
SELECT v.id, v.starts_at, m.marks AS pain_marks
FROM charting_painmap m JOIN charting_encounter v ON v.id = m.encounter_id
WHERE m.patient_id = %s AND m.clinic_id = %s AND m.marks <> '{}'
ORDER BY v.starts_at DESC, v.id DESC
LIMIT 1
"""


def latest_pain_map(*, user: User, patient: Patient, timeline: list[EpisodeTimeline]) -> tuple[dt.datetime, PainMap] | None:
    """The patient's newest pain map with marks on it, and when its visit was: from the chart's
    visits when it is among them, otherwise read."""
    require_capability(user, Capability.VIEW_CLINICAL)
    visits = sorted((v for item in timeline for v in item.encounters), key=lambda v: (v.starts_at, v.pk), reverse=True)
    for visit in visits:
        if visit.pain_marks:
            return visit.starts_at, PainMap(encounter_id=visit.pk, marks=visit.pain_marks)
    if sum(item.episode.visit_count for item in timeline) > len(visits):  # the newest map may be older than the chart's visits
        with connection.cursor() as cursor:
            cursor.execute(_LATEST_PAIN_MAP_SQL, [uuid_param(patient.pk), uuid_param(user.clinic_id)])
            if (row := cursor.fetchone()) is not None:
                return datetime_value(row[1]), PainMap(encounter_id=uuid_value(row[0]), marks=json_value(row[2]))
    return None
