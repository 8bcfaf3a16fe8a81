"""The audit rows of a list an API call answers (v1 lists and FHIR searches): one per patient shown.

A patient's access log must list every call that showed something of theirs, so a list writes a
row for each patient it showed, naming what it showed of them; not one row for the page (which
no patient's log would find) nor one per record (a page of a patient's visits is one look).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_reads


def audit_shown(
    *,
    actor: Any,
    object_type: str,
    shown: Iterable[tuple[uuid.UUID | None, Any]],
    detail: dict[str, Any] | None = None,
    of_patient: uuid.UUID | None = None,
) -> None:
    """A search row for each patient of ``shown`` (its (patient id, record id) pairs), its
    ``detail`` and the ids of the records shown of that patient (``ids``). ``of_patient``: the
    patient a list is of, whose row is written even when the page is empty. Records of no patient
    share one row without one, as does a list that showed nothing of anyone."""
    by_patient: dict[uuid.UUID | None, list[str]] = {of_patient: []} if of_patient is not None else {}
    for patient_id, record_id in shown:
        by_patient.setdefault(patient_id, []).append(str(record_id))
    if not by_patient:
        by_patient[None] = []
    reads = [(patient_id, {**(detail or {}), "ids": ids}) for patient_id, ids in by_patient.items()]
    audit_reads(actor=actor, action=AuditAction.SEARCH, object_type=object_type, reads=reads)
