"""A chart's visits: the SQL that reads them, and the records the timeline draws from their rows.

The chart reads its newest visits inside its one statement (patients.chart); an episode's
older visits are read here a page at a time, with the same columns. Rows become plain
``Visit`` records, the staff they name ``Person`` records and the newest notes ``NoteOnChart``
records: building model instances cost more than reading the rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F

from needlechart.charting.models import Addendum
from needlechart.clinics.models import User, display_name
from needlechart.core.access import Capability, has_capability
from needlechart.core.raw_sql import datetime_value, json_value, uuid_param, uuid_value
from needlechart.patients.models import Episode

VISITS_PER_PAGE = 10
# The newest notes are shown in full on the chart; older ones as one line (open the visit to read them).
FULL_NOTES_ON_CHART = 3


_PERSON = ("first_name", "last_name", "username")  # what a row gives of each person it names


def _select(columns: tuple[tuple[str, str], ...]) -> str:
    return "SELECT " + ", ".join(f"{expression} AS {name}" for expression, name in columns)


def _row_type(name: str, columns: tuple[tuple[str, str], ...]) -> Any:
    """A named tuple of the columns' names, for the rows of _select(columns)."""
    return namedtuple(name, [column for _expression, column in columns])


@dataclass(frozen=True, slots=True)
class Person:
    """A member of staff as the chart names them."""

    pk: int
    display_name: str


class People(dict[int, Person]):
    """The staff a chart's rows name: each built once, as a chart names the same few people again and again."""

    def named(self, row: Any, prefix: str) -> Person | None:
        """The person whose id and names a query returned under ``prefix``."""
        pk = getattr(row, f"{prefix}_id")
        if pk is None:
            return None
        if pk not in self:
            self[pk] = Person(pk, display_name(*(getattr(row, f"{prefix}_{name}") for name in _PERSON)))
        return self[pk]

    def required(self, row: Any, prefix: str) -> Person:
        """As ``named``, for a person every row names (a visit's practitioner)."""
        if (person := self.named(row, prefix)) is None:
            raise ValueError(f"a visit row without its {prefix}")
        return person


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


def newest_first(row: Any) -> tuple[dt.datetime | None, str]:
    """The timeline's order, for visits read as JSON (whose arrays keep no order of their own).
    Ids written alike (by one database) sort as their uuids do."""
    return datetime_value(row.starts_at), row.id


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
VISITS = (_select(_VISIT_COLUMNS) + _VISITS_FROM, _row_type("VisitRow", _VISIT_COLUMNS))
CLINICAL_VISITS = (_select(_CLINICAL_COLUMNS) + _CLINICAL_VISITS_FROM, _row_type("ClinicalVisitRow", _CLINICAL_COLUMNS))
PATIENTS_VISITS = "v.patient_id = {patient} AND v.clinic_id = {clinic}"  # inside the chart's statement
_EPISODES_VISITS = "v.clinic_id = %s AND v.episode_id = %s"
# Keyset paging: the visits after ``before`` in the timeline's order.
_EPISODES_VISITS_BEFORE = (
    "v.clinic_id = %s AND v.episode_id = %s"
    " AND (v.starts_at, v.id) < (SELECT c.starts_at, c.id FROM charting_encounter c WHERE c.id = %s AND c.episode_id = v.episode_id)"
)


def _episode_visits(user: User, visits: str, params: list[Any]) -> list[Visit]:
    """A page of an episode's visits (and one more, to tell whether there are more)."""
    sql, row_type = CLINICAL_VISITS if has_capability(user, Capability.VIEW_CLINICAL) else VISITS
    with connection.cursor() as cursor:
        cursor.execute(sql.format(visits=visits, limit=VISITS_PER_PAGE + 1), [uuid_param(user.clinic_id), *params])
        return visit_records(user, [row_type._make(row) for row in cursor.fetchall()], People())


def visit_records(user: User, rows: list[Any], people: People) -> list[Visit]:
    """Visits from their rows (VISITS' or CLINICAL_VISITS')."""
    clinical = has_capability(user, Capability.VIEW_CLINICAL)
    result = []
    for row in rows:
        visit = Visit(
            pk=uuid_value(row.id),
            episode_id=uuid_value(row.episode_id),
            starts_at=datetime_value(row.starts_at),
            status=row.status,
            reason=row.reason,
            practitioner=people.required(row, "practitioner"),
        )
        if clinical:
            visit.has_note = bool(row.has_note)
            visit.note_subjective = row.note_subjective or ""
            visit.note_signed_at = datetime_value(row.note_signed_at)
            visit.addenda_count = row.addenda_count
            visit.pain_marks = json_value(row.pain_marks)
        result.append(visit)
    return result


def show_newest_notes(visits: list[Visit], rows: list[Any], people: People) -> None:
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


def episode_visits(*, user: User, episode: Episode, before: uuid.UUID | None) -> tuple[list[Visit], bool]:
    """A page of the episode's visits older than ``before`` (one of them), newest first, and
    whether there are older ones still. Their notes are shown as one line each."""
    if before is None:
        page = _episode_visits(user, _EPISODES_VISITS, [uuid_param(episode.pk)])
    else:
        page = _episode_visits(user, _EPISODES_VISITS_BEFORE, [uuid_param(episode.pk), uuid_param(before)])
    return page[:VISITS_PER_PAGE], len(page) > VISITS_PER_PAGE
