"""Online booking from a clinic's public pages: free times, holds, the pre-check and the booking.

No one signs in. What the public booking writes it writes as the clinic's *online booking* account
(``booking_actor``): a front-desk account of the clinic with no usable password, made on first
use, so the scheduling, patient and screening services check, refuse and audit exactly as for the
front desk, and the audit trail names the public booking as the actor.

The flow: the visitor picks a practitioner (or the first available), one of the clinic's types
open for online booking and a free time (after the calendar's minimum notice, before its
horizon); the time is then held for ``PublicProfile.booking_hold_minutes`` (a ``SlotHold``, left
out of everyone else's free times until it expires); the form gives the patient's details and a
short pre-check from the intake questions the screening rules read. An answer that blocks all
needling (the clinic's rule settings apply) books the clinic's assessment type instead of a
needling type, and the patient is told why. The booking creates a patient record for the front
desk to confirm, books through ``scheduling.services.appointment_book`` (the database's guard
still decides a race: the loser gets ``TimeTaken``), queues the confirmation (the outbox, through
the booking service), sends the manage link and, for the new patient, the intake link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.core.access import Approval, Role
from needlechart.knowledge.treatment import Question, treatment_catalog
from needlechart.patients import services as patients
from needlechart.public.booking_models import OnlineBooking, SlotHold
from needlechart.public.models import PublicProfile
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import AppointmentStatus, AppointmentType, Room
from needlechart.scheduling.selectors import calendar_read, calendar_settings, clinic_zone, diaries, rooms_taken, zone_of
from needlechart.scheduling.slots import Slot, SlotQuery, Span, free_slots
from needlechart.screening import services as screening
from needlechart.screening.rules import Suitability, evaluate
from needlechart.screening.selectors import rule_adjustments

# The intake questions the pre-check asks (their texts and options as the intake has them).
PRECHECK_QUESTIONS = ("pregnant", "medications", "medical_conditions", "implants", "needle_fear", "wants_needling")
DAYS_SHOWN = 7
# Floods: bookings and holds per address, bookings per phone number.
IP_LIMIT, IP_WINDOW = 30, 3600
PHONE_LIMIT, PHONE_WINDOW = 3, 24 * 3600
CANCEL_REASON = "Cancelled by the patient online"


class TimeTaken(Exception):
    """The time was taken (held or booked by someone else) before this visitor could have it."""


class RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- the actor -----------------------------------------------------------------------------------


def booking_actor(clinic_id: uuid.UUID) -> User:
    """The clinic's online booking account (made on first use): what the public booking acts as."""
    user, made = User.objects.get_or_create(
        username=f"online-booking-{clinic_id}",
        defaults={
            "clinic_id": clinic_id,
            "role": Role.FRONT_DESK,
            "approval": Approval.APPROVED,
            "first_name": "Online",
            "last_name": "booking",
            "is_active": True,
        },
    )
    if made:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- rate limits --------------------------------------------------------------------------------


def count(kind: str, value: str, *, limit: int, window: int) -> None:
    """Count one attempt of ``kind`` by ``value`` (an address, a phone number); over the limit: ``RateLimited``."""
    now = int(timezone.now().timestamp())
    start = now // window * window
    key = f"needlechart:booking:{kind}:{secret_hash(value)[:32]}:{start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        calls = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window + 5)
        calls = 1
    if calls > limit:
        raise RateLimited(max(1, start + window - now))


def normalised_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-8:] if len(digits) >= 8 else digits


# --- what may be booked -------------------------------------------------------------------------


def bookable_types(clinic_id: uuid.UUID) -> list[AppointmentType]:
    return list(AppointmentType.objects.filter(clinic_id=clinic_id, active=True, bookable_online=True).order_by("name_en"))


def bookable_type(clinic_id: uuid.UUID, type_id: str) -> AppointmentType | None:
    try:
        return AppointmentType.objects.get(clinic_id=clinic_id, active=True, bookable_online=True, pk=uuid.UUID(str(type_id)))
    except (AppointmentType.DoesNotExist, ValueError):
        return None


def assessment_type_for(profile: PublicProfile) -> AppointmentType | None:
    """The type a needling booking becomes when needling is ruled out: the clinic's choice, else the
    first bookable type in use that is no needling session."""
    chosen = profile.assessment_type
    if chosen is not None and chosen.active and not chosen.is_needling:
        return chosen
    return (
        AppointmentType.objects.filter(clinic_id=profile.clinic_id, active=True, is_needling=False)
        .order_by("-bookable_online", "name_en")
        .first()
    )


@dataclass
class Window:
    start: dt.datetime
    end: dt.datetime
    earliest: dt.datetime
    latest: dt.datetime


def window_of(clinic_id: uuid.UUID, first_day: dt.date | None, *, now: dt.datetime) -> tuple[Window, Any]:
    """The days shown from ``first_day`` (today when none), kept inside notice and horizon."""
    calendar = calendar_settings(clinic_id)
    zone = zone_of(calendar)
    earliest = now + dt.timedelta(minutes=calendar.minimum_notice_minutes)
    latest = now + dt.timedelta(days=calendar.horizon_days)
    today = now.astimezone(zone).date()
    day = first_day or earliest.astimezone(zone).date()
    day = min(max(day, today), latest.astimezone(zone).date())
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=DAYS_SHOWN), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    return Window(start, end, earliest, latest), calendar


def _active_holds(clinic_id: uuid.UUID, span: Span, *, now: dt.datetime, leaving_out: uuid.UUID | None = None) -> list[SlotHold]:
    holds = SlotHold.objects.filter(clinic_id=clinic_id, expires_at__gt=now, starts_at__lt=span.end, blocked_until__gt=span.start)
    return list(holds.exclude(pk=leaving_out) if leaving_out else holds)


def free_times(
    profile: PublicProfile,
    kind: AppointmentType,
    practitioner_ids: Sequence[int],
    *,
    first_day: dt.date | None = None,
    now: dt.datetime | None = None,
    leaving_out_hold: uuid.UUID | None = None,
) -> tuple[list[Slot], Window]:
    """The free times of ``kind`` with the practitioners given, in the days shown: not sooner than
    the notice, not beyond the horizon, and clear of every hold but ``leaving_out_hold``."""
    now = now or timezone.now()
    window, calendar = window_of(profile.clinic_id, first_day, now=now)
    if not practitioner_ids or window.end <= window.earliest:
        return [], window
    actor = booking_actor(profile.clinic_id)
    span = Span(window.start, window.end)
    read = calendar_read(user=actor, span=span, practitioner_ids=list(practitioner_ids), calendar=calendar)
    holds = _active_holds(profile.clinic_id, span, now=now, leaving_out=leaving_out_hold)
    found = []
    for diary in diaries(read, list(practitioner_ids)):
        held = [Span(h.starts_at, h.blocked_until) for h in holds if h.practitioner_id == diary.practitioner_id]
        found.append(replace(diary, taken=[*diary.taken, *held]))
    room_taken = rooms_taken(read)
    for hold in holds:
        if hold.room_id:
            room_taken.setdefault(hold.room_id, []).append(Span(hold.starts_at, hold.blocked_until))
    query = SlotQuery(
        length=dt.timedelta(minutes=kind.duration_minutes),
        buffer=dt.timedelta(minutes=kind.buffer_minutes),
        window=span,
        now=now,
        step=dt.timedelta(minutes=calendar.slot_minutes),
        notice=dt.timedelta(minutes=calendar.minimum_notice_minutes),
        horizon=dt.timedelta(days=calendar.horizon_days),
    )
    return free_slots(found, query, read.zone, room_taken), window


def by_day(slots: Sequence[Slot], zone: Any) -> list[tuple[dt.date, list[Slot]]]:
    days: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    return sorted(days.items())


# --- holds --------------------------------------------------------------------------------------


@transaction.atomic
def hold_create(profile: PublicProfile, kind: AppointmentType, practitioner_id: int, starts_at: dt.datetime) -> tuple[SlotHold, str]:
    """Hold the time for this visitor; ``TimeTaken`` when it is no longer free. The practitioner's
    row is locked meanwhile, so two visitors holding the same time at once get one hold."""
    now = timezone.now()
    User.objects.select_for_update().filter(pk=practitioner_id, clinic_id=profile.clinic_id).first()
    zone_day = starts_at.astimezone(clinic_zone(profile.clinic_id)).date()
    slots, _window = free_times(profile, kind, [practitioner_id], first_day=zone_day, now=now)
    slot = next((s for s in slots if s.start == starts_at and s.practitioner_id == practitioner_id), None)
    if slot is None:
        raise TimeTaken
    secret = secrets.token_urlsafe(24)
    hold = SlotHold.objects.create(
        clinic_id=profile.clinic_id,
        practitioner_id=practitioner_id,
        appointment_type=kind,
        room_id=slot.room_id,
        starts_at=slot.start,
        blocked_until=slot.blocked_until,
        expires_at=now + dt.timedelta(minutes=profile.booking_hold_minutes),
        secret_hash=secret_hash(secret),
    )
    return hold, secret


def hold_get(profile: PublicProfile, secret: str) -> SlotHold | None:
    """The visitor's hold while it lasts; None when unknown or expired."""
    return (
        SlotHold.objects.select_related("appointment_type", "practitioner", "room")
        .filter(clinic_id=profile.clinic_id, secret_hash=secret_hash(secret), expires_at__gt=timezone.now())
        .first()
    )


# --- the pre-check ------------------------------------------------------------------------------


def precheck_questions() -> list[Question]:
    cat = treatment_catalog()
    return [cat.questions[qid] for qid in PRECHECK_QUESTIONS if qid in cat.questions]


def precheck_result(clinic_id: uuid.UUID, answers: Mapping[str, Any]) -> Suitability:
    return evaluate(answers, adjustments=rule_adjustments(clinic_id))


def blocking_reasons(result: Suitability, answers: Mapping[str, Any], language: str) -> list[str]:
    """What the patient told us that rules needling out, in their words (the question and answer)."""
    cat = treatment_catalog()
    reasons: list[str] = []
    for finding in result.findings:
        if not finding.blocks_everywhere:
            continue
        question_id = finding.rule.when.get("question") if isinstance(finding.rule.when, Mapping) else None
        question = cat.questions.get(question_id) if question_id else None
        if question is None:
            continue
        given = answers.get(question.id)
        values = given if isinstance(given, list) else [given]
        labels = [label.get(language) for v in values if (label := question.option_label(str(v)))]
        text = f"{question.label.get(language)} {', '.join(labels)}".strip()
        if text not in reasons:
            reasons.append(text)
    return reasons


# --- the booking --------------------------------------------------------------------------------


@dataclass
class Booked:
    booking: OnlineBooking
    manage_secret: str
    intake_url: str | None
    turned_into_assessment: bool
    reasons: list[str] = field(default_factory=list)


def _room(room_id: uuid.UUID | None) -> Room | None:
    return Room.objects.filter(pk=room_id).first() if room_id else None


def book(
    profile: PublicProfile,
    hold: SlotHold,
    *,
    details: Mapping[str, Any],
    answers: Mapping[str, Any],
    language: str,
    base_url: str,
) -> Booked:
    """Book the held time for the patient of ``details``; ``TimeTaken`` when the database refuses it
    (the hold is then let go, and nothing of the attempt is kept)."""
    try:
        booked = _book(profile, hold, details=details, answers=answers, language=language, base_url=base_url)
    except scheduling.BookingConflict as error:
        SlotHold.objects.filter(pk=hold.pk).delete()
        raise TimeTaken from error
    manage_url = base_url.rstrip("/") + reverse(
        "booking_manage", kwargs={"clinic_slug": profile.slug, "lang": language, "secret": booked.manage_secret}
    )
    patient = booked.booking.patient
    if patient.email:
        transaction.on_commit(lambda: _send_manage_link(profile, patient.email, patient.given_name, manage_url, language))
    return booked


@transaction.atomic
def _book(
    profile: PublicProfile, hold: SlotHold, *, details: Mapping[str, Any], answers: Mapping[str, Any], language: str, base_url: str
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
    practitioner = User.objects.get(pk=hold.practitioner_id)
    appointment = scheduling.appointment_book(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
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
        new_patient=True,
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
        detail={"appointment": str(appointment.pk), "new_patient": True, "turned_into_assessment": turned},
    )
    _link, intake_url = screening.intake_link_create(actor=actor, patient=patient, base_url=base_url, send_email=bool(patient.email))
    hold.delete()
    return Booked(booking, manage_secret, intake_url, turned, reasons)


def _send_manage_link(profile: PublicProfile, email: str, name: str, url: str, language: str) -> None:
    with translation.override(language):
        subject = _("Your booking at %(clinic)s") % {"clinic": profile.clinic.name}
        body = _(
            "Hello %(name)s,\n\nThank you for your booking. You can see, and cancel, your booking here:\n\n%(url)s\n\n"
            "Keep this link to yourself: anyone with it can cancel the booking."
        ) % {"name": name, "url": url}
    send_mail(subject, body, None, [email])


# --- managing a booking -------------------------------------------------------------------------


def booking_by_secret(profile: PublicProfile, secret: str) -> OnlineBooking | None:
    return (
        OnlineBooking.objects.select_related("appointment", "appointment__appointment_type", "appointment__practitioner", "patient")
        .filter(clinic_id=profile.clinic_id, manage_secret_hash=secret_hash(secret))
        .first()
    )


def cancel_until(profile: PublicProfile, booking: OnlineBooking) -> dt.datetime:
    return booking.appointment.starts_at - dt.timedelta(hours=profile.cancellation_limit_hours)


def may_cancel(profile: PublicProfile, booking: OnlineBooking, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.appointment.status == AppointmentStatus.BOOKED and now < cancel_until(profile, booking)


class CancelRefused(Exception):
    pass


def cancel(profile: PublicProfile, booking: OnlineBooking) -> None:
    if not may_cancel(profile, booking):
        raise CancelRefused
    scheduling.appointment_cancel(actor=booking_actor(profile.clinic_id), appointment=booking.appointment, reason=CANCEL_REASON)


def limits() -> dict[str, int]:
    return {
        "ip": getattr(settings, "ONLINE_BOOKING_IP_LIMIT", IP_LIMIT),
        "phone": getattr(settings, "ONLINE_BOOKING_PHONE_LIMIT", PHONE_LIMIT),
    }
