"""Free times: when a practitioner, or the first of several, can take an appointment.

A pure function of what it is given (no database, no clock): the practitioners' week templates
and exceptions in the clinic's wall-clock time, the moments already taken (their appointments
with the time kept free after each, and visits booked outside the calendar), the rooms' taken
moments, and the request: the appointment's length and the time to keep free after it, the step
between offered times, the window asked about, now, the minimum notice and the horizon.

A time is offered when the appointment *and* the time kept free after it lie inside one interval
of the practitioner's working hours that day, outside every exception, and overlap nothing the
practitioner or the room has taken. Offered times start on the step's grid counted from the
start of the working interval (09:00, 09:15, ... for a 15-minute step), in wall-clock time, so a
week across a daylight-saving change offers 09:00 on both sides of it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open interval [start, end) of aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One interval of a week template: weekday (Monday 0), wall-clock start and end, its room."""

    weekday: int
    start: dt.time
    end: dt.time
    room_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class TimeOff:
    """An exception: whole days from ``first_day`` to ``last_day``, or the same hours on each."""

    first_day: dt.date
    last_day: dt.date
    start: dt.time | None = None
    end: dt.time | None = None


@dataclass(frozen=True, slots=True)
class Diary:
    """What decides one practitioner's free times."""

    practitioner_id: int
    hours: Sequence[WeeklyHours]
    time_off: Sequence[TimeOff] = ()
    taken: Sequence[Span] = ()


@dataclass(frozen=True, slots=True)
class SlotQuery:
    length: dt.timedelta
    buffer: dt.timedelta
    window: Span  # the times asked about (a day, a week, four weeks)
    now: dt.datetime
    step: dt.timedelta = dt.timedelta(minutes=15)
    notice: dt.timedelta = dt.timedelta(0)  # nothing sooner than now + notice
    horizon: dt.timedelta | None = None  # nothing later than now + horizon
    room_id: uuid.UUID | None = None  # a room the appointment needs; else the working hours' room


@dataclass(frozen=True, slots=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    blocked_until: dt.datetime  # the end plus the time kept free after it
    practitioner_id: int
    room_id: uuid.UUID | None


def wall_clock(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The moment (UTC) the clocks of ``zone`` show ``time`` on ``day``. A time that does not exist
    (skipped by the spring change) is read with the offset before the change, and one that happens
    twice (the autumn change) as its first occurrence (``fold=0``), as zoneinfo reads them."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


class _Taken:
    """Taken spans, sorted, for quick lookup of those overlapping an interval."""

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = sorted(spans)
        self.starts = [span.start for span in self.spans]
        self.longest = max((span.end - span.start for span in self.spans), default=dt.timedelta(0))

    def overlapping(self, interval: Span) -> list[Span]:
        found = []
        index = bisect.bisect_left(self.starts, interval.end) - 1
        earliest = interval.start - self.longest
        while index >= 0 and self.spans[index].start >= earliest:
            if self.spans[index].end > interval.start:
                found.append(self.spans[index])
            index -= 1
        return found


_NO_TAKEN = _Taken(())


def _free_parts(interval: Span, taken: list[Span]) -> list[Span]:
    """``interval`` less every span of ``taken``."""
    parts, cursor = [], interval.start
    for span in sorted(taken):
        if span.start > cursor:
            parts.append(Span(cursor, min(span.start, interval.end)))
        cursor = max(cursor, span.end)
        if cursor >= interval.end:
            break
    if cursor < interval.end:
        parts.append(Span(cursor, interval.end))
    return [part for part in parts if part.start < part.end]


def _off_on(day: dt.date, time_off: Sequence[TimeOff], zone: ZoneInfo) -> list[Span] | None:
    """The exceptions' spans on ``day``; None when the whole day is off."""
    spans = []
    for off in time_off:
        if off.first_day <= day <= off.last_day:
            if off.start is None or off.end is None:
                return None
            spans.append(Span(wall_clock(day, off.start, zone), wall_clock(day, off.end, zone)))
    return spans


class _Search:
    """What a search works from, prepared once however many practitioners and days it looks at:
    the bounds that now, the notice and the horizon set, and the rooms' taken times, sorted."""

    def __init__(self, query: SlotQuery, zone: ZoneInfo, room_taken: Mapping[uuid.UUID, Sequence[Span]] | None) -> None:
        self.query, self.zone = query, zone
        self.earliest = max(query.window.start, query.now + query.notice)
        self.latest = query.window.end if query.horizon is None else min(query.window.end, query.now + query.horizon)
        self.needed = query.length + query.buffer
        self.rooms = {room: _Taken(spans) for room, spans in (room_taken or {}).items()}

    @property
    def empty(self) -> bool:
        return self.latest <= self.earliest or self.query.length <= dt.timedelta(0) or self.query.step <= dt.timedelta(0)

    def days(self) -> list[dt.date]:
        # A day's working hours may begin before ``earliest`` in UTC and after it in wall-clock time
        # (or the reverse): look one day either side and let the window decide.
        first_day = self.earliest.astimezone(self.zone).date() - dt.timedelta(days=1)
        last_day = self.latest.astimezone(self.zone).date() + dt.timedelta(days=1)
        return list(_days(first_day, last_day))


class _Practitioner:
    """One practitioner's diary, prepared for a search: the week template by weekday, the taken times sorted."""

    def __init__(self, diary: Diary) -> None:
        self.diary = diary
        self.own = _Taken(diary.taken)
        self.by_weekday: dict[int, list[WeeklyHours]] = {}
        for hours in sorted(diary.hours, key=lambda h: h.start):
            self.by_weekday.setdefault(hours.weekday, []).append(hours)

    def slots_on(self, day: dt.date, search: _Search) -> list[Slot]:
        """The free times of the working hours of ``day`` (wall-clock), in order."""
        todays = self.by_weekday.get(day.weekday())
        if not todays:
            return []
        zone, query = search.zone, search.query
        off = _off_on(day, self.diary.time_off, zone)
        if off is None:
            return []
        slots: list[Slot] = []
        for hours in todays:
            opens, closes = wall_clock(day, hours.start, zone), wall_clock(day, hours.end, zone)
            if closes <= opens:
                continue
            working = Span(opens, closes)
            room = query.room_id or hours.room_id
            blocked = [*off, *self.own.overlapping(working), *(search.rooms.get(room, _NO_TAKEN).overlapping(working) if room else [])]
            for part in _free_parts(working, blocked):
                # The first time on the grid counted from ``opens`` at or after the part's start.
                steps = -((opens - part.start) // query.step)
                start = opens + steps * query.step
                while start + search.needed <= part.end and start < search.latest:
                    if start >= search.earliest:
                        slots.append(Slot(start, start + query.length, start + search.needed, self.diary.practitioner_id, room))
                    start += query.step
        return slots


def practitioner_slots(
    diary: Diary, query: SlotQuery, zone: ZoneInfo, room_taken: Mapping[uuid.UUID, Sequence[Span]] | None = None
) -> list[Slot]:
    """One practitioner's free times for ``query``, earliest first."""
    return free_slots([diary], query, zone, room_taken)


def free_slots(
    diaries: Sequence[Diary],
    query: SlotQuery,
    zone: ZoneInfo,
    room_taken: Mapping[uuid.UUID, Sequence[Span]] | None = None,
    limit: int | None = None,
    whole_days: bool = False,
) -> list[Slot]:
    """Free times of one practitioner, or of several ("first available"): earliest first, and at
    the same time in the order the diaries are given.

    The days are searched in order and each day's times of every practitioner sorted together: a
    day's times all start on that day (working hours end on the day they begin), so they come
    before the next day's, and a search with a ``limit`` stops at the day that reaches it: the
    first ``limit`` times, or with ``whole_days`` every time of the days up to that one."""
    search = _Search(query, zone, room_taken)
    if search.empty:
        return []
    practitioners = [_Practitioner(diary) for diary in diaries]
    order = {diary.practitioner_id: index for index, diary in enumerate(diaries)}
    found: list[Slot] = []
    for day in search.days():
        todays = [slot for practitioner in practitioners for slot in practitioner.slots_on(day, search)]
        todays.sort(key=lambda slot: (slot.start, order[slot.practitioner_id]))
        found += todays
        if limit is not None and len(found) >= limit:
            break
    return found if limit is None or whole_days else found[:limit]


def within_hours(diary: Diary, span: Span, zone: ZoneInfo) -> bool:
    """Whether ``span`` (an appointment with the time kept free after it) lies inside one interval
    of the practitioner's working hours on its day, clear of every exception."""
    day = span.start.astimezone(zone).date()
    off = _off_on(day, diary.time_off, zone)
    if off is None or any(part.overlaps(span) for part in off):
        return False
    for hours in diary.hours:
        if hours.weekday == day.weekday():
            opens, closes = wall_clock(day, hours.start, zone), wall_clock(day, hours.end, zone)
            if opens <= span.start and span.end <= closes:
                return True
    return False
