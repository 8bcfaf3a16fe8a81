"""Outcome measurements, the follow-up links patients answer them through, and their answers.

A measurement is a fact reported at a point in time: it is never edited. A wrong entry is
retracted (with a reason) and drops out of progress and analytics, but stays on record.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User
from needlechart.homecare.models import Adherence
from needlechart.patients.models import Episode, Patient


class FollowUpLink(models.Model):
    """A secure, expiring, single-use link to the follow-up questionnaire after a session.

    The URL carries the link's id and a secret; only the secret's SHA-256 is stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_up_links")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="follow_up_links")
    token_hash = models.CharField(max_length=64)
    sent_to = models.EmailField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up link")
        indexes = [models.Index(fields=["encounter", "created_at"], name="follow_up_link_session")]

    def __str__(self) -> str:
        return f"follow-up link {self.encounter_id}"


class FollowUpResponse(models.Model):
    """What the patient answered through a follow-up link. Never edited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_up_responses")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="follow_up_responses")
    link = models.OneToOneField(FollowUpLink, on_delete=models.PROTECT, related_name="response")
    soreness = models.PositiveSmallIntegerField(_("soreness after the session (0-10)"))
    side_effects = models.JSONField(default=list)  # [{"id": effect id, "impact": mild|significant|serious}]
    comment = models.TextField(_("comment"), blank=True)
    # How often the patient did the visit's home programme (asked only when the visit had one; else empty).
    home_programme_adherence = models.CharField(_("home programme done"), max_length=12, choices=Adherence.choices, blank=True)
    language = models.CharField(max_length=5)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up response")

    def __str__(self) -> str:
        return f"follow-up {self.encounter_id} {self.submitted_at:%Y-%m-%d}"


class MeasurementSource(models.TextChoices):
    CLINIC = "clinic", _("In the clinic")
    FOLLOW_UP = "follow_up", _("Patient, through a follow-up link")


def visit_measure_taken_at(*, booked_start: dt.datetime, signed_at: dt.datetime | None, recorded_at: dt.datetime | None) -> dt.datetime:
    """When a measure of a visit was taken, from what is known of the visit and of the entry.

    A visit's booked start is not when it happened (a visit is often seen and signed before its
    booked time), so a measure entered on or before the visit's booked day was taken when it was
    entered. One entered on a later day was written up after the visit: the booked start is the best
    time known then. Either way it was taken no later than the visit's note was signed (a measure
    entered after signing belongs to the visit that was over). ``recorded_at`` None: not known.
    """
    taken = booked_start
    if recorded_at is not None and timezone.localdate(recorded_at) <= timezone.localdate(booked_start):
        taken = recorded_at
    if signed_at is not None and signed_at < taken:
        taken = signed_at
    return taken


class Measurement(models.Model):
    """One scored answer to an outcome instrument (NPRS, PSFS, GROC, a clinic's own questionnaire...).

    ``taken_at`` is when it was taken, the one time every measure is ordered by (progress, the
    baseline, analytics): a patient's follow-up answer when it was sent, a visit's measure by
    ``visit_measure_taken_at`` (not the visit's booked start, which may be hours after it).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="measurements")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="measurements")
    instrument = models.CharField(max_length=60)
    score = models.FloatField()
    answers = models.JSONField()
    source = models.CharField(max_length=20, choices=MeasurementSource.choices)
    follow_up = models.ForeignKey(FollowUpResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="measurements")
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    retraction_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("measurement")
        indexes = [
            models.Index(fields=["episode", "instrument", "taken_at"], name="measurement_series"),
            models.Index(fields=["patient", "taken_at"], name="measurement_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.score} {self.taken_at:%Y-%m-%d}"


class ClinicInstrument(models.Model):
    """A questionnaire a clinic holds the rights to, added from a definition file (see docs/outcomes-data.md)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    instrument_id = models.CharField(max_length=60)
    definition = models.TextField()
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("clinic questionnaire")
        constraints = [models.UniqueConstraint(fields=["clinic", "instrument_id"], name="one_definition_per_instrument")]

    def __str__(self) -> str:
        return self.instrument_id


class Alert(models.Model):
    """Something a practitioner must look at: a side effect or strong soreness reported on follow-up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="+")
    follow_up = models.ForeignKey(FollowUpResponse, on_delete=models.PROTECT, related_name="alerts")
    urgent = models.BooleanField(default=False)
    summary = models.JSONField()  # what to show: soreness, side effects with their impact
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("alert")
        indexes = [models.Index(fields=["practitioner", "acknowledged_at", "created_at"], name="alert_inbox")]

    def __str__(self) -> str:
        return f"alert {self.patient_id} {self.created_at:%Y-%m-%d}"
