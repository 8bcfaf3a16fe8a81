"""Encounters (visits) and their notes; signed notes are corrected only by addenda."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.core.signed import SignedRecord
from needlechart.patients.models import Episode, Patient


class EncounterStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ARRIVED = "arrived", _("Arrived")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Encounter(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="encounters")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="encounters")
    starts_at = models.DateTimeField(_("time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    status = models.CharField(_("status"), max_length=20, choices=EncounterStatus.choices, default=EncounterStatus.PLANNED)
    reason = models.CharField(_("reason for visit"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every change (its status included): what "changed since" reads (the API, FHIR _since). Null only
    # in the column's definition (charting.0007 added it in place, keeping the table's triggers); every
    # row has a time.
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="encounter_day_list"),
            models.Index(fields=["practitioner", "starts_at"], name="encounter_practitioner_day"),
            models.Index(fields=["patient", "starts_at"], name="encounter_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.starts_at:%Y-%m-%d %H:%M}"


class Note(SignedRecord):
    """The clinical note of one encounter, in SOAP form."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    subjective = models.TextField(_("subjective"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: a note read for its page (charting.selectors.note_for_encounter) carries its
    # addenda here, oldest first; a note read otherwise has no such attribute.
    addenda_list: list[Addendum]

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["patient", "created_at"], name="note_patient")]


class Addendum(SignedRecord):
    """A dated correction or addition to a signed note, with its author and reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at"]


class PainQuality(models.TextChoices):
    ACHING = "aching", _("Aching")
    BURNING = "burning", _("Burning")
    SHARP = "sharp", _("Sharp")
    TINGLING = "tingling", _("Tingling")
    NUMBNESS = "numbness", _("Numbness")


class PainMap(models.Model):
    """Where it hurts at one encounter: body-map region id -> {intensity 0-10, quality}.

    Stored as structured data, never as an image, so it can be charted, compared between
    visits, fed to the suggestion engine and exchanged as FHIR observations. It becomes
    part of the signed note and is frozen with it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pain_maps")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="pain_map")
    marks = models.JSONField(default=dict)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pain map")

    def __str__(self) -> str:
        return f"{self.patient} {len(self.marks)}"

    def intensities(self) -> dict[str, int]:
        return {region: int(mark["intensity"]) for region, mark in self.marks.items()}
