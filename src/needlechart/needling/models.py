"""What a needling visit documents besides the note: consent, assessment findings, the
needles placed per muscle and side, the needle count, and the aftercare given.

Every row belongs to an encounter. When the encounter's note is signed all of it becomes
part of the note's canonical form and is frozen with it (model checks and, on both
databases, triggers that refuse changes once the parent note is signed).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User
from needlechart.knowledge.treatment import treatment_catalog


class Side(models.TextChoices):
    RIGHT = "r", _("right")
    LEFT = "l", _("left")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written, signed on screen")
    VERBAL = "verbal", _("Verbal, with a witness")


class Consent(models.Model):
    """Informed consent for this visit's needling: which text, how given, which risks explained."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="consents")
    version = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    risks_explained = models.JSONField()
    signature_svg_path = models.TextField(blank=True)
    witness_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"consent v{self.version} {self.method}"


class PalpationFinding(models.Model):
    """One muscle and side examined for trigger points (2018 Delphi criteria)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="palpation_findings")
    muscle_id = models.CharField(max_length=60)
    side = models.CharField(max_length=1, choices=Side.choices)
    taut_band = models.BooleanField(_("taut band"), default=False)
    tender_spot = models.BooleanField(_("hypersensitive spot"), default=False)
    referred_pain = models.BooleanField(_("referred pain or sensation"), default=False)
    recognised = models.BooleanField(_("patient recognises the pain"), default=False)
    twitch = models.BooleanField(_("local twitch response"), default=False)
    jump_sign = models.BooleanField(_("jump sign"), default=False)

    class Meta:
        verbose_name = _("palpation finding")
        constraints = [models.UniqueConstraint(fields=["encounter", "muscle_id", "side"], name="one_finding_per_muscle_side")]

    def __str__(self) -> str:
        return f"{self.muscle_id} {self.side}"


class RangeOfMotion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="range_of_motion")
    joint = models.CharField(max_length=40)
    movement = models.CharField(max_length=40)
    side = models.CharField(max_length=1, choices=Side.choices, blank=True)
    degrees = models.PositiveSmallIntegerField(validators=[MaxValueValidator(200)])
    painful = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("range of motion")
        constraints = [models.UniqueConstraint(fields=["encounter", "joint", "movement", "side"], name="one_rom_per_movement")]

    def __str__(self) -> str:
        return f"{self.joint} {self.movement} {self.side} {self.degrees}"


class PressurePainThreshold(models.Model):
    """Pressure pain threshold by algometer: the mean of up to three trials, in kPa."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="pressure_pain_thresholds")
    muscle_id = models.CharField(max_length=60)
    side = models.CharField(max_length=1, choices=Side.choices)
    trials_kpa = models.JSONField()

    class Meta:
        verbose_name = _("pressure pain threshold")

    def __str__(self) -> str:
        return f"{self.muscle_id} {self.side}"

    @property
    def mean_kpa(self) -> float:
        return round(sum(self.trials_kpa) / len(self.trials_kpa), 1)


class Technique(models.TextChoices):
    GUNN_IMS = "gunn_ims", _("Gunn IMS")
    PISTONING = "pistoning", _("Pistoning (fast in and out)")
    STATIC = "static", _("Static dwell")
    ROTATION = "rotation", _("Rotation")


class Tolerance(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor: stopped early")


class NeedlingEntry(models.Model):
    """Needles placed in one muscle on one side, with everything the record must show."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="needling_entries")
    muscle_id = models.CharField(max_length=60)
    side = models.CharField(max_length=1, choices=Side.choices)
    gauge_mm = models.DecimalField(
        _("gauge (mm)"), max_digits=3, decimal_places=2, validators=[MinValueValidator(0.12), MaxValueValidator(0.5)]
    )
    length_mm = models.PositiveSmallIntegerField(_("length (mm)"), validators=[MinValueValidator(7), MaxValueValidator(125)])
    needle_count = models.PositiveSmallIntegerField(_("needles"), validators=[MinValueValidator(1), MaxValueValidator(50)])
    technique = models.CharField(_("technique"), max_length=20, choices=Technique.choices)
    depth_mm = models.PositiveSmallIntegerField(_("depth (mm)"), validators=[MaxValueValidator(125)])
    direction = models.CharField(_("direction"), max_length=120, blank=True)
    twitch_responses = models.PositiveSmallIntegerField(_("twitch responses"), default=0, validators=[MaxValueValidator(200)])
    dwell_seconds = models.PositiveIntegerField(_("dwell (seconds)"), default=0, validators=[MaxValueValidator(3600)])
    estim = models.BooleanField(_("electrical stimulation"), default=False)
    estim_frequency_hz = models.PositiveSmallIntegerField(
        _("frequency (Hz)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    estim_pulse_width_us = models.PositiveSmallIntegerField(
        _("pulse width (µs)"), null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(1000)]
    )
    estim_intensity_ma = models.DecimalField(
        _("intensity (mA)"), max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    estim_minutes = models.PositiveSmallIntegerField(
        _("stimulation (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    tolerance = models.CharField(_("tolerance"), max_length=10, choices=Tolerance.choices, default=Tolerance.GOOD)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("needling entry")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.muscle_id} {self.side} x{self.needle_count}"


class MismatchOutcome(models.TextChoices):
    FOUND = "found", _("Needle found and removed")
    NOT_FOUND = "not_found", _("Not found after a documented search; patient informed")
    MISCOUNT = "miscount", _("Count error confirmed (needle accounted for)")


class NeedlingRecord(models.Model):
    """Per-visit needling facts: the count in and out, the reasoning, the aftercare chosen."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="needling_record", primary_key=True)
    needles_out = models.PositiveSmallIntegerField(_("needles counted out"), null=True, blank=True)
    mismatch_search = models.TextField(_("search made"), blank=True)
    mismatch_outcome = models.CharField(_("outcome"), max_length=20, choices=MismatchOutcome.choices, blank=True)
    relative_reasoning = models.TextField(_("reasoning for relative contraindications"), blank=True)
    advice_ids = models.JSONField(default=list)
    repeated_from = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("needling record")

    def __str__(self) -> str:
        return f"needling {self.encounter_id}"


class AdverseEventSeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    SIGNIFICANT = "significant", _("Significant")
    SERIOUS = "serious", _("Serious")


class AdverseEventOutcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")
    RESOLVED_WITH_SEQUELAE = "sequelae", _("Resolved with lasting effects")
    UNKNOWN = "unknown", _("Unknown")


class AdverseEventReport(models.TextChoices):
    STAFF = "staff", _("Recorded by staff")
    FOLLOW_UP = "follow_up", _("Reported by the patient on follow-up")


class AdverseEvent(models.Model):
    """Something unwanted during or after needling. Kept for the clinic's safety reports.

    Not frozen with the note: events are often learnt of later, and their outcome is
    updated as it becomes known (every change is audited).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="adverse_events")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="adverse_events")
    event_type = models.CharField(_("type"), max_length=40)
    severity = models.CharField(_("severity"), max_length=20, choices=AdverseEventSeverity.choices)
    onset = models.DateTimeField(_("onset"))
    description = models.TextField(_("what happened"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=AdverseEventOutcome.choices, default=AdverseEventOutcome.ONGOING)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")  # none: the patient
    reported_via = models.CharField(max_length=20, choices=AdverseEventReport.choices, default=AdverseEventReport.STAFF)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("adverse event")
        ordering = ["-onset"]
        indexes = [models.Index(fields=["clinic", "severity", "onset"], name="adverse_event_report")]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.severity})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Never below the type's minimum severity (adverse_events.yaml): staff are refused a lower
        grade by the service; a patient's own report of, say, breathing trouble after needling
        (the follow-up questions) is recorded at the type's minimum at least."""
        kind = treatment_catalog().adverse_event_types.get(self.event_type)
        if kind is not None:
            self.severity = kind.at_least_minimum(self.severity)
        super().save(*args, **kwargs)
