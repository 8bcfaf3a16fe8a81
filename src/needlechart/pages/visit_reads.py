"""A chart's visits: the SQL that reads them, and the records the timeline draws from their rows;
and what the visit page reads of one visit, once (``visit_reading``).

The chart reads its newest visits inside its one statement (pages.chart_reads); an episode's
older visits are read here a page at a time, with the same columns. Rows become plain
``Visit`` records, the staff they name ``Person`` records and the newest notes ``NoteOnChart``
records: building model instances cost more than reading the rows.

Why SQL: the chart is the page a clinic opens most, and through the ORM compiling the same
queries again on every request cost more than running them (bench/README.md). The tables and
columns are named from the models' ``_meta`` (core.raw_sql.SqlNames), every value is a parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils.translation import get_language

from needlechart.charting.models import Addendum, Encounter, EncounterStatus, Note, PainMap
from needlechart.charting.signing import SigningStates, note_rows_match, signing_states
from needlechart.clinics.models import User, display_name
from needlechart.core.access import Capability, has_capability
from needlechart.core.raw_sql import SqlNames, datetime_value, json_value, uuid_param, uuid_value
from needlechart.needling.session import SessionState
from needlechart.needling.signing import SIGNING
from needlechart.patients.models import Episode
from needlechart.screening.selectors import Screening, screening_for_patient

VISITS_PER_PAGE = 10
# The newest notes are shown in full on the chart; older ones as one line (open the visit to read them).
FULL_NOTES_ON_CHART = 3


_PERSON = ("first_name", "last_name", "username")  # what a row gives of each person it names


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
    """A visit's whole note as the chart shows its newest ones (charting/_note.html draws it as a Note)."""

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

    def get_status_display(self) -> str:
        """The status's label in the active language, as the model's get_status_display()."""
        return status_labels().get(self.status, self.status)


def status_labels() -> dict[str, str]:
    """Each visit status's label in the active language (a chart shows a dozen: looked up once per language)."""
    return _status_labels(get_language())


@functools.lru_cache(maxsize=8)
def _status_labels(language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in EncounterStatus.choices}


def newest_first(row: Any) -> tuple[dt.datetime | None, str]:
    """The timeline's order, for visits read as JSON (whose arrays keep no order of their own).
    Ids written alike (by one database) sort as their uuids do."""
    return datetime_value(row.starts_at), row.id


# What a visit row holds, by name. Clinicians also get each visit's note, its number of addenda
# and its pain map: the chart shows the newest notes in full and the newest pain map, and both
# are nearly always among the newest visits.
_NOTE_FIELDS = ("subjective", "objective", "assessment", "plan", "signed_at", "digest")
VISIT_NAMES = (
    "id",
    "episode_id",
    "starts_at",
    "status",
    "reason",
    "practitioner_id",
    *(f"practitioner_{name}" for name in _PERSON),
)
CLINICAL_NAMES = (
    *VISIT_NAMES,
    "has_note",
    *(f"note_{name}" for name in _NOTE_FIELDS),
    "note_author_id",
    *(f"note_author_{name}" for name in _PERSON),
    "note_signed_by_id",
    *(f"note_signed_by_{name}" for name in _PERSON),
    "addenda_count",
    "pain_marks",
)
VisitRow = namedtuple("VisitRow", VISIT_NAMES)  # type: ignore[misc]  # names built above
ClinicalVisitRow = namedtuple("ClinicalVisitRow", CLINICAL_NAMES)  # type: ignore[misc]


def row_type(clinical: bool) -> Any:
    """The named tuple of visits_sql's rows (VisitRow, or ClinicalVisitRow for readers of notes)."""
    return ClinicalVisitRow if clinical else VisitRow


def _visit_expressions(clinical: bool) -> list[str]:
    """visits_sql's columns, in VISIT_NAMES' or CLINICAL_NAMES' order, as SQL expressions."""
    E, U, N, D, M = SqlNames(Encounter), SqlNames(User), SqlNames(Note), SqlNames(Addendum), SqlNames(PainMap)
    person = [f"u.{getattr(U, name)}" for name in _PERSON]
    columns = [f"v.{E.pk}", f"v.{E.episode}", f"v.{E.starts_at}", f"v.{E.status}", f"v.{E.reason}", f"v.{E.practitioner}", *person]
    if clinical:
        columns += [
            f"n.{N.pk} IS NOT NULL",
            *(f"n.{getattr(N, name)}" for name in _NOTE_FIELDS),
            f"n.{N.author}",
            *(f"a.{getattr(U, name)}" for name in _PERSON),
            f"n.{N.signed_by}",
            *(f"s.{getattr(U, name)}" for name in _PERSON),
            f"(SELECT COUNT(*) FROM {D} d WHERE d.{D.note} = n.{N.pk})",  # noqa: S608 - names from _meta
            f"m.{M.marks}",
        ]
    return columns


@functools.cache
def visits_sql(vendor: str, clinical: bool, where: str, limit: int) -> str:
    """Visits as the timeline shows them, newest first, with who saw the patient (and, for
    ``clinical`` readers, the note, its authors, its number of addenda and the pain map), where
    ``where`` (about the visit ``v``) holds, at most ``limit``: columns named as row_type(clinical)'s.

    SQL because the timeline is read on every chart: the ORM's select_related of five tables
    and the model instances cost several times the query (bench/README.md).
    """
    E, U, N, M = SqlNames(Encounter), SqlNames(User), SqlNames(Note), SqlNames(PainMap)
    names = CLINICAL_NAMES if clinical else VISIT_NAMES
    select = ", ".join(f"{expression} AS {name}" for expression, name in zip(_visit_expressions(clinical), names, strict=True))
    joins = f"{E} v JOIN {U} u ON u.{U.pk} = v.{E.practitioner}"
    if clinical:
        joins += (
            f"\n  LEFT JOIN {N} n ON n.{N.encounter} = v.{E.pk}"
            f"\n  LEFT JOIN {U} a ON a.{U.pk} = n.{N.author} LEFT JOIN {U} s ON s.{U.pk} = n.{N.signed_by}"
            f"\n  LEFT JOIN {M} m ON m.{M.encounter} = v.{E.pk}"
        )
    return f"SELECT {select}\nFROM {joins}\nWHERE {where}\nORDER BY v.{E.starts_at} DESC, v.{E.pk} DESC\nLIMIT {limit}"  # noqa: S608


def patients_visits(patient: str, clinic: str) -> str:
    """The condition for the visits of the patient (an SQL expression) in the clinic, inside the chart's statement."""
    E = SqlNames(Encounter)
    return f"v.{E.patient} = {patient} AND v.{E.clinic} = {clinic}"


def _episodes_visits(before: bool) -> str:
    """The condition for an episode's visits (parameters: clinic, episode), with ``before`` those
    after a visit (parameter: its id) in the timeline's order (keyset paging)."""
    E = SqlNames(Encounter)
    condition = f"v.{E.clinic} = %s AND v.{E.episode} = %s"
    if before:
        cursor = f"SELECT c.{E.starts_at}, c.{E.pk} FROM {E} c WHERE c.{E.pk} = %s AND c.{E.episode} = v.{E.episode}"  # noqa: S608
        condition += f" AND (v.{E.starts_at}, v.{E.pk}) < ({cursor})"
    return condition


def _episode_visits(user: User, before: uuid.UUID | None, params: list[Any]) -> list[Visit]:
    """A page of an episode's visits (and one more, to tell whether there are more)."""
    clinical = has_capability(user, Capability.VIEW_CLINICAL)
    sql = visits_sql(connection.vendor, clinical, _episodes_visits(before is not None), VISITS_PER_PAGE + 1)
    rows = row_type(clinical)
    with connection.cursor() as cursor:
        cursor.execute(sql, [uuid_param(user.clinic_id), *params])
        return visit_records(user, [rows._make(row) for row in cursor.fetchall()], People())


def visit_records(user: User, rows: list[Any], people: People) -> list[Visit]:
    """Visits from their rows (row_type's)."""
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
    params = [uuid_param(episode.pk)] + ([uuid_param(before)] if before is not None else [])
    page = _episode_visits(user, before, params)
    return page[:VISITS_PER_PAGE], len(page) > VISITS_PER_PAGE


# --- the visit page --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitReading:
    """What the visit page reads of a visit, once: every signing contributor's state (the needling
    panels draw the same state the signed note is verified against), the screening and the pain map."""

    encounter: Encounter
    states: SigningStates
    screening: Screening
    pain_map: PainMap | None

    @property
    def needling(self) -> SessionState:
        state: SessionState = self.states[SIGNING.key]
        return state


def visit_reading(*, user: User, encounter: Encounter) -> VisitReading:
    """The visit's rows for its page: every signing contributor's state (the panels draw them, and a
    signed note is verified against them), the screening and the pain map. The pain map is read
    through the encounter, which keeps it (or its absence) for the note's verification."""
    try:
        pain_map: PainMap | None = encounter.pain_map
    except PainMap.DoesNotExist:
        pain_map = None
    screening = screening_for_patient(user=user, patient=encounter.patient)
    return VisitReading(encounter, signing_states(encounter), screening, pain_map)


def note_verified(note: Note, reading: VisitReading) -> bool:
    """Whether the signed note still matches its digest and the visit's rows: what
    ``charting.services.signed_record_verify`` answers, from the states the page has read rather
    than reading every contributor's rows a second time (tests/pages/test_visit_page.py checks that
    the two agree, on a note intact and on one altered behind the database's guards)."""
    if not note.is_signed or not note.digest_matches():
        return False
    if note.encounter_id == reading.encounter.pk:
        note.encounter = reading.encounter  # the visit as read for the page, with its practitioner and pain map
    return note_rows_match(note, reading.states)
