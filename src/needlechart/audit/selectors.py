"""Audit reports for clinic admins: who opened a record, and what happened when."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from needlechart.audit.models import AuditEvent, AuditObject, AuditSubject
from needlechart.audit.services import SHOWN
from needlechart.core.access import Capability, ClinicMember, require_capability

REPORT_LIMIT = 5000

# The reader (``user``) is a clinics.models.User, typed as a ClinicMember because audit sits below
# clinics. ``require_capability`` turns away a reader without a clinic, so ``user.clinic_id`` is
# never None in the filters below (a filter on None would match the events outside any clinic).


def naming_patients(clinic_id: uuid.UUID | None, patient_ids: Iterable[uuid.UUID] | QuerySet[Any]) -> Q:
    """The clinic's events that name any of the patients (ids, or a queryset of them): as their
    patient_id, or as a list that showed them (an AuditSubject row, audit_list_read). One subquery,
    the UNION of the two kinds' ids, each read by its (clinic, patient) index; an OR of the two
    would have the database test every event of the clinic against the subject rows."""
    own = AuditEvent.objects.filter(clinic_id=clinic_id, patient_id__in=patient_ids).values("pk")
    listed = AuditSubject.objects.filter(clinic_id=clinic_id, patient_id__in=patient_ids).values("event_id")
    return Q(pk__in=own.union(listed))


def _of_patient(clinic_id: uuid.UUID | None, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """The clinic's events of one patient, in one query: those whose patient_id is the patient's, and
    the lists that showed the patient."""
    return AuditEvent.objects.filter(naming_patients(clinic_id, [patient_id]), clinic_id=clinic_id)


def shown_of(event: AuditEvent, patient_id: uuid.UUID) -> list[str]:
    """What a list's event showed of one patient (the ids of its records), from its sealed detail;
    [] for an event that is not a list's or names the patient only. Never the other patients'."""
    shown = event.detail.get(SHOWN) if isinstance(event.detail, dict) else None
    for named, records in shown if isinstance(shown, list) else []:
        if named == str(patient_id):
            return list(records)
    return []


def patient_access_report(*, user: ClinicMember, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """Every recorded access to one patient's record, newest first (Normen fact sheet 15): the
    events of the patient and those of the lists that showed them."""
    require_capability(user, Capability.VIEW_AUDIT)
    return _of_patient(user.clinic_id, patient_id).order_by("-at", "-seq")


def patient_access_log_disclosed(*, user: ClinicMember, patient_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """The same rows, oldest first, as the patient's copy of their record gives them to the patient
    (for whoever may disclose the record, who need not read the clinic's audit log otherwise)."""
    require_capability(user, Capability.DISCLOSE_RECORDS)
    return _of_patient(user.clinic_id, patient_id).order_by("at", "seq")


def with_subjects(rows: QuerySet[AuditEvent], patients: Iterable[uuid.UUID] | QuerySet[Any] | None = None) -> QuerySet[AuditEvent]:
    """The events with the patients each names (``event.subjects.all()``) read with them, in one
    query per chunk: for what describes a list's event (the FHIR AuditEvent, its entities).
    ``patients``: a view of some patients' log (a group's export, a search by patient), whose
    list events then name those patients only, never the others the list showed."""
    subjects = AuditSubject.objects.only("id", "event_id", "patient_id")
    if patients is not None:
        subjects = subjects.filter(patient_id__in=patients)
    return rows.prefetch_related(Prefetch("subjects", queryset=subjects))


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
