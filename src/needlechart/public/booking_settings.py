"""A clinic admin's settings for online booking, on one page: how long a picked time is held, until
when patients may cancel or move online, the type a needling booking becomes when the pre-check
rules needling out (on the clinic's ``PublicProfile``), and the minimum notice and how far ahead
patients may book (the calendar's own settings, saved through ``scheduling.configuration``, which
audits them). The reminder's lead time is with the calendar's settings (its set-up page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.public.models import PublicProfile
from needlechart.scheduling import configuration
from needlechart.scheduling.selectors import calendar_settings

PROFILE_FIELDS = ("booking_hold_minutes", "cancellation_limit_hours", "assessment_type")
CALENDAR_FIELDS = ("minimum_notice_minutes", "horizon_days")


def current(*, user: User) -> dict[str, Any] | None:
    """The settings as the form shows them; None while the clinic has no public pages saved."""
    require_capability(user, Capability.MANAGE_STAFF)
    profile = PublicProfile.objects.filter(clinic_id=clinic_id_of(user)).first()
    if profile is None:
        return None
    calendar = calendar_settings(profile.clinic_id)
    return {**{name: getattr(profile, name) for name in PROFILE_FIELDS}, **{name: getattr(calendar, name) for name in CALENDAR_FIELDS}}


@transaction.atomic
def booking_settings_save(*, actor: User, values: Mapping[str, Any]) -> PublicProfile:
    """Save the settings of ``PROFILE_FIELDS`` and ``CALENDAR_FIELDS``; the audit row names what changed."""
    require_capability(actor, Capability.MANAGE_STAFF)
    profile = PublicProfile.objects.select_for_update().filter(clinic_id=clinic_id_of(actor)).first()
    if profile is None:
        raise ValidationError(_("Save the public pages' settings first, then the booking settings."))
    kind = values.get("assessment_type")
    if kind is not None and (kind.clinic_id != profile.clinic_id or kind.is_needling or not kind.active):
        raise ValidationError(_("Choose one of the clinic's appointment types in use that is no needling session."))
    changed = [name for name in PROFILE_FIELDS if getattr(profile, name) != values[name]]
    for name in PROFILE_FIELDS:
        setattr(profile, name, values[name])
    profile.full_clean(exclude=["clinic", "photo"])
    profile.save(update_fields=[*PROFILE_FIELDS, "updated_at"])
    calendar = calendar_settings(profile.clinic_id)
    calendar_changed = {name: values[name] for name in CALENDAR_FIELDS if getattr(calendar, name) != values[name]}
    if calendar_changed:
        configuration.calendar_settings_update(actor=actor, data=calendar_changed)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.PUBLIC_PAGES,
        object_id=profile.pk,
        detail={"booking_settings": sorted([*changed, *calendar_changed])},
    )
    return profile
