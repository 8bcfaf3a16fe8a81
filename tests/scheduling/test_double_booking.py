"""The database itself refuses double booking: an exclusion constraint on PostgreSQL, triggers on
SQLite. Rows written around the services are refused, and two bookings of the same time at the
same moment end with one appointment and one clear refusal."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from needlechart.scheduling import services
from needlechart.scheduling.models import Appointment, AppointmentStatus
from needlechart.scheduling.services import BookingConflict
from tests.scheduling.conftest import next_weekday, oslo


def _row(appointment: Appointment, **changes) -> Appointment:
    """A copy of ``appointment`` as a new row (written straight to the table, no service)."""
    fields = {
        f.attname: getattr(appointment, f.attname) for f in Appointment._meta.concrete_fields if f.attname not in ("id", "encounter_id")
    }
    return Appointment(**(fields | changes))


@pytest.fixture
def booked(front_desk, patient, practitioner, follow_up, rooms):
    monday = next_weekday(0)
    return services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(monday, 9),
        room=rooms[0],
        outside_hours=True,
    )


def _refused(row: Appointment) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_an_overlapping_row_of_the_same_practitioner_or_room_is_refused_by_the_database(booked, second_practitioner, rooms):
    minutes = dt.timedelta(minutes=1)
    _refused(
        _row(
            booked,
            room_id=None,
            starts_at=booked.starts_at + 20 * minutes,
            ends_at=booked.ends_at + 20 * minutes,
            blocked_until=booked.blocked_until + 20 * minutes,
        )
    )
    _refused(
        _row(
            booked,
            practitioner_id=second_practitioner.pk,
            starts_at=booked.blocked_until - minutes,
            ends_at=booked.blocked_until + 29 * minutes,
            blocked_until=booked.blocked_until + 29 * minutes,
        )
    )  # the same room
    _refused(
        _row(
            booked,
            room_id=None,
            starts_at=booked.starts_at - 5 * minutes,
            blocked_until=booked.starts_at + minutes,
            ends_at=booked.starts_at + minutes,
        )
    )
    assert Appointment.objects.count() == 1


def test_back_to_back_cancelled_or_other_rooms_are_not_double_booking(booked, second_practitioner, rooms):
    after = _row(
        booked,
        starts_at=booked.blocked_until,
        ends_at=booked.blocked_until + dt.timedelta(minutes=30),
        blocked_until=booked.blocked_until + dt.timedelta(minutes=30),
    )
    after.save()  # starts when the other's time (with its buffer) ends
    _row(booked, practitioner_id=second_practitioner.pk, room_id=rooms[1].pk).save()
    _row(booked, status=AppointmentStatus.CANCELLED).save()
    _row(booked, status=AppointmentStatus.NO_SHOW).save()
    assert Appointment.objects.count() == 5


def test_an_update_into_a_taken_time_is_refused_by_the_database(booked):
    later = _row(
        booked,
        starts_at=booked.blocked_until,
        ends_at=booked.blocked_until + dt.timedelta(minutes=30),
        blocked_until=booked.blocked_until + dt.timedelta(minutes=40),
    )
    later.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=later.pk).update(starts_at=booked.starts_at)
    cancelled = _row(booked, status=AppointmentStatus.CANCELLED)
    cancelled.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.BOOKED)  # booking it again would double book
    Appointment.objects.filter(pk=booked.pk).update(reason="Changed")  # a row's other columns change as ever


def test_the_databases_refusal_reaches_the_booker_as_a_message(booked, front_desk, second_practitioner, monkeypatch):
    """As if the check had run before a booking that committed in between: the database refuses."""
    monkeypatch.setattr(services, "_problem", lambda *args, **kwargs: None)
    same = {"patient": booked.patient, "appointment_type": booked.appointment_type, "starts_at": booked.starts_at}
    with pytest.raises(BookingConflict, match="another appointment"):
        services.appointment_book(actor=front_desk, practitioner=booked.practitioner, **same)
    with pytest.raises(BookingConflict, match="room is booked"):
        services.appointment_book(actor=front_desk, practitioner=second_practitioner, room=booked.room, **same)
    later = _row(
        booked,
        room_id=None,
        starts_at=booked.blocked_until,
        ends_at=booked.blocked_until + dt.timedelta(minutes=30),
        blocked_until=booked.blocked_until + dt.timedelta(minutes=30),
    )
    later.save()
    with pytest.raises(BookingConflict, match="another appointment"):
        services.appointment_move(
            actor=front_desk, appointment=later, starts_at=booked.starts_at, practitioner=booked.practitioner, room=None
        )
    assert Appointment.objects.filter(starts_at=booked.starts_at).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_the_same_time_at_the_same_moment_end_with_one_appointment(front_desk, patient, practitioner, follow_up):
    """Two clients, each on its own connection, both find the time free and both write: the
    database lets one through and refuses the other, which its booker hears as a clear message."""
    start = oslo(next_weekday(2), 10)
    arguments = {"patient": patient, "practitioner": practitioner, "appointment_type": follow_up, "starts_at": start, "outside_hours": True}
    if connection.vendor == "sqlite":  # one writer at a time (BEGIN IMMEDIATE): the second booking comes after the first
        services.appointment_book(actor=front_desk, **arguments)
        with pytest.raises(BookingConflict, match="another appointment"):
            services.appointment_book(actor=front_desk, **arguments)
        assert Appointment.objects.count() == 1
        return
    both_checked = threading.Barrier(2, timeout=10)
    check = services._problem

    waited: set[int] = set()

    def check_then_wait(*args, **kwargs):
        found = check(*args, **kwargs)
        if threading.get_ident() not in waited:  # once: a booking run again after a deadlock checks anew
            waited.add(threading.get_ident())
            both_checked.wait()  # each saw the time free before either wrote
        return found

    outcomes: list[str] = []

    def book():
        try:
            services.appointment_book(actor=front_desk, **arguments)
            outcomes.append("booked")
        except BookingConflict as refusal:
            outcomes.append(refusal.messages[0])
        finally:
            connection.close()

    services._problem = check_then_wait
    try:
        clients = [threading.Thread(target=book) for _ in range(2)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(20)
    finally:
        services._problem = check
    assert sorted(outcomes) == ["The practitioner has another appointment then.", "booked"]
    assert Appointment.objects.filter(starts_at=start).count() == 1


class _Deadlock(Exception):
    sqlstate = "40P01"


class _LockTimeout(Exception):
    sqlstate = "55P03"


def _first_write_aborted(monkeypatch, cause: type[Exception]) -> list[int]:
    """Make the first write of an appointment fail as PostgreSQL reports ``cause``; count the writes."""
    writes: list[int] = []
    save = Appointment.save

    def aborted_once(self, *args, **kwargs):
        writes.append(1)
        if len(writes) == 1:
            raise OperationalError("aborted") from cause()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Appointment, "save", aborted_once)
    return writes


def test_a_booking_aborted_as_a_deadlock_is_written_again(monkeypatch, front_desk, patient, practitioner, follow_up):
    """PostgreSQL aborts one of two bookings that check the same time at once as a deadlock; the
    service writes it again (then it waits for the other and is saved or refused)."""
    writes = _first_write_aborted(monkeypatch, _Deadlock)
    appointment = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(next_weekday(3), 11),
        outside_hours=True,
    )
    assert len(writes) == 2
    assert Appointment.objects.get().pk == appointment.pk


def test_any_other_aborted_write_is_not_retried(monkeypatch, front_desk, patient, practitioner, follow_up):
    writes = _first_write_aborted(monkeypatch, _LockTimeout)
    with pytest.raises(OperationalError):
        services.appointment_book(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            appointment_type=follow_up,
            starts_at=oslo(next_weekday(3), 11),
            outside_hours=True,
        )
    assert len(writes) == 1
    assert not Appointment.objects.exists()


def test_a_booking_aborted_as_a_deadlock_after_its_write_is_run_again_whole(monkeypatch, front_desk, patient, practitioner, follow_up):
    """A deadlock on a later statement (the audit row, when another booking holds the chain's head)
    rolls the booking back; it is run again from its checks and ends with one appointment."""
    runs: list[int] = []
    record = services.audit_record

    def aborted_once(**kwargs):
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("aborted") from _Deadlock()
        return record(**kwargs)

    monkeypatch.setattr(services, "audit_record", aborted_once)
    appointment = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(next_weekday(3), 13),
        outside_hours=True,
    )
    assert len(runs) == 2
    assert list(Appointment.objects.values_list("pk", flat=True)) == [appointment.pk]
