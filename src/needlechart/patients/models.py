"""Patients, their identifiers, and episodes of care."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.core.text import search_key


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    NORWEGIAN = "nb", _("Norwegian Bokmål")


# What a search result shows of a patient beyond its sort keys (patients.selectors).
_SHOWN = ("id", "given_name", "family_name", "phone")


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=5, choices=Language.choices, default=Language.NORWEGIAN)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_relation = models.CharField(_("relation"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=40, blank=True)
    family_key = models.CharField(max_length=100, editable=False)
    given_key = models.CharField(max_length=100, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            # Search results come in (family_key, given_key, birth_date) order. With those columns in
            # both indexes, the given-name arm of a name search sorts index entries, not thousands of
            # rows it would otherwise fetch one by one for a common prefix (SQLite: 2.9 -> 0.5 ms).
            # They also hold every column a result shows, so that a search never visits the table:
            # a prefix that many given names share ("nils", "han") is filtered by the other words
            # typed in the index itself (PostgreSQL: index-only scans).
            models.Index(fields=["clinic", "family_key", "given_key", "birth_date", *_SHOWN], name="patient_family_found"),
            models.Index(fields=["clinic", "given_key", "family_key", "birth_date", *_SHOWN], name="patient_given_found"),
            models.Index(fields=["clinic", "birth_date"], name="patient_birth_search"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.family_key = search_key(self.family_name)
        self.given_key = search_key(self.given_name)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class PatientIdentifier(models.Model):
    """An identifier from a named system: the national identity number, a passport, etc."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="identifiers")
    system = models.CharField(_("system"), max_length=200)
    value = models.CharField(_("value"), max_length=100)

    class Meta:
        verbose_name = _("identifier")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "system", "value"], name="unique_identifier_per_clinic"),
        ]
        indexes = [models.Index(fields=["clinic", "value"], name="identifier_value_search")]

    def __str__(self) -> str:
        return self.value


class ConditionCategory(models.TextChoices):
    LOW_BACK = "low_back", _("Low back pain")
    NECK = "neck", _("Neck pain")
    HEADACHE = "headache", _("Headache")
    SHOULDER = "shoulder", _("Shoulder pain")
    WHIPLASH = "whiplash", _("Whiplash")
    OTHER = "other", _("Other")


class Episode(models.Model):
    """An episode of care: one complaint treated over a run of visits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    complaint = models.CharField(_("main complaint"), max_length=300)
    condition = models.CharField(_("condition category"), max_length=20, choices=ConditionCategory.choices)
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)
    referrer = models.CharField(_("referred by"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Every change (closing it included): what "changed since" reads (the API, FHIR _since). Null only
    # in the column's definition (patients.0006 added it in place); every row has a time.
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        verbose_name = _("episode of care")
        verbose_name_plural = _("episodes of care")
        ordering = ["-started_on"]
        indexes = [models.Index(fields=["patient", "started_on"], name="episode_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="episode_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.complaint

    @property
    def is_open(self) -> bool:
        return self.ended_on is None
