"""The wait list's reads and writes: add, edit, remove (with a reason), mark offered, offer a
freed time by message, match a free time, and book from an entry.

Who may: everyone who books appointments (``CalendarAction.BOOK``: the front desk, the clinic's
admins, the practitioners). Every read and write stays within the actor's clinic (another
clinic's entry answers 404 like a missing one) and every write is audited in its transaction.

Matching (``match``): an entry that is still waiting fits a free time when
- it accepts the time's practitioner (or names none: any practitioner),
- one of its appointment types is free then (the caller says which types fit the free time: their
  length and the time kept free after them lie within the practitioner's free time),
- the time starts in one of its parts of the day and on one of its weekdays (none named: any),
  in the clinic's wall-clock time,
- the day lies between its earliest and latest dates (either may be open).
The fitting entries come urgent first, then the longest waiting.

Offering by message (``entry_offer_time``): only to a patient whose entry records their consent
and channel (``offer_by``: SMS or e-mail; no message by default, the clinic calls), in the
patient's language, with the clinic, the practitioner's name and the time only (no type,
treatment, condition or discipline). The message goes through the outbox, once per entry, channel
and time; the entry is then offered, audited with the time and the channel.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Role
from needlechart.patients.models import Patient
from needlechart.scheduling import outbox, services
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.models import Appointment, AppointmentType, Room
from needlechart.scheduling.outbox_models import MessageChannel, MessageKind, OutgoingMessage
from needlechart.scheduling.selectors import clinic_zone
from needlechart.scheduling.wait_list_models import (
    PART_BOUNDS,
    WAIT_LIST_AUDIT,
    WAITING_STATUSES,
    OfferBy,
    WaitListEntry,
    WaitListStatus,
    part_of_day,
)

AUDIT_OBJECT = WAIT_LIST_AUDIT


# --- reads -----------------------------------------------------------------------------------


def wait_list_for_user(
    *,
    user: User,
    practitioner_id: int | None = None,
    appointment_type_id: uuid.UUID | None = None,
    statuses: Collection[str] = WAITING_STATUSES,
) -> QuerySet[WaitListEntry]:
    """The clinic's entries in ``statuses``, urgent first then the longest waiting; with a
    practitioner: the entries that accept them (naming them, or naming none)."""
    require(user, CalendarAction.BOOK)
    rows = WaitListEntry.objects.filter(clinic_id=clinic_id_of(user), status__in=list(statuses))
    if practitioner_id is not None:
        rows = rows.filter(Q(practitioners__isnull=True) | Q(practitioners=practitioner_id))
    if appointment_type_id is not None:
        rows = rows.filter(appointment_types=appointment_type_id)
    return (
        rows.distinct()
        .select_related("patient", "created_by")
        .prefetch_related("practitioners", "appointment_types")
        .order_by("-urgent", "created_at", "pk")
    )


def entry_get_for_user(*, user: User, entry_id: uuid.UUID | str) -> WaitListEntry:
    require(user, CalendarAction.BOOK)
    rows = WaitListEntry.objects.filter(clinic_id=clinic_id_of(user)).select_related("patient")
    try:
        return rows.prefetch_related("practitioners", "appointment_types").get(pk=entry_id)
    except (WaitListEntry.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeTime:
    """A free time to fill: its practitioner, its start, and the appointment types that fit in it."""

    practitioner_id: int
    start: dt.datetime
    type_ids: frozenset[uuid.UUID]


def fitting_types(entry: WaitListEntry, free: FreeTime, zone: Any) -> list[AppointmentType]:
    """The entry's appointment types it could be booked for in ``free`` (empty: it does not fit)."""
    if not entry.is_waiting:
        return []
    practitioner_ids = {p.pk for p in entry.practitioners.all()}
    if practitioner_ids and free.practitioner_id not in practitioner_ids:
        return []
    local = free.start.astimezone(zone)
    if entry.parts_of_day and part_of_day(local.time()) not in entry.parts_of_day:
        return []
    if entry.weekdays and local.weekday() not in entry.weekdays:
        return []
    if entry.earliest_date and local.date() < entry.earliest_date:
        return []
    if entry.latest_date and local.date() > entry.latest_date:
        return []
    return [kind for kind in entry.appointment_types.all() if kind.pk in free.type_ids]


def match(*, user: User, free: FreeTime) -> list[tuple[WaitListEntry, list[AppointmentType]]]:
    """The waiting entries that fit ``free`` with the types each could be booked for, urgent first then oldest."""
    zone = clinic_zone(clinic_id_of(user))
    day = free.start.astimezone(zone).date()
    rows = wait_list_for_user(user=user, practitioner_id=free.practitioner_id).filter(
        Q(earliest_date__isnull=True) | Q(earliest_date__lte=day), Q(latest_date__isnull=True) | Q(latest_date__gte=day)
    )
    found = [(entry, kinds) for entry in rows if (kinds := fitting_types(entry, free, zone))]
    return sorted(found, key=lambda pair: (not pair[0].urgent, pair[0].created_at, str(pair[0].pk)))


# --- writes ----------------------------------------------------------------------------------


def _clean(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """The entry's fields checked against the actor's clinic: a clear message for each wrong one."""
    clinic_id = clinic_id_of(actor)
    kinds = list(data.get("appointment_types") or [])
    if not kinds:
        raise ValidationError(_("Choose at least one appointment type."))
    if any(kind.clinic_id != clinic_id or not kind.active for kind in kinds):
        raise ValidationError(_("Choose an appointment type in use."))
    practitioners = list(data.get("practitioners") or [])
    if any(p.clinic_id != clinic_id or p.role != Role.PRACTITIONER or not p.is_active for p in practitioners):
        raise ValidationError(_("Choose a practitioner of this clinic."))
    parts = [str(part) for part in data.get("parts_of_day") or []]
    if any(part not in PART_BOUNDS for part in parts):
        raise ValidationError(_("Choose times of day from the list."))
    weekdays = sorted({int(day) for day in data.get("weekdays") or []})
    if any(not 0 <= day <= 6 for day in weekdays):
        raise ValidationError(_("Choose weekdays from the list."))
    earliest, latest = data.get("earliest_date"), data.get("latest_date")
    if earliest and latest and latest < earliest:
        raise ValidationError(_("The last day comes after the first."))
    note = str(data.get("note") or "").strip()
    if len(note) > 300:
        raise ValidationError(_("Keep the note to 300 characters."))
    return {
        "appointment_types": kinds,
        "practitioners": practitioners,
        "parts_of_day": [part for part in PART_BOUNDS if part in parts],
        "weekdays": weekdays,
        "earliest_date": earliest,
        "latest_date": latest,
        "urgent": bool(data.get("urgent")),
        "note": note,
        "offer_by": _offer_by(data.get("offer_by")),
    }


def _offer_by(value: object) -> str:
    if value not in (None, *OfferBy.values):
        raise ValidationError(_("Choose how the patient hears of a freed time from the list."))
    return str(value or OfferBy.NO_MESSAGE)


def _audit(actor: User, entry: WaitListEntry, action: str, detail: dict[str, object]) -> None:
    audit_record(actor=actor, action=action, object_type=AUDIT_OBJECT, object_id=entry.pk, patient_id=entry.patient_id, detail=detail)


def _save(entry: WaitListEntry, clean: dict[str, Any]) -> None:
    for name in ("parts_of_day", "weekdays", "earliest_date", "latest_date", "urgent", "note", "offer_by"):
        setattr(entry, name, clean[name])
    entry.save()
    entry.appointment_types.set(clean["appointment_types"])
    entry.practitioners.set(clean["practitioners"])


@transaction.atomic
def entry_add(*, actor: User, patient: Patient, data: dict[str, Any]) -> WaitListEntry:
    require(actor, CalendarAction.BOOK)
    if patient.clinic_id != clinic_id_of(actor):
        raise ValidationError(_("Choose a patient of this clinic."))
    clean = _clean(actor, data)
    entry = WaitListEntry(clinic_id=patient.clinic_id, patient=patient, created_by=actor)
    _save(entry, clean)
    _audit(actor, entry, AuditAction.CREATE, {"urgent": entry.urgent, "types": len(clean["appointment_types"])})
    return entry


def _locked(actor: User, entry: WaitListEntry) -> WaitListEntry:
    try:
        return WaitListEntry.objects.select_for_update().get(pk=entry.pk, clinic_id=clinic_id_of(actor))
    except WaitListEntry.DoesNotExist as exc:
        raise Http404 from exc


def _require_waiting(entry: WaitListEntry) -> None:
    if not entry.is_waiting:
        raise ValidationError(
            _("This patient is no longer waiting: the entry is %(status)s.") % {"status": entry.get_status_display().lower()}
        )


@transaction.atomic
def entry_edit(*, actor: User, entry: WaitListEntry, data: dict[str, Any]) -> WaitListEntry:
    require(actor, CalendarAction.BOOK)
    entry = _locked(actor, entry)
    _require_waiting(entry)
    clean = _clean(actor, data)
    _save(entry, clean)
    _audit(actor, entry, AuditAction.UPDATE, {"urgent": entry.urgent})
    return entry


def _set_status(actor: User, entry: WaitListEntry, status: str, reason: str = "", **more: object) -> WaitListEntry:
    entry.status, entry.status_reason = status, reason
    entry.status_changed_by, entry.status_changed_at = actor, timezone.now()
    entry.save(update_fields=["status", "status_reason", "status_changed_by", "status_changed_at", "appointment"])
    detail: dict[str, object] = {"status": status, **more}
    if entry.appointment_id:
        detail["appointment"] = str(entry.appointment_id)
    _audit(actor, entry, AuditAction.UPDATE, detail)
    return entry


@transaction.atomic
def entry_remove(*, actor: User, entry: WaitListEntry, reason: str) -> WaitListEntry:
    """Take the patient off the wait list, saying why (found a time elsewhere, no longer needed...)."""
    require(actor, CalendarAction.BOOK)
    entry = _locked(actor, entry)
    _require_waiting(entry)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for removing the patient from the wait list."))
    return _set_status(actor, entry, WaitListStatus.REMOVED, reason[:300])


@transaction.atomic
def entry_mark_offered(*, actor: User, entry: WaitListEntry, offered: bool = True) -> WaitListEntry:
    """A time was offered to the patient (waiting for their answer), or the offer lapsed (waiting again)."""
    require(actor, CalendarAction.BOOK)
    entry = _locked(actor, entry)
    _require_waiting(entry)
    return _set_status(actor, entry, WaitListStatus.OFFERED if offered else WaitListStatus.ACTIVE)


def _offer_address(entry: WaitListEntry) -> tuple[str, str]:
    """The channel and address the patient agreed to hear of a freed time on."""
    patient = entry.patient
    if entry.offer_by == OfferBy.SMS:
        if not patient.phone:
            raise ValidationError(_("The patient has no phone number on file."))
        return MessageChannel.SMS, patient.phone
    if entry.offer_by == OfferBy.EMAIL:
        if not patient.email:
            raise ValidationError(_("The patient has no e-mail address on file."))
        return MessageChannel.EMAIL, patient.email
    raise ValidationError(_("The patient has not agreed to messages about freed times: call them instead."))


@transaction.atomic
def entry_offer_time(*, actor: User, entry: WaitListEntry, practitioner: User, starts_at: dt.datetime) -> OutgoingMessage:
    """Offer the entry's patient the free time at ``starts_at`` with ``practitioner`` by a message
    (see the module's notes): queued in the outbox, and the entry marked offered, both or neither."""
    require(actor, CalendarAction.BOOK)
    entry = _locked(actor, entry)
    _require_waiting(entry)
    if practitioner.clinic_id != entry.clinic_id or practitioner.role != Role.PRACTITIONER:
        raise ValidationError(_("Choose a practitioner of this clinic."))
    if entry.practitioners.exists() and not entry.practitioners.filter(pk=practitioner.pk).exists():
        raise ValidationError(_("The patient is not waiting for this practitioner."))
    if starts_at <= timezone.now():
        raise ValidationError(_("This time has passed."))
    channel, address = _offer_address(entry)
    patient = entry.patient
    rendered = outbox.render_text(
        MessageKind.TIME_OFFERED,
        channel,
        language=patient.preferred_language,
        zone=clinic_zone(entry.clinic_id),
        moments={"when": starts_at},
        name=patient.given_name,
        clinic=entry.clinic.name,
        practitioner=practitioner.display_name,
    )
    try:
        with transaction.atomic():
            message = OutgoingMessage.objects.create(
                clinic_id=entry.clinic_id,
                wait_list_entry=entry,
                kind=MessageKind.TIME_OFFERED,
                channel=channel,
                appointment_starts_at=starts_at,
                recipient=address,
                language=patient.preferred_language,
                subject=rendered.subject,
                body=rendered.body,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError as error:
        raise ValidationError(_("This time has been offered to the patient already.")) from error
    detail = {"offered": starts_at.isoformat(), "practitioner": practitioner.pk, "channel": channel, "message": str(message.pk)}
    _set_status(actor, entry, WaitListStatus.OFFERED, "", **detail)
    return message


@transaction.atomic
def entry_book(
    *,
    actor: User,
    entry: WaitListEntry,
    practitioner: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    room: Room | None = None,
) -> Appointment:
    """Book the entry's patient at ``starts_at`` (through ``services.appointment_book``, which checks
    the time) and mark the entry booked, both or neither."""
    require(actor, CalendarAction.BOOK)
    entry = _locked(actor, entry)
    _require_waiting(entry)
    if not entry.appointment_types.filter(pk=appointment_type.pk).exists():
        raise ValidationError(_("The patient is not waiting for this appointment type."))
    if entry.practitioners.exists() and not entry.practitioners.filter(pk=practitioner.pk).exists():
        raise ValidationError(_("The patient is not waiting for this practitioner."))
    appointment = services.appointment_book(
        actor=actor,
        patient=entry.patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        starts_at=starts_at,
        room=room,
    )
    entry.appointment = appointment
    _set_status(actor, entry, WaitListStatus.BOOKED)
    return appointment


def patients_waiting(*, user: User, patient_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``patient_ids`` are on the wait list (for a mark on other pages)."""
    require(user, CalendarAction.BOOK)
    rows = WaitListEntry.objects.filter(clinic_id=clinic_id_of(user), status__in=list(WAITING_STATUSES), patient_id__in=list(patient_ids))
    return set(rows.values_list("patient_id", flat=True))
