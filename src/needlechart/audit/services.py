"""Writing audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
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


def _create_head(chain_key: str) -> None:
    """The first event of a chain: its head row must exist before it can be locked."""
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain_key=chain_key)
    except IntegrityError:
        pass  # created concurrently; the caller locks the winner's row


# Every page view appends one event, so the append is plain SQL built once per database
# vendor: through the ORM, compiling the three statements cost more than executing them.
_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


class _AppendSql(NamedTuple):
    lock_head: str  # and read it
    insert_event: str
    move_head: str
    insert_and_move: str  # both in one statement, where the database can ("" otherwise)


_APPEND_SQL: dict[str, _AppendSql] = {}


def _append_sql(connection: BaseDatabaseWrapper) -> _AppendSql:
    if (sql := _APPEND_SQL.get(connection.vendor)) is None:
        quote = connection.ops.quote_name
        event_table, head_table = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)
        columns = ", ".join(quote(str(f.column)) for f in _EVENT_FIELDS)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: the write transaction holds the lock
        values = ", ".join(["%s"] * len(_EVENT_FIELDS))
        # Names come from the models, never from input; every value is a parameter.
        lock_head = f"SELECT seq, hash FROM {head_table} WHERE chain_key = %s{lock}"  # noqa: S608
        insert = f"INSERT INTO {event_table} ({columns}) VALUES ({values})"  # noqa: S608
        move = f"UPDATE {head_table} SET seq = %s, hash = %s WHERE chain_key = %s"  # noqa: S608
        both = f"WITH appended AS ({insert}) {move}" if connection.vendor == "postgresql" else ""  # one round trip, not two
        sql = _APPEND_SQL[connection.vendor] = _AppendSql(lock_head, insert, move, both)
    return sql


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
    """Append one event to its clinic's chain, in the caller's transaction.

    The head row is locked for the append, so two appends never get the same sequence
    number; the returned event has no id (nothing reads it back).
    """
    if clinic_id is None and actor is not None:
        clinic_id = getattr(actor, "clinic_id", None)
    chain_key = str(clinic_id) if clinic_id else SYSTEM_CHAIN
    # No savepoint of its own: if the append fails, the caller's change must fail with it.
    with transaction.atomic(savepoint=False):
        connection = transaction.get_connection()
        sql = _append_sql(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql.lock_head, [chain_key])
            head = cursor.fetchone()
            if head is None:
                _create_head(chain_key)
                cursor.execute(sql.lock_head, [chain_key])
                head = cursor.fetchone()
            seq, prev_hash = head
            event = AuditEvent(
                chain_key=chain_key,
                seq=seq + 1,
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
                prev_hash=prev_hash,
            )
            event.hash = event_digest(event)
            event_values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS]
            head_values = [event.seq, event.hash, chain_key]
            if sql.insert_and_move:
                cursor.execute(sql.insert_and_move, event_values + head_values)
            else:
                cursor.execute(sql.insert_event, event_values)
                cursor.execute(sql.move_head, head_values)
    return event


def audit_read(*, actor: Any, object_type: str, action: AuditAction | str = AuditAction.VIEW, **fields: Any) -> AuditEvent:
    """Record a read (view, search, download) in its own short transaction.

    Reads change nothing, so their audit row need not wait for the page to render: the
    clinic's chain is locked only for the append itself.
    """
    with transaction.atomic():
        return audit_record(actor=actor, action=action, object_type=object_type, **fields)
