"""The home programme a practitioner prescribes at a visit: items of the library with a dosage.

A programme belongs to one encounter. It is written while the visit's note is a draft and is
signed with the note: the note's canonical form carries it (``homecare.signing``), and once the
note is signed the model checks in the services and, on both databases, triggers (mode
``note_signed`` of ``core.db_triggers``) refuse any change to the programme and its items.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User


class ProgrammeSide(models.TextChoices):
    """Which side an item is done on; empty for an item that has no side (heat, posture...)."""

    BOTH = "b", _("both sides")
    RIGHT = "r", _("right side")
    LEFT = "l", _("left side")


class Adherence(models.TextChoices):
    """How often the patient did the programme, as they answer on the follow-up questions."""

    NOT_AT_ALL = "not_at_all", _("Not at all")
    SOME_DAYS = "some_days", _("Some days")
    MOST_DAYS = "most_days", _("Most days")
    EVERY_DAY = "every_day", _("Every day")


class HomeProgramme(models.Model):
    """The programme of one visit: who prescribed it and a word for the patient."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="home_programme")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("a word for the patient"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("home programme")

    def __str__(self) -> str:
        return f"home programme {self.encounter_id}"


class ProgrammeItem(models.Model):
    """One exercise or piece of advice of a programme, with its dosage (empty: not part of it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="home_programme_items")
    programme = models.ForeignKey(HomeProgramme, on_delete=models.PROTECT, related_name="items")
    item_id = models.CharField(max_length=60)
    side = models.CharField(_("side"), max_length=1, choices=ProgrammeSide.choices, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(_("hold (seconds)"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    repetitions = models.PositiveSmallIntegerField(_("repetitions"), null=True, blank=True)
    sets = models.PositiveSmallIntegerField(_("sets"), null=True, blank=True)
    times_per_day = models.PositiveSmallIntegerField(_("times a day"), null=True, blank=True)
    days_per_week = models.PositiveSmallIntegerField(_("days a week"), null=True, blank=True)
    note = models.CharField(_("note for the patient"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("home programme item")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["programme", "item_id"], name="one_programme_item_per_library_item")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.side}"
