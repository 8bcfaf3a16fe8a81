"""The calendar's kept working hours and exceptions (``selectors.calendar_frame``) are never stale:
the database gives the clinic a new version token on every write to either table, by the services,
a bulk update, a delete or plain SQL, and a page or search after the write reads the change; a
read at an unchanged token asks the database for the token only. On both databases."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.db import connection, transaction

from needlechart.scheduling import configuration, selectors
from needlechart.scheduling.models import CalendarVersion, ExceptionReason, ScheduleException, WorkingHours
from needlechart.scheduling.slots import Span, WeeklyHours
from needlechart.scheduling.views import find_free
from tests.scheduling.conftest import OSLO, next_weekday, oslo


def _frame(user, practitioner, day):
    zone = OSLO  # the test clinic's
    span = Span(oslo(day, 0), oslo(day + dt.timedelta(days=7), 0))
    return selectors.calendar_frame(user=user, span=span, practitioner_ids=[practitioner.pk], zone=zone)


def _token(clinic_id):
    return CalendarVersion.objects.filter(clinic_id=clinic_id).values_list("token", flat=True).first()


def test_every_kind_of_write_to_the_hours_or_exceptions_is_read_at_once(
    clinic_admin, front_desk, practitioner, second_practitioner, week, django_assert_num_queries
):
    monday = next_weekday(0)
    first = _frame(front_desk, practitioner, monday)
    assert first.hours[practitioner.pk] and first.exceptions == []
    with django_assert_num_queries(1):  # the token, nothing else: kept
        assert _frame(front_desk, practitioner, monday) == first
    tokens = {_token(practitioner.clinic_id)}

    def changed():
        token = _token(practitioner.clinic_id)
        assert token not in tokens  # a new token for every write
        tokens.add(token)
        return _frame(front_desk, practitioner, monday)

    # The services.
    configuration.working_hours_add(actor=clinic_admin, practitioner=practitioner, weekday=6, start_time=dt.time(10), end_time=dt.time(12))
    assert WeeklyHours(6, dt.time(10), dt.time(12), None) in changed().hours[practitioner.pk]
    away = configuration.schedule_exception_add(
        actor=clinic_admin, practitioner=practitioner, first_day=monday, last_day=monday, reason=ExceptionReason.COURSE, note="Course"
    )
    assert [e.pk for e in changed().exceptions] == [away.pk]
    # A bulk update and a bulk delete (no model signals).
    WorkingHours.objects.filter(practitioner=practitioner, weekday=6).update(end_time=dt.time(13))
    assert WeeklyHours(6, dt.time(10), dt.time(13), None) in changed().hours[practitioner.pk]
    ScheduleException.objects.filter(pk=away.pk).update(note="Changed")
    assert changed().exceptions[0].note == "Changed"
    ScheduleException.objects.filter(pk=away.pk).delete()
    assert changed().exceptions == []
    # Plain SQL.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {WorkingHours._meta.db_table} WHERE weekday = 6")  # noqa: S608 - a fixed name
    assert all(h.weekday != 6 for h in changed().hours[practitioner.pk])
    # Another practitioner's hours are the clinic's too: the frame of a search for them has them at once.
    configuration.working_hours_add(
        actor=clinic_admin, practitioner=second_practitioner, weekday=0, start_time=dt.time(8), end_time=dt.time(9)
    )
    changed()
    assert _frame(front_desk, second_practitioner, monday).hours[second_practitioner.pk] == [WeeklyHours(0, dt.time(8), dt.time(9), None)]


def test_a_write_rolled_back_leaves_the_token_it_was_read_at(clinic_admin, front_desk, practitioner, week):
    monday = next_weekday(0)
    before = _frame(front_desk, practitioner, monday)
    token = _token(practitioner.clinic_id)
    try:
        with transaction.atomic():
            WorkingHours.objects.filter(practitioner=practitioner).delete()
            assert practitioner.pk not in _frame(front_desk, practitioner, monday).hours  # read (and kept) inside the write
            raise RuntimeError
    except RuntimeError:
        pass
    assert _token(practitioner.clinic_id) == token
    assert _frame(front_desk, practitioner, monday) == before  # not what the rolled-back write showed


def test_free_times_follow_a_change_of_hours_at_once(clinic_admin, front_desk, practitioner, follow_up, week):
    calendar = selectors.calendar_settings(practitioner.clinic_id)
    monday = next_weekday(0)
    arguments = {"calendar": calendar, "kind": follow_up, "practitioners": [practitioner], "span": Span(oslo(monday, 0), oslo(monday, 23))}
    request = SimpleNamespace(user=front_desk)
    assert find_free(request, **arguments)
    WorkingHours.objects.filter(practitioner=practitioner, weekday=0).delete()
    assert find_free(request, **arguments) == []


def test_the_frames_kept_are_bounded_and_a_kept_one_is_not_changed_by_its_readers(
    clinic_admin, front_desk, practitioner, week, other_admin, other_practitioner, monkeypatch
):
    configuration.working_hours_add(
        actor=other_admin, practitioner=other_practitioner, weekday=0, start_time=dt.time(8), end_time=dt.time(9)
    )
    monkeypatch.setattr(selectors, "_FRAMES", {})
    monkeypatch.setattr(selectors, "_FRAMES_KEPT", 1)
    monday = next_weekday(0)
    mine = _frame(front_desk, practitioner, monday)
    mine.hours[practitioner.pk].clear()  # a reader's own list
    assert _frame(front_desk, practitioner, monday).hours[practitioner.pk]  # the kept one as read
    _frame(other_admin, other_practitioner, monday)
    assert list(selectors._FRAMES) == [other_admin.clinic_id]
