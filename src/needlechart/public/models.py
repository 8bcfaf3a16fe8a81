"""A clinic's public pages: where they live, the contact details and opening hours they show, the
clinic's photo and the texts the clinic wrote in place of the default ones.

Nothing here refers to a patient: the public pages read these rows, the clinic's staff directory
and its screening rule settings, and nothing else.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.public.pages import LANGUAGES, PAGE_IDS

_LANGUAGE_NAMES = {"en": _("English"), "nb": _("Norwegian Bokmål")}
LANGUAGE_CHOICES = [(code, _LANGUAGE_NAMES[code]) for code in LANGUAGES]


def photo_path(instance: PublicProfile, filename: str) -> str:
    # A new name for every photo: its address can then be cached for good (and it never carries the uploaded name).
    suffix = filename.rsplit(".", 1)[-1]
    return f"public/{instance.clinic_id}/{uuid.uuid4().hex}.{suffix}"


class PublicProfile(models.Model):
    """Where a clinic's public pages live (``/c/<slug>/``), whether they are published, and what they
    show of the clinic. The contact details are the ones for patients, kept apart from the clinic's
    own record (whose e-mail address, for one, hears of what the clinic's admins do)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="public_profile")
    slug = models.SlugField(_("web address"), max_length=60, unique=True)
    published = models.BooleanField(_("published"), default=False)
    default_language = models.CharField(_("main language"), max_length=5, choices=LANGUAGE_CHOICES, default="nb")
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("town or city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail for patients"), blank=True)
    # [{"day": 0-6 (Monday first), "opens": "HH:MM", "closes": "HH:MM"}], in the clinic's local time
    opening_hours = models.JSONField(default=list, blank=True)
    photo = models.FileField(upload_to=photo_path, blank=True)
    photo_type = models.CharField(max_length=20, blank=True)
    photo_width = models.PositiveIntegerField(null=True, blank=True)
    photo_height = models.PositiveIntegerField(null=True, blank=True)
    photo_alt_en = models.CharField(_("photo description (English)"), max_length=200, blank=True)
    photo_alt_nb = models.CharField(_("photo description (Norwegian)"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Online booking (public.booking): how long a picked time is held for the patient, until when
    # before the visit the patient may cancel through the manage link, and the type a needling
    # booking becomes when the pre-check finds a reason not to needle (else the first bookable
    # type that is no needling session).
    booking_hold_minutes = models.PositiveSmallIntegerField(
        _("a picked time is held for (minutes)"), default=10, validators=[MinValueValidator(2), MaxValueValidator(60)]
    )
    cancellation_limit_hours = models.PositiveSmallIntegerField(
        _("patients may cancel online until (hours before)"), default=24, validators=[MaxValueValidator(14 * 24)]
    )
    assessment_type = models.ForeignKey(
        "scheduling.AppointmentType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessment type for online bookings"),
    )

    class Meta:
        verbose_name = _("public pages of a clinic")
        verbose_name_plural = _("public pages of clinics")

    def __str__(self) -> str:
        return self.slug

    def photo_alt(self, language: str) -> str:
        return self.photo_alt_nb if language == "nb" else self.photo_alt_en


class PublicText(models.Model):
    """A clinic's own text for one public page in one language, in place of the default text."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    page = models.CharField(max_length=30, choices=[(page, page) for page in PAGE_IDS])
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    text = models.TextField()
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("public page text")
        constraints = [models.UniqueConstraint(fields=["clinic", "page", "language"], name="one_public_text_per_page_and_language")]

    def __str__(self) -> str:
        return f"{self.page} ({self.language})"


from needlechart.public.booking_models import OnlineBooking, SlotHold  # noqa: E402, F401 - online booking, in its own module
