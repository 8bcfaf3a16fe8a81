"""What every write of an appointment checks and how it saves: the time on the minute and near
today, the parties of the clinic, the database's refusal of an overlap as a ``BookingConflict``,
the row locked for a change, and the audit row of a change (``scheduling.services`` and
``scheduling.appointment_outcomes`` use them)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.core.access import Role
from needlechart.patients.models import Patient
from needlechart.scheduling.db_guards import conflict_of, deadlocked
from needlechart.scheduling.models import Appointment, AppointmentStatus, AppointmentType, Room

T = TypeVar("T")

# Bookings further from today than this are typing slips (and their arithmetic could overflow).
FURTHEST = dt.timedelta(days=2 * 366)


class BookingConflict(ValidationError):
    """The time is taken, or outside the practitioner's hours: the form shows the message."""


class SeriesConflict(ValidationError):
    """Some weeks of a series cannot be booked; ``conflicts`` says which and why."""

    def __init__(self, conflicts: list[tuple[dt.datetime, str]], zone: ZoneInfo) -> None:
        self.conflicts = conflicts
        super().__init__([when(start, zone) + ": " + message for start, message in conflicts])


def when(moment: dt.datetime, zone: ZoneInfo) -> str:
    return str(formats.date_format(moment.astimezone(zone), "SHORT_DATETIME_FORMAT"))


def on_the_minute(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        raise ValidationError(_("Give the time with its time zone."))
    if abs(moment - timezone.now()) > FURTHEST:
        raise ValidationError(_("The time must be within two years of today."))
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def check_parties(clinic_id: uuid.UUID, *, patient: Patient, practitioner: User, kind: AppointmentType, room: Room | None) -> None:
    if patient.clinic_id != clinic_id:
        raise ValidationError(_("Choose a patient of this clinic."))
    if practitioner.clinic_id != clinic_id or practitioner.role != Role.PRACTITIONER or not practitioner.is_active:
        raise ValidationError(_("Choose a practitioner of this clinic."))
    if kind.clinic_id != clinic_id or not kind.active:
        raise ValidationError(_("Choose an appointment type in use."))
    if room is not None and (room.clinic_id != clinic_id or not room.active):
        raise ValidationError(_("Choose a room in use."))


def _refusal(kind: str) -> str:
    return _("The room is booked then.") if kind == "room" else _("The practitioner has another appointment then.")


def retried_on_deadlock(function: Callable[..., T]) -> Callable[..., T]:
    """Run a booking's whole transaction again when PostgreSQL aborted it as a deadlock (two
    bookings of the same time, each holding a lock the other waits for, e.g. the audit chain's
    head): the second run checks the time anew and is saved or refused."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> T:
        for attempt in range(3):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not deadlocked(error) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    return run


def save_guarded(appointment: Appointment, update_fields: list[str] | None = None) -> None:
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


def locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("appointment_type", "patient").get(pk=appointment.pk)


def require_booked(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        status = appointment.get_status_display().lower()
        raise ValidationError(_("Only a booked appointment can be changed: this one is %(status)s.") % {"status": status})


def audit_change(actor: User, appointment: Appointment, detail: dict[str, object]) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.APPOINTMENT,
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail=detail,
    )
