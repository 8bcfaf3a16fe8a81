"""AuditEvent: one row of the access log (who viewed, searched, changed, signed or downloaded what).

Each row keeps its place in its clinic's hash chain as the record entity's details (chain, sequence
number, hash), so an exported log can be compared with ``verify-audit``'s. Sign-ins and sign-outs
are DICOM's User Authentication events, searches Queries, everything else Patient Record events;
the action is FHIR's create/read/update/execute code and needlechart's own action code the subtype.
The row's free detail (a search's text, a page's name) is not exported. A list's row (one for the
call, naming every patient it showed: audit_list_read) has an entity for each patient it names, read
from its AuditSubject rows as they were read (``audit.selectors.with_subjects``: for some patients'
view of the log, a group's export or a search by patient, only those patients' rows, so that a
list names them only, never the other patients it showed).
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX
from needlechart.interop.elements import concept, instant, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished

ACTIONS = {
    AuditAction.VIEW: "R",
    AuditAction.SEARCH: "E",
    AuditAction.CREATE: "C",
    AuditAction.UPDATE: "U",
    AuditAction.SIGN: "U",
    AuditAction.DOWNLOAD: "R",
    AuditAction.EXPORT: "R",
    AuditAction.LOGIN: "E",
    AuditAction.LOGOUT: "E",
    AuditAction.LOGIN_FAILED: "E",
}
_SIGN_IN = (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED)


def _agent(row: AuditEvent) -> dict[str, Any]:
    agent: dict[str, Any] = {}
    if row.actor_role:
        agent["role"] = [concept("staff-role", row.actor_role)]
    if row.actor_id is not None and not row.actor_username.startswith(SYSTEM_ACCOUNT_PREFIX):
        agent["who"] = ref("Practitioner", row.actor_id)  # the online booking's account is no Practitioner: its name only
    if row.actor_username:
        agent["name"] = row.actor_username
    agent["requestor"] = row.actor_id is not None or bool(row.actor_username)
    if _is_ip_address(row.ip):
        agent["network"] = {"address": row.ip, "type": "2"}  # an IP address
    return agent


def _is_ip_address(text: str) -> bool:
    """Whether the row's address is one (rows written by a command hold "cli" instead)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _patients(row: AuditEvent) -> list[uuid.UUID]:
    """The patients the row names: its own, else its subject rows' as they were read (a list's)."""
    return [row.patient_id] if row.patient_id else sorted((s.patient_id for s in row.subjects.all()), key=str)


def audit_event_resource(row: AuditEvent, *, validate: bool = True) -> dict[str, Any]:
    codes = terminology()
    event_type = "110114" if row.action in _SIGN_IN else "110112" if row.action == AuditAction.SEARCH else "110110"
    entities: list[dict[str, Any]] = [{"what": ref("Patient", patient_id)} for patient_id in _patients(row)]
    if row.object_type:
        entity: dict[str, Any] = {"what": {"identifier": {"type": {"text": row.object_type}, "value": row.object_id or "-"}}}
        if row.object_type in codes.systems["audit-object"].codes():
            entity["type"] = codes.coding("audit-object", row.object_type)
        entities.append(entity)
    entities.append(
        {
            "what": {"display": "needlechart audit log"},
            "detail": [
                {"type": "chain", "valueString": row.chain_key},
                {"type": "sequence", "valueString": str(row.seq)},
                {"type": "hash", "valueString": row.hash},
            ],
        }
    )
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(row.pk),
        "type": codes.coding("audit-event-type", event_type),
        "subtype": [codes.coding("audit-action", row.action)],
        "action": ACTIONS[AuditAction(row.action)],
        "recorded": instant(row.at),
        "outcome": "4" if row.action == AuditAction.LOGIN_FAILED else "0",
        "agent": [_agent(row)],
        "source": {"observer": {"display": "needlechart"}},
        "entity": entities,
    }
    return finished(resource, validate)
