"""Database triggers that back the application's immutability rules.

Used from migrations. PostgreSQL gets a PL/pgSQL row trigger (and a TRUNCATE guard),
SQLite RAISE(ABORT) triggers, so even raw SQL cannot alter a signed note or any audit row.
``IMMUTABLE_TABLES`` lists every guarded table; add new ones there and in a migration that
calls ``refuse_changes``.

SQLite's ``INSERT OR REPLACE`` deletes the row it conflicts with without firing its DELETE
triggers (unless the connection turned ``recursive_triggers`` on, which someone with the
database file need not do), so each guarded SQLite table also has a BEFORE INSERT trigger that
refuses a new row clashing, on any of the table's unique keys, with a row that is protected.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import migrations

# table -> "always" (no row may change), "signed" (rows whose signed_at is set may not change),
# "note_signed" (rows of an encounter whose note is signed may not be added, changed or removed)
# or "encounter" (an encounter whose note is signed keeps its patient, episode, practitioner,
# clinic, time and reason, and may not be removed; its status may still change)
IMMUTABLE_TABLES = {
    "charting_encounter": "encounter",
    "audit_auditevent": "always",
    "audit_auditsubject": "always",
    "charting_note": "signed",
    "charting_addendum": "signed",
    "charting_painmap": "note_signed",
    "needling_consent": "note_signed",
    "needling_palpationfinding": "note_signed",
    "needling_rangeofmotion": "note_signed",
    "needling_pressurepainthreshold": "note_signed",
    "needling_needlingentry": "note_signed",
    "needling_needlingrecord": "note_signed",
    "homecare_homeprogramme": "note_signed",
    "homecare_programmeitem": "note_signed",
}
MODES = ("always", "signed", "note_signed", "encounter")

# What a signed visit is: the columns of charting_encounter its signed note stands on.
ENCOUNTER_FROZEN_COLUMNS = ("clinic_id", "patient_id", "episode_id", "practitioner_id", "starts_at", "duration_minutes", "reason")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION needlechart_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'needlechart: TRUNCATE of % is refused: its rows are immutable', TG_TABLE_NAME;
    END IF;
    -- Two IFs: PL/pgSQL may evaluate both sides of an OR, and an audit row has no signed_at.
    IF TG_ARGV[0] = 'always' THEN
        RAISE EXCEPTION 'needlechart: % on %.% is refused: the row is immutable', TG_OP, TG_TABLE_NAME, OLD.id;
    END IF;
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'needlechart: % on %.% is refused: the row is immutable', TG_OP, TG_TABLE_NAME, OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


_PG_NOTE_SIGNED_FUNCTION = """
CREATE OR REPLACE FUNCTION needlechart_refuse_when_note_signed() RETURNS trigger AS $$
DECLARE
    encounter uuid;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'needlechart: TRUNCATE of % is refused: signed visits are immutable', TG_TABLE_NAME;
    END IF;
    IF TG_OP = 'INSERT' THEN
        encounter := NEW.encounter_id;
    ELSE
        encounter := OLD.encounter_id;
    END IF;
    IF EXISTS (SELECT 1 FROM charting_note WHERE encounter_id = encounter AND signed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'needlechart: % on % is refused: the visit''s note is signed', TG_OP, TG_TABLE_NAME;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


_PG_ENCOUNTER_FUNCTION = """
CREATE OR REPLACE FUNCTION needlechart_refuse_signed_encounter_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'needlechart: TRUNCATE of % is refused: signed visits are immutable', TG_TABLE_NAME;
    END IF;
    IF EXISTS (SELECT 1 FROM charting_note WHERE encounter_id = OLD.id AND signed_at IS NOT NULL) THEN
        IF TG_OP = 'DELETE' OR ({changed}) THEN
            RAISE EXCEPTION 'needlechart: % on charting_encounter % is refused: the visit''s note is signed', TG_OP, OLD.id;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
""".replace("{changed}", " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in ENCOUNTER_FROZEN_COLUMNS + ("id",)))


def _encounter_sql(vendor: str, table: str) -> list[str]:
    name = f"{table}_immutable"
    signed = _protected("encounter", "OLD")
    if vendor == "postgresql":
        return [
            _PG_ENCOUNTER_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION needlechart_refuse_signed_encounter_change()",
            f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION needlechart_refuse_signed_encounter_change()",
        ]
    if vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ENCOUNTER_FROZEN_COLUMNS + ("id",))
        return [
            f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} WHEN {signed} AND ({changed}) "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table}: the visit note is signed'); END",
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} WHEN {signed} "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table}: the visit note is signed'); END",
        ]
    return []


def _protected(mode: str, row: str) -> str:
    """SQL true when the existing row ``row`` (a table alias) is protected in ``mode``."""
    if mode == "always":
        return "1"
    if mode == "signed":
        return f"{row}.signed_at IS NOT NULL"
    encounter = f"{row}.id" if mode == "encounter" else f"{row}.encounter_id"
    return f"EXISTS (SELECT 1 FROM charting_note WHERE encounter_id = {encounter} AND signed_at IS NOT NULL)"


def _sqlite_replace_guard(table: str, mode: str, unique_keys: Sequence[Sequence[str]]) -> list[str]:
    """A BEFORE INSERT trigger refusing a row that clashes on a unique key with a protected row
    (``INSERT OR REPLACE`` would delete that row without firing its DELETE trigger)."""
    if not unique_keys:
        return []
    clash = " OR ".join("(" + " AND ".join(f"old.{c} = NEW.{c}" for c in key) + ")" for key in unique_keys)
    return [
        f"CREATE TRIGGER {table}_immutable_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} AS old WHERE ({clash}) AND {_protected(mode, 'old')}) "
        f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table}: a protected row cannot be replaced'); END"
    ]


def unique_keys(connection: Any, table: str) -> list[tuple[str, ...]]:
    """The column sets of ``table``'s primary key and unique constraints (from the database itself)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    keys = {tuple(c["columns"]) for c in constraints.values() if (c["unique"] or c["primary_key"]) and c["columns"]}
    return sorted(keys)


def _note_signed_sql(vendor: str, table: str) -> list[str]:
    name = f"{table}_immutable"
    if vendor == "postgresql":
        return [
            _PG_NOTE_SIGNED_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION needlechart_refuse_when_note_signed()",
            f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION needlechart_refuse_when_note_signed()",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {name}_{op.lower()} BEFORE {op} ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM charting_note "
            f"WHERE encounter_id = {row}.encounter_id AND signed_at IS NOT NULL) "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table}: the visit note is signed'); END"
            for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
        ]
    return []


def create_sql(vendor: str, table: str, mode: str, keys: Sequence[Sequence[str]] = ()) -> list[str]:
    """The guard of ``table`` in ``mode``; on SQLite with ``keys`` (its unique keys, ``unique_keys``)
    also the guard against replacing a protected row."""
    replace_guard = _sqlite_replace_guard(table, mode, keys) if vendor == "sqlite" else []
    return _guard_sql(vendor, table, mode) + replace_guard


def _guard_sql(vendor: str, table: str, mode: str) -> list[str]:
    name = f"{table}_immutable"
    if mode == "note_signed":
        return _note_signed_sql(vendor, table)
    if mode == "encounter":
        return _encounter_sql(vendor, table)
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION needlechart_refuse_change('{mode}')",
            f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION needlechart_refuse_change('{mode}')",
        ]
    if vendor == "sqlite":
        when = "" if mode == "always" else " WHEN OLD.signed_at IS NOT NULL"
        return [
            f"CREATE TRIGGER {name}_{op.lower()} BEFORE {op} ON {table}{when} "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table} row is immutable'); END"
            for op in ("UPDATE", "DELETE")
        ]
    return []


def drop_sql(vendor: str, table: str) -> list[str]:
    name = f"{table}_immutable"
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP TRIGGER IF EXISTS {name}_truncate ON {table}"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}_{op}" for op in ("insert", "update", "delete", "replace")]
    return []


def refuse_changes(table: str, *, mode: str) -> migrations.RunPython:
    """Migration operation guarding a table in one of ``MODES`` (see ``IMMUTABLE_TABLES``). It
    replaces the table's guards if it has some, so a later migration may guard a table again
    (to add the guard against replacing rows, or after adding a unique key)."""
    if mode not in MODES:
        raise ValueError(mode)

    def forward(apps, schema_editor):
        connection = schema_editor.connection
        for sql in drop_sql(connection.vendor, table):
            schema_editor.execute(sql, params=None)
        for sql in create_sql(connection.vendor, table, mode, unique_keys(connection, table)):
            schema_editor.execute(sql, params=None)

    def reverse(apps, schema_editor):
        for sql in drop_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forward, reverse)


@contextmanager
def immutability_lifted(connection, tables: dict[str, str] | None = None) -> Iterator[None]:
    """Drop the guards for the duration of the block and restore them after.

    Only for wiping a test database and for tests that simulate tampering; the
    application itself never calls it.
    """
    tables = IMMUTABLE_TABLES if tables is None else tables
    with connection.cursor() as cursor:
        for table in tables:
            for sql in drop_sql(connection.vendor, table):
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table, mode in tables.items():
                for sql in create_sql(connection.vendor, table, mode, unique_keys(connection, table)):
                    cursor.execute(sql)
