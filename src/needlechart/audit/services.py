"""Writing audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import Signal
from django.utils import timezone

from needlechart.audit.context import current_client_ip, current_detail
from needlechart.audit.digests import digest_pieces, event_digest, sealed_content
from needlechart.audit.models import AuditAction, AuditChainHead, AuditEvent
from needlechart.audit.read_batch import ReadBatch
from needlechart.audit.seals import seal_of

SYSTEM_CHAIN = "system"

# Sent after the read of a patient's record is recorded (``actor``, ``event``): clinics flags the
# first one by an account no second admin approved (clinics.accounts).
patient_record_read = Signal()


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
_HEAD_DECIDES = ("chain_key", "seq", "prev_hash", "hash")  # PostgreSQL: the columns whose values come from the lane's head
_FROM_EVENT = [f for f in _EVENT_FIELDS if f.name not in _HEAD_DECIDES]  # PostgreSQL: the columns the statement is given
_ATTNAMES = [f.attname for f in AuditEvent._meta.concrete_fields]
# The fields whose values the database backend must convert (uuids, times, JSON); text and numbers go as they are.
_CONVERTED = {f.attname for f in _EVENT_FIELDS if f.get_internal_type() in ("UUIDField", "DateTimeField", "JSONField")}


def _row_values(event: AuditEvent, fields: list[Any], connection: BaseDatabaseWrapper) -> list[Any]:
    """The event's values of ``fields`` as the database takes them."""
    return [
        f.get_db_prep_save(getattr(event, f.attname), connection) if f.attname in _CONVERTED else getattr(event, f.attname) for f in fields
    ]


# PostgreSQL: a clinic's chain has up to LANES lanes, each a chain of its own with its own head.
# An append takes the first lane no other append holds at that moment, so concurrent page views
# do not queue behind one another's commit; a lane is opened when every open one is busy. A
# single writer always appends to the first lane, whose key is the clinic's (``lane_keys``).
# SQLite has one writer at a time anyway: one lane.
LANES = 8


def lane_keys(chain_key: str) -> list[str]:
    """The keys of a chain's lanes, the first being the chain's own key."""
    return [chain_key, *(f"{chain_key}/{lane}" for lane in range(1, LANES))]


_APPEND_SQL: dict[str, tuple[str, ...]] = {}


def _append_sql(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    if (sql := _APPEND_SQL.get(connection.vendor)) is None:
        sql = _APPEND_SQL[connection.vendor] = _build_append_sql(connection.vendor, connection.ops.quote_name)
    return sql


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} has no column")
    return str(field.column)


def _build_append_sql(vendor: str, quote: Callable[[str], str]) -> tuple[str, ...]:
    """PostgreSQL: one statement that locks a lane's head, hashes the event with the lane's key,
    hash and next number (sha256() over the digest's pieces), inserts it and moves the head; no
    lock is held while Python waits, and a read needs no transaction of its own. Twice: taking
    the first lane not locked by another append (or none), and waiting for the first lane. The
    verifier recomputes every hash in Python. SQLite: lock-and-read, insert, move, in the
    caller's writing transaction (which holds the database's write lock)."""
    events, head = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in _EVENT_FIELDS)
    e = {name: quote(_column(AuditEvent, name)) for name in ("chain_key", "seq", "prev_hash", "hash")}
    h = {name: quote(_column(AuditChainHead, name)) for name in ("chain_key", "seq", "hash")}
    # Names come from the models, never from input; every value is a parameter.
    if vendor == "postgresql":
        values = ", ".join(f"event.{f.name}" if f.name in _HEAD_DECIDES else "%s" for f in _EVENT_FIELDS)
        statement = (
            f"WITH locked AS (SELECT {h['chain_key']} AS chain_key, {h['seq']} + 1 AS seq, {h['hash']} AS prev_hash"  # noqa: S608
            f" FROM {head} WHERE {h['chain_key']} = ANY(%s) ORDER BY {h['chain_key']} LIMIT 1 FOR UPDATE{{skip}}),"
            " event AS (SELECT chain_key, seq, prev_hash, encode(sha256(convert_to("
            "%s || '\"' || chain_key || '\"' || %s || '\"' || prev_hash || '\"' || %s || seq || %s, 'UTF8')), 'hex') AS hash"
            " FROM locked),"
            f" moved AS (UPDATE {head} h SET {h['seq']} = event.seq, {h['hash']} = event.hash FROM event"
            f" WHERE h.{h['chain_key']} = event.chain_key)"
            f" INSERT INTO {events} ({columns}) SELECT {values} FROM event"
            f" RETURNING {e['chain_key']}, {e['seq']}, {e['prev_hash']}, {e['hash']}"
        )
        lock = (
            f"SELECT {h['chain_key']}, {h['seq']}, {h['hash']} FROM {head} WHERE {h['chain_key']} = ANY(%s)"  # noqa: S608
            f" ORDER BY {h['chain_key']} LIMIT 1 FOR UPDATE{{skip}}"
        )
        return (
            statement.format(skip=" SKIP LOCKED"),
            statement.format(skip=""),
            lock.format(skip=" SKIP LOCKED"),
            lock.format(skip=""),
            f"INSERT INTO {events} ({columns}) VALUES ({', '.join(['%s'] * len(_EVENT_FIELDS))})",  # noqa: S608
            f"UPDATE {head} SET {h['seq']} = %s, {h['hash']} = %s WHERE {h['chain_key']} = %s",  # noqa: S608
        )
    return (
        f"SELECT {h['seq']}, {h['hash']} FROM {head} WHERE {h['chain_key']} = %s",  # noqa: S608
        f"INSERT INTO {events} ({columns}) VALUES ({', '.join(['%s'] * len(_EVENT_FIELDS))})",  # noqa: S608
        f"UPDATE {head} SET {h['seq']} = %s, {h['hash']} = %s WHERE {h['chain_key']} = %s",  # noqa: S608
    )


def _open_lane(lanes: list[str]) -> bool:
    """Open the chain's next lane; False when all are open."""
    opened = set(AuditChainHead.objects.filter(chain_key__in=lanes).values_list("chain_key", flat=True))
    for key in lanes:
        if key not in opened:
            _create_head(key)
            return True
    return False


def _append_postgresql(cursor: Any, sql: tuple[str, ...], event: AuditEvent, connection: BaseDatabaseWrapper) -> None:
    take_free_lane, wait_for_first_lane = sql[:2]
    lanes = lane_keys(event.chain_key)
    params = [lanes, *digest_pieces(event), *_row_values(event, _FROM_EVENT, connection)]
    cursor.execute(take_free_lane, params)
    while (row := cursor.fetchone()) is None:  # every open lane is busy, or the chain has none yet
        cursor.execute(take_free_lane if _open_lane(lanes) else wait_for_first_lane, params)
    event.chain_key, event.seq, event.prev_hash, event.hash = row


def _batch_rows(events: list[AuditEvent], batch: ReadBatch | None, connection: BaseDatabaseWrapper) -> list[list[Any]]:
    """The insert's values of each event (_row_values). A batch's rows share all but their time,
    patient, detail, place and seal (ReadBatch); their details go as the JSON written for their hashes."""
    if batch is None:
        return [_row_values(event, _EVENT_FIELDS, connection) for event in events]
    adapt_time, adapt_patient = connection.ops.adapt_datetimefield_value, _PATIENT_FIELD.get_db_prep_save
    shared = _row_values(events[0], _EVENT_FIELDS, connection)  # what every row of the batch has as the first has it
    rows = []
    for i, event in enumerate(events):
        row = shared.copy()
        row[_DETAIL_AT], row[_PATIENT_AT] = batch.detail_param(i, connection), adapt_patient(event.patient_id, connection)
        row[_AT_AT] = adapt_time(event.at)  # aware, from timezone.now(): what the field's get_db_prep_save ends in
        for at, name in _PLACED:
            row[at] = event.__dict__[name]
        rows.append(row)
    return rows


_FIELD_NAMES = [f.attname for f in _EVENT_FIELDS]
_DETAIL_AT, _AT_AT, _PATIENT_AT = (_FIELD_NAMES.index(name) for name in ("detail", "at", "patient_id"))
_PATIENT_FIELD = _EVENT_FIELDS[_PATIENT_AT]
# The values a batch's rows do not share: their place in the chain, their seal (and the time, patient and detail above).
_PLACED = [(_FIELD_NAMES.index(name), name) for name in ("chain_key", "seq", "prev_hash", "hash", "seal")]
# Every other field is text or a number, as the database takes it (a batch's rows converted nothing else).
assert {f.attname for f in _EVENT_FIELDS if f.attname in _CONVERTED} == {"detail", "clinic_id", "at", "patient_id"}  # noqa: S101


def _append_batch_postgresql(
    cursor: Any, sql: tuple[str, ...], events: list[AuditEvent], connection: BaseDatabaseWrapper, batch: ReadBatch | None
) -> None:
    """PostgreSQL, several events of one chain: lock one lane's head as the single append does (the
    first free lane, opening one when all are busy, else waiting for the first), number and hash
    the events on it one after another (event_digest, what the verifier recomputes; a batch's from
    its JSON written once), insert them in one statement and move the head once, in one short
    transaction: one commit, not one a row."""
    lock_free_lane, lock_first_lane, insert, move_head = sql[2:]
    lanes = lane_keys(events[0].chain_key)
    with transaction.atomic(savepoint=False):
        cursor.execute(lock_free_lane, [lanes])
        while (head := cursor.fetchone()) is None:  # every open lane is busy, or the chain has none yet
            cursor.execute(lock_free_lane if _open_lane(lanes) else lock_first_lane, [lanes])
        lane, seq, prev_hash = head
        for i, event in enumerate(events):
            event.chain_key, event.seq, event.prev_hash = lane, seq + 1, prev_hash
            event.hash = batch.digest(i, lane, prev_hash, event.seq) if batch is not None else event_digest(event)
            seq, prev_hash = event.seq, event.hash
        cursor.executemany(insert, _batch_rows(events, batch, connection))
        cursor.execute(move_head, [seq, prev_hash, lane])


def _append(event: AuditEvent) -> None:
    """Give the event its place in its chain (lane, sequence number, previous hash, hash) and store it."""
    _append_all([event])


def _append_all(events: list[AuditEvent], *, batch: ReadBatch | None = None) -> None:
    """_append for each event in turn, in the caller's transaction. PostgreSQL: one event by one
    statement (the lane's head decides); several, a chain's at a time, on one lane
    (_append_batch_postgresql). SQLite: each chain's head is read once and moved once and the rows
    are inserted together, each numbered and hashed on the one before it. ``batch``: the events are
    audit_reads' rows (one chain), hashed from the JSON it wrote once."""
    connection = transaction.get_connection()
    sql = _append_sql(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if len(events) == 1:
                _append_postgresql(cursor, sql, events[0], connection)
                return
            chains: dict[str, list[AuditEvent]] = {}
            for event in events:
                chains.setdefault(event.chain_key, []).append(event)
            for chain in chains.values():
                _append_batch_postgresql(cursor, sql, chain, connection, batch if len(chains) == 1 else None)
            return
        select_head, insert, move_head = sql
        heads: dict[str, tuple[int, str]] = {}
        for i, event in enumerate(events):
            if event.chain_key not in heads:
                cursor.execute(select_head, [event.chain_key])
                if (head := cursor.fetchone()) is None:
                    _create_head(event.chain_key)
                    cursor.execute(select_head, [event.chain_key])
                    head = cursor.fetchone()
                heads[event.chain_key] = (head[0], head[1])
            seq, prev_hash = heads[event.chain_key]
            event.seq, event.prev_hash = seq + 1, prev_hash
            event.hash = batch.digest(i, event.chain_key, prev_hash, event.seq) if batch is not None else event_digest(event)
            heads[event.chain_key] = (event.seq, event.hash)
        cursor.executemany(insert, _batch_rows(events, batch, connection))
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
    event.seal = seal_of(sealed_content(event))
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
        patient_record_read.send(sender=AuditEvent, actor=actor, event=event)
    return event


def audit_reads(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: str,
    reads: list[tuple[uuid.UUID | None, dict[str, Any]]],
) -> list[AuditEvent]:
    """Record several reads at once (a list showing many patients: its ``reads``, each a patient
    id and the row's detail) as audit_read records each, one after another, each row with its own
    sequence number, previous hash and hash. The rows share one short transaction, one commit
    instead of one a row (on PostgreSQL on one lane of the clinic's chain, held for that
    transaction only)."""
    if not reads:
        return []
    first_patient, first_detail = reads[0]
    first = _new_event(
        actor=actor, action=action, object_type=object_type, object_id="", patient_id=first_patient, clinic_id=None, detail=first_detail
    )
    batch = ReadBatch(first)  # the rows differ only in time, patient and detail: the context's detail and the rest are the first's
    request_detail = current_detail.get()
    events = [first, *(batch.add(patient_id, {**request_detail, **(detail or {})}) for patient_id, detail in reads[1:])]
    with transaction.atomic():
        _append_all(events, batch=batch)
    for event in events:
        if event.patient_id is not None:
            patient_record_read.send(sender=AuditEvent, actor=actor, event=event)
    return events
