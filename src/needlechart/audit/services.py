"""Writing audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from needlechart.audit.context import current_client_ip
from needlechart.audit.models import AuditAction, AuditChainHead, AuditEvent
from needlechart.core.canonical import canonical_json, sha256_hex

SYSTEM_CHAIN = "system"


def _digest_content(event: AuditEvent) -> dict[str, Any]:
    return {
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


def event_digest(event: AuditEvent) -> str:
    """The hash of one row: its own content plus the previous row's hash."""
    return sha256_hex(canonical_json(_digest_content(event)))


def _create_head(chain_key: str) -> None:
    """The first event of a chain: its head row must exist before it can be locked."""
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain_key=chain_key)
    except IntegrityError:
        pass  # created concurrently; the caller locks the winner's row


# Every page view appends one event, so the append is plain SQL built once per database
# vendor: through the ORM, compiling the statements cost more than executing them.
_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
_HEAD_DECIDES = ("seq", "prev_hash", "hash")  # the columns whose values come from the chain's head


def digest_pieces(event: AuditEvent) -> list[str]:
    """The canonical JSON that event_digest() hashes, in three pieces around the values of
    "prev" and "seq", for the database to join with the head's hash and next number."""
    content = _digest_content(event)
    pieces, piece = [], "{"
    for i, key in enumerate(sorted(content)):  # canonical_json's order and separators
        piece += f"{',' if i else ''}{canonical_json(key)}:"
        if key in ("prev", "seq"):
            pieces.append(piece)
            piece = ""
        else:
            piece += canonical_json(content[key])
    return [*pieces, piece + "}"]


_APPEND_SQL: dict[str, tuple[str, ...]] = {}


def _append_sql(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    if (sql := _APPEND_SQL.get(connection.vendor)) is None:
        sql = _APPEND_SQL[connection.vendor] = _build_append_sql(connection.vendor, connection.ops.quote_name)
    return sql


def _build_append_sql(vendor: str, quote: Callable[[str], str]) -> tuple[str, ...]:
    """PostgreSQL: one statement that locks the head, hashes the event with the head's hash and
    next number (sha256() over the digest's pieces), inserts it and moves the head; no lock is
    held while Python waits, and a read needs no transaction of its own. The verifier
    recomputes every hash in Python. SQLite: lock-and-read, insert, move, in the caller's
    writing transaction (which holds the database's write lock)."""
    events, head = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in _EVENT_FIELDS)
    # Names come from the models, never from input; every value is a parameter.
    if vendor == "postgresql":
        values = ", ".join(f"event.{f.name}" if f.name in _HEAD_DECIDES else "%s" for f in _EVENT_FIELDS)
        return (
            f"WITH locked AS (SELECT seq + 1 AS seq, hash AS prev_hash FROM {head} WHERE chain_key = %s FOR UPDATE),"  # noqa: S608
            " event AS (SELECT seq, prev_hash,"
            " encode(sha256(convert_to(%s || '\"' || prev_hash || '\"' || %s || seq || %s, 'UTF8')), 'hex') AS hash FROM locked),"
            f" moved AS (UPDATE {head} SET seq = event.seq, hash = event.hash FROM event WHERE chain_key = %s)"
            f" INSERT INTO {events} ({columns}) SELECT {values} FROM event RETURNING seq, prev_hash, hash",
        )
    return (
        f"SELECT seq, hash FROM {head} WHERE chain_key = %s",  # noqa: S608
        f"INSERT INTO {events} ({columns}) VALUES ({', '.join(['%s'] * len(_EVENT_FIELDS))})",  # noqa: S608
        f"UPDATE {head} SET seq = %s, hash = %s WHERE chain_key = %s",  # noqa: S608
    )


def _append(event: AuditEvent) -> None:
    """Give the event its place in its chain (sequence number, previous hash, hash) and store it."""
    connection = transaction.get_connection()
    sql = _append_sql(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS if f.name not in _HEAD_DECIDES]
            params = [event.chain_key, *digest_pieces(event), event.chain_key, *values]
            cursor.execute(sql[0], params)
            if (row := cursor.fetchone()) is None:  # the chain's first event: no head yet
                _create_head(event.chain_key)
                cursor.execute(sql[0], params)
                row = cursor.fetchone()
            event.seq, event.prev_hash, event.hash = row
            return
        cursor.execute(sql[0], [event.chain_key])
        if (head := cursor.fetchone()) is None:
            _create_head(event.chain_key)
            cursor.execute(sql[0], [event.chain_key])
            head = cursor.fetchone()
        event.seq, event.prev_hash = head[0] + 1, head[1]
        event.hash = event_digest(event)
        cursor.execute(sql[1], [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS])
        cursor.execute(sql[2], [event.seq, event.hash, event.chain_key])


def _new_event(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: str,
    object_id: Any,
    patient_id: uuid.UUID | None,
    clinic_id: uuid.UUID | None,
    detail: dict[str, Any] | None,
) -> AuditEvent:
    if clinic_id is None and actor is not None:
        clinic_id = getattr(actor, "clinic_id", None)
    return AuditEvent(
        chain_key=str(clinic_id) if clinic_id else SYSTEM_CHAIN,
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
    )


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
    event = _new_event(
        actor=actor, action=action, object_type=object_type, object_id=object_id, patient_id=patient_id, clinic_id=clinic_id, detail=detail
    )
    # No savepoint of its own: if the append fails, the caller's change must fail with it.
    with transaction.atomic(savepoint=False):
        _append(event)
    return event


def audit_read(
    *,
    actor: Any,
    object_type: str,
    action: AuditAction | str = AuditAction.VIEW,
    object_id: Any = "",
    patient_id: uuid.UUID | None = None,
    clinic_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a read (view, search, download) at once, not in the transaction of a change.

    Reads change nothing, so their audit row need not wait for the page to render: the
    clinic's chain is locked only for the append itself. On PostgreSQL the append is one
    statement, committed as it runs; elsewhere it gets a short transaction of its own.
    """
    event = _new_event(
        actor=actor, action=action, object_type=object_type, object_id=object_id, patient_id=patient_id, clinic_id=clinic_id, detail=detail
    )
    if transaction.get_connection().vendor == "postgresql":
        _append(event)
    else:
        with transaction.atomic():
            _append(event)
    return event
