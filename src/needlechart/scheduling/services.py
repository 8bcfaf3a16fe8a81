"""Writes of appointments: book (once or weekly), move, cancel, and what happened on the day.
Each is atomic and audited in the same transaction.

A time is checked before it is written (working hours and exceptions, unless the booker books
outside them on purpose; the practitioner's and the room's other appointments), and the database
refuses an overlap whatever the check saw (``scheduling.db_guards``): two bookings of the last
free time at the same moment end with one appointment and one ``BookingConflict``.

When the patient arrives, or the practitioner opens the visit, the appointment becomes the
charting ``Encounter`` (through charting's services), so it is the visit on the day list and
the chart from then on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.charting import services as charting
from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Role
from needlechart.patients import services as patients
from needlechart.patients.models import ConditionCategory, Episode, Patient
from needlechart.scheduling import outbox
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.db_guards import conflict_of, deadlocked
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, AppointmentType, Room
from needlechart.scheduling.recurrence import weekly_starts
from needlechart.scheduling.selectors import calendar_read, clinic_zone, diaries
from needlechart.scheduling.slots import Span, within_hours

# Bookings further from today than this are typing slips (and their arithmetic could overflow).
FURTHEST = dt.timedelta(days=2 * 366)


class BookingConflict(ValidationError):
    """The time is taken, or outside the practitioner's hours: the form shows the message."""


class SeriesConflict(ValidationError):
    """Some weeks of a series cannot be booked; ``conflicts`` says which and why."""

    def __init__(self, conflicts: list[tuple[dt.datetime, str]], zone: ZoneInfo) -> None:
        self.conflicts = conflicts
        super().__init__([_when(start, zone) + ": " + message for start, message in conflicts])


@dataclass(frozen=True)
class SeriesBooked:
    booked: list[Appointment]
    skipped: list[tuple[dt.datetime, str]]  # the weeks left out (``skip_conflicts``) and why


def _when(moment: dt.datetime, zone: ZoneInfo) -> str:
    return str(formats.date_format(moment.astimezone(zone), "SHORT_DATETIME_FORMAT"))


def _on_the_minute(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        raise ValidationError(_("Give the time with its time zone."))
    if abs(moment - timezone.now()) > FURTHEST:
        raise ValidationError(_("The time must be within two years of today."))
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _check_parties(clinic_id: uuid.UUID, *, patient: Patient, practitioner: User, kind: AppointmentType, room: Room | None) -> None:
    if patient.clinic_id != clinic_id:
        raise ValidationError(_("Choose a patient of this clinic."))
    if practitioner.clinic_id != clinic_id or practitioner.role != Role.PRACTITIONER or not practitioner.is_active:
        raise ValidationError(_("Choose a practitioner of this clinic."))
    if kind.clinic_id != clinic_id or not kind.active:
        raise ValidationError(_("Choose an appointment type in use."))
    if room is not None and (room.clinic_id != clinic_id or not room.active):
        raise ValidationError(_("Choose a room in use."))


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


def _refusal(kind: str) -> str:
    return _("The room is booked then.") if kind == "room" else _("The practitioner has another appointment then.")


def _save_guarded(appointment: Appointment, update_fields: list[str] | None = None) -> None:
    """Save, turning the database's refusal of an overlap into a ``BookingConflict``. A write
    aborted as a deadlock (another booking of the same time checked at the same moment) is
    written again: it then waits for the other one and is saved or refused."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                appointment.save(update_fields=update_fields)
            return
        except OperationalError as error:
            if not deadlocked(error) or attempt == 2:
                raise
        except IntegrityError as error:
            kind = conflict_of(error)
            if kind is None:
                raise
            raise BookingConflict(_refusal(kind)) from error


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
    _check_parties(clinic_id, patient=patient, practitioner=practitioner, kind=appointment_type, room=room)
    if episode is not None and (episode.patient_id != patient.pk or not episode.is_open):
        raise ValidationError(_("Choose an open episode of care of this patient."))
    start = _on_the_minute(starts_at)
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
    _save_guarded(appointment)
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
        starts = weekly_starts(_on_the_minute(first_start), weeks, zone)
    except ValueError as error:
        raise ValidationError(_("A series has 1 to 52 weeks.")) from error
    _on_the_minute(starts[-1])
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


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("appointment_type", "patient").get(pk=appointment.pk)


def _require_booked(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        status = appointment.get_status_display().lower()
        raise ValidationError(_("Only a booked appointment can be changed: this one is %(status)s.") % {"status": status})


def _audit_change(actor: User, appointment: Appointment, detail: dict[str, object]) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.APPOINTMENT,
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail=detail,
    )


@transaction.atomic
def appointment_move(
    *, actor: User, appointment: Appointment, starts_at: dt.datetime, practitioner: User, room: Room | None, outside_hours: bool = False
) -> Appointment:
    """Rebook to another time, practitioner or room; the length and the time kept free after it stay."""
    require(actor, CalendarAction.MANAGE)
    appointment = _locked(appointment)
    _require_booked(appointment)
    if appointment.encounter_id:
        raise ValidationError(_("The visit of this appointment is already open; book a new appointment instead."))
    clinic_id = clinic_id_of(actor)
    _check_parties(clinic_id, patient=appointment.patient, practitioner=practitioner, kind=appointment.appointment_type, room=room)
    start = _on_the_minute(starts_at)
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
    _save_guarded(appointment, update_fields=["starts_at", "ends_at", "blocked_until", "practitioner", "room"])
    _audit_change(actor, appointment, detail)
    outbox.appointment_moved(appointment, previous_start=previous_start)
    return appointment


def _close_visit(actor: User, appointment: Appointment) -> None:
    """An opened visit of an appointment that will not take place is cancelled with it."""
    if appointment.encounter_id:
        encounter = Encounter.objects.get(pk=appointment.encounter_id)
        if encounter.status == EncounterStatus.PLANNED:
            charting.encounter_set_status(actor=actor, encounter=encounter, status=EncounterStatus.CANCELLED)


def _set_status(actor: User, appointment: Appointment, status: str, reason: str = "") -> Appointment:
    appointment.status, appointment.status_reason, appointment.status_changed_at = status, reason, timezone.now()
    appointment.save(update_fields=["status", "status_reason", "status_changed_at"])
    _audit_change(actor, appointment, {"status": status})
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str, late: bool = False) -> Appointment:
    """Cancel with a reason; ``late``: cancelled too late to offer the time to someone else (the
    clinic's rules may charge for it). Either frees the time."""
    require(actor, CalendarAction.MANAGE)
    appointment = _locked(appointment)
    _require_booked(appointment)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason for cancelling."))
    _close_visit(actor, appointment)
    appointment = _set_status(actor, appointment, AppointmentStatus.LATE_CANCELLED if late else AppointmentStatus.CANCELLED, reason[:300])
    outbox.appointment_cancelled(appointment)
    return appointment


@transaction.atomic
def appointment_mark_no_show(*, actor: User, appointment: Appointment) -> Appointment:
    require(actor, CalendarAction.MANAGE)
    appointment = _locked(appointment)
    _require_booked(appointment)
    if appointment.starts_at > timezone.now():
        raise ValidationError(_("A patient can be marked as not come once the appointment has begun."))
    _close_visit(actor, appointment)
    return _set_status(actor, appointment, AppointmentStatus.NO_SHOW)


def _open_episode(actor: User, appointment: Appointment) -> Episode:
    """The appointment's episode of care, else the patient's latest open one, else a new one named
    after the reason for the visit (or the appointment type), for the practitioner to complete."""
    if appointment.episode_id:
        return Episode.objects.get(pk=appointment.episode_id)
    latest = Episode.objects.filter(patient_id=appointment.patient_id, ended_on__isnull=True).order_by("-started_on", "-created_at").first()
    if latest is not None:
        return latest
    zone = clinic_zone(appointment.clinic_id)
    return patients.episode_create(
        actor=actor,
        patient=appointment.patient,
        complaint=appointment.reason or appointment.appointment_type.name_in(actor.preferred_language),
        condition=ConditionCategory.OTHER,
        started_on=appointment.starts_at.astimezone(zone).date(),
    )


def _visit_of(actor: User, appointment: Appointment) -> Encounter:
    """The appointment's visit: the one it became, else a visit booked for the same patient,
    practitioner and time outside the calendar (linked), else a new one."""
    if appointment.encounter_id:
        return Encounter.objects.get(pk=appointment.encounter_id)
    encounter = (
        Encounter.objects.filter(
            clinic_id=appointment.clinic_id,
            patient_id=appointment.patient_id,
            practitioner_id=appointment.practitioner_id,
            starts_at=appointment.starts_at,
            appointment__isnull=True,
        )
        .exclude(status=EncounterStatus.CANCELLED)
        .first()
    )
    if encounter is None:
        encounter = charting.encounter_create(
            actor=actor,
            episode=_open_episode(actor, appointment),
            practitioner=appointment.practitioner,
            starts_at=appointment.starts_at,
            duration_minutes=int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
            reason=appointment.reason or appointment.appointment_type.name_in(actor.preferred_language),
        )
    appointment.encounter = encounter
    appointment.save(update_fields=["encounter"])
    _audit_change(actor, appointment, {"encounter": str(encounter.pk)})
    return encounter


@transaction.atomic
def appointment_mark_arrived(*, actor: User, appointment: Appointment) -> Appointment:
    """The patient has come: the appointment becomes the day's visit, marked arrived."""
    require(actor, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id)
    appointment = _locked(appointment)
    _require_booked(appointment)
    zone = clinic_zone(appointment.clinic_id)
    if appointment.starts_at.astimezone(zone).date() > timezone.now().astimezone(zone).date():
        raise ValidationError(_("A patient arrives on the day of the appointment."))
    encounter = _visit_of(actor, appointment)
    if encounter.status == EncounterStatus.PLANNED:
        charting.encounter_set_status(actor=actor, encounter=encounter, status=EncounterStatus.ARRIVED)
    return _set_status(actor, appointment, AppointmentStatus.ARRIVED)


@transaction.atomic
def appointment_open_visit(*, actor: User, appointment: Appointment) -> Encounter:
    """The appointment's visit, made if it has none yet (the practitioner opens it to write the note)."""
    require(actor, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id)
    appointment = _locked(appointment)
    if appointment.status not in ACTIVE_STATUSES:
        raise ValidationError(_("A cancelled appointment has no visit."))
    return _visit_of(actor, appointment)
