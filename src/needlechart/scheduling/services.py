"""Writes of appointments: book (once or weekly) and move; what happened on the day (cancel,
not come, arrived, the visit opened) is in ``scheduling.appointment_outcomes``, and this module
offers it too. Each is atomic and audited in the same transaction.

A time is checked before it is written (working hours and exceptions, unless the booker books
outside them on purpose; the practitioner's and the room's other appointments), and the database
refuses an overlap whatever the check saw (``scheduling.db_guards``): two bookings of the last
free time at the same moment end with one appointment and one ``BookingConflict``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.patients.models import Episode, Patient
from needlechart.scheduling import outbox
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.appointment_checks import (
    FURTHEST,
    BookingConflict,
    SeriesConflict,
    audit_change,
    check_parties,
    locked,
    on_the_minute,
    require_booked,
    retried_on_deadlock,
    save_guarded,
)
from needlechart.scheduling.appointment_outcomes import (
    appointment_cancel,
    appointment_mark_arrived,
    appointment_mark_no_show,
    appointment_open_visit,
)
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentType, Room
from needlechart.scheduling.recurrence import weekly_starts
from needlechart.scheduling.selectors import calendar_read, clinic_zone, diaries
from needlechart.scheduling.slots import Span, within_hours

__all__ = [
    "FURTHEST",
    "BookingConflict",
    "SeriesBooked",
    "SeriesConflict",
    "appointment_book",
    "appointment_book_series",
    "appointment_cancel",
    "appointment_mark_arrived",
    "appointment_mark_no_show",
    "appointment_move",
    "appointment_open_visit",
]


@dataclass(frozen=True)
class SeriesBooked:
    booked: list[Appointment]
    skipped: list[tuple[dt.datetime, str]]  # the weeks left out (``skip_conflicts``) and why


def _problem(
    actor: User,
    *,
    patient: Patient,
    practitioner: User,
    room: Room | None,
    span: Span,
    outside_hours: bool,
    leaving_out: uuid.UUID | None = None,
) -> str | None:
    """Why ``span`` cannot be booked for the patient with the practitioner (and room), or None
    (``leaving_out``: the appointment being moved, whose own time does not count). A visit booked
    outside the calendar for the same patient at the same time is no conflict: the appointment
    becomes that visit on arrival."""
    read = calendar_read(user=actor, span=span, practitioner_ids=[practitioner.pk])
    others = [a for a in read.appointments if a.status in ACTIVE_STATUSES and a.pk != leaving_out]
    if any(a.practitioner_id == practitioner.pk for a in others):
        return _("The practitioner has another appointment then.")
    if room is not None and any(a.room_id == room.pk for a in others):
        return _("The room is booked then.")
    if any((v.patient_id, v.starts_at) != (patient.pk, span.start) for v in read.visits):
        return _("The practitioner has a visit then.")
    if not outside_hours and not within_hours(diaries(read, [practitioner.pk], leaving_out=leaving_out)[0], span, read.zone):
        return _("The practitioner does not work then (working hours and exceptions).")
    return None


@retried_on_deadlock
@transaction.atomic
def appointment_book(
    *,
    actor: User,
    patient: Patient,
    practitioner: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    room: Room | None = None,
    reason: str = "",
    episode: Episode | None = None,
    outside_hours: bool = False,
    series_id: uuid.UUID | None = None,
    confirm: bool = True,
) -> Appointment:
    """Book one appointment; ``outside_hours`` books it although the practitioner does not work then.
    The patient's confirmation (unless ``confirm`` is off) and reminder are queued (``outbox``)."""
    require(actor, CalendarAction.BOOK)
    clinic_id = clinic_id_of(actor)
    check_parties(clinic_id, patient=patient, practitioner=practitioner, kind=appointment_type, room=room)
    if episode is not None and (episode.patient_id != patient.pk or not episode.is_open):
        raise ValidationError(_("Choose an open episode of care of this patient."))
    start = on_the_minute(starts_at)
    end = start + dt.timedelta(minutes=appointment_type.duration_minutes)
    blocked_until = end + dt.timedelta(minutes=appointment_type.buffer_minutes)
    span = Span(start, blocked_until)
    problem = _problem(actor, patient=patient, practitioner=practitioner, room=room, span=span, outside_hours=outside_hours)
    if problem:
        raise BookingConflict(problem)
    appointment = Appointment(
        clinic_id=clinic_id,
        patient=patient,
        episode=episode,
        practitioner=practitioner,
        room=room,
        appointment_type=appointment_type,
        starts_at=start,
        ends_at=end,
        blocked_until=blocked_until,
        reason=reason.strip(),
        series_id=series_id,
        created_by=actor,
    )
    save_guarded(appointment)
    detail = {"starts_at": start.isoformat(), "practitioner": practitioner.pk, "type": str(appointment_type.pk)}
    if series_id:
        detail["series"] = str(series_id)
    if outside_hours:
        detail["outside_hours"] = True
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=AuditObject.APPOINTMENT,
        object_id=appointment.pk,
        patient_id=patient.pk,
        detail=detail,
    )
    outbox.appointment_booked(appointment, confirm=confirm)
    return appointment


@transaction.atomic
def appointment_book_series(
    *,
    actor: User,
    patient: Patient,
    practitioner: User,
    appointment_type: AppointmentType,
    first_start: dt.datetime,
    weeks: int,
    room: Room | None = None,
    reason: str = "",
    episode: Episode | None = None,
    outside_hours: bool = False,
    skip_conflicts: bool = False,
) -> SeriesBooked:
    """Book the same wall-clock time weekly for ``weeks`` weeks (``scheduling.recurrence``).

    All or nothing by default: when any week cannot be booked, none is, and the ``SeriesConflict``
    names every week that cannot and why, so the booker can choose another time or book the free
    weeks only (``skip_conflicts``: the others are booked and the left-out ones returned).
    """
    require(actor, CalendarAction.BOOK)
    zone = clinic_zone(clinic_id_of(actor))
    try:
        starts = weekly_starts(on_the_minute(first_start), weeks, zone)
    except ValueError as error:
        raise ValidationError(_("A series has 1 to 52 weeks.")) from error
    on_the_minute(starts[-1])
    length = dt.timedelta(minutes=appointment_type.duration_minutes + appointment_type.buffer_minutes)
    conflicts = [
        (start, problem)
        for start in starts
        if (
            problem := _problem(
                actor, patient=patient, practitioner=practitioner, room=room, span=Span(start, start + length), outside_hours=outside_hours
            )
        )
    ]
    if conflicts and not skip_conflicts:
        raise SeriesConflict(conflicts, zone)
    series_id = uuid.uuid4() if weeks > 1 else None
    left_out = {start for start, _problem_text in conflicts}
    booked: list[Appointment] = []
    skipped = list(conflicts)
    for start in starts:
        if start in left_out:
            continue
        try:
            booked.append(
                appointment_book(
                    actor=actor,
                    patient=patient,
                    practitioner=practitioner,
                    appointment_type=appointment_type,
                    starts_at=start,
                    room=room,
                    reason=reason,
                    episode=episode,
                    outside_hours=outside_hours,
                    series_id=series_id,
                    confirm=not booked,  # one confirmation for the series, with its first time
                )
            )
        except BookingConflict as refusal:  # taken since the check, by a booking that just committed
            if not skip_conflicts:
                raise SeriesConflict([(start, refusal.messages[0])], zone) from refusal
            skipped.append((start, refusal.messages[0]))
    return SeriesBooked(booked, sorted(skipped))


@transaction.atomic
def appointment_move(
    *, actor: User, appointment: Appointment, starts_at: dt.datetime, practitioner: User, room: Room | None, outside_hours: bool = False
) -> Appointment:
    """Rebook to another time, practitioner or room; the length and the time kept free after it stay."""
    require(actor, CalendarAction.MANAGE)
    appointment = locked(appointment)
    require_booked(appointment)
    if appointment.encounter_id:
        raise ValidationError(_("The visit of this appointment is already open; book a new appointment instead."))
    clinic_id = clinic_id_of(actor)
    check_parties(clinic_id, patient=appointment.patient, practitioner=practitioner, kind=appointment.appointment_type, room=room)
    start = on_the_minute(starts_at)
    end = start + (appointment.ends_at - appointment.starts_at)
    blocked_until = end + (appointment.blocked_until - appointment.ends_at)
    span = Span(start, blocked_until)
    problem = _problem(
        actor,
        patient=appointment.patient,
        practitioner=practitioner,
        room=room,
        span=span,
        outside_hours=outside_hours,
        leaving_out=appointment.pk,
    )
    if problem:
        raise BookingConflict(problem)
    detail: dict[str, object] = {"moved_from": appointment.starts_at.isoformat(), "moved_to": start.isoformat()}
    if practitioner.pk != appointment.practitioner_id:
        detail["practitioner"] = practitioner.pk
    if (room.pk if room else None) != appointment.room_id:
        detail["room"] = str(room.pk) if room else None
    previous_start = appointment.starts_at
    appointment.starts_at, appointment.ends_at, appointment.blocked_until = start, end, blocked_until
    appointment.practitioner, appointment.room = practitioner, room
    save_guarded(appointment, update_fields=["starts_at", "ends_at", "blocked_until", "practitioner", "room"])
    audit_change(actor, appointment, detail)
    outbox.appointment_moved(appointment, previous_start=previous_start)
    return appointment
