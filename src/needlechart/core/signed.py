"""Signed clinical records: drafts until signed, then frozen forever.

A signed record stores its canonical JSON and the SHA-256 digest of it. After signing,
no path through the application may change or delete the row: ``save``/``delete`` on the
instance, ``update``/``delete`` on querysets (which the admin and bulk operations use)
all refuse, and migrations add database triggers that refuse raw SQL as well
(helsepersonelloven section 42: corrections are dated addenda, never edits).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.core.canonical import sha256_hex


class SignedRecordImmutable(PermissionError):
    """Raised when code tries to change or delete a signed record."""


class SignedRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(signed_at__isnull=False).exists():
            raise SignedRecordImmutable("Signed records cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(signed_at__isnull=False).exists():
            raise SignedRecordImmutable("Signed records cannot be deleted.")
        return super().delete()


class SignedRecord(models.Model):
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    canonical = models.TextField(blank=True, editable=False)
    digest = models.CharField(_("SHA-256 digest"), max_length=64, blank=True, editable=False)

    objects = SignedRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._stored_as_signed():
            raise SignedRecordImmutable("Signed records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed or self._stored_as_signed():
            raise SignedRecordImmutable("Signed records cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def _stored_as_signed(self) -> bool:
        return not self._state.adding and type(self)._base_manager.filter(pk=self.pk, signed_at__isnull=False).exists()

    def digest_matches(self) -> bool:
        """Whether the stored canonical form still hashes to the stored digest."""
        return bool(self.digest) and sha256_hex(self.canonical) == self.digest
