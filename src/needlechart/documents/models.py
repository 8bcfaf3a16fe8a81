"""A secure link through which a patient reads their aftercare advice on their own phone."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User


class AftercareLink(models.Model):
    """Readable many times until it expires; only the token's SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="aftercare_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("aftercare link")

    def __str__(self) -> str:
        return f"aftercare link {self.encounter_id}"
