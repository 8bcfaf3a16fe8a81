"""A returning patient's code: the online booking links to a patient on file only when the visitor
confirms a 6-digit code sent to that patient's phone or e-mail on file.

The visitor who says they have been to the clinic before gives their details as usual. If exactly
one patient of the clinic has that date of birth and that phone number or e-mail address, a code
goes to the phone (SMS) and/or the address that matched: never to a contact the visitor typed in
that is not on file, so knowing someone's date of birth and e-mail is not enough. The visitor sees
the same page whether or not anyone matched (a code the visitor cannot know is stored for a
visitor who matched no one), so the page tells no one who is a patient here.

The code is kept only as an HMAC keyed with the site's secret, lasts ``CODE_MINUTES``, allows
``CODE_ATTEMPTS`` tries, and sending is limited per address and per phone number and e-mail. The
time stays held while the code is valid. The code is sent straight after the request's commit (it
must arrive at once, not when the outbox's job next runs); the row then records when and by which
channels it went out, or when and how sending failed, and the audit log has a row for it. Without
a confirmed code the booking is for a new patient record, which the front desk confirms or merges
(``booking_desk``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.patients.models import Patient
from needlechart.public.booking import booking_actor, count, normalised_phone
from needlechart.public.booking_models import BookingCode, SlotHold
from needlechart.public.models import PublicProfile
from needlechart.scheduling import sms

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# Codes asked for per address, and per phone number and e-mail address given, each hour.
CODE_ADDRESS_LIMIT, CODE_CONTACT_LIMIT, CODE_WINDOW = 10, 5, 3600

log = logging.getLogger(__name__)


class WrongCode(Exception):
    def __init__(self, tries_left: int) -> None:
        super().__init__(tries_left)
        self.tries_left = tries_left


class CodeExpired(Exception):
    """The code ran out of time or of tries: the visitor may book as a new patient."""


def _code_hash(row_id: uuid.UUID, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{row_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _matching(clinic_id: uuid.UUID, details: Mapping[str, Any]) -> tuple[Patient | None, list[str]]:
    """The one patient of the clinic with the date of birth and the phone or e-mail given, and the
    channels that matched; (None, []) when none or more than one does."""
    phone = normalised_phone(str(details.get("phone", "")))
    email = str(details.get("email", "")).strip().lower()
    found: list[tuple[Patient, list[str]]] = []
    for patient in Patient.objects.filter(clinic_id=clinic_id, birth_date=details["birth_date"]):
        channels = []
        if phone and len(phone) >= 8 and normalised_phone(patient.phone) == phone:
            channels.append("sms")
        if email and patient.email.strip().lower() == email:
            channels.append("email")
        if channels:
            found.append((patient, channels))
    return found[0] if len(found) == 1 else (None, [])


def _storable(details: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in details.items()}


def stored_details(row: BookingCode) -> dict[str, Any]:
    details = dict(row.details)
    details["birth_date"] = dt.date.fromisoformat(details["birth_date"])
    return details


@transaction.atomic
def code_send(
    profile: PublicProfile, hold: SlotHold, *, details: Mapping[str, Any], answers: Mapping[str, Any], language: str, address: str
) -> BookingCode:
    """Send a code to the patient on file the details match (if any) and keep the details until
    it is confirmed; ``booking.RateLimited`` when too many codes were asked for."""
    count("code-address", address, limit=CODE_ADDRESS_LIMIT, window=CODE_WINDOW)
    for kind, value in (("code-phone", normalised_phone(str(details["phone"]))), ("code-email", str(details["email"]).lower())):
        count(kind, value, limit=CODE_CONTACT_LIMIT, window=CODE_WINDOW)
    hold = SlotHold.objects.select_for_update().get(pk=hold.pk)
    BookingCode.objects.filter(hold=hold).delete()
    patient, channels = _matching(profile.clinic_id, details)
    now = timezone.now()
    row = BookingCode(id=uuid.uuid4(), hold=hold, patient=patient, details=_storable(details), answers=dict(answers))
    code = f"{secrets.randbelow(10**6):06d}"
    # Without a match no 6-digit code is right: the hash is of a secret no one is sent.
    row.code_hash = _code_hash(row.id, code if patient else secrets.token_urlsafe(32))
    row.expires_at = now + dt.timedelta(minutes=CODE_MINUTES)
    row.save()
    if hold.expires_at < row.expires_at:
        SlotHold.objects.filter(pk=hold.pk).update(expires_at=row.expires_at)
    if patient is not None:
        actor = booking_actor(profile.clinic_id)
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            object_type=AuditObject.PATIENT,
            object_id=patient.pk,
            patient_id=patient.pk,
            detail={"online_booking_code": channels},
        )
        transaction.on_commit(lambda: _deliver(row, profile.clinic.name, patient, channels, code, language))
    return row


def _deliver(row: BookingCode, clinic: str, patient: Patient, channels: list[str], code: str, language: str) -> None:
    """Send the code now, by each channel that matched (one failing does not stop the other), and
    record on the row and in the audit log what went out and what failed."""
    with translation.override(language):
        text = _(
            "%(clinic)s: your booking code is %(code)s. It is valid for %(minutes)s minutes. "
            "Did you not ask for it? Then ignore this message."
        ) % {
            "clinic": clinic,
            "code": code,
            "minutes": CODE_MINUTES,
        }
        subject = _("Your booking code for %(clinic)s") % {"clinic": clinic}
    sent: list[str] = []
    failed: list[str] = []
    for channel in channels:
        try:
            if channel == "sms":
                sms.send_sms(patient.phone, text)
            else:
                send_mail(subject, text, None, [patient.email])
        except Exception as error:  # the page says the same either way; the visitor may book as a new patient
            log.exception("sending an online booking code by %s failed (code %s)", channel, row.pk)
            failed.append(f"{channel}: {type(error).__name__}")
        else:
            sent.append(channel)
    try:
        _record_delivery(row, patient, sent, failed)
    except Exception:  # the code went out (or not) all the same: the visitor's page must not fail for the record
        log.exception("recording the delivery of online booking code %s failed", row.pk)
    else:
        log.info("online booking code %s sent by %s%s", row.pk, ", ".join(sent) or "no channel", f"; failed: {failed}" if failed else "")


@transaction.atomic
def _record_delivery(row: BookingCode, patient: Patient, sent: list[str], failed: list[str]) -> None:
    now = timezone.now()
    changes: dict[str, Any] = {"sent_by": sent, "failure": "; ".join(failed)[:200]}
    if sent:
        changes["sent_at"] = now
    if failed:
        changes["failed_at"] = now
    if not BookingCode.objects.filter(pk=row.pk).update(**changes):
        return  # the code was asked for again meanwhile (its row replaced): the new row records its own
    audit_record(
        actor=booking_actor(patient.clinic_id),
        action=AuditAction.UPDATE,
        object_type="online_booking_code",
        object_id=row.pk,
        patient_id=patient.pk,
        detail={"sent_by": sent, "failed": [entry.split(":", 1)[0] for entry in failed]},
    )


def code_of_hold(hold: SlotHold) -> BookingCode | None:
    return BookingCode.objects.filter(hold=hold).select_related("patient").first()


def code_confirm(row: BookingCode, code: str) -> Patient:
    """The patient on file when ``code`` is right; ``WrongCode`` (with the tries left) when not,
    ``CodeExpired`` when time or tries have run out. A wrong try is counted (and committed) first."""
    patient, tries_left = _try(row, code)
    if patient is not None:
        return patient
    if tries_left <= 0:
        raise CodeExpired
    raise WrongCode(tries_left)


@transaction.atomic
def _try(row: BookingCode, code: str) -> tuple[Patient | None, int]:
    row = BookingCode.objects.select_for_update(of=("self",)).select_related("patient").get(pk=row.pk)
    if row.expires_at <= timezone.now() or row.attempts >= CODE_ATTEMPTS:
        return None, 0
    given = "".join(ch for ch in code if ch.isdigit())
    if len(given) == 6 and row.patient is not None and hmac.compare_digest(row.code_hash, _code_hash(row.id, given)):
        return row.patient, CODE_ATTEMPTS - row.attempts
    BookingCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
    return None, CODE_ATTEMPTS - row.attempts - 1
