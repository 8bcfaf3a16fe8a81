"""A practitioner's calendar feed (iCal): the secret address their phone's calendar subscribes to.

Only the SHA-256 of the feed's token is stored, so a database reader cannot use an address; a
revoked feed keeps its row (and the practitioner's privacy choice) without a token.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User


class CalendarFeed(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    practitioner = models.OneToOneField(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)  # None: revoked
    private = models.BooleanField(
        _("hide patients' names"),
        default=True,
        help_text=_("The events say only the appointment type and the room, not who comes."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    token_created_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of {self.practitioner_id}"

    @property
    def active(self) -> bool:
        return self.token_hash is not None
