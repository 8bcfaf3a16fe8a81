"""Audit reports for clinic admins: who opened a record, and what happened when."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from needlechart.audit.models import AuditEvent
from needlechart.core.access import Capability, ClinicMember, require_capability

REPORT_LIMIT = 5000

# The reader (``user``) is a clinics.models.User, typed as a ClinicMember because audit sits below
# clinics. ``require_capability`` turns away a reader without a clinic, so ``user.clinic_id`` is
# never None in the filters below (a filter on None would match the events outside any clinic).


def patient_access_report(*, user: ClinicMember, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """Every recorded access to one patient's record, newest first (Normen fact sheet 15)."""
    require_capability(user, Capability.VIEW_AUDIT)
    return AuditEvent.objects.filter(clinic_id=user.clinic_id, patient_id=patient_id).order_by("-at", "-seq")


def audit_report(
    *, user: ClinicMember, start: dt.datetime, end: dt.datetime, actor_id: int | None = None, action: str = ""
) -> QuerySet[AuditEvent]:
    require_capability(user, Capability.VIEW_AUDIT)
    qs = AuditEvent.objects.filter(clinic_id=user.clinic_id, at__gte=start, at__lt=end)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-at", "-seq")
