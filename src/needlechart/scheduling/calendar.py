"""What the calendar pages draw: columns of blocks on a grid of five-minute rows.

A column is one practitioner on one day (the week of one practitioner, or the day of the whole
clinic). Its blocks are the working hours (the background), the exceptions, the appointments,
the visits booked outside the calendar, and the free times for the chosen appointment type (each
a link to book it, one step of the grid high, so that they tile). Every block carries its grid
row and its height in rows; the stylesheet places it (``scheduling/calendar.css``: the page's
Content-Security-Policy allows no inline style).

The blocks and the week's items carry their times of day already written (``TimeLabels``): a
week shows hundreds of times at a few dozen different times of day, and Django's time format
is asked once for each of those per page, not once per block. They carry their links too, and
the clinic week's cells their "n free times" and the query of their day: the templates then draw
each of a week's ~300 items without calling back into Python (a call of a context function in
a loop that sets variables costs Jinja2 a new context each time), only the markup.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import ngettext

from needlechart.clinics.models import User
from needlechart.core.formatting import url
from needlechart.scheduling.selectors import CalendarRead
from needlechart.scheduling.slots import Slot, wall_clock
from needlechart.scheduling.span_rows import BookedTime, OutsideVisit

ROW_MINUTES = 5
DEFAULT_HOURS = (8, 16)  # a day with neither hours nor appointments


class TimeLabels:
    """Moments as the templates' ``time`` filter writes them in ``zone`` (``formats.time_format``,
    the active language's TIME_FORMAT), each wall-clock time and offset asked of Django once."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._written: dict[tuple[dt.time, dt.timedelta | None], str] = {}

    def __call__(self, moment: dt.datetime) -> str:
        local = moment.astimezone(self.zone)
        key = (local.time(), local.utcoffset())
        written = self._written.get(key)
        if written is None:
            written = self._written[key] = formats.time_format(local, "TIME_FORMAT")
        return written


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # hours, off, appointment, visit, free
    row: int  # the grid row it starts on (1: the first five minutes)
    rows: int
    start: dt.datetime
    end: dt.datetime
    item: Any = None  # the appointment's or visit's row, the Slot, the exception, the hours
    at: str = ""  # the start's time of day as the page writes it
    until: str = ""  # the end's
    href: str = ""  # an appointment's page, a visit's chart, a free time's booking form


@dataclass
class Column:
    day: dt.date
    practitioner: User
    blocks: list[Block] = field(default_factory=list)

    @property
    def appointments(self) -> list[Block]:
        return [b for b in self.blocks if b.kind in ("appointment", "visit")]


@dataclass
class Grid:
    first_hour: int
    last_hour: int
    columns: list[Column]

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // ROW_MINUTES

    @property
    def hour_rows(self) -> list[tuple[int, str]]:
        return [(1 + (hour - self.first_hour) * 60 // ROW_MINUTES, f"{hour:02d}:00") for hour in range(self.first_hour, self.last_hour)]


def _minutes_into(day: dt.date, moment: dt.datetime, zone: ZoneInfo) -> int:
    """Wall-clock minutes from the start of ``day`` to ``moment`` (negative before it, over 1440 after it)."""
    local = moment.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _hours_bounds(
    read: CalendarRead, columns: Sequence[tuple[dt.date, User]], busy: Sequence[tuple[dt.date, dt.datetime, dt.datetime]]
) -> tuple[int, int]:
    starts, ends = [], []
    for day, practitioner in columns:
        for hours in read.hours.get(practitioner.pk, []):
            if hours.weekday == day.weekday():
                starts.append(hours.start.hour)
                ends.append(hours.end.hour + (1 if hours.end.minute else 0))
    for day, start, end in busy:
        starts.append(max(0, _minutes_into(day, start, read.zone)) // 60)
        ends.append(min(1440, _minutes_into(day, end, read.zone) + 59) // 60)
    if not starts:
        return DEFAULT_HOURS
    return max(0, min(starts)), min(24, max(max(ends), min(starts) + 1))


def path_of(name: str) -> Callable[[uuid.UUID], str]:
    """``url(name, an_id)`` for the many ids of one page: asked once, each id then put where the
    stand-in's was (a uuid's text needs no quoting in a path; a clinic week links ~300 appointments)."""
    stand_in = uuid.UUID(int=0)
    before, found, after = url(name, stand_in).partition(str(stand_in))
    if not found:
        raise ValueError(f"{name} does not take an id")
    return lambda value: f"{before}{value}{after}"


def _links(free_href: Callable[[Slot], str] | None) -> Callable[[str, Any], str]:
    """A block's link: an appointment's page, a visit's chart, a free time's booking form."""
    appointment, chart = path_of("appointment_detail"), path_of("patient_chart")

    def href(kind: str, item: Any) -> str:
        if kind == "appointment":
            return appointment(item.pk)
        if kind == "visit":
            return chart(item.patient_id)
        return free_href(item) if kind == "free" and free_href is not None else ""

    return href


def build_grid(
    read: CalendarRead,
    columns: Sequence[tuple[dt.date, User]],
    free: Sequence[Slot],
    step_minutes: int,
    free_href: Callable[[Slot], str] | None = None,
) -> Grid:
    """The grid of ``columns`` (day, practitioner) from what ``read`` holds, with the ``free`` times
    (each linked to ``free_href(slot)``)."""
    zone = read.zone
    placed: list[tuple[dt.date, User, str, dt.datetime, dt.datetime, Any]] = []
    for day, practitioner in columns:
        for hours in read.hours.get(practitioner.pk, []):
            if hours.weekday == day.weekday():
                placed.append((day, practitioner, "hours", wall_clock(day, hours.start, zone), wall_clock(day, hours.end, zone), hours))
        for exception in read.exceptions_of(practitioner.pk):
            if exception.first_day <= day <= exception.last_day:
                away_from, away_until = (exception.start_time or dt.time(0)), (exception.end_time or dt.time(23, 59))
                placed.append((day, practitioner, "off", wall_clock(day, away_from, zone), wall_clock(day, away_until, zone), exception))
        for appointment in cast(list[BookedTime], read.appointments_of(practitioner.pk)):  # a page's read has the names
            if appointment.starts_at.astimezone(zone).date() == day:
                placed.append((day, practitioner, "appointment", appointment.starts_at, appointment.ends_at, appointment))
        for visit in read.visits_of(practitioner.pk):
            if visit.starts_at.astimezone(zone).date() == day:
                placed.append((day, practitioner, "visit", visit.starts_at, visit.ends_at, visit))
    by_column = {(day, practitioner.pk): index for index, (day, practitioner) in enumerate(columns)}
    for slot in free:
        day = slot.start.astimezone(zone).date()
        if (day, slot.practitioner_id) in by_column:
            practitioner = columns[by_column[(day, slot.practitioner_id)]][1]
            placed.append((day, practitioner, "free", slot.start, slot.start + dt.timedelta(minutes=step_minutes), slot))
    busy = [(day, start, end) for day, _p, kind, start, end, _i in placed if kind in ("appointment", "visit")]
    first_hour, last_hour = _hours_bounds(read, columns, busy)
    grid = Grid(first_hour, last_hour, [Column(day, practitioner) for day, practitioner in columns])
    written, href = TimeLabels(zone), _links(free_href)
    for day, practitioner, kind, start, end, item in placed:
        top = max(_minutes_into(day, start, zone), first_hour * 60)
        bottom = min(_minutes_into(day, end, zone), last_hour * 60)
        if bottom <= top:
            continue
        row = 1 + (top - first_hour * 60) // ROW_MINUTES
        rows = max(1, -(-(bottom - top) // ROW_MINUTES))
        at, until = ("", "") if kind in ("hours", "off") else (written(start), written(end))
        block = Block(kind, row, rows, start, end, item, at, until, href(kind, item))
        grid.columns[by_column[(day, practitioner.pk)]].blocks.append(block)
    order = {"hours": 0, "off": 1, "free": 2, "visit": 3, "appointment": 3}
    for column in grid.columns:
        column.blocks.sort(key=lambda block: (order[block.kind], block.start))
    return grid


@dataclass(frozen=True)
class WeekCell:
    """The clinic's week: one practitioner's day, listed (appointments and outside visits, each with
    its start's time of day as the page writes it and an appointment's link) with its free times
    counted, their label written and the query of the day's page they link to."""

    day: dt.date
    practitioner: User
    items: list[tuple[str, str, BookedTime | OutsideVisit]]  # (time of day, the appointment's page or "", the row)
    free: int
    free_label: str = ""
    query: str = ""


def week_cells(
    read: CalendarRead,
    days: Sequence[dt.date],
    practitioners: Sequence[User],
    free: Sequence[Slot],
    day_query: Callable[[dt.date, User], str] | None = None,
) -> list[list[WeekCell]]:
    """Rows of days, columns of practitioners (``day_query``: the query of a cell's day page, for the cells with free times)."""
    zone = read.zone
    free_count: dict[tuple[dt.date, int], int] = {}
    for slot in free:
        key = (slot.start.astimezone(zone).date(), slot.practitioner_id)
        free_count[key] = free_count.get(key, 0) + 1
    labels: dict[int, str] = {}
    written, appointment_page = TimeLabels(zone), path_of("appointment_detail")
    items: dict[tuple[dt.date, int], list[BookedTime | OutsideVisit]] = {}
    shown: list[BookedTime | OutsideVisit] = [*cast(list[BookedTime], read.appointments), *read.visits]
    for item in shown:
        items.setdefault((item.starts_at.astimezone(zone).date(), item.practitioner_id), []).append(item)

    def cell(day: dt.date, practitioner: User) -> WeekCell:
        listed = sorted(items.get((day, practitioner.pk), []), key=lambda item: item.starts_at)
        entries = [(written(item.starts_at), appointment_page(item.pk) if item.kind == "appointment" else "", item) for item in listed]
        count = free_count.get((day, practitioner.pk), 0)
        if not count:
            return WeekCell(day, practitioner, entries, 0)
        if count not in labels:
            labels[count] = ngettext("%(n)s free time", "%(n)s free times", count) % {"n": count}
        return WeekCell(day, practitioner, entries, count, labels[count], day_query(day, practitioner) if day_query else "")

    return [[cell(day, practitioner) for practitioner in practitioners] for day in days]
