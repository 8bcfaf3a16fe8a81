"""Free times, as properties over generated weeks (hypothesis): no free time overlaps an
appointment, a break, an exception or its room's bookings; the time kept free after each
appointment is kept; the notice and the horizon hold; and the weeks of the daylight-saving
changes in Europe/Oslo (the last Sunday of March and of October) offer the same wall-clock times
as any other week. A brute-force search over every time on the grid finds exactly the same times."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.scheduling.slots import Diary, SlotQuery, Span, TimeOff, WeeklyHours, free_slots, practitioner_slots, wall_clock
from tests.scheduling.conftest import OSLO, last_sunday

ROOM, OTHER_ROOM = uuid.UUID(int=1), uuid.UUID(int=2)
PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True)
FIVE = dt.timedelta(minutes=5)

# Weeks from Monday: the spring and autumn changes of 2026 and 2027, and two ordinary weeks.
WEEKS = [last_sunday(year, month) - dt.timedelta(days=6) for year in (2026, 2027) for month in (3, 10)] + [
    dt.date(2026, 6, 8),
    dt.date(2027, 1, 11),
]


def _minutes(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low // 5, high // 5).map(lambda n: n * 5)


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


@st.composite
def day_hours(draw, weekday: int) -> list[WeeklyHours]:
    """Up to three intervals of a weekday, apart from one another (breaks between them), some in
    the night hours the clocks change in."""
    cuts = sorted(draw(st.sets(_minutes(0, 23 * 60 + 55), min_size=0, max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    room = draw(st.sampled_from([None, ROOM, OTHER_ROOM]))
    return [WeeklyHours(weekday, _time(a), _time(b), room) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if a < b]


@st.composite
def weeks(draw):
    monday = draw(st.sampled_from(WEEKS))
    window = Span(wall_clock(monday, dt.time(0), OSLO), wall_clock(monday + dt.timedelta(days=8), dt.time(0), OSLO))
    hours = [h for weekday in range(7) for h in draw(day_hours(weekday))]

    def moment():
        return st.integers(0, (window.end - window.start) // FIVE).map(lambda n: window.start + n * FIVE)

    def spans(max_size):
        return st.lists(
            st.tuples(moment(), _minutes(5, 180)).map(lambda t: Span(t[0], t[0] + dt.timedelta(minutes=t[1]))), max_size=max_size
        )

    days = st.integers(0, 7).map(lambda n: monday + dt.timedelta(days=n))
    partial = st.tuples(_minutes(0, 23 * 60), _minutes(5, 240)).map(lambda t: (_time(t[0]), _time(min(t[0] + t[1], 23 * 60 + 55))))
    time_off = draw(
        st.lists(
            st.tuples(days, st.integers(0, 2), st.one_of(st.none(), partial)).map(
                lambda t: TimeOff(t[0], t[0] + dt.timedelta(days=t[1]), *(t[2] or (None, None)))
            ),
            max_size=3,
        )
    )
    diary = Diary(
        practitioner_id=7, hours=hours, time_off=[t for t in time_off if t.start is None or t.start < t.end], taken=draw(spans(8))
    )
    room_taken = {ROOM: draw(spans(6)), OTHER_ROOM: draw(spans(3))}
    query = SlotQuery(
        length=dt.timedelta(minutes=draw(_minutes(5, 120))),
        buffer=dt.timedelta(minutes=draw(_minutes(0, 30))),
        window=window,
        now=draw(moment()) - dt.timedelta(days=draw(st.integers(0, 1))),
        step=dt.timedelta(minutes=draw(st.sampled_from([5, 10, 15, 30]))),
        notice=dt.timedelta(minutes=draw(_minutes(0, 300))),
        horizon=draw(st.one_of(st.none(), st.integers(1, 9).map(lambda d: dt.timedelta(days=d)))),
        room_id=draw(st.sampled_from([None, ROOM])),
    )
    return diary, query, room_taken


def _local_days(span: Span) -> set[dt.date]:
    first, last = span.start.astimezone(OSLO).date(), (span.end - dt.timedelta(microseconds=1)).astimezone(OSLO).date()
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


def _off_spans(diary: Diary, day: dt.date) -> list[Span] | None:
    spans = []
    for off in diary.time_off:
        if off.first_day <= day <= off.last_day:
            if off.start is None:
                return None
            spans.append(Span(wall_clock(day, off.start, OSLO), wall_clock(day, off.end, OSLO)))
    return spans


def _blocked(slot, diary: Diary, room_taken) -> bool:
    held = Span(slot.start, slot.blocked_until)
    taken = list(diary.taken) + (list(room_taken.get(slot.room_id, [])) if slot.room_id else [])
    if any(held.overlaps(span) for span in taken):
        return True
    for day in _local_days(held):
        off = _off_spans(diary, day)
        if off is None or any(held.overlaps(span) for span in off):
            return True
    return False


def _interval_of(slot, diary: Diary) -> WeeklyHours | None:
    """The working interval (wall-clock times) that holds the slot and the time kept free after it."""
    start, end = slot.start.astimezone(OSLO), slot.blocked_until.astimezone(OSLO)
    for hours in diary.hours:
        opens, closes = wall_clock(start.date(), hours.start, OSLO), wall_clock(start.date(), hours.end, OSLO)
        if hours.weekday == start.weekday() and opens <= slot.start and slot.blocked_until <= closes and end.date() == start.date():
            return hours
    return None


@PROPERTIES
@given(weeks())
def test_no_free_time_overlaps_an_appointment_a_break_an_exception_or_its_rooms_bookings(week):
    diary, query, room_taken = week
    for slot in practitioner_slots(diary, query, OSLO, room_taken):
        assert not _blocked(slot, diary, room_taken), slot
        hours = _interval_of(slot, diary)
        assert hours is not None, f"{slot} is outside the working hours or runs into a break"
        assert slot.room_id == (query.room_id or hours.room_id)
        assert slot.end - slot.start == query.length and slot.blocked_until - slot.end == query.buffer  # the buffer is kept
        assert (slot.start - wall_clock(slot.start.astimezone(OSLO).date(), hours.start, OSLO)) % query.step == dt.timedelta(0)


@PROPERTIES
@given(weeks())
def test_free_times_respect_the_notice_the_horizon_and_the_window(week):
    diary, query, room_taken = week
    slots = practitioner_slots(diary, query, OSLO, room_taken)
    for slot in slots:
        assert slot.start >= query.now + query.notice and query.window.start <= slot.start < query.window.end
        assert query.horizon is None or slot.start < query.now + query.horizon
    assert [s.start for s in slots] == sorted(s.start for s in slots)


@PROPERTIES
@given(weeks())
def test_every_time_on_the_grid_that_is_free_is_offered(week):
    """A brute-force reference: every step from every working interval's start, checked on its own."""
    diary, query, room_taken = week
    earliest = max(query.window.start, query.now + query.notice)
    latest = query.window.end if query.horizon is None else min(query.window.end, query.now + query.horizon)
    expected = set()
    day = query.window.start.astimezone(OSLO).date() - dt.timedelta(days=1)
    while day <= query.window.end.astimezone(OSLO).date() + dt.timedelta(days=1):
        for hours in diary.hours:
            if hours.weekday != day.weekday():
                continue
            opens, closes = wall_clock(day, hours.start, OSLO), wall_clock(day, hours.end, OSLO)
            start = opens
            while start + query.length + query.buffer <= closes:
                room = query.room_id or hours.room_id
                candidate = type("Candidate", (), {"start": start, "blocked_until": start + query.length + query.buffer, "room_id": room})
                if earliest <= start < latest and not _blocked(candidate, diary, room_taken):
                    expected.add((start, room))
                start += query.step
        day += dt.timedelta(days=1)
    assert {(s.start, s.room_id) for s in practitioner_slots(diary, query, OSLO, room_taken)} == expected


def _nine_to_five(practitioner_id: int = 1, taken=()) -> Diary:
    return Diary(practitioner_id, [WeeklyHours(d, dt.time(9), dt.time(17)) for d in range(7)], taken=taken)


def test_the_weeks_of_the_daylight_saving_changes_offer_the_same_wall_clock_times_every_day():
    for year in (2026, 2027):
        for month in (3, 10):
            change = last_sunday(year, month)
            window = Span(
                wall_clock(change - dt.timedelta(days=6), dt.time(0), OSLO), wall_clock(change + dt.timedelta(days=2), dt.time(0), OSLO)
            )
            query = SlotQuery(
                length=dt.timedelta(minutes=60), buffer=dt.timedelta(0), window=window, now=window.start, step=dt.timedelta(minutes=60)
            )
            by_day: dict[dt.date, list[str]] = {}
            for slot in free_slots([_nine_to_five()], query, OSLO):
                local = slot.start.astimezone(OSLO)
                by_day.setdefault(local.date(), []).append(local.strftime("%H:%M"))
            assert len(by_day) == 8  # the Monday before the change to the Monday after
            assert all(times == [f"{h:02d}:00" for h in range(9, 17)] for times in by_day.values()), by_day
            before, after = (
                wall_clock(change - dt.timedelta(days=1), dt.time(9), OSLO),
                wall_clock(change + dt.timedelta(days=1), dt.time(9), OSLO),
            )
            assert after - before == dt.timedelta(hours=47 if month == 3 else 49)  # a day of 23 or 25 hours between them


def test_first_available_takes_the_earliest_time_of_any_practitioner_and_the_given_order_at_the_same_time():
    monday = dt.date(2027, 1, 11)
    window = Span(wall_clock(monday, dt.time(0), OSLO), wall_clock(monday, dt.time(23), OSLO))
    busy_morning = [Span(wall_clock(monday, dt.time(9), OSLO), wall_clock(monday, dt.time(10), OSLO))]
    query = SlotQuery(length=dt.timedelta(minutes=30), buffer=dt.timedelta(minutes=15), window=window, now=window.start)
    slots = free_slots([_nine_to_five(1, busy_morning), _nine_to_five(2)], query, OSLO)
    assert [(s.practitioner_id, s.start.astimezone(OSLO).strftime("%H:%M")) for s in slots[:2]] == [(2, "09:00"), (2, "09:15")]
    at_ten = [s.practitioner_id for s in slots if s.start == busy_morning[0].end]
    assert at_ten == [1, 2]  # at the same time in the order given
    assert len(free_slots([_nine_to_five(1), _nine_to_five(2)], query, OSLO, limit=5)) == 5
