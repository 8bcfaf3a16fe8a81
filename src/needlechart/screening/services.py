"""Writes for intake: links, responses, and a clinic's rule settings. Atomic and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.knowledge.treatment import SEVERITIES, treatment_catalog
from needlechart.patients.models import Patient
from needlechart.screening.models import IntakeLink, IntakeResponse, IntakeSource, RuleSetting
from needlechart.screening.rules import answers_for_the_day, clean_answers


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def intake_link_create(*, actor: User, patient: Patient, base_url: str, send_email: bool = True) -> tuple[IntakeLink, str]:
    """A new single-use link; returns it with the full URL (shown once, never stored)."""
    require_capability(actor, Capability.RECORD_INTAKE)
    token = secrets.token_urlsafe(32)
    link = IntakeLink.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        token_hash=token_hash(token),
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(hours=settings.INTAKE_LINK_HOURS),
    )
    url = base_url.rstrip("/") + reverse("intake_public", args=[token])
    audit_record(actor=actor, action=AuditAction.CREATE, object_type=AuditObject.INTAKE_LINK, object_id=link.pk, patient_id=patient.pk)
    if send_email and patient.email:
        transaction.on_commit(lambda: _send_link(patient, url, link.expires_at))
    return link, url


def _send_link(patient: Patient, url: str, expires_at: dt.datetime) -> None:
    with translation.override(patient.preferred_language):
        subject = _("Your health questions before needling treatment")
        body = _(
            "Hello %(name)s,\n\nPlease answer a few questions about your health before your treatment. "
            "It takes about five minutes:\n\n%(url)s\n\nThe link works once and until %(expires)s. "
            "If you did not expect this message, you can ignore it."
        ) % {"name": patient.given_name, "url": url, "expires": timezone.localtime(expires_at).strftime("%d.%m.%Y %H:%M")}
    send_mail(subject, body, None, [patient.email])


class LinkUnusable(Exception):
    """The link is unknown (404), or expired or already used (410)."""

    def __init__(self, reason: str, link: Any = None) -> None:  # an intake or follow-up link
        super().__init__(reason)
        self.reason, self.link = reason, link

    @property
    def status(self) -> int:
        return 404 if self.reason == "invalid" else 410

    def message(self) -> str:
        return {
            "invalid": _("This link is not valid. Please check that you copied all of it, or ask the clinic for a new one."),
            "used": _(
                "These questions have already been answered with this link. Thank you! Contact the clinic if you need to change something."
            ),
            "expired": _("This link has expired. Please ask the clinic for a new one."),
        }[self.reason]


def intake_link_resolve(token: str) -> IntakeLink:
    link = IntakeLink.objects.select_related("patient", "clinic").filter(token_hash=token_hash(token)).first()
    if link is None:
        raise LinkUnusable("invalid")
    if link.used_at is not None:
        raise LinkUnusable("used", link)
    if link.expires_at <= timezone.now():
        raise LinkUnusable("expired", link)
    return link


@transaction.atomic
def intake_submit_by_patient(*, token: str, raw_answers: Mapping[str, Any]) -> IntakeResponse:
    link = intake_link_resolve(token)
    link = IntakeLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:  # answered in another tab meanwhile
        raise LinkUnusable("used", link)
    answers = clean_answers(raw_answers, staff=False)
    staff_answers = _staff_only_answers(link.patient)
    response = IntakeResponse.objects.create(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        answers={**answers, **staff_answers},
        source=IntakeSource.PATIENT_LINK,
        link=link,
    )
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    audit_record(
        actor=None,
        action=AuditAction.CREATE,
        object_type=AuditObject.INTAKE,
        object_id=response.pk,
        patient_id=link.patient_id,
        clinic_id=link.clinic_id,
        detail={"via": "patient link"},
    )
    return response


def _staff_only_answers(patient: Patient) -> dict[str, Any]:
    """Answers staff gave earlier to staff-only questions carry over to a patient's new response
    (those that hold for their day only, such as intoxication, only on the same day)."""
    latest = IntakeResponse.objects.filter(patient=patient).order_by("-submitted_at").first()
    if latest is None:
        return {}
    staff_ids = {q.id for q in treatment_catalog().questions.values() if q.staff_only}
    today = answers_for_the_day(latest.answers, answered_on=timezone.localdate(latest.submitted_at), on=timezone.localdate())
    return {k: v for k, v in today.items() if k in staff_ids}


@transaction.atomic
def intake_record_by_staff(*, actor: User, patient: Patient, raw_answers: Mapping[str, Any]) -> IntakeResponse:
    require_capability(actor, Capability.RECORD_INTAKE)
    answers = clean_answers(raw_answers, staff=True)
    response = IntakeResponse.objects.create(
        clinic_id=patient.clinic_id, patient=patient, answers=answers, source=IntakeSource.STAFF, entered_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=AuditObject.INTAKE,
        object_id=response.pk,
        patient_id=patient.pk,
        detail={"via": "staff"},
    )
    return response


@transaction.atomic
def rule_setting_set(*, actor: User, rule_id: str, severity: str | None) -> RuleSetting | None:
    """Adjust one rule for the actor's clinic; the shipped severity clears the adjustment."""
    require_capability(actor, Capability.MANAGE_STAFF)
    clinic_id = actor.clinic_id
    assert clinic_id is not None  # guaranteed by the capability check
    rule = treatment_catalog().rules.get(rule_id)
    if rule is None:
        raise ValidationError(_("Unknown rule."))
    if severity is not None and severity not in SEVERITIES:
        raise ValidationError(_("Unknown severity."))
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.RULE_SETTING,
        object_id=rule_id,
        detail={"severity": severity or "off"},
    )
    if severity == rule.severity:
        RuleSetting.objects.filter(clinic_id=clinic_id, rule_id=rule_id).delete()
        return None
    setting, _created = RuleSetting.objects.update_or_create(
        clinic_id=clinic_id, rule_id=rule_id, defaults={"severity": severity or "", "changed_by": actor}
    )
    return setting
