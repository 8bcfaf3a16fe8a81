"""The SQL that appends audit rows (audit.services), built once per database vendor from the
models' ``_meta``: every page view appends one event, and through the ORM compiling the
statements cost more than executing them. Names come from the models, never from input; every
value is a parameter."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from needlechart.audit.models import AuditChainHead, AuditEvent, AuditSubject

EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
HEAD_DECIDES = ("chain_key", "seq", "prev_hash", "hash")  # PostgreSQL: the columns whose values come from the lane's head
FROM_EVENT = [f for f in EVENT_FIELDS if f.name not in HEAD_DECIDES]  # PostgreSQL: the columns the statement is given


_APPEND_SQL: dict[str, tuple[str, ...]] = {}


def append_sql(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    """build_append_sql's statements for the connection's database, built once."""
    if (sql := _APPEND_SQL.get(connection.vendor)) is None:
        sql = _APPEND_SQL[connection.vendor] = build_append_sql(connection.vendor, connection.ops.quote_name)
    return sql


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} has no column")
    return str(field.column)


def build_append_sql(vendor: str, quote: Callable[[str], str]) -> tuple[str, ...]:
    """PostgreSQL: one statement that locks a lane's head, hashes the event with the lane's key,
    hash and next number (sha256() over the digest's pieces), inserts it and moves the head; no
    lock is held while Python waits, and a read needs no transaction of its own. Twice: taking
    the first lane not locked by another append (or none), and waiting for the first lane. The
    verifier recomputes every hash in Python. SQLite: lock-and-read, insert, move, in the
    caller's writing transaction (which holds the database's write lock). PostgreSQL also: the
    statement that appends a list's event writes its subject rows too (audit_list_read)."""
    events, head = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in EVENT_FIELDS)
    e = {name: quote(_column(AuditEvent, name)) for name in ("id", "clinic_id", "chain_key", "seq", "prev_hash", "hash")}
    h = {name: quote(_column(AuditChainHead, name)) for name in ("chain_key", "seq", "hash")}
    # Names come from the models, never from input; every value is a parameter.
    if vendor == "postgresql":
        values = ", ".join(f"event.{f.name}" if f.name in HEAD_DECIDES else "%s" for f in EVENT_FIELDS)
        placed = (
            f"WITH locked AS (SELECT {h['chain_key']} AS chain_key, {h['seq']} + 1 AS seq, {h['hash']} AS prev_hash"  # noqa: S608
            f" FROM {head} WHERE {h['chain_key']} = ANY(%s) ORDER BY {h['chain_key']} LIMIT 1 FOR UPDATE{{skip}}),"
            " event AS (SELECT chain_key, seq, prev_hash, encode(sha256(convert_to("
            "%s || '\"' || chain_key || '\"' || %s || '\"' || prev_hash || '\"' || %s || seq || %s, 'UTF8')), 'hex') AS hash"
            " FROM locked),"
            f" moved AS (UPDATE {head} h SET {h['seq']} = event.seq, {h['hash']} = event.hash FROM event"
            f" WHERE h.{h['chain_key']} = event.chain_key)"
        )
        insert = f"INSERT INTO {events} ({columns}) SELECT {values} FROM event"  # noqa: S608
        returned = f"{e['chain_key']}, {e['seq']}, {e['prev_hash']}, {e['hash']}"
        statement = f"{placed} {insert} RETURNING {returned}"
        # A list's event (audit_list_read) and its subject rows in the same statement: one round trip, no transaction of its own.
        listed = (
            f"{placed}, inserted AS ({insert} RETURNING {e['id']}, {e['clinic_id']}, {returned}),"  # noqa: S608
            f" listed AS ({_subjects_insert(quote)} SELECT i.{e['id']}, i.{e['clinic_id']}, p.value"
            " FROM inserted i CROSS JOIN unnest(%s::uuid[]) AS p(value))"
            f" SELECT {returned} FROM inserted"
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
            f"INSERT INTO {events} ({columns}) VALUES ({', '.join(['%s'] * len(EVENT_FIELDS))})",  # noqa: S608
            f"UPDATE {head} SET {h['seq']} = %s, {h['hash']} = %s WHERE {h['chain_key']} = %s",  # noqa: S608
            listed.format(skip=" SKIP LOCKED"),
            listed.format(skip=""),
        )
    return (
        f"SELECT {h['seq']}, {h['hash']} FROM {head} WHERE {h['chain_key']} = %s",  # noqa: S608
        f"INSERT INTO {events} ({columns}) VALUES ({', '.join(['%s'] * len(EVENT_FIELDS))})",  # noqa: S608
        f"UPDATE {head} SET {h['seq']} = %s, {h['hash']} = %s WHERE {h['chain_key']} = %s",  # noqa: S608
    )


def _subjects_insert(quote: Callable[[str], str]) -> str:
    s = {name: quote(_column(AuditSubject, name)) for name in ("event", "clinic_id", "patient_id")}
    return f"INSERT INTO {quote(AuditSubject._meta.db_table)} ({s['event']}, {s['clinic_id']}, {s['patient_id']})"


_SUBJECTS_SQL: dict[str, str] = {}


def list_subjects_sql(connection: BaseDatabaseWrapper) -> str:
    """subjects_sql for the connection's database, built once."""
    if (sql := _SUBJECTS_SQL.get(connection.vendor)) is None:
        sql = _SUBJECTS_SQL[connection.vendor] = subjects_sql(connection.ops.quote_name)
    return sql


def subjects_sql(quote: Callable[[str], str]) -> str:
    """SQLite: one statement writing a list's AuditSubject rows after its event, in the same
    transaction: the event found by its place in its chain (the chain's unique key), its clinic
    copied, one row for each patient of a JSON array of the ids' 32 hex digits (UUIDField's
    SQLite form), read by json_each. (PostgreSQL writes them in the event's own statement, from
    a uuid[] unnested: build_append_sql.) Names come from the models, never from input; every
    value is a parameter."""
    events = quote(AuditEvent._meta.db_table)
    e = {name: quote(_column(AuditEvent, name)) for name in ("id", "clinic_id", "chain_key", "seq")}
    return (
        f"{_subjects_insert(quote)} SELECT e.{e['id']}, e.{e['clinic_id']}, p.value"  # noqa: S608
        f" FROM {events} e CROSS JOIN json_each(%s) AS p WHERE e.{e['chain_key']} = %s AND e.{e['seq']} = %s"
    )
