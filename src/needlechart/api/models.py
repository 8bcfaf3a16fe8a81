"""API clients: the other systems a clinic lets read and write its records, each with its scopes
and either a personal access token (api.tokens) or OAuth 2 client credentials or authorization
code with PKCE (api.oauth)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from needlechart.clinics.models import Clinic, User
from needlechart.core.access import Role


class ApiClient(models.Model):
    """A system acting within one clinic through the API, with the scopes it was given.

    ``acting_role`` is the role of the staff member who created it, kept so that the services the
    client calls check it as they check a person (a client never does more than that role may,
    whatever its scopes); the scopes narrow it further. The token is stored only as its digest;
    a client for OAuth 2 has an ``application`` (django-oauth-toolkit's) and no token of its own.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scopes"), max_length=200, help_text=_("Space-separated, as in OAuth 2."))
    acting_role = models.CharField(max_length=20, choices=Role.choices)
    token_prefix = models.CharField(max_length=12, unique=True, null=True, blank=True)
    token_digest = models.CharField(max_length=64, blank=True)
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="api_client"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="api_client_name_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(token_prefix__isnull=False, application__isnull=True)
                | models.Q(token_prefix__isnull=True, application__isnull=False),
                name="api_client_token_or_application",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    @property
    def is_authorization_code(self) -> bool:
        """A client of the authorization code grant: it acts as the staff member who let it (api.authorize)."""
        application = self.application if self.application_id is not None else None
        return application is not None and application.authorization_grant_type == "authorization-code"

    @property
    def redirect_uris(self) -> list[str]:
        return self.application.redirect_uris.split() if self.is_authorization_code and self.application else []

    @property
    def shown_token(self) -> str:
        """How the token is named on pages and in logs: its public start only (OAuth 2: the client id)."""
        if self.application_id is not None and self.application is not None:
            return f"OAuth 2: {self.application.client_id}"
        return f"nct_{self.token_prefix}_…"

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and not self.is_expired(now)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class ExportJob(models.Model):
    """A FHIR Bulk Data ``$export`` an API client asked for (api.fhir.bulk): what it exports and how far it got.

    ``group`` is empty for a system export, else the Group's id (api.fhir.groups). ``files`` maps each
    resource type written to its NDJSON file's name and count once the job is done; its files live
    in a directory of their own (api.fhir.bulk_jobs.job_directory) and are deleted when the job
    expires or is cancelled. Only ``client`` may see the job and fetch its files.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="export_jobs")
    group = models.CharField(max_length=80, blank=True)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.TextField()
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    files = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)  # the runner's last sign of life
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="export_job_queue")]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"
