"""Audit reports for clinic admins: who opened a record, and what happened when."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.core.access import Capability, ClinicMember, require_capability

REPORT_LIMIT = 5000

# The reader (``user``) is a clinics.models.User, typed as a ClinicMember because audit sits below
# clinics. ``require_capability`` turns away a reader without a clinic, so ``user.clinic_id`` is
# never None in the filters below (a filter on None would match the events outside any clinic).


def patient_access_report(*, user: ClinicMember, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """Every recorded access to one patient's record, newest first (Normen fact sheet 15)."""
    require_capability(user, Capability.VIEW_AUDIT)
    return AuditEvent.objects.filter(clinic_id=user.clinic_id, patient_id=patient_id).order_by("-at", "-seq")


def patient_access_log_disclosed(*, user: ClinicMember, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """The same rows, oldest first, as the patient's copy of their record gives them to the patient
    (for whoever may disclose the record, who need not read the clinic's audit log otherwise)."""
    require_capability(user, Capability.DISCLOSE_RECORDS)
    return AuditEvent.objects.filter(clinic_id=user.clinic_id, patient_id=patient_id).order_by("at", "seq")


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


def account_changes(*, user: ClinicMember, start: dt.datetime, end: dt.datetime) -> QuerySet[AuditEvent]:
    """The clinic's staff accounts created or changed in the period (clinics.accounts writes each with
    an ``account`` event), and the first reads by accounts no second admin approved; newest first."""
    require_capability(user, Capability.VIEW_AUDIT)
    rows = AuditEvent.objects.filter(clinic_id=user.clinic_id, at__gte=start, at__lt=end)
    changes = Q(object_type=AuditObject.STAFF, detail__has_key="account") | Q(object_type=AuditObject.UNAPPROVED_READ)
    return rows.filter(changes).order_by("-at", "-seq")[:REPORT_LIMIT]
