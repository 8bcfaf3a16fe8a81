"""Writing audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import Signal
from django.utils import timezone

from needlechart.audit.append_sql import EVENT_FIELDS, FROM_EVENT, append_sql, list_subjects_sql
from needlechart.audit.context import current_client_ip, current_detail
from needlechart.audit.digests import digest_pieces, event_digest, sealed_content
from needlechart.audit.models import AuditAction, AuditChainHead, AuditEvent
from needlechart.audit.seals import seal_of
from needlechart.core.canonical import canonical_json

SYSTEM_CHAIN = "system"

# Sent after the read of patients' records is recorded (``actor``, ``event``, ``patient_ids``: the
# event's patient, or every patient a list's event names, once a call): clinics flags the first
# read by an account no second admin approved (clinics.accounts).
patient_record_read = Signal()


def _create_head(chain_key: str) -> None:
    """The first event of a chain: its head row must exist before it can be locked."""
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain_key=chain_key)
    except IntegrityError:
        pass  # created concurrently; the caller locks the winner's row


_ATTNAMES = [f.attname for f in AuditEvent._meta.concrete_fields]
# The fields whose values the database backend must convert (uuids, times, JSON); text and numbers go as they are.
_CONVERTED = {f.attname for f in EVENT_FIELDS if f.get_internal_type() in ("UUIDField", "DateTimeField", "JSONField")}


def _row_values(event: AuditEvent, fields: list[Any], connection: BaseDatabaseWrapper) -> list[Any]:
    """The event's values of ``fields`` as the database takes them. PostgreSQL: its detail as the
    canonical JSON written for its seal and hash (_new_event), not written again (jsonb keeps no
    text). SQLite keeps the JSONField's own text, which its exact lookups compare as text."""
    detail_json = _detail_json(event) if connection.vendor == "postgresql" else None
    return [
        _jsonb(detail_json)
        if f.attname == "detail" and detail_json is not None
        else f.get_db_prep_save(getattr(event, f.attname), connection)
        if f.attname in _CONVERTED
        else getattr(event, f.attname)
        for f in fields
    ]


def _detail_json(event: AuditEvent) -> str | None:
    """The canonical JSON of the event's detail as _new_event wrote it (None for an event made otherwise)."""
    return event.__dict__.get("_detail_json")


def _jsonb(text: str) -> Any:
    from psycopg.types.json import Jsonb  # noqa: PLC0415 - psycopg is there only with PostgreSQL

    return Jsonb(text, dumps=_as_is)


def _as_is(text: str) -> str:
    return text


# PostgreSQL: a clinic's chain has up to LANES lanes, each a chain of its own with its own head.
# An append takes the first lane no other append holds at that moment, so concurrent page views
# do not queue behind one another's commit; a lane is opened when every open one is busy. A
# single writer always appends to the first lane, whose key is the clinic's (``lane_keys``).
# SQLite has one writer at a time anyway: one lane.
LANES = 8


def lane_keys(chain_key: str) -> list[str]:
    """The keys of a chain's lanes, the first being the chain's own key."""
    return [chain_key, *(f"{chain_key}/{lane}" for lane in range(1, LANES))]


def _open_lane(lanes: list[str]) -> bool:
    """Open the chain's next lane; False when all are open."""
    opened = set(AuditChainHead.objects.filter(chain_key__in=lanes).values_list("chain_key", flat=True))
    for key in lanes:
        if key not in opened:
            _create_head(key)
            return True
    return False


def _append_postgresql(
    cursor: Any, sql: tuple[str, ...], event: AuditEvent, connection: BaseDatabaseWrapper, subjects: list[uuid.UUID] | None = None
) -> None:
    """One statement (sql[:2]); with ``subjects``, the list's statement that writes their rows too (sql[6:8])."""
    take_free_lane, wait_for_first_lane = sql[6:8] if subjects else sql[:2]
    lanes = lane_keys(event.chain_key)
    params = [lanes, *digest_pieces(event, _detail_json(event)), *_row_values(event, FROM_EVENT, connection)]
    if subjects:
        params.append(subjects)
    cursor.execute(take_free_lane, params)
    while (row := cursor.fetchone()) is None:  # every open lane is busy, or the chain has none yet
        cursor.execute(take_free_lane if _open_lane(lanes) else wait_for_first_lane, params)
    event.chain_key, event.seq, event.prev_hash, event.hash = row


def _append_batch_postgresql(cursor: Any, sql: tuple[str, ...], events: list[AuditEvent], connection: BaseDatabaseWrapper) -> None:
    """PostgreSQL, several events of one chain: lock one lane's head as the single append does (the
    first free lane, opening one when all are busy, else waiting for the first), number and hash
    the events on it one after another (event_digest, what the verifier recomputes), insert them
    in one statement and move the head once, in one short transaction: one commit, not one a row."""
    lock_free_lane, lock_first_lane, insert, move_head = sql[2:6]
    lanes = lane_keys(events[0].chain_key)
    with transaction.atomic(savepoint=False):
        cursor.execute(lock_free_lane, [lanes])
        while (head := cursor.fetchone()) is None:  # every open lane is busy, or the chain has none yet
            cursor.execute(lock_free_lane if _open_lane(lanes) else lock_first_lane, [lanes])
        lane, seq, prev_hash = head
        for event in events:
            event.chain_key, event.seq, event.prev_hash = lane, seq + 1, prev_hash
            event.hash = event_digest(event, _detail_json(event))
            seq, prev_hash = event.seq, event.hash
        cursor.executemany(insert, [_row_values(event, EVENT_FIELDS, connection) for event in events])
        cursor.execute(move_head, [seq, prev_hash, lane])


def _append(event: AuditEvent) -> None:
    """Give the event its place in its chain (lane, sequence number, previous hash, hash) and store it."""
    _append_all([event])


def _append_all(events: list[AuditEvent]) -> None:
    """_append for each event in turn, in the caller's transaction. PostgreSQL: one event by one
    statement (the lane's head decides); several, a chain's at a time, on one lane
    (_append_batch_postgresql). SQLite: each chain's head is read once and moved once and the rows
    are inserted together, each numbered and hashed on the one before it."""
    connection = transaction.get_connection()
    sql = append_sql(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if len(events) == 1:
                _append_postgresql(cursor, sql, events[0], connection)
                return
            chains: dict[str, list[AuditEvent]] = {}
            for event in events:
                chains.setdefault(event.chain_key, []).append(event)
            for chain in chains.values():
                _append_batch_postgresql(cursor, sql, chain, connection)
            return
        select_head, insert, move_head = sql
        heads: dict[str, tuple[int, str]] = {}
        for event in events:
            if event.chain_key not in heads:
                cursor.execute(select_head, [event.chain_key])
                if (head := cursor.fetchone()) is None:
                    _create_head(event.chain_key)
                    cursor.execute(select_head, [event.chain_key])
                    head = cursor.fetchone()
                heads[event.chain_key] = (head[0], head[1])
            seq, prev_hash = heads[event.chain_key]
            event.seq, event.prev_hash = seq + 1, prev_hash
            event.hash = event_digest(event, _detail_json(event))
            heads[event.chain_key] = (event.seq, event.hash)
        cursor.executemany(insert, [_row_values(event, EVENT_FIELDS, connection) for event in events])
        cursor.executemany(move_head, [[seq, hash_, chain_key] for chain_key, (seq, hash_) in heads.items()])


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
    values = {
        "chain_key": str(clinic_id) if clinic_id else SYSTEM_CHAIN,
        "at": timezone.now(),
        "clinic_id": clinic_id,
        "actor_id": getattr(actor, "pk", None),
        "actor_username": getattr(actor, "username", "") or "",
        "actor_role": getattr(actor, "role", "") or "",
        "patient_id": patient_id,
        "action": str(action),
        "object_type": object_type,
        "object_id": str(object_id) if object_id else "",
        "ip": current_client_ip.get(),
        # What the request adds to every row (an API call: its client and scope); the row's own detail wins.
        "detail": {**current_detail.get(), **(detail or {})},
    }
    by_position: list[Any] = [values.get(name) for name in _ATTNAMES]  # Model.__init__'s quick way
    event = AuditEvent(*by_position)  # type: ignore[misc] # the plugin checks each position against one field
    # The detail's canonical JSON, once, for the seal, the hash and the stored row (digests.with_detail).
    event.__dict__["_detail_json"] = detail_json = canonical_json(values["detail"])
    event.seal = seal_of(sealed_content(event), detail_json)
    return event


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
    if patient_id is not None:
        patient_record_read.send(sender=AuditEvent, actor=actor, event=event, patient_ids=[patient_id])
    return event


# A list's detail names each patient it showed, with what it showed of them, under this key.
SHOWN = "shown"


def shown_detail(shown: Mapping[uuid.UUID, Iterable[Any]]) -> list[list[Any]]:
    """A list's ``shown`` as its event's detail holds it: [patient id, [record ids]] for each patient,
    in the order of the patients' ids, each patient's record ids as text in their sorted order."""
    return _shown(shown)[1]


def _shown(shown: Mapping[uuid.UUID, Iterable[Any]]) -> tuple[list[uuid.UUID], list[list[Any]]]:
    """The patients in their ids' text order, and shown_detail; each id's text written once (a
    patient shown as itself, a search's row, is its own record)."""
    texts = {patient_id: str(patient_id) for patient_id in shown}
    rows = sorted(
        (texts[patient_id], sorted(texts.get(record_id) or str(record_id) for record_id in records), patient_id)
        for patient_id, records in shown.items()
    )
    return [row[2] for row in rows], [[text, records] for text, records, _ in rows]


def audit_list_read(
    *,
    actor: Any,
    object_type: str,
    shown: Mapping[uuid.UUID, Iterable[Any]],
    action: AuditAction | str = AuditAction.SEARCH,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a list's read (a search, a page of a patient's records): ONE event for the call, its
    ``detail`` and, under ``shown``, every patient shown (``shown``'s keys) with the ids of the
    records shown of them, in canonical order (``shown_detail``); sealed, chained and hashed as
    every event is. Its patient_id is empty: one statement writes an AuditSubject row for each
    patient named, by which each patient's access log finds the event (verify-audit checks the
    rows against the sealed detail), in the event's short transaction (PostgreSQL: in the event's
    own statement, which commits as it runs; SQLite: right after it). Then ``patient_record_read``
    once, naming them all."""
    patients, named = _shown(shown)
    content = {**(detail or {}), SHOWN: named}
    event = _new_event(actor=actor, action=action, object_type=object_type, object_id="", patient_id=None, clinic_id=None, detail=content)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":  # one statement, its own transaction
        with connection.cursor() as cursor:
            _append_postgresql(cursor, append_sql(connection), event, connection, patients)
    else:
        with transaction.atomic():
            _append(event)
            if patients:
                with connection.cursor() as cursor:
                    cursor.execute(
                        list_subjects_sql(connection), [json.dumps([patient.hex for patient in patients]), event.chain_key, event.seq]
                    )
    if patients:
        patient_record_read.send(sender=AuditEvent, actor=actor, event=event, patient_ids=patients)
    return event
