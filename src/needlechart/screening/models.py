"""Intake questionnaires, the secure links patients answer them through, and a clinic's
adjustments to the suitability rules."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Patient


class IntakeLink(models.Model):
    """A secure, expiring link to the intake questionnaire, used once.

    Only the SHA-256 of the token is stored, so a database reader cannot use a link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intake_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("intake link")

    def __str__(self) -> str:
        return f"intake link for {self.patient_id}"


class IntakeSource(models.TextChoices):
    PATIENT_LINK = "patient_link", _("Patient, through a secure link")
    STAFF = "staff", _("Staff, with the patient")


class IntakeResponse(models.Model):
    """One completed questionnaire. Never edited: a later response supersedes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intake_responses")
    answers = models.JSONField()
    source = models.CharField(max_length=20, choices=IntakeSource.choices)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    link = models.OneToOneField(IntakeLink, on_delete=models.PROTECT, null=True, blank=True, related_name="response")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("intake response")
        indexes = [models.Index(fields=["patient", "submitted_at"], name="intake_patient_latest")]

    def __str__(self) -> str:
        return f"intake {self.patient_id} {self.submitted_at:%Y-%m-%d}"


class RuleSetting(models.Model):
    """A clinic's adjustment of one shipped rule: another severity, or switched off."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    rule_id = models.CharField(max_length=80)
    severity = models.CharField(max_length=20, blank=True, help_text=_("Empty: the rule is switched off."))
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rule setting")
        constraints = [models.UniqueConstraint(fields=["clinic", "rule_id"], name="one_setting_per_rule")]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.severity or 'off'}"
