"""Clinics (tenants), their staff and the practitioners' needling credentials.

A clinic is the unit of data ownership: every clinical row carries its clinic, so that one
access layer can scope reads, and a clinic network can shard by clinic later.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.core.access import Approval, Role


class SecondFactorPolicy(models.TextChoices):
    """Who of a clinic's staff must sign in with a second factor (an authenticator app's code)."""

    OPTIONAL = "optional", _("Whoever sets one up")
    CLINICAL = "clinical", _("Everyone who reads clinical records")
    ALL = "all", _("All staff")


class Clinic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    organisation_number = models.CharField(_("organisation number"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Set by whoever runs the system (Django's admin), not by the clinic's admins: it hears of what
    # an admin did alone (clinics.notices), so it is no channel of theirs to redirect.
    email = models.EmailField(
        _("contact e-mail"), blank=True, help_text=_("Where notices about staff accounts go (a clinic admin acting alone).")
    )
    second_factor = models.CharField(
        _("second factor required for"), max_length=20, choices=SecondFactorPolicy.choices, default=SecondFactorPolicy.OPTIONAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def display_name(first_name: str, last_name: str, username: str) -> str:
    """How staff are named on pages: their full name, or their username without one."""
    return f"{first_name} {last_name}".strip() or username


class User(AbstractUser):
    """A staff member of one clinic. Superusers may have no clinic (they run the system)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=5, choices=settings.LANGUAGES, default="en")
    # Separation of duties (clinics.accounts): an account given a clinical role, or whose password an
    # admin set, by one clinic admin waits for another's approval. Accounts made by the system's
    # operator (the command line, Django's admin, the demo) are approved.
    approval = models.CharField(_("approval"), max_length=20, choices=Approval.choices, default=Approval.APPROVED)
    granted_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    # When the first read of a patient's record by this account, unapproved in a one-admin clinic, was flagged.
    unapproved_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | (models.Q(clinic__isnull=False) & ~models.Q(role="")),
                name="staff_has_clinic_and_role",
            )
        ]

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.username)

    @property
    def is_practitioner(self) -> bool:
        return self.role == Role.PRACTITIONER

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == Role.CLINIC_ADMIN

    @property
    def is_front_desk(self) -> bool:
        return self.role == Role.FRONT_DESK


class Discipline(models.TextChoices):
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    CHIROPRACTOR = "chiropractor", _("Chiropractor")
    PHYSICIAN = "physician", _("Physician")
    MANUAL_THERAPIST = "manual_therapist", _("Manual therapist")
    NAPRAPATH = "naprapath", _("Naprapath")
    OSTEOPATH = "osteopath", _("Osteopath")
    OTHER = "other", _("Other")


class PractitionerProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner_profile")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    discipline = models.CharField(_("discipline"), max_length=30, choices=Discipline.choices)
    title = models.CharField(_("professional title"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("practitioner profile")

    def __str__(self) -> str:
        return f"{self.user.display_name} ({self.get_discipline_display()})"


class RegistrationNumber(models.Model):
    """A professional registration, e.g. the Norwegian HPR number or a college licence."""

    HPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.4"

    profile = models.ForeignKey(PractitionerProfile, on_delete=models.CASCADE, related_name="registrations")
    system = models.CharField(_("register"), max_length=200, help_text=_("For example the HPR register or a college roster."))
    value = models.CharField(_("number"), max_length=60)

    class Meta:
        verbose_name = _("registration number")
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="unique_registration_per_system")]

    def __str__(self) -> str:
        return f"{self.system}: {self.value}"


class CertificationKind(models.TextChoices):
    DRY_NEEDLING = "dry_needling", _("Trigger-point dry needling")
    IMS = "ims", _("Intramuscular stimulation (Gunn IMS)")


def evidence_upload_path(instance: Certification, filename: str) -> str:
    # The stored name never reuses the uploaded name: it could carry personal data or a path.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"certifications/{instance.clinic_id}/{uuid.uuid4().hex}.{suffix}"


class Certification(models.Model):
    """A completed needling course that authorises the practitioner to needle.

    Rules differ by jurisdiction (a BC College roster, an Alberta practice-permit
    authorisation, the Norwegian association's 100-hour recommendation); the record keeps
    which one it answers to.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(PractitionerProfile, on_delete=models.PROTECT, related_name="certifications")
    kind = models.CharField(_("kind"), max_length=20, choices=CertificationKind.choices)
    course = models.CharField(_("course"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("Leave empty if it does not expire."))
    jurisdiction = models.CharField(_("jurisdiction or roster"), max_length=200, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_upload_path, blank=True)
    evidence_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("needling certification")
        ordering = ["-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("completed_on")),
                name="certification_expires_after_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} ({self.issuer})"

    def is_valid_on(self, day) -> bool:
        return self.completed_on <= day and (self.expires_on is None or day <= self.expires_on)


class StaffSession(models.Model):
    """One signed-in session of a staff member, so that they (and their clinic's admins) can see
    and end their sessions (clinics.sessions). The session itself is Django's; this names its key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(auto_now_add=True)
    address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-signed_in_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.signed_in_at:%Y-%m-%d %H:%M}"


class SignInThrottle(models.Model):
    """Failed sign-ins for one username from addresses it never signed in from (clinics.throttle)."""

    username = models.CharField(max_length=150, unique=True)  # folded: case variants are one account
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(db_index=True)
    refused_until = models.DateTimeField(null=True, blank=True)
    refused = models.PositiveIntegerField(default=0)  # attempts refused unchecked since the last failure

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"
