"""The patient chart's reads, written out in SQL.

Opening a chart is the clinic's most frequent read. Through the ORM its reads cost about 3 ms
of CPU per chart, most of it spent compiling the same SQL again on every request, and
``Manager.raw()`` still cost three times its queries. The chart is read in one statement with a
plain cursor: the patient becomes a model instance (core.raw_sql.model_from_row), the episodes
plain ``EpisodeSummary`` records and the newest visits ``Visit`` records (pages.visit_reads).
Columns come back as the database gives them; core.raw_sql converts ids, times and JSON, which
SQLite gives as text. Tables and columns are named from the models' ``_meta``
(core.raw_sql.SqlNames), every value is a parameter.

The chart shows the patient's newest visits; each episode's older ones are read a page at a
time when asked for (pages.visit_reads.episode_visits), so a record of many years opens as fast
as a new one.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.http import Http404
from django.utils.translation import get_language

from needlechart.charting.models import Encounter, PainMap
from needlechart.clinics.models import User
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.core.raw_sql import (
    SqlNames,
    date_value,
    datetime_value,
    json_value,
    model_columns,
    model_from_row,
    uuid_param,
    uuid_value,
)
from needlechart.needling.models import AdverseEvent, AdverseEventSeverity
from needlechart.pages.visit_reads import (
    VISITS_PER_PAGE,
    People,
    Visit,
    newest_first,
    patients_visits,
    row_type,
    show_newest_notes,
    visit_records,
    visits_sql,
)
from needlechart.patients.models import ConditionCategory, Episode, Patient, PatientIdentifier
from needlechart.screening.models import IntakeResponse, RuleSetting


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
# patient's row (the episodes' values in _episodes' order, the visits' as visit_reads.row_type
# names them): the chart is read in one statement.
_JSON_ROWS = {  # (aggregate, array) by database
    "postgresql": ("json_agg", "json_build_array"),
    "sqlite": ("json_group_array", "json_array"),
}


@functools.cache
def patient_sql(vendor: str, clinical: bool) -> str:
    """One row per identifier (or one without), with the latest intake, the episodes and the
    newest visits (with their notes for ``clinical`` readers): the patient's columns, then
    _PatientExtra's. Parameters: the two serious severities, the patient, the clinic.

    SQL because this is the chart's whole read, on the page a clinic opens most: one statement
    instead of six (each cost the application 0.1 to 0.2 ms in PostgreSQL's driver), and no
    queryset compiled again on every request (bench/README.md).
    """
    aggregate, array = _JSON_ROWS[vendor]
    P, Ids, A, R = SqlNames(Patient), SqlNames(PatientIdentifier), SqlNames(AdverseEvent), SqlNames(IntakeResponse)
    S, Ep, E = SqlNames(RuleSetting), SqlNames(Episode), SqlNames(Encounter)
    episode_fields = ", ".join(
        f"e.{column}" for column in (Ep.pk, Ep.complaint, Ep.condition, Ep.started_on, Ep.ended_on, Ep.referrer, Ep.created_at)
    )
    episode_visits = f"(SELECT COUNT(*) FROM {E} v WHERE v.{E.episode} = e.{Ep.pk})"  # noqa: S608 - names from _meta
    visits = visits_sql(vendor, clinical, patients_visits(f"p.{P.pk}", f"p.{P.clinic}"), VISITS_PER_PAGE)
    visit_columns = ", ".join(f"x.{name}" for name in row_type(clinical)._fields)
    return f"""
SELECT {model_columns(Patient, "p")}, i.{Ids.system} AS identifier_system, i.{Ids.value} AS identifier_value,
  EXISTS (SELECT 1 FROM {A} a WHERE a.{A.patient} = p.{P.pk} AND a.{A.severity} IN (%s, %s)) AS has_serious_events,
  r.{R.pk} AS intake_id, r.{R.answers} AS intake_answers, r.{R.source} AS intake_source,
  r.{R.submitted_at} AS intake_submitted_at,
  EXISTS (SELECT 1 FROM {S} s WHERE s.{S.clinic} = p.{P.clinic}) AS has_rule_settings,
  (SELECT {aggregate}({array}({episode_fields}, {episode_visits}))
    FROM {Ep} e WHERE e.{Ep.patient} = p.{P.pk} AND e.{Ep.clinic} = p.{P.clinic}) AS episodes,
  (SELECT {aggregate}({array}({visit_columns})) FROM ({visits}) x) AS visits
FROM {P} p LEFT JOIN {Ids} i ON i.{Ids.patient} = p.{P.pk}
  LEFT JOIN {R} r ON r.{R.pk} = (
    SELECT l.{R.pk} FROM {R} l WHERE l.{R.patient} = p.{P.pk} AND l.{R.clinic} = p.{P.clinic}
    ORDER BY l.{R.submitted_at} DESC LIMIT 1
  )
WHERE p.{P.pk} = %s AND p.{P.clinic} = %s
ORDER BY i.{Ids.pk}
"""  # noqa: S608


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
        source=extra.intake_source or "",
        submitted_at=datetime_value(extra.intake_submitted_at),
    )


def chart_patient(*, user: User, patient_id: uuid.UUID) -> ChartPatient:
    """The patient of the reader's clinic (404 otherwise) with identifiers and what the chart must look up."""
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    serious = [AdverseEventSeverity.SIGNIFICANT.value, AdverseEventSeverity.SERIOUS.value]
    clinical = has_capability(user, Capability.VIEW_CLINICAL)
    with connection.cursor() as cursor:
        cursor.execute(patient_sql(connection.vendor, clinical), [*serious, uuid_param(patient_id), uuid_param(user.clinic_id)])
        rows = cursor.fetchall()
    if not rows:
        raise Http404
    columns = len(Patient._meta.concrete_fields)
    patient = model_from_row(Patient, rows[0][:columns])
    extras = [_PatientExtra._make(row[columns:]) for row in rows]
    identifiers = [
        PatientIdentifier(clinic_id=patient.clinic_id, patient=patient, system=extra.identifier_system, value=extra.identifier_value or "")
        for extra in extras
        if extra.identifier_system is not None
    ]
    first = extras[0]
    visit_row = row_type(clinical)
    visits = sorted((visit_row._make(values) for values in json_value(first.visits) or ()), key=newest_first, reverse=True)
    return ChartPatient(
        patient,
        identifiers,
        bool(first.has_serious_events),
        _intake(patient, first),
        bool(first.has_rule_settings),
        _episodes(first.episodes),
        visits,
    )


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

    def get_condition_display(self) -> str:
        """The condition's label in the active language, as the model's get_condition_display()."""
        return _condition_labels(get_language()).get(self.condition, self.condition)


@functools.lru_cache(maxsize=8)
def _condition_labels(language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in ConditionCategory.choices}


@dataclass
class EpisodeTimeline:
    episode: EpisodeSummary
    encounters: list[Visit] = field(default_factory=list)

    @property
    def older(self) -> int:
        """The episode's visits not on the chart: older than the patient's newest VISITS_PER_PAGE."""
        return self.episode.visit_count - len(self.encounters)


def _episodes(column: Any) -> list[EpisodeSummary]:
    """The episodes of patient_sql's JSON column, newest first."""
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


def patient_chart(*, user: User, found: ChartPatient) -> list[EpisodeTimeline]:
    """The patient's episodes (as chart_patient read them), newest first, each with its visits
    among the patient's newest VISITS_PER_PAGE.

    No query (but for addenda); older visits come from pages.visit_reads.episode_visits.
    """
    timelines = {episode.pk: EpisodeTimeline(episode) for episode in found.episodes}
    people = People()
    visits = visit_records(user, found.visits, people)
    for visit in visits:
        timelines[visit.episode_id].encounters.append(visit)
    if has_capability(user, Capability.VIEW_CLINICAL):
        show_newest_notes(visits, found.visits, people)
    return list(timelines.values())


@functools.cache
def latest_pain_map_sql(vendor: str) -> str:
    """The patient's newest pain map with marks, and its visit's id and time. Parameters: the patient, the clinic.

    SQL for the chart's sake, as patient_sql: this runs only for a record whose newest pain map
    is older than the visits on the chart, and costs one indexed lookup.
    """
    M, E = SqlNames(PainMap), SqlNames(Encounter)
    return f"""
SELECT v.{E.pk}, v.{E.starts_at}, m.{M.marks} AS pain_marks
FROM {M} m JOIN {E} v ON v.{E.pk} = m.{M.encounter}
WHERE m.{M.patient} = %s AND m.{M.clinic} = %s AND m.{M.marks} <> '{{}}'
ORDER BY v.{E.starts_at} DESC, v.{E.pk} DESC
LIMIT 1
"""  # noqa: S608


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
            cursor.execute(latest_pain_map_sql(connection.vendor), [uuid_param(patient.pk), uuid_param(user.clinic_id)])
            if (row := cursor.fetchone()) is not None:
                return datetime_value(row[1]), PainMap(encounter_id=uuid_value(row[0]), marks=json_value(row[2]))
    return None


def clear_statement_caches() -> None:
    """Build the statements again from the models' names (tests change ``_meta`` to prove they follow it)."""
    patient_sql.cache_clear()
    latest_pain_map_sql.cache_clear()
    visits_sql.cache_clear()
