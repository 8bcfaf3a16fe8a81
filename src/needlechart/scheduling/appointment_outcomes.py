"""What happened on the day of an appointment: cancelled (in time or late), not come, arrived,
or its visit opened by the practitioner. Each is atomic and audited in the same transaction.

When the patient arrives, or the practitioner opens the visit, the appointment becomes the
charting ``Encounter`` (through charting's services), so it is the visit on the day list and
the chart from then on.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.charting import services as charting
from needlechart.charting.models import Encounter, EncounterStatus
from needlechart.clinics.models import User
from needlechart.patients import services as patients
from needlechart.patients.models import ConditionCategory, Episode
from needlechart.scheduling import outbox
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.appointment_checks import audit_change, locked, require_booked
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from needlechart.scheduling.selectors import clinic_zone


def _close_visit(actor: User, appointment: Appointment) -> None:
    """An opened visit of an appointment that will not take place is cancelled with it."""
    if appointment.encounter_id:
        encounter = Encounter.objects.get(pk=appointment.encounter_id)
        if encounter.status == EncounterStatus.PLANNED:
            charting.encounter_set_status(actor=actor, encounter=encounter, status=EncounterStatus.CANCELLED)


def _set_status(actor: User, appointment: Appointment, status: str, reason: str = "") -> Appointment:
    appointment.status, appointment.status_reason, appointment.status_changed_at = status, reason, timezone.now()
    appointment.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_change(actor, appointment, {"status": status})
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str, late: bool = False) -> Appointment:
    """Cancel with a reason; ``late``: cancelled too late to offer the time to someone else (the
    clinic's rules may charge for it). Either frees the time."""
    require(actor, CalendarAction.MANAGE)
    appointment = locked(appointment)
    require_booked(appointment)
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
    appointment = locked(appointment)
    require_booked(appointment)
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
    audit_change(actor, appointment, {"encounter": str(encounter.pk)})
    return encounter


@transaction.atomic
def appointment_mark_arrived(*, actor: User, appointment: Appointment) -> Appointment:
    """The patient has come: the appointment becomes the day's visit, marked arrived."""
    require(actor, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id)
    appointment = locked(appointment)
    require_booked(appointment)
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
    appointment = locked(appointment)
    if appointment.status not in ACTIVE_STATUSES:
        raise ValidationError(_("A cancelled appointment has no visit."))
    return _visit_of(actor, appointment)
