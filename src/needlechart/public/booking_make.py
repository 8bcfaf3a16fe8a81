"""Making an online booking from a held time: the patient, the appointment, the messages.

A booking whose visitor confirmed a code (``booking_codes``) is made for the patient on file;
every other booking creates a patient record that the front desk confirms or merges
(``booking_desk``). Either way the appointment is booked through
``scheduling.services.appointment_book`` (the database's guard still decides a race: the loser
gets ``TimeTaken``), which queues the confirmation in the outbox; the confirmation then gets the
manage link (made here, in the same transaction, and stored only as a hash) and, for a new
patient, the intake link is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.patients import services as patients
from needlechart.patients.models import Patient
from needlechart.public.booking import TimeTaken, assessment_type_for, booking_actor, secret_hash
from needlechart.public.booking_models import OnlineBooking, SlotHold
from needlechart.public.booking_precheck import blocking_reasons, precheck_result
from needlechart.public.models import PublicProfile
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import Room
from needlechart.scheduling.outbox_models import MessageChannel, MessageKind, MessageStatus, OutgoingMessage
from needlechart.screening import services as screening


@dataclass
class Booked:
    booking: OnlineBooking
    manage_secret: str
    manage_url: str
    intake_url: str | None
    turned_into_assessment: bool
    reasons: list[str] = field(default_factory=list)


def manage_url_of(profile: PublicProfile, language: str, secret: str, base_url: str) -> str:
    path = reverse("booking_manage", kwargs={"clinic_slug": profile.slug, "lang": language, "secret": secret})
    return base_url.rstrip("/") + path


def book(
    profile: PublicProfile,
    hold: SlotHold,
    *,
    details: Mapping[str, Any],
    answers: Mapping[str, Any],
    language: str,
    base_url: str,
    patient: Patient | None = None,
) -> Booked:
    """Book the held time for ``patient`` (one on file whose code was confirmed), or for a new
    patient of ``details``; ``TimeTaken`` when the database refuses it (the hold is then let go,
    and nothing of the attempt is kept)."""
    try:
        return _book(profile, hold, details=details, answers=answers, language=language, base_url=base_url, patient=patient)
    except scheduling.BookingConflict as error:
        SlotHold.objects.filter(pk=hold.pk).delete()
        raise TimeTaken from error


def _room(room_id: Any) -> Room | None:
    return Room.objects.filter(pk=room_id).first() if room_id else None


@transaction.atomic
def _book(
    profile: PublicProfile,
    hold: SlotHold,
    *,
    details: Mapping[str, Any],
    answers: Mapping[str, Any],
    language: str,
    base_url: str,
    patient: Patient | None,
) -> Booked:
    hold = SlotHold.objects.select_for_update().select_related("appointment_type").get(pk=hold.pk)
    if hold.expires_at <= timezone.now():
        raise TimeTaken
    actor = booking_actor(profile.clinic_id)
    requested = hold.appointment_type
    result = precheck_result(profile.clinic_id, answers)
    kind, turned, reasons = requested, False, []
    if requested.is_needling and result.blocks_all_needling:
        assessment = assessment_type_for(profile)
        if assessment is not None:
            kind, turned = assessment, True
            reasons = blocking_reasons(result, answers, language)
    new_patient = patient is None
    if patient is None:
        patient = patients.patient_create(
            actor=actor,
            data={
                "given_name": details["given_name"],
                "family_name": details["family_name"],
                "birth_date": details["birth_date"],
                "phone": details["phone"],
                "email": details.get("email", ""),
                "preferred_language": language,
            },
        )
    appointment = scheduling.appointment_book(
        actor=actor,
        patient=patient,
        practitioner=User.objects.get(pk=hold.practitioner_id),
        appointment_type=kind,
        starts_at=hold.starts_at,
        room=_room(hold.room_id),
        reason=_("Booked online"),
    )
    manage_secret = secrets.token_urlsafe(32)
    booking = OnlineBooking.objects.create(
        clinic_id=profile.clinic_id,
        appointment=appointment,
        patient=patient,
        manage_secret_hash=secret_hash(manage_secret),
        new_patient=new_patient,
        patient_confirmed=not new_patient,
        requested_type=requested,
        precheck=dict(answers),
        turned_into_assessment=turned,
        language=language,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="online_booking",
        object_id=booking.pk,
        patient_id=patient.pk,
        detail={"appointment": str(appointment.pk), "new_patient": new_patient, "turned_into_assessment": turned},
    )
    manage_url = manage_url_of(profile, language, manage_secret, base_url)
    confirmation_add_manage_link(appointment.pk, manage_url)
    intake_url = None
    if new_patient:
        _link, intake_url = screening.intake_link_create(actor=actor, patient=patient, base_url=base_url, send_email=bool(patient.email))
    hold.delete()
    return Booked(booking, manage_secret, manage_url, intake_url, turned, reasons)


def confirmation_add_manage_link(appointment_id: Any, manage_url: str) -> None:
    """Put the manage link into the confirmation the outbox queued for the appointment in this
    same transaction (still unsent): in an e-mail after the sentence with the time, as the
    outbox's own template places it, and on its own line in an SMS."""
    rows = OutgoingMessage.objects.select_for_update().filter(
        appointment_id=appointment_id, kind=MessageKind.CONFIRMATION, status=MessageStatus.PENDING
    )
    for row in rows:
        with translation.override(row.language):
            if row.channel == MessageChannel.EMAIL:
                paragraphs = row.body.rstrip("\n").split("\n\n")
                paragraphs.insert(min(2, len(paragraphs)), _("To cancel or move it: %(url)s") % {"url": manage_url})
                row.body = "\n\n".join(paragraphs) + "\n"
            else:
                row.body = row.body.rstrip("\n") + "\n" + _("Cancel or move: %(url)s") % {"url": manage_url} + "\n"
        row.save(update_fields=["body"])
