"""Reads of the calendar, always within the reader's clinic (missing and another clinic's: 404).

``calendar_read`` reads everything a calendar page or a free-time search needs for a span in a
fixed number of queries (the appointments of the whole clinic, for the rooms' times; the working
hours, the exceptions, and the visits booked outside the calendar), and ``diaries`` turns it into
the inputs of the pure free-time computation (``scheduling.slots``).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of, practitioners_for_clinic
from needlechart.core.raw_sql import SqlNames, uuid_param
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CalendarSettings,
    CalendarVersion,
    Room,
    ScheduleException,
    WorkingHours,
)
from needlechart.scheduling.slots import Diary, Span, TimeOff, WeeklyHours
from needlechart.scheduling.span_rows import HeldTimes, OutsideVisit, TakenTime, appointments_in, held_in, outside_visits_in

_Row = TypeVar("_Row", bound=Model)


def calendar_settings(clinic_id: uuid.UUID) -> CalendarSettings:
    """The clinic's settings (the defaults, unsaved, for a clinic that has none)."""
    return CalendarSettings.objects.filter(clinic_id=clinic_id).first() or CalendarSettings(clinic_id=clinic_id)


def zone_of(calendar: CalendarSettings) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(calendar.time_zone or settings.TIME_ZONE)


def clinic_zone(clinic_id: uuid.UUID) -> zoneinfo.ZoneInfo:
    """The clinic's time zone: its own, else the server's (settings.TIME_ZONE)."""
    return zone_of(calendar_settings(clinic_id))


def _get(rows: QuerySet[_Row], row_id: uuid.UUID | int | str) -> _Row:
    try:
        return rows.get(pk=row_id)
    except (rows.model.DoesNotExist, ValueError) as exc:  # type: ignore[attr-defined]  # every model has DoesNotExist
        raise Http404 from exc


def calendar_practitioners(*, user: User) -> QuerySet[User]:
    require(user, CalendarAction.VIEW)
    return practitioners_for_clinic(user=user)


def practitioner_get_for_user(*, user: User, practitioner_id: int | str) -> User:
    return _get(calendar_practitioners(user=user), practitioner_id)


def rooms_for_user(*, user: User, active_only: bool = True) -> QuerySet[Room]:
    require(user, CalendarAction.VIEW)
    rooms = Room.objects.filter(clinic_id=clinic_id_of(user))
    return rooms.filter(active=True) if active_only else rooms


def room_get_for_user(*, user: User, room_id: uuid.UUID | str) -> Room:
    return _get(rooms_for_user(user=user, active_only=False), room_id)


def appointment_types_for_user(*, user: User, active_only: bool = True) -> QuerySet[AppointmentType]:
    require(user, CalendarAction.VIEW)
    types = AppointmentType.objects.filter(clinic_id=clinic_id_of(user))
    return types.filter(active=True) if active_only else types


def appointment_type_get_for_user(*, user: User, appointment_type_id: uuid.UUID | str) -> AppointmentType:
    return _get(appointment_types_for_user(user=user, active_only=False), appointment_type_id)


def working_hours_for_user(*, user: User, practitioner: User | None = None) -> QuerySet[WorkingHours]:
    require(user, CalendarAction.VIEW)
    hours = WorkingHours.objects.filter(clinic_id=clinic_id_of(user)).select_related("room")
    return hours if practitioner is None else hours.filter(practitioner=practitioner)


def working_hours_get_for_user(*, user: User, working_hours_id: uuid.UUID | str) -> WorkingHours:
    return _get(working_hours_for_user(user=user), working_hours_id)


def exceptions_for_user(*, user: User, practitioner: User | None = None, from_day: dt.date | None = None) -> QuerySet[ScheduleException]:
    """Exceptions of the clinic (``practitioner``: theirs and the whole clinic's), ending on ``from_day`` or later."""
    require(user, CalendarAction.VIEW)
    rows = ScheduleException.objects.filter(clinic_id=clinic_id_of(user)).select_related("practitioner")
    if practitioner is not None:
        rows = rows.filter(Q(practitioner=practitioner) | Q(practitioner__isnull=True))
    return rows if from_day is None else rows.filter(last_day__gte=from_day)


def schedule_exception_get_for_user(*, user: User, schedule_exception_id: uuid.UUID | str) -> ScheduleException:
    return _get(exceptions_for_user(user=user), schedule_exception_id)


def appointments_for_user(*, user: User) -> QuerySet[Appointment]:
    require(user, CalendarAction.VIEW)
    return Appointment.objects.filter(clinic_id=clinic_id_of(user)).select_related(
        "patient", "practitioner", "room", "appointment_type", "encounter"
    )


def appointment_get_for_user(*, user: User, appointment_id: uuid.UUID | str) -> Appointment:
    return _get(appointments_for_user(user=user), appointment_id)


def series_of(*, user: User, appointment: Appointment) -> list[Appointment]:
    """The appointments of ``appointment``'s weekly series (none for a single appointment)."""
    if appointment.series_id is None:
        return []
    return list(appointments_for_user(user=user).filter(series_id=appointment.series_id).order_by("starts_at"))


@dataclass
class CalendarRead:
    """What a span of the calendar holds, read once for a page or a free-time search."""

    span: Span
    zone: zoneinfo.ZoneInfo
    calendar: CalendarSettings
    appointments: list[TakenTime]  # of the whole clinic, every status, by start (``BookedTime`` with names)
    visits: list[OutsideVisit]  # booked outside the calendar (and no appointment's), not cancelled
    hours: dict[int, list[WeeklyHours]] = field(default_factory=dict)  # by practitioner, in weekday and start order
    exceptions: list[ScheduleException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._appointments_by: dict[int, list[TakenTime]] = defaultdict(list)
        for appointment in self.appointments:
            self._appointments_by[appointment.practitioner_id].append(appointment)
        self._visits_by: dict[int, list[OutsideVisit]] = defaultdict(list)
        for visit in self.visits:
            self._visits_by[visit.practitioner_id].append(visit)

    def appointments_of(self, practitioner_id: int) -> list[TakenTime]:
        return self._appointments_by.get(practitioner_id, [])

    def visits_of(self, practitioner_id: int) -> list[OutsideVisit]:
        return self._visits_by.get(practitioner_id, [])

    def exceptions_of(self, practitioner_id: int) -> list[ScheduleException]:
        return [e for e in self.exceptions if e.practitioner_id in (None, practitioner_id)]


_V = SqlNames(CalendarVersion)


@dataclass(frozen=True)
class CalendarFrame:
    """What decides free times besides what is taken: the practitioners' week templates and the
    exceptions of the days around a span. A search in parts reads it once for all its parts."""

    span: Span
    practitioner_ids: tuple[int, ...]
    hours: dict[int, list[WeeklyHours]]  # by practitioner, in weekday and start order
    exceptions: list[ScheduleException]

    def holds(self, span: Span, practitioner_ids: Sequence[int]) -> bool:
        return self.span.start <= span.start and span.end <= self.span.end and set(practitioner_ids) <= set(self.practitioner_ids)


@dataclass(frozen=True)
class _ClinicFrame:
    """Every working hours row and exception of a clinic, as read at one calendar version."""

    token: str
    hours: dict[int, list[WeeklyHours]]  # by practitioner, in weekday and start order
    exceptions: list[ScheduleException]  # by first day


# By clinic: what its hours and exceptions were at its version's token (one entry a clinic, a few hundred clinics at most).
_FRAMES: dict[uuid.UUID, _ClinicFrame] = {}
_FRAMES_KEPT = 256


def _version_token(clinic_id: uuid.UUID) -> str | None:
    """The clinic's calendar version now (``CalendarVersion``; None before its first hours or exception)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_V.token} FROM {_V} WHERE {_V.clinic_id} = %s", [uuid_param(clinic_id)])  # noqa: S608 - names from _meta
        row = cursor.fetchone()
    return row[0] if row else None


def _clinic_frame(clinic_id: uuid.UUID) -> _ClinicFrame:
    """The clinic's hours and exceptions: kept from an earlier read while its version's token is the
    same, else read (the token first, so what is kept is at least as new as the token it is kept under).

    Measured (issue 16): reading them took two queries and ~1.8 ms of every calendar page and
    search; the token is one query of ~0.2 ms. The database changes the token on every write to
    either table (``db_versions``: triggers, so a bulk update or plain SQL too), and a token rolled
    back with its write never comes back, so a kept frame is never one the database no longer holds.
    ``tests/scheduling/test_calendar_version`` writes each way and reads the change at once."""
    token = _version_token(clinic_id)
    kept = _FRAMES.get(clinic_id)
    if token is not None and kept is not None and kept.token == token:
        return kept
    hours: dict[int, list[WeeklyHours]] = defaultdict(list)
    rows = WorkingHours.objects.filter(clinic_id=clinic_id).order_by("weekday", "start_time", "pk")
    for practitioner_id, weekday, start, end, room_id in rows.values_list(
        "practitioner_id", "weekday", "start_time", "end_time", "room_id"
    ):
        hours[practitioner_id].append(WeeklyHours(weekday, start, end, room_id))
    exceptions = list(ScheduleException.objects.filter(clinic_id=clinic_id).order_by("first_day", "pk"))
    frame = _ClinicFrame(token or "", dict(hours), exceptions)
    if token is not None:
        if len(_FRAMES) >= _FRAMES_KEPT and clinic_id not in _FRAMES:
            _FRAMES.pop(next(iter(_FRAMES), clinic_id), None)  # the longest kept
        _FRAMES[clinic_id] = frame
    return frame


def calendar_frame(*, user: User, span: Span, practitioner_ids: Sequence[int], zone: zoneinfo.ZoneInfo) -> CalendarFrame:
    """The working hours of ``practitioner_ids`` and the exceptions (theirs and the clinic's) of the
    days ``span`` touches, from the clinic's frame at its calendar version (``_clinic_frame``)."""
    require(user, CalendarAction.VIEW)
    clinic = _clinic_frame(clinic_id_of(user))
    wanted = set(practitioner_ids)
    hours = {pid: list(rows) for pid, rows in clinic.hours.items() if pid in wanted}  # lists of their own: the kept ones stay as read
    first_day = span.start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = span.end.astimezone(zone).date() + dt.timedelta(days=1)
    exceptions = [
        e
        for e in clinic.exceptions
        if e.first_day <= last_day and e.last_day >= first_day and (e.practitioner_id is None or e.practitioner_id in wanted)
    ]
    return CalendarFrame(span, tuple(practitioner_ids), hours, exceptions)


def calendar_read(
    *,
    user: User,
    span: Span,
    practitioner_ids: Sequence[int],
    calendar: CalendarSettings | None = None,
    names: bool = False,
    frame: CalendarFrame | None = None,
) -> CalendarRead:
    """The clinic's appointments in ``span`` and the hours, exceptions and outside visits of
    ``practitioner_ids``: the columns free times need, and with ``names`` what a page shows of them
    (the patient's name, the type's, the room's; a visit's reason). ``frame``: the hours and
    exceptions read before for a span that holds this one (a search in parts), not read again."""
    clinic_id, calendar, zone, frame = _read_setting(user, span, practitioner_ids, calendar, frame)
    appointments = appointments_in(clinic_id, span, names=names)
    visits = outside_visits_in(clinic_id, span, practitioner_ids, names=names)
    # A visit booked outside the calendar with an appointment for the same patient, practitioner and
    # time is that appointment's visit (it is linked on arrival): one booking, shown once.
    booked = {(a.patient_id, a.practitioner_id, a.starts_at) for a in appointments if a.status in ACTIVE_STATUSES}
    visits = [v for v in visits if (v.patient_id, v.practitioner_id, v.starts_at) not in booked]
    return CalendarRead(span, zone, calendar, appointments, visits, frame.hours, frame.exceptions)


def _read_setting(
    user: User, span: Span, practitioner_ids: Sequence[int], calendar: CalendarSettings | None, frame: CalendarFrame | None
) -> tuple[uuid.UUID, CalendarSettings, zoneinfo.ZoneInfo, CalendarFrame]:
    """What a read of a span stands on, for a reader allowed to see the calendar: the clinic, its
    settings and zone, and the hours and exceptions (``frame``, reused when it holds the span)."""
    require(user, CalendarAction.VIEW)
    clinic_id = clinic_id_of(user)
    calendar = calendar or calendar_settings(clinic_id)
    zone = zone_of(calendar)
    if frame is None or not frame.holds(span, practitioner_ids):
        frame = calendar_frame(user=user, span=span, practitioner_ids=practitioner_ids, zone=zone)
    return clinic_id, calendar, zone, frame


@dataclass(frozen=True)
class FreeTimeRead:
    """What a free-time search needs of a span (``free_time_read``): ``calendar_read`` without the
    rows, only the time they take (``span_rows.HeldTimes``)."""

    span: Span
    zone: zoneinfo.ZoneInfo
    calendar: CalendarSettings
    held: HeldTimes
    hours: dict[int, list[WeeklyHours]]  # by practitioner, in weekday and start order
    exceptions: list[ScheduleException]

    def exceptions_of(self, practitioner_id: int) -> list[ScheduleException]:
        return [e for e in self.exceptions if e.practitioner_id in (None, practitioner_id)]


def free_time_read(
    *,
    user: User,
    span: Span,
    practitioner_ids: Sequence[int],
    calendar: CalendarSettings | None = None,
    frame: CalendarFrame | None = None,
) -> FreeTimeRead:
    """What ``calendar_read`` reads for a free-time search, read as the search uses it (``span_rows.held_in``):
    the same free times, at a fraction of the rows' cost. Not for a search that leaves an appointment
    out (a move): it has no appointment's id."""
    clinic_id, calendar, zone, frame = _read_setting(user, span, practitioner_ids, calendar, frame)
    return FreeTimeRead(span, zone, calendar, held_in(clinic_id, span, practitioner_ids), frame.hours, frame.exceptions)


def taken_span(appointment: TakenTime) -> Span:
    return Span(appointment.starts_at, appointment.blocked_until)


def _time_off(read: CalendarRead | FreeTimeRead, practitioner_id: int) -> list[TimeOff]:
    return [TimeOff(e.first_day, e.last_day, e.start_time, e.end_time) for e in read.exceptions_of(practitioner_id)]


def diaries(read: CalendarRead | FreeTimeRead, practitioner_ids: Sequence[int], *, leaving_out: uuid.UUID | None = None) -> list[Diary]:
    """The free-time inputs of each practitioner, in the order given (``leaving_out``: an appointment
    being moved, whose own time is free for it; only from a ``CalendarRead``, which has the ids)."""
    result = []
    for practitioner_id in practitioner_ids:
        if isinstance(read, FreeTimeRead):
            if leaving_out is not None:
                raise ValueError("a FreeTimeRead has no appointment ids: leave one out from a calendar_read")
            taken = list(read.held.by_practitioner.get(practitioner_id, []))
        else:
            taken = [taken_span(a) for a in read.appointments_of(practitioner_id) if a.status in ACTIVE_STATUSES and a.pk != leaving_out]
            taken += [Span(v.starts_at, v.ends_at) for v in read.visits_of(practitioner_id)]
        result.append(
            Diary(
                practitioner_id=practitioner_id,
                hours=read.hours.get(practitioner_id, []),
                time_off=_time_off(read, practitioner_id),
                taken=taken,
            )
        )
    return result


def rooms_taken(read: CalendarRead | FreeTimeRead, *, leaving_out: uuid.UUID | None = None) -> dict[uuid.UUID, list[Span]]:
    if isinstance(read, FreeTimeRead):
        if leaving_out is not None:
            raise ValueError("a FreeTimeRead has no appointment ids: leave one out from a calendar_read")
        return {room: list(spans) for room, spans in read.held.by_room.items()}  # lists of their own: callers add holds
    taken: dict[uuid.UUID, list[Span]] = defaultdict(list)
    for appointment in read.appointments:
        if appointment.room_id and appointment.status in ACTIVE_STATUSES and appointment.pk != leaving_out:
            taken[appointment.room_id].append(taken_span(appointment))
    return dict(taken)


def booked_for_day_list(*, user: User, start: dt.datetime, end: dt.datetime, practitioner: User | None = None) -> list[Appointment]:
    """The booked appointments starting in [start, end) that are not yet visits (the day list shows them beside the visits)."""
    rows = appointments_for_user(user=user).filter(
        starts_at__gte=start, starts_at__lt=end, status=AppointmentStatus.BOOKED, encounter__isnull=True
    )
    return list(rows if practitioner is None else rows.filter(practitioner=practitioner))


def booked_appointments_of_visits(*, user: User, encounter_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The booked appointment (by id) of each of these visits that has one (a visit opened before the
    patient arrived): the day list records their arrival through the appointment."""
    rows = appointments_for_user(user=user).filter(encounter_id__in=encounter_ids, status=AppointmentStatus.BOOKED)
    return {encounter_id: pk for pk, encounter_id in rows.values_list("pk", "encounter_id")}
