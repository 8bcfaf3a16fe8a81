"""The audit row of a list an API call answers (v1 lists and FHIR searches): one event a call.

A patient's access log must list every call that showed something of theirs. A list therefore
writes ONE sealed, chained event for the call (``audit.services.audit_list_read``) whose detail
names every patient shown and the ids of the records shown of each (``shown``), and an
AuditSubject row for each of those patients, by which each patient's log finds the event; not a
row for each patient (the search's cost was its audit rows), nor one per record (a page of a
patient's visits is one look), nor one that names no patient (which no patient's log would find).
The subject rows are derived from the sealed detail and ``verify-audit`` checks them against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from needlechart.audit.services import audit_list_read


def audit_shown(
    *,
    actor: Any,
    object_type: str,
    shown: Iterable[tuple[uuid.UUID | None, Any]],
    detail: dict[str, Any] | None = None,
    of_patient: uuid.UUID | None = None,
) -> None:
    """The call's one event: its ``detail``, and under ``shown`` each patient of ``shown`` (its
    (patient id, record id) pairs) with the ids of the records shown of them. ``of_patient``: the
    patient a list is of, named even when the page is empty. Records of no patient (staff, the
    clinic) are named by their ids under ``ids``; a list that showed nothing names no one."""
    by_patient: dict[uuid.UUID, list[str]] = {of_patient: []} if of_patient is not None else {}
    unnamed: list[str] = []
    for patient_id, record_id in shown:
        if patient_id is None:
            unnamed.append(str(record_id))
        else:
            by_patient.setdefault(patient_id, []).append(str(record_id))
    call = {**(detail or {}), "ids": unnamed} if unnamed else dict(detail or {})
    audit_list_read(actor=actor, object_type=object_type, shown=by_patient, detail=call)
