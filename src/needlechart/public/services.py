"""Changes to a clinic's public pages, by its admins: each one audited in its own transaction.

The audit row names what changed (the fields, the page and language of a text, the photo's format
and size), not the words: they are on the public page for anyone to read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import Clinic, User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.public.models import PublicProfile, PublicText, photo_path
from needlechart.public.photos import Photo

PROFILE_FIELDS = ("slug", "published", "default_language", "street_address", "postal_code", "city", "phone", "email")


def _admin_clinic(actor: User) -> uuid.UUID:
    require_capability(actor, Capability.MANAGE_STAFF)
    return clinic_id_of(actor)


def _audit(actor: User, profile: PublicProfile, detail: dict[str, Any]) -> None:
    audit_record(actor=actor, action=AuditAction.UPDATE, object_type=AuditObject.PUBLIC_PAGES, object_id=profile.pk, detail=detail)


def new_profile(clinic: Clinic, slug: str) -> PublicProfile:
    """An unsaved, unpublished profile with the clinic's own address and phone to start from."""
    return PublicProfile(clinic=clinic, slug=slug, street_address=clinic.address, phone=clinic.phone)


@transaction.atomic
def profile_save(
    *, actor: User, values: Mapping[str, Any], opening_hours: list[dict[str, Any]], photo_alts: Mapping[str, str]
) -> PublicProfile:
    """Create or change the actor's clinic's public profile (``values``: the fields of ``PROFILE_FIELDS``)."""
    clinic_id = _admin_clinic(actor)
    profile = PublicProfile.objects.select_for_update().filter(clinic_id=clinic_id).first()
    created = profile is None
    if profile is None:
        clinic = Clinic.objects.get(pk=clinic_id)
        profile = new_profile(clinic, values["slug"])
    before = {field: getattr(profile, field) for field in PROFILE_FIELDS}
    for field in PROFILE_FIELDS:
        setattr(profile, field, values[field])
    profile.opening_hours = opening_hours
    profile.photo_alt_en, profile.photo_alt_nb = photo_alts.get("en", ""), photo_alts.get("nb", "")
    profile.save()
    changed = sorted(field for field in PROFILE_FIELDS if before[field] != values[field])
    _audit(actor, profile, {"event": "created" if created else "changed", "fields": changed, "published": profile.published})
    return profile


@transaction.atomic
def text_save(*, actor: User, page: str, language: str, text: str) -> PublicText | None:
    """The clinic's own text for a page and language; an empty text goes back to the default one."""
    clinic_id = _admin_clinic(actor)
    profile = PublicProfile.objects.get(clinic_id=clinic_id)
    text = text.strip()
    _audit(actor, profile, {"event": "text", "page": page, "language": language, "characters": len(text)})
    if not text:
        PublicText.objects.filter(clinic_id=clinic_id, page=page, language=language).delete()
        return None
    row, _created = PublicText.objects.update_or_create(
        clinic_id=clinic_id, page=page, language=language, defaults={"text": text, "changed_by": actor}
    )
    return row


def _photo_storage() -> Storage:
    return PublicProfile._meta.get_field("photo").storage


def _remove_after_commit(name: str | None) -> None:
    if name:
        storage = _photo_storage()
        transaction.on_commit(lambda: storage.delete(name))


def photo_set(*, actor: User, photo: Photo) -> PublicProfile:
    """Store a checked photo (``photos.checked_photo``) in place of the clinic's photo; the old file
    goes once the change is committed, the new one if the change fails."""
    clinic_id = _admin_clinic(actor)
    storage = _photo_storage()
    profile = PublicProfile.objects.get(clinic_id=clinic_id)
    name = storage.save(photo_path(profile, f"photo.{photo.suffix}"), ContentFile(photo.content))
    try:
        with transaction.atomic():
            profile = PublicProfile.objects.select_for_update().get(clinic_id=clinic_id)
            _remove_after_commit(profile.photo.name)
            profile.photo.name = name
            profile.photo_type, profile.photo_width, profile.photo_height = photo.content_type, photo.width, photo.height
            profile.save()
            _audit(actor, profile, {"event": "photo", "format": photo.format, "width": photo.width, "height": photo.height})
    except BaseException:
        storage.delete(name)
        raise
    return profile


@transaction.atomic
def photo_remove(*, actor: User) -> PublicProfile:
    clinic_id = _admin_clinic(actor)
    profile = PublicProfile.objects.select_for_update().get(clinic_id=clinic_id)
    _remove_after_commit(profile.photo.name)
    profile.photo.name, profile.photo_type, profile.photo_width, profile.photo_height = "", "", None, None
    profile.save()
    _audit(actor, profile, {"event": "photo_removed"})
    return profile
