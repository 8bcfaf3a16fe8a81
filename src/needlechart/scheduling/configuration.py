"""Writes of the calendar's set-up, by the clinic's admins: its settings, rooms, appointment types,
the practitioners' working hours and the exceptions to them. Each is atomic and audited.

Changing hours or adding an exception never touches appointments already booked: the calendar
shows an appointment outside the new hours as it is, for the front desk to move.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Role
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.models import AppointmentType, CalendarSettings, Room, ScheduleException, WorkingHours

SETTINGS_FIELDS = ("time_zone", "slot_minutes", "minimum_notice_minutes", "horizon_days", "reminder_hours")
ROOM_FIELDS = ("name", "active")
TYPE_FIELDS = ("name_en", "name_nb", "duration_minutes", "buffer_minutes", "price", "bookable_online", "is_needling", "active")


def _audit(actor: User, action: AuditAction, row: models.Model, detail: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, object_type=AuditObject.CALENDAR_SETUP, object_id=row.pk, detail=detail)


def _save_unique(row: models.Model, message: str) -> None:
    row.full_clean(exclude=["clinic", "practitioner", "created_by", "room"])
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as error:
        raise ValidationError(message) from error


@transaction.atomic
def calendar_settings_update(*, actor: User, data: dict[str, Any]) -> CalendarSettings:
    require(actor, CalendarAction.CONFIGURE)
    calendar = CalendarSettings.objects.filter(clinic_id=clinic_id_of(actor)).first() or CalendarSettings(clinic_id=clinic_id_of(actor))
    for name in SETTINGS_FIELDS:
        if name in data:
            setattr(calendar, name, data[name])
    calendar.full_clean(exclude=["clinic"])
    calendar.save()
    _audit(actor, AuditAction.UPDATE, calendar, {"settings": sorted(set(data) & set(SETTINGS_FIELDS))})
    return calendar


@transaction.atomic
def room_save(*, actor: User, data: dict[str, Any], room: Room | None = None) -> Room:
    """Add a room, or change ``room``."""
    require(actor, CalendarAction.CONFIGURE)
    creating = room is None
    room = room or Room(clinic_id=clinic_id_of(actor))
    for name in ROOM_FIELDS:
        if name in data:
            setattr(room, name, data[name])
    _save_unique(room, _("The clinic has a room of that name already."))
    _audit(actor, AuditAction.CREATE if creating else AuditAction.UPDATE, room, {"room": room.name})
    return room


@transaction.atomic
def appointment_type_save(*, actor: User, data: dict[str, Any], appointment_type: AppointmentType | None = None) -> AppointmentType:
    """Add an appointment type, or change one. A change applies to appointments booked from then
    on; those booked keep the length they were booked with."""
    require(actor, CalendarAction.CONFIGURE)
    creating = appointment_type is None
    kind = appointment_type or AppointmentType(clinic_id=clinic_id_of(actor))
    for name in TYPE_FIELDS:
        if name in data:
            setattr(kind, name, data[name])
    _save_unique(kind, _("The clinic has an appointment type of that name already."))
    _audit(actor, AuditAction.CREATE if creating else AuditAction.UPDATE, kind, {"appointment_type": kind.name_en})
    return kind


def _require_practitioner(actor: User, practitioner: User) -> None:
    if practitioner.clinic_id != clinic_id_of(actor) or practitioner.role != Role.PRACTITIONER:
        raise ValidationError(_("Choose a practitioner of this clinic."))


@transaction.atomic
def working_hours_add(
    *, actor: User, practitioner: User, weekday: int, start_time: dt.time, end_time: dt.time, room: Room | None = None
) -> WorkingHours:
    """Add one interval to the practitioner's week template; it may not overlap another of that weekday."""
    require(actor, CalendarAction.CONFIGURE)
    _require_practitioner(actor, practitioner)
    if room is not None and room.clinic_id != practitioner.clinic_id:
        raise ValidationError(_("Choose a room in use."))
    if not start_time < end_time:
        raise ValidationError(_("The end must come after the start."))
    same_day = WorkingHours.objects.select_for_update().filter(practitioner=practitioner, weekday=weekday)
    if same_day.filter(start_time__lt=end_time, end_time__gt=start_time).exists():
        raise ValidationError(_("These hours overlap hours the practitioner already has that day."))
    hours = WorkingHours(
        clinic_id=clinic_id_of(actor), practitioner=practitioner, weekday=weekday, start_time=start_time, end_time=end_time, room=room
    )
    hours.full_clean(exclude=["clinic", "practitioner", "room"])
    hours.save()
    _audit(actor, AuditAction.CREATE, hours, {"practitioner": practitioner.pk, "weekday": weekday})
    return hours


@transaction.atomic
def working_hours_remove(*, actor: User, hours: WorkingHours) -> None:
    require(actor, CalendarAction.CONFIGURE)
    _audit(actor, AuditAction.UPDATE, hours, {"practitioner": hours.practitioner_id, "weekday": hours.weekday, "removed": True})
    hours.delete()


@transaction.atomic
def schedule_exception_add(
    *,
    actor: User,
    practitioner: User | None,
    first_day: dt.date,
    last_day: dt.date,
    reason: str,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    note: str = "",
) -> ScheduleException:
    """Time away from the week template: the practitioner's, or (no practitioner) the whole clinic's;
    whole days, or the same hours on each day from ``first_day`` to ``last_day``."""
    require(actor, CalendarAction.CONFIGURE)
    if practitioner is not None:
        _require_practitioner(actor, practitioner)
    if last_day < first_day:
        raise ValidationError(_("The last day cannot come before the first."))
    if (start_time is None) != (end_time is None) or (start_time and end_time and not start_time < end_time):
        raise ValidationError(_("Give both times, the end after the start, or neither for whole days."))
    exception = ScheduleException(
        clinic_id=clinic_id_of(actor),
        practitioner=practitioner,
        first_day=first_day,
        last_day=last_day,
        start_time=start_time,
        end_time=end_time,
        reason=reason,
        note=note.strip(),
        created_by=actor,
    )
    exception.full_clean(exclude=["clinic", "practitioner", "created_by"])
    exception.save()
    detail = {
        "practitioner": practitioner.pk if practitioner else None,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
    }
    _audit(actor, AuditAction.CREATE, exception, detail)
    return exception


@transaction.atomic
def schedule_exception_remove(*, actor: User, exception: ScheduleException) -> None:
    require(actor, CalendarAction.CONFIGURE)
    _audit(actor, AuditAction.UPDATE, exception, {"practitioner": exception.practitioner_id, "removed": True})
    exception.delete()
