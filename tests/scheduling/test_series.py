"""Weekly series keep their wall-clock time across the daylight-saving changes, and a series that
cannot be booked whole is refused whole, week by week, unless the free weeks are asked for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from needlechart.scheduling import configuration, services
from needlechart.scheduling.models import Appointment
from needlechart.scheduling.recurrence import weekly_starts
from needlechart.scheduling.services import SeriesConflict
from tests.scheduling.conftest import OSLO, next_change, oslo


@pytest.mark.parametrize("month", [3, 10])
def test_a_weekly_series_across_the_daylight_saving_change_stays_at_nine_oclock(month):
    change = next_change(month)  # a Sunday
    first = oslo(change - dt.timedelta(days=13), 9)  # the Monday two weeks before
    starts = weekly_starts(first, 4, OSLO)
    assert [s.astimezone(OSLO).strftime("%a %H:%M") for s in starts] == ["Mon 09:00"] * 4
    offsets = [s.astimezone(OSLO).utcoffset() for s in starts]
    summer, winter = dt.timedelta(hours=2), dt.timedelta(hours=1)
    assert offsets == ([winter, winter, summer, summer] if month == 3 else [summer, summer, winter, winter])
    utc_hours = [s.hour for s in starts]
    assert utc_hours == ([8, 8, 7, 7] if month == 3 else [7, 7, 8, 8])  # the same in Oslo, an hour apart in UTC
    assert all(s.tzinfo == dt.UTC for s in starts)


def test_a_series_has_one_to_fifty_two_weeks():
    with pytest.raises(ValueError):
        weekly_starts(oslo(dt.date(2027, 1, 4), 9), 0, OSLO)
    with pytest.raises(ValueError):
        weekly_starts(oslo(dt.date(2027, 1, 4), 9), 53, OSLO)


@pytest.fixture
def spring_monday():
    return next_change(3) - dt.timedelta(days=13)


def _series(front_desk, patient, practitioner, kind, first, weeks, **extra):
    return services.appointment_book_series(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=kind, first_start=first, weeks=weeks, **extra
    )


def test_booking_a_series_across_the_change_books_nine_oclock_every_week(front_desk, patient, practitioner, follow_up, week, spring_monday):
    result = _series(front_desk, patient, practitioner, follow_up, oslo(spring_monday, 9), 4)
    assert [a.starts_at.astimezone(OSLO).time() for a in result.booked] == [dt.time(9)] * 4 and not result.skipped
    assert len({a.series_id for a in result.booked}) == 1 and result.booked[0].series_id is not None


def test_a_series_with_a_taken_week_is_refused_whole_and_names_each_week_that_is_taken(
    front_desk, clinic_admin, patient, practitioner, follow_up, week, spring_monday
):
    taken = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(spring_monday, 9, 15) + dt.timedelta(weeks=2),
    )
    configuration.schedule_exception_add(
        actor=clinic_admin,
        practitioner=practitioner,
        first_day=spring_monday + dt.timedelta(weeks=3),
        last_day=spring_monday + dt.timedelta(weeks=3, days=4),
        reason="holiday",
    )
    with pytest.raises(SeriesConflict) as refused:
        _series(front_desk, patient, practitioner, follow_up, oslo(spring_monday, 9), 5)
    weeks = [start.astimezone(OSLO) for start, _message in refused.value.conflicts]
    assert weeks == [oslo(spring_monday + dt.timedelta(weeks=2), 9), oslo(spring_monday + dt.timedelta(weeks=3), 9)]
    assert [message for _start, message in refused.value.conflicts] == [
        "The practitioner has another appointment then.",
        "The practitioner does not work then (working hours and exceptions).",
    ]
    assert len(refused.value.messages) == 2 and "09:00" in refused.value.messages[0]
    assert list(Appointment.objects.all()) == [taken]  # nothing of the series was booked

    result = _series(front_desk, patient, practitioner, follow_up, oslo(spring_monday, 9), 5, skip_conflicts=True)
    assert len(result.booked) == 3 and [s.astimezone(OSLO) for s, _m in result.skipped] == weeks


def test_a_series_reaching_beyond_two_years_is_refused(front_desk, patient, practitioner, follow_up):
    from django.utils import timezone

    with pytest.raises(ValidationError, match="two years"):
        _series(front_desk, patient, practitioner, follow_up, timezone.now() + dt.timedelta(days=700), 10, outside_hours=True)
