"""The calendar's prepared rows (an appointment, a visit booked outside the calendar) and their
reads for a span, each in one plain SQL statement (``scheduling.selectors.calendar_read`` asks
for them within the reader's clinic)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import connection
from django.db.models import DateTimeField

from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.core.raw_sql import SqlNames, datetime_value, uuid_param, uuid_value
from needlechart.patients.models import Patient
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, AppointmentType, Room
from needlechart.scheduling.slots import Span

# A visit booked outside the calendar (charting's "Book visit") takes its practitioner's time too;
# none is longer than this, so reading visits that start this much before a span finds them all.
LONGEST_VISIT = dt.timedelta(minutes=480)

# No appointment takes longer than the longest type with the most time kept free after it (the
# types' validators), so reading appointments that start this much before a span finds them all.
LONGEST_APPOINTMENT = dt.timedelta(minutes=480 + 120)


@dataclass(frozen=True, slots=True)
class TakenTime:
    """An appointment as a free-time search reads it: whose time and which room it holds, and when."""

    kind: ClassVar[str] = "appointment"
    pk: uuid.UUID
    practitioner_id: int
    room_id: uuid.UUID | None
    patient_id: uuid.UUID
    starts_at: dt.datetime
    blocked_until: dt.datetime
    status: str


@dataclass(frozen=True, slots=True)
class BookedTime(TakenTime):
    """An appointment as a calendar page reads it: its time and the names the page shows."""

    ends_at: dt.datetime
    patient_name: str
    type_name_en: str
    type_name_nb: str
    room_name: str

    def type_name_in(self, language: str | None) -> str:
        return self.type_name_nb if language == "nb" and self.type_name_nb else self.type_name_en

    def get_status_display(self) -> str:
        return str(AppointmentStatus(self.status).label)


@dataclass(frozen=True, slots=True)
class OutsideVisit:
    """A visit booked outside the calendar, as the calendar reads it."""

    kind: ClassVar[str] = "visit"
    pk: uuid.UUID
    practitioner_id: int
    patient_id: uuid.UUID
    starts_at: dt.datetime
    duration_minutes: int
    patient_name: str = ""
    reason: str = ""

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


_A, _P, _T, _R = SqlNames(Appointment), SqlNames(Patient), SqlNames(AppointmentType), SqlNames(Room)
_E = SqlNames(Encounter)
_DATETIME = DateTimeField()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _when(vendor: str, column: str) -> str:
    """A datetime column as the reads select it: PostgreSQL's as whole microseconds since 1970 (a
    bigint), SQLite's as the text it stores (naive, UTC), both made aware datetimes by ``Moments``.

    Measured (issue 16): Django has psycopg load each timestamptz through a loader of its own in
    Python (``register_tzloader``), ~3 µs a value, and SQLite's through ``parse_datetime`` after a
    decode; a clinic week reads ~1,000 of them, a search ~700, at a few hundred different moments
    (appointments start and end on the grid). A bigint or a text costs the driver almost nothing,
    and each moment is then made once a read."""
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS bigint)" if vendor == "postgresql" else f"CAST({column} AS TEXT)"


class Moments:
    """The values of ``_when`` columns as aware datetimes in UTC (what the ORM gives), each
    different value made once (a read's rows share most of their moments)."""

    __slots__ = ("_made",)

    def __init__(self) -> None:
        self._made: dict[int | str, dt.datetime] = {}

    def __call__(self, value: int | str) -> dt.datetime:
        made = self._made.get(value)
        if made is None:
            made = self._made[value] = (
                _EPOCH + dt.timedelta(microseconds=value) if isinstance(value, int) else datetime_value(value).astimezone(dt.UTC)
            )
        return made


class _Rooms:
    """Room ids as UUIDs, each made once a read (a clinic has a few rooms; a week ~270 appointments)."""

    __slots__ = ("_made",)

    def __init__(self) -> None:
        self._made: dict[Any, uuid.UUID | None] = {None: None}

    def __call__(self, value: uuid.UUID | str | None) -> uuid.UUID | None:
        made = self._made.get(value, self)
        if made is self:
            made = self._made[value] = uuid_value(value)  # type: ignore[arg-type]  # None is kept from the start
        return made  # type: ignore[return-value]  # self is only the marker of a value not made yet


def _moment(value: dt.datetime) -> Any:
    """An aware datetime as a parameter, as Django stores it (SQLite: text in UTC)."""
    return _DATETIME.get_db_prep_value(value, connection)


@functools.cache
def _appointments_sql(vendor: str, names: bool) -> str:
    """The span's appointments in one statement: the search's columns (``TakenTime``'s order),
    with ``names`` the end and the names a page shows (patient, type, room) joined in (``vendor``:
    the names are quoted as this database quotes them)."""
    starts_at, blocked_until = _when(vendor, f"a.{_A.starts_at}"), _when(vendor, f"a.{_A.blocked_until}")
    columns = f"a.{_A.pk}, a.{_A.practitioner}, a.{_A.room}, a.{_A.patient}, {starts_at}, {blocked_until}, a.{_A.status}"
    tables = f"{_A} a"
    if names:
        ends_at = _when(vendor, f"a.{_A.ends_at}")
        columns += f", {ends_at}, p.{_P.given_name}, p.{_P.family_name}, t.{_T.name_en}, t.{_T.name_nb}, r.{_R.name}"
        tables += f" JOIN {_P} p ON p.{_P.pk} = a.{_A.patient} JOIN {_T} t ON t.{_T.pk} = a.{_A.appointment_type}"
        tables += f" LEFT JOIN {_R} r ON r.{_R.pk} = a.{_A.room}"
    return (
        f"SELECT {columns} FROM {tables}"  # noqa: S608 - names from _meta, values as parameters
        f" WHERE a.{_A.clinic} = %s AND a.{_A.starts_at} < %s AND a.{_A.starts_at} > %s AND a.{_A.blocked_until} > %s"
        f" ORDER BY a.{_A.starts_at}, a.{_A.pk}"
    )


def appointments_in(clinic_id: uuid.UUID, span: Span, *, names: bool) -> list[TakenTime]:
    """The clinic's appointments that overlap ``span``, as prepared rows (``TakenTime``, with
    ``names`` ``BookedTime``), read in one plain SQL statement.

    Measured (issue 16, a clinic week of ~270 appointments on SQLite): ``values_list`` took ~4 ms
    a read, most of it building the query and Django's per-value converters; the same columns by
    plain SQL take ~0.9 ms. The table and column names come from the models' ``_meta``, the
    parameters are prepared by their own fields (``get_db_prep_value``: SQLite's uuids and UTC
    datetimes as Django stores them), and each value is made what the ORM returns (a UUID, an
    aware datetime: ``_when`` and ``Moments``; the few rooms' ids once each). ``tests/scheduling/test_calendar_reads``
    checks the rows against the ORM's on both databases."""
    params = [uuid_param(clinic_id), _moment(span.end), _moment(span.start - LONGEST_APPOINTMENT), _moment(span.start)]
    with connection.cursor() as cursor:
        cursor.execute(_appointments_sql(connection.vendor, names), params)
        rows = cursor.fetchall()
    when, room_of = Moments(), _Rooms()
    if not names:
        return [
            TakenTime(uuid_value(pk), practitioner, room_of(room_id), uuid_value(patient_id), when(starts_at), when(until), status)
            for pk, practitioner, room_id, patient_id, starts_at, until, status in rows
        ]
    return [
        BookedTime(
            uuid_value(pk),
            practitioner_id,
            room_of(room_id),
            uuid_value(patient_id),
            when(starts_at),
            when(until),
            status,
            when(ends_at),
            f"{given} {family}",
            name_en,
            name_nb,
            room or "",
        )
        for pk, practitioner_id, room_id, patient_id, starts_at, until, status, ends_at, given, family, name_en, name_nb, room in rows
    ]


@functools.cache
def _visits_sql(vendor: str, names: bool, practitioners: int) -> str:
    """The visits of ``practitioners`` practitioners booked outside the calendar (no appointment
    has them as its visit) and not cancelled, in one statement; with ``names`` the patient's name and the reason."""
    columns = f"e.{_E.pk}, e.{_E.practitioner}, e.{_E.patient}, {_when(vendor, f'e.{_E.starts_at}')}, e.{_E.duration_minutes}"
    tables = f"{_E} e LEFT JOIN {_A} a ON a.{_A.encounter} = e.{_E.pk}"
    if names:
        columns += f", p.{_P.given_name}, p.{_P.family_name}, e.{_E.reason}"
        tables += f" JOIN {_P} p ON p.{_P.pk} = e.{_E.patient}"
    return (
        f"SELECT {columns} FROM {tables}"  # noqa: S608 - names from _meta, values as parameters
        f" WHERE e.{_E.clinic} = %s AND e.{_E.practitioner} IN ({', '.join(['%s'] * practitioners)})"
        f" AND e.{_E.starts_at} < %s AND e.{_E.starts_at} > %s AND e.{_E.status} <> %s AND a.{_A.pk} IS NULL"
        f" ORDER BY e.{_E.starts_at}, e.{_E.pk}"
    )


def _visit_rows(clinic_id: uuid.UUID, span: Span, practitioner_ids: Sequence[int], *, names: bool) -> list[tuple[Any, ...]]:
    params = [
        uuid_param(clinic_id),
        *practitioner_ids,
        _moment(span.end),
        _moment(span.start - LONGEST_VISIT),
        EncounterStatus.CANCELLED.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_visits_sql(connection.vendor, names, len(practitioner_ids)), params)
        return cursor.fetchall()


def outside_visits_in(clinic_id: uuid.UUID, span: Span, practitioner_ids: Sequence[int], *, names: bool) -> list[OutsideVisit]:
    """The visits booked outside the calendar that overlap ``span``, by plain SQL as ``appointments_in``
    reads (the ORM's query with its exclusion and reverse join cost ~1.3 ms a read, this ~0.3 ms)."""
    if not practitioner_ids:
        return []
    rows, when = _visit_rows(clinic_id, span, practitioner_ids, names=names), Moments()
    if names:
        visits = [
            OutsideVisit(uuid_value(pk), practitioner, uuid_value(patient_id), when(starts_at), minutes, f"{given} {family}", reason)
            for pk, practitioner, patient_id, starts_at, minutes, given, family, reason in rows
        ]
    else:
        visits = [
            OutsideVisit(uuid_value(pk), practitioner, uuid_value(patient_id), when(starts_at), minutes)
            for pk, practitioner, patient_id, starts_at, minutes in rows
        ]
    return [visit for visit in visits if visit.ends_at > span.start]


@dataclass(frozen=True)
class HeldTimes:
    """What a free-time search needs of a span, and nothing else: the time each practitioner's
    booked or arrived appointments (with the time kept free after each) and outside visits take,
    and the time each room's appointments take."""

    by_practitioner: dict[int, list[Span]]
    by_room: dict[uuid.UUID, list[Span]]


@functools.cache
def _held_sql(vendor: str, statuses: int) -> str:
    """The span's appointments that hold time (of ``statuses`` statuses), only the columns a search
    uses: whose, which room, the patient (as the database gives it: only compared), start, blocked-until."""
    return (
        f"SELECT a.{_A.practitioner}, a.{_A.room}, a.{_A.patient}, {_when(vendor, f'a.{_A.starts_at}')},"  # noqa: S608 - names from _meta
        f" {_when(vendor, f'a.{_A.blocked_until}')} FROM {_A} a"
        f" WHERE a.{_A.clinic} = %s AND a.{_A.starts_at} < %s AND a.{_A.starts_at} > %s AND a.{_A.blocked_until} > %s"
        f" AND a.{_A.status} IN ({', '.join(['%s'] * statuses)})"
    )


def held_in(clinic_id: uuid.UUID, span: Span, practitioner_ids: Sequence[int]) -> HeldTimes:
    """The time taken in ``span`` as a free-time search sees it (what ``selectors.diaries`` and
    ``rooms_taken`` make of ``appointments_in`` and ``outside_visits_in``), in two plain SQL
    statements that read only the columns a search uses.

    Measured (issue 16, "first available" on SQLite): the search's read made ~840 UUIDs a request
    (each appointment's id and patient, each visit's), which nothing in a search uses but to
    compare; here the patients are compared as the database gives them, no id is read, the rooms'
    few ids are made once each, and cancelled appointments are left to the database. A visit booked
    outside the calendar with a booked or arrived appointment for the same patient, practitioner
    and time is that appointment's own visit and counted once, as ``selectors.calendar_read`` does."""
    statuses = [str(status) for status in ACTIVE_STATUSES]
    params = [uuid_param(clinic_id), _moment(span.end), _moment(span.start - LONGEST_APPOINTMENT), _moment(span.start), *statuses]
    with connection.cursor() as cursor:
        cursor.execute(_held_sql(connection.vendor, len(statuses)), params)
        rows = cursor.fetchall()
    when, room_of = Moments(), _Rooms()
    by_practitioner: dict[int, list[Span]] = {}
    by_room: dict[uuid.UUID, list[Span]] = {}
    booked = set()
    for practitioner_id, room_id, patient_id, starts_at, until in rows:
        taken = Span(when(starts_at), when(until))
        by_practitioner.setdefault(practitioner_id, []).append(taken)
        room = room_of(room_id)
        if room is not None:
            by_room.setdefault(room, []).append(taken)
        booked.add((patient_id, practitioner_id, taken.start))
    if practitioner_ids:
        for _pk, practitioner_id, patient_id, starts_at, minutes in _visit_rows(clinic_id, span, practitioner_ids, names=False):
            start = when(starts_at)
            if (patient_id, practitioner_id, start) not in booked:
                end = start + dt.timedelta(minutes=minutes)
                if end > span.start:
                    by_practitioner.setdefault(practitioner_id, []).append(Span(start, end))
    return HeldTimes(by_practitioner, by_room)
