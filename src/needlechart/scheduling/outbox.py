"""The patients' messages about their appointments: queued by the appointment services, sent by
the job (``needlechart send-messages``), retried, and never sent twice.

**Queueing.** ``appointment_booked`` / ``appointment_moved`` / ``appointment_cancelled`` are called
by ``scheduling.services`` in the booking's own transaction, so a message exists exactly when the
change committed. Each queues one row per channel the patient can be reached on (e-mail when an
address is on file, SMS when a phone number is), rendered at once from the Jinja2 text templates
in ``scheduling/jinja2/scheduling/messages/`` in the patient's language and with the time in the
clinic's zone. A reminder is due ``CalendarSettings.reminder_hours`` before the time (none when
that moment has passed or the setting is 0). A row's key is (appointment, kind, channel, the
appointment's start): the same message about the same time is never queued twice; moving an
appointment re-keys its reminder to the new time and marks the old one "not needed".

**Sending.** ``send_due`` claims due rows, sends each, and marks it sent:

- a claim sets ``status=sending``, a fresh ``claim_token`` and a lease (``claimed_until``,
  ``settings.MESSAGE_LEASE_SECONDS``). On PostgreSQL the due rows are locked with
  ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows without waiting;
  on SQLite each row is claimed by a conditional ``UPDATE`` (still due, not claimed), which only one
  writer can win.
- Before sending, the row's appointment is checked again (still booked at that time, or still
  cancelled): otherwise the row is marked "not needed" and nothing goes out.
- Every later write (sent, retry, failed) is conditional on the worker's own token, and a row marked
  ``sent`` is never claimed again.
- A failure is retried with exponential backoff (1, 2, 4, 8... minutes, at most an hour) until
  ``settings.MESSAGE_MAX_ATTEMPTS`` attempts, then ``failed``: the front desk sees it on the outbox
  page and may send it again (audited).

**At-least-once, precisely.** A message is sent twice only if a worker hands it to the backend and
then dies (or stalls past its lease) before its ``UPDATE ... status='sent'`` commits: the lease runs
out and another worker sends it again. The window is the time between the backend returning and
that single-row autocommit write; a worker also refuses to start sending on a claim whose lease
has run out. Keep backends' timeouts well below the lease. The reverse never happens: no message
is marked sent without the backend having accepted it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.scheduling import sms
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.models import Appointment, AppointmentStatus, CalendarSettings
from needlechart.scheduling.outbox_models import MessageChannel, MessageKind, MessageStatus, OutgoingMessage
from needlechart.scheduling.selectors import clinic_zone
from needlechart.scheduling.wait_list_models import WAIT_LIST_AUDIT, WaitListEntry, WaitListStatus

TEMPLATES = Path(__file__).resolve().parent / "jinja2" / "scheduling" / "messages"
BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_MOST = dt.timedelta(hours=1)
CANCELLED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED)


def _translate(message: str, **variables: Any) -> str:
    text = gettext(message)
    return text % variables if variables else text


# Text, not HTML: nothing is escaped (e-mail and SMS bodies are plain text).
_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=False,  # noqa: S701 - plain text, never HTML
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals["_"] = _translate


# --- the iCal hook ------------------------------------------------------------------------------


def _ics_of(appointment: Appointment) -> bytes | None:
    """The appointment as an .ics file for the confirmation, once ``scheduling.ical`` provides
    ``appointment_ics(appointment) -> bytes``; ``None`` until then."""
    try:
        ical = importlib.import_module("needlechart.scheduling.ical")
    except ImportError:
        return None
    maker = getattr(ical, "appointment_ics", None)
    return maker(appointment) if maker else None


# --- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return gettext("%(weekday)s %(date)s at %(time)s") % {
        "weekday": formats.date_format(local, "l"),
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": local.strftime("%H:%M"),
    }


def render_text(
    kind: str, channel: str, *, language: str, zone: ZoneInfo, moments: dict[str, dt.datetime | None], **context: str
) -> Rendered:
    """A message of ``kind`` from its text templates in ``language``, with ``moments`` (by name)
    written out in ``zone``."""
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(zone):
        context |= {name: _when(moment) if moment else "" for name, moment in moments.items()}
        body = _environment.get_template(f"{kind}.{channel}.txt").render(context).strip() + "\n"
        subject = ""
        if channel == MessageChannel.EMAIL:
            subject = " ".join(_environment.get_template(f"{kind}.subject.txt").render(context).split())
    return Rendered(subject[:300], body)


def render(appointment: Appointment, kind: str, channel: str, *, previous_start: dt.datetime | None = None) -> Rendered:
    """The message's subject and text in the patient's language. Only the time, the clinic, the
    practitioner's name and (when there is one) the link to manage the booking: no treatment,
    condition or discipline, in an SMS or an e-mail."""
    return render_text(
        kind,
        channel,
        language=appointment.patient.preferred_language,
        zone=clinic_zone(appointment.clinic_id),
        moments={"when": appointment.starts_at, "previous": previous_start},
        name=appointment.patient.given_name,
        clinic=appointment.clinic.name,
        practitioner=appointment.practitioner.display_name,
        manage_url="",  # online booking's manage link, when it exists
    )


# --- queueing (called by scheduling.services inside their transaction) -------------------------


def _recipients(appointment: Appointment) -> list[tuple[str, str]]:
    """Where the patient can be reached. (Channel choice and consent to messages are not recorded
    on the patient yet: every channel with an address on file is used.)"""
    patient = appointment.patient
    found = []
    if patient.email:
        found.append((MessageChannel.EMAIL.value, patient.email))
    if patient.phone:
        found.append((MessageChannel.SMS.value, patient.phone))
    return found


def _queue(appointment: Appointment, kind: str, due: dt.datetime, previous_start: dt.datetime | None = None) -> list[OutgoingMessage]:
    queued = []
    for channel, recipient in _recipients(appointment):
        rendered = render(appointment, kind, channel, previous_start=previous_start)
        values = {
            "clinic_id": appointment.clinic_id,
            "recipient": recipient,
            "language": appointment.patient.preferred_language,
            "subject": rendered.subject,
            "body": rendered.body,
            "next_attempt_at": due,
        }
        key = {"appointment": appointment, "kind": kind, "channel": channel, "appointment_starts_at": appointment.starts_at}
        existing = OutgoingMessage.objects.filter(**key).first()
        if existing is not None:
            if existing.status == MessageStatus.SKIPPED:  # moved away and back: it was never sent, so it may be again
                OutgoingMessage.objects.filter(pk=existing.pk, status=MessageStatus.SKIPPED).update(
                    status=MessageStatus.PENDING, attempts=0, last_error="", claim_token=None, claimed_until=None, **values
                )
                queued.append(existing)
            continue
        try:
            with transaction.atomic():
                queued.append(OutgoingMessage.objects.create(**key, **values))
        except IntegrityError:  # queued at the same moment by another transaction: once is enough
            continue
    return queued


def _reminder_due(appointment: Appointment) -> dt.datetime | None:
    row = CalendarSettings.objects.filter(clinic_id=appointment.clinic_id).first()
    hours = row.reminder_hours if row else CalendarSettings._meta.get_field("reminder_hours").get_default()
    if not hours or appointment.status != AppointmentStatus.BOOKED:
        return None
    due = appointment.starts_at - dt.timedelta(hours=hours)
    return due if due > timezone.now() else None


def _skip_pending(appointment: Appointment, kinds: tuple[str, ...]) -> None:
    OutgoingMessage.objects.filter(
        appointment=appointment, kind__in=kinds, status__in=[MessageStatus.PENDING, MessageStatus.FAILED]
    ).update(status=MessageStatus.SKIPPED, claim_token=None, claimed_until=None)


def appointment_booked(appointment: Appointment, *, confirm: bool = True) -> None:
    """A confirmation now (unless ``confirm`` is off: the later weeks of a series) and a reminder."""
    if confirm:
        _queue(appointment, MessageKind.CONFIRMATION, timezone.now())
    due = _reminder_due(appointment)
    if due:
        _queue(appointment, MessageKind.REMINDER, due)


def appointment_moved(appointment: Appointment, *, previous_start: dt.datetime) -> None:
    """A message with the new time; unsent messages about the old time are not needed any more."""
    if previous_start == appointment.starts_at:
        return
    _skip_pending(appointment, (MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.MOVED))
    _queue(appointment, MessageKind.MOVED, timezone.now(), previous_start=previous_start)
    due = _reminder_due(appointment)
    if due:
        _queue(appointment, MessageKind.REMINDER, due)


def appointment_cancelled(appointment: Appointment) -> None:
    _skip_pending(appointment, (MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.MOVED))
    _queue(appointment, MessageKind.CANCELLED, timezone.now())


# --- sending (the job) --------------------------------------------------------------------------


def _due(now: dt.datetime) -> Q:
    return Q(status=MessageStatus.PENDING, next_attempt_at__lte=now) | Q(status=MessageStatus.SENDING, claimed_until__lt=now)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.MESSAGE_LEASE_SECONDS)


def claim(*, token: uuid.UUID, now: dt.datetime | None = None, limit: int = 50) -> list[OutgoingMessage]:
    """Claim up to ``limit`` due messages for the worker ``token`` (see the module's notes)."""
    now = now or timezone.now()
    claimed = {"status": MessageStatus.SENDING, "claim_token": token, "claimed_until": now + _lease(), "attempts": F("attempts") + 1}
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                OutgoingMessage.objects.select_for_update(skip_locked=True)
                .filter(_due(now))
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:limit]
            )
            OutgoingMessage.objects.filter(pk__in=ids).update(**claimed)
    else:
        candidates = list(OutgoingMessage.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        ids = claim_rows(candidates, token=token, now=now)
    return list(OutgoingMessage.objects.filter(pk__in=ids, claim_token=token).order_by("next_attempt_at"))


def claim_rows(candidates: list[uuid.UUID], *, token: uuid.UUID, now: dt.datetime) -> list[uuid.UUID]:
    """The conditional claim: a row is this worker's only if it is still due when the UPDATE runs."""
    claimed = {"status": MessageStatus.SENDING, "claim_token": token, "claimed_until": now + _lease(), "attempts": F("attempts") + 1}
    return [pk for pk in candidates if OutgoingMessage.objects.filter(_due(now), pk=pk).update(**claimed) == 1]


def _still_wanted(message: OutgoingMessage, now: dt.datetime) -> bool:
    if message.wait_list_entry_id:  # a freed time offered: while the patient is still offered it, and it is ahead
        entry = WaitListEntry.objects.get(pk=message.wait_list_entry_id)
        return entry.status == WaitListStatus.OFFERED and message.appointment_starts_at > now
    appointment = message.appointment
    assert appointment is not None  # every message but a wait-list offer is about an appointment
    if message.kind == MessageKind.CANCELLED:
        return appointment.status in CANCELLED_STATUSES
    return appointment.status == AppointmentStatus.BOOKED and appointment.starts_at == message.appointment_starts_at > now


def _deliver(message: OutgoingMessage) -> None:
    if message.channel == MessageChannel.SMS:
        sms.send_sms(message.recipient, message.body)
        return
    email = EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    if message.kind in (MessageKind.CONFIRMATION, MessageKind.MOVED) and message.appointment is not None:
        ics = _ics_of(message.appointment)
        if ics:
            email.attach("appointment.ics", ics, "text/calendar")
    email.send(fail_silently=False)


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MOST)


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def send_one(message: OutgoingMessage, *, token: uuid.UUID, outcome: Outcome) -> None:
    now = timezone.now()
    mine = OutgoingMessage.objects.filter(pk=message.pk, claim_token=token, status=MessageStatus.SENDING)
    if not mine.filter(claimed_until__gt=now).exists():  # the lease ran out (read afresh): another worker may have it
        return
    if not _still_wanted(message, now):
        outcome.skipped += mine.update(status=MessageStatus.SKIPPED, claim_token=None, claimed_until=None)
        return
    try:
        _deliver(message)
    except Exception as error:  # any backend's failure is recorded and retried  # noqa: BLE001
        text = (f"{type(error).__name__}: {error}")[:500]
        if message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
            outcome.failed += mine.update(status=MessageStatus.FAILED, last_error=text, claim_token=None, claimed_until=None)
        else:
            retry_at = now + _backoff(message.attempts)
            outcome.retried += mine.update(
                status=MessageStatus.PENDING, last_error=text, next_attempt_at=retry_at, claim_token=None, claimed_until=None
            )
        return
    outcome.sent += mine.update(status=MessageStatus.SENT, sent_at=timezone.now(), last_error="", claim_token=None, claimed_until=None)


def send_due(*, limit: int = 50) -> Outcome:
    """Claim and send what is due, batch after batch, until nothing is due."""
    outcome = Outcome()
    while True:
        token = uuid.uuid4()
        batch = claim(token=token, limit=limit)
        if not batch:
            return outcome
        for message in batch:
            if message.appointment_id:
                message.appointment = Appointment.objects.select_related("clinic", "patient").get(pk=message.appointment_id)
            send_one(message, token=token, outcome=outcome)


# --- the front desk -----------------------------------------------------------------------------


def failed_for_user(*, user: User) -> list[OutgoingMessage]:
    require(user, CalendarAction.MANAGE)
    return list(
        OutgoingMessage.objects.filter(clinic_id=clinic_id_of(user), status=MessageStatus.FAILED)
        .select_related("appointment__patient", "wait_list_entry__patient")
        .order_by("-next_attempt_at")[:200]
    )


@transaction.atomic
def message_resend(*, actor: User, message_id: uuid.UUID) -> OutgoingMessage:
    """Send a failed message again (from its first attempt); audited on its appointment."""
    require(actor, CalendarAction.MANAGE)
    message = OutgoingMessage.objects.select_for_update().get(pk=message_id, clinic_id=clinic_id_of(actor))
    if message.status != MessageStatus.FAILED:
        raise OutgoingMessage.DoesNotExist
    message.status, message.attempts, message.next_attempt_at = MessageStatus.PENDING, 0, timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    about = (AuditObject.APPOINTMENT, message.appointment_id) if message.appointment_id else (WAIT_LIST_AUDIT, message.wait_list_entry_id)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=about[0],
        object_id=about[1],
        patient_id=message.patient.pk,
        detail={"message": str(message.pk), "resend": message.kind, "channel": message.channel},
    )
    return message
