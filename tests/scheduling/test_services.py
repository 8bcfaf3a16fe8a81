"""Booking, moving, cancelling, and the day itself: arrival makes the appointment the visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.patients.models import Episode
from needlechart.scheduling import configuration, services
from needlechart.scheduling.models import Appointment, AppointmentStatus
from needlechart.scheduling.services import BookingConflict
from tests.conftest import make_staff
from tests.scheduling.conftest import next_weekday, oslo


def _book(actor, patient, practitioner, kind, start, **extra):
    return services.appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, appointment_type=kind, starts_at=start, **extra
    )


@pytest.fixture
def monday():
    return next_weekday(0)


def test_booking_stores_utc_and_keeps_the_buffer_after_the_end(front_desk, patient, practitioner, follow_up, week, monday):
    appointment = _book(
        front_desk,
        patient,
        practitioner,
        follow_up,
        oslo(
            monday,
            9,
            0,
        )
        + dt.timedelta(seconds=42),
    )
    appointment.refresh_from_db()
    assert appointment.starts_at == oslo(monday, 9) and appointment.starts_at.utcoffset() == dt.timedelta(0)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)
    assert appointment.blocked_until - appointment.ends_at == dt.timedelta(minutes=10)
    assert appointment.status == AppointmentStatus.BOOKED and appointment.created_by == front_desk
    event = AuditEvent.objects.filter(object_type="appointment", object_id=str(appointment.pk)).get()
    assert event.action == "create" and event.patient_id == patient.pk and event.actor_id == front_desk.pk


def test_a_time_outside_the_working_hours_is_refused_unless_booked_outside_them_on_purpose(
    front_desk, patient, practitioner, follow_up, week, monday
):
    for start in (oslo(monday, 7, 30), oslo(monday, 11, 15), oslo(monday, 15, 45), oslo(monday + dt.timedelta(days=5), 10)):
        with pytest.raises(BookingConflict, match="does not work then"):
            _book(front_desk, patient, practitioner, follow_up, start)  # 11:15 + 30 + 10 runs into the break
    assert _book(front_desk, patient, practitioner, follow_up, oslo(monday, 7, 30), outside_hours=True).pk
    assert AuditEvent.objects.filter(object_type="appointment", detail__outside_hours=True).count() == 1


def test_the_practitioner_and_the_room_are_never_booked_twice(
    front_desk, patient, practitioner, second_practitioner, follow_up, week, colleague_week, rooms, monday
):
    _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9), room=rooms[1])
    with pytest.raises(BookingConflict, match="another appointment"):
        _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9, 15))
    with pytest.raises(BookingConflict, match="room is booked"):
        _book(front_desk, patient, second_practitioner, follow_up, oslo(monday, 9, 30), room=rooms[1])  # inside the buffer
    assert _book(front_desk, patient, second_practitioner, follow_up, oslo(monday, 9, 40), room=rooms[1]).pk  # the buffer is over
    assert _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9, 40)).pk
    assert Appointment.objects.count() == 3


def test_an_exception_and_a_visit_booked_outside_the_calendar_take_the_time(
    front_desk, clinic_admin, patient, episode, practitioner, follow_up, week, monday
):
    configuration.schedule_exception_add(
        actor=clinic_admin,
        practitioner=practitioner,
        first_day=monday,
        last_day=monday,
        reason="course",
        start_time=dt.time(12),
        end_time=dt.time(16),
    )
    with pytest.raises(BookingConflict, match="does not work"):
        _book(front_desk, patient, practitioner, follow_up, oslo(monday, 13))
    configuration.schedule_exception_add(
        actor=clinic_admin,
        practitioner=None,
        first_day=monday + dt.timedelta(days=1),
        last_day=monday + dt.timedelta(days=1),
        reason="holiday",
    )
    with pytest.raises(BookingConflict, match="does not work"):
        _book(front_desk, patient, practitioner, follow_up, oslo(monday + dt.timedelta(days=1), 9))  # the clinic is closed
    charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=oslo(monday, 10), duration_minutes=45)
    with pytest.raises(BookingConflict, match="has a visit"):
        _book(front_desk, patient, practitioner, follow_up, oslo(monday, 10, 30), outside_hours=True)


def test_moving_keeps_the_length_and_records_both_times(
    front_desk, patient, practitioner, second_practitioner, follow_up, week, colleague_week, monday
):
    appointment = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9))
    moved = services.appointment_move(
        actor=front_desk, appointment=appointment, starts_at=oslo(monday, 9, 15), practitioner=practitioner, room=None
    )  # overlapping its own old time is no conflict
    assert (moved.starts_at, moved.ends_at, moved.blocked_until) == (oslo(monday, 9, 15), oslo(monday, 9, 45), oslo(monday, 9, 55))
    moved = services.appointment_move(
        actor=front_desk, appointment=moved, starts_at=oslo(monday, 10), practitioner=second_practitioner, room=None
    )
    assert moved.practitioner == second_practitioner
    details = [e.detail for e in AuditEvent.objects.filter(object_type="appointment", action="update").order_by("at")]
    assert details[0]["moved_from"] == oslo(monday, 9).astimezone(dt.UTC).isoformat()
    assert details[1]["practitioner"] == second_practitioner.pk
    other = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9))
    with pytest.raises(BookingConflict):
        services.appointment_move(
            actor=front_desk, appointment=other, starts_at=oslo(monday, 10, 15), practitioner=second_practitioner, room=None
        )


def test_cancelling_needs_a_reason_and_frees_the_time(front_desk, patient, practitioner, follow_up, week, monday):
    appointment = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9))
    with pytest.raises(ValidationError, match="reason"):
        services.appointment_cancel(actor=front_desk, appointment=appointment, reason="  ")
    services.appointment_cancel(actor=front_desk, appointment=appointment, reason="Ill", late=True)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.status_reason) == (AppointmentStatus.LATE_CANCELLED, "Ill")
    assert _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9)).pk  # the time is free again
    with pytest.raises(ValidationError, match="Only a booked appointment"):
        services.appointment_cancel(actor=front_desk, appointment=appointment, reason="Again")


def test_a_patient_is_marked_as_not_come_only_once_the_time_has_begun(front_desk, patient, practitioner, follow_up, monday):
    later = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9), outside_hours=True)
    with pytest.raises(ValidationError, match="begun"):
        services.appointment_mark_no_show(actor=front_desk, appointment=later)
    earlier = _book(front_desk, patient, practitioner, follow_up, timezone.now() - dt.timedelta(hours=2), outside_hours=True)
    assert services.appointment_mark_no_show(actor=front_desk, appointment=earlier).status == AppointmentStatus.NO_SHOW


def test_arrival_makes_the_appointment_the_visit_on_the_day_list_and_the_chart(
    client_for, front_desk, patient, episode, practitioner, follow_up
):
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    appointment = _book(front_desk, patient, practitioner, follow_up, start, outside_hours=True, reason="Neck again")
    before = client_for(front_desk).get(reverse("today")).content.decode()
    assert "Neck again" in before and reverse("appointment_status", args=[appointment.pk]) in before  # booked: on the day list already
    services.appointment_mark_arrived(actor=front_desk, appointment=appointment)
    appointment.refresh_from_db()
    visit = appointment.encounter
    assert appointment.status == AppointmentStatus.ARRIVED and visit.status == EncounterStatus.ARRIVED
    assert (visit.episode, visit.practitioner, visit.starts_at, visit.duration_minutes, visit.reason) == (
        episode,
        practitioner,
        start,
        30,
        "Neck again",
    )
    after = client_for(front_desk).get(reverse("today")).content.decode()
    assert after.count("Neck again") == 1 and reverse("appointment_status", args=[appointment.pk]) not in after
    chart = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert reverse("encounter_detail", args=[visit.pk]) in chart


def test_arrival_links_a_visit_booked_outside_the_calendar_and_starts_an_episode_when_there_is_none(
    front_desk, practitioner, patient, episode, follow_up
):
    start = timezone.now().replace(second=0, microsecond=0)
    visit = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=start)
    Encounter.objects.filter(pk=visit.pk).update(status=EncounterStatus.CANCELLED)  # it was cancelled: not the one
    booked = _book(front_desk, patient, practitioner, follow_up, start, outside_hours=True)
    visit.refresh_from_db()
    Encounter.objects.filter(pk=visit.pk).update(status=EncounterStatus.PLANNED)  # and it was not, after all
    services.appointment_mark_arrived(actor=front_desk, appointment=booked)
    booked.refresh_from_db()
    assert booked.encounter_id == visit.pk and Encounter.objects.count() == 1

    Episode.objects.filter(pk=episode.pk).update(ended_on=timezone.localdate())
    # An hour later, or earlier when later is tomorrow in the clinic's zone (a test run late in the evening).
    later = start + dt.timedelta(hours=1)
    second_start = later if timezone.localdate(later) == timezone.localdate(start) else start - dt.timedelta(hours=1)
    second = _book(front_desk, patient, practitioner, follow_up, second_start, outside_hours=True)
    services.appointment_mark_arrived(actor=front_desk, appointment=second)
    second.refresh_from_db()
    assert second.encounter.episode != episode and second.encounter.episode.complaint == "Follow-up needling"
    assert second.encounter.episode.is_open


def test_an_appointment_of_a_later_day_cannot_be_marked_arrived(front_desk, patient, practitioner, follow_up, monday):
    appointment = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9), outside_hours=True)
    with pytest.raises(ValidationError, match="day of the appointment"):
        services.appointment_mark_arrived(actor=front_desk, appointment=appointment)


def test_opening_the_visit_early_and_then_cancelling_cancels_the_visit(front_desk, practitioner, patient, episode, follow_up, monday):
    appointment = _book(front_desk, patient, practitioner, follow_up, oslo(monday, 9), outside_hours=True)
    visit = services.appointment_open_visit(actor=practitioner, appointment=appointment)
    assert visit.status == EncounterStatus.PLANNED and services.appointment_open_visit(actor=practitioner, appointment=appointment) == visit
    with pytest.raises(ValidationError, match="already open"):
        services.appointment_move(
            actor=front_desk, appointment=appointment, starts_at=oslo(monday, 10), practitioner=practitioner, room=None
        )
    services.appointment_cancel(actor=front_desk, appointment=appointment, reason="Moved away")
    visit.refresh_from_db()
    assert visit.status == EncounterStatus.CANCELLED


def test_who_may_do_what(clinic, front_desk, clinic_admin, practitioner, second_practitioner, patient, follow_up, monday):
    own = _book(practitioner, patient, practitioner, follow_up, timezone.now(), outside_hours=True)  # practitioners book
    theirs = _book(clinic_admin, patient, second_practitioner, follow_up, timezone.now(), outside_hours=True)  # and so do admins
    for refused in (
        lambda: services.appointment_cancel(actor=practitioner, appointment=own, reason="x"),
        lambda: services.appointment_mark_no_show(actor=practitioner, appointment=own),
        lambda: services.appointment_move(
            actor=practitioner, appointment=own, starts_at=oslo(monday, 9), practitioner=practitioner, room=None
        ),
        lambda: services.appointment_mark_arrived(actor=practitioner, appointment=theirs),
        lambda: configuration.room_save(actor=front_desk, data={"name": "Gym"}),
        lambda: configuration.room_save(actor=practitioner, data={"name": "Gym"}),
    ):
        with pytest.raises(PermissionDenied):
            refused()
    assert services.appointment_mark_arrived(actor=practitioner, appointment=own).status == AppointmentStatus.ARRIVED
    assert services.appointment_mark_arrived(actor=clinic_admin, appointment=theirs).status == AppointmentStatus.ARRIVED


def test_another_clinics_patient_practitioner_type_or_room_is_refused(
    front_desk, patient, practitioner, follow_up, rooms, other_clinic, other_practitioner, other_admin
):
    foreign_type = configuration.appointment_type_save(actor=other_admin, data={"name_en": "X", "name_nb": "X", "duration_minutes": 30})
    foreign_room = configuration.room_save(actor=other_admin, data={"name": "Room 1"})  # the same name in another clinic is fine
    start = timezone.now() + dt.timedelta(days=1)
    for kwargs in ({"practitioner": other_practitioner}, {"appointment_type": foreign_type}, {"room": foreign_room}):
        arguments = {
            "patient": patient,
            "practitioner": practitioner,
            "appointment_type": follow_up,
            "starts_at": start,
            "outside_hours": True,
        }
        with pytest.raises(ValidationError, match="Choose"):
            services.appointment_book(actor=front_desk, **(arguments | kwargs))
    outsider_desk = make_staff(other_clinic, "otherdesk", "front_desk")
    with pytest.raises(ValidationError, match="patient of this clinic"):
        services.appointment_book(
            actor=outsider_desk,
            patient=patient,
            practitioner=other_practitioner,
            appointment_type=foreign_type,
            starts_at=start,
            outside_hours=True,
        )


def test_a_time_years_away_is_a_typing_slip(front_desk, patient, practitioner, follow_up):
    with pytest.raises(ValidationError, match="two years"):
        _book(front_desk, patient, practitioner, follow_up, timezone.now() + dt.timedelta(days=900), outside_hours=True)
