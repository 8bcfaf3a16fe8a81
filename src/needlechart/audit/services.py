"""Writing audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from needlechart.audit.context import current_client_ip
from needlechart.audit.models import AuditAction, AuditChainHead, AuditEvent
from needlechart.core.canonical import canonical_json, sha256_hex

SYSTEM_CHAIN = "system"


def event_digest(event: AuditEvent) -> str:
    """The hash of one row: its own content plus the previous row's hash."""
    content = {
        "chain": event.chain_key,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "clinic": str(event.clinic_id) if event.clinic_id else None,
        "actor": event.actor_id,
        "username": event.actor_username,
        "role": event.actor_role,
        "patient": str(event.patient_id) if event.patient_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    return sha256_hex(canonical_json(content))


def _locked_head(chain_key: str) -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update().get(chain_key=chain_key)
    except AuditChainHead.DoesNotExist:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(chain_key=chain_key)
        except IntegrityError:
            pass  # created concurrently; lock the winner's row below
        return AuditChainHead.objects.select_for_update().get(chain_key=chain_key)


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: str = "",
    object_id: Any = "",
    patient_id: uuid.UUID | None = None,
    clinic_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to its clinic's chain, in the caller's transaction."""
    if clinic_id is None and actor is not None:
        clinic_id = getattr(actor, "clinic_id", None)
    chain_key = str(clinic_id) if clinic_id else SYSTEM_CHAIN
    # No savepoint of its own: if the append fails, the caller's change must fail with it.
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain_key)
        event = AuditEvent(
            chain_key=chain_key,
            seq=head.seq + 1,
            at=timezone.now(),
            clinic_id=clinic_id,
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or "",
            actor_role=getattr(actor, "role", "") or "",
            patient_id=patient_id,
            action=str(action),
            object_type=object_type,
            object_id=str(object_id) if object_id else "",
            ip=current_client_ip.get(),
            detail=detail or {},
            prev_hash=head.hash,
        )
        event.hash = event_digest(event)
        event.save()
        AuditChainHead.objects.filter(chain_key=chain_key).update(seq=event.seq, hash=event.hash)
    return event


def audit_read(*, actor: Any, object_type: str, action: AuditAction | str = AuditAction.VIEW, **fields: Any) -> AuditEvent:
    """Record a read (view, search, download) in its own short transaction.

    Reads change nothing, so their audit row need not wait for the page to render: the
    clinic's chain is locked only for the append itself.
    """
    with transaction.atomic():
        return audit_record(actor=actor, action=action, object_type=object_type, **fields)
