"""The patient chart's reads, written out in SQL.

Opening a chart is the clinic's most frequent read. Through the ORM its reads cost about 3 ms
of CPU per chart, most of it spent compiling the same SQL again on every request, and
``Manager.raw()`` still cost three times its queries. The chart is read in one statement with a
plain cursor: the patient becomes a model instance (core.raw_sql.model_from_row), the episodes
plain ``EpisodeSummary`` records and the newest visits ``Visit`` records (patients.visits).
Columns come back as the database gives them; core.raw_sql converts ids, times and JSON, which
SQLite gives as text. Tables and columns are Django's default names for the models.

The chart shows the patient's newest visits; each episode's older ones are read a page at a
time when asked for (patients.visits.episode_visits), so a record of many years opens as fast
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

from needlechart.charting.models import PainMap
from needlechart.clinics.models import User
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.core.raw_sql import date_value, datetime_value, json_value, model_columns, model_from_row, uuid_param, uuid_value
from needlechart.needling.models import AdverseEventSeverity
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.visits import (
    CLINICAL_VISITS,
    PATIENTS_VISITS,
    VISITS,
    VISITS_PER_PAGE,
    People,
    Visit,
    newest_first,
    show_newest_notes,
    visit_records,
)
from needlechart.screening.models import IntakeResponse


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
# patient's row (the episodes' values in _EPISODE_FIELDS' order, the visits' as VISITS or
# CLINICAL_VISITS name them): the chart is read in one statement.
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
    select, row_type = CLINICAL_VISITS if clinical else VISITS
    visit_columns = ", ".join(f"x.{name}" for name in row_type._fields)
    visits = select.format(visits=PATIENTS_VISITS.format(patient="p.id", clinic="p.clinic_id"), limit=VISITS_PER_PAGE)
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
    visits = sorted((row_type._make(values) for values in json_value(first.visits) or ()), key=newest_first, reverse=True)
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


def patient_chart(*, user: User, found: ChartPatient) -> list[EpisodeTimeline]:
    """The patient's episodes (as chart_patient read them), newest first, each with its visits
    among the patient's newest VISITS_PER_PAGE.

    No query (but for addenda); older visits come from patients.visits.episode_visits.
    """
    timelines = {episode.pk: EpisodeTimeline(episode) for episode in found.episodes}
    people = People()
    visits = visit_records(user, found.visits, people)
    for visit in visits:
        timelines[visit.episode_id].encounters.append(visit)
    if has_capability(user, Capability.VIEW_CLINICAL):
        show_newest_notes(visits, found.visits, people)
    return list(timelines.values())


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
