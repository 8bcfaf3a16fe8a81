"""Database triggers that back the application's immutability rules.

Used from migrations. PostgreSQL gets a PL/pgSQL row trigger (and a TRUNCATE guard),
SQLite a pair of RAISE(ABORT) triggers, so even raw SQL cannot alter a signed note or any
audit row. ``IMMUTABLE_TABLES`` lists every guarded table; add new ones there and in a
migration that calls ``refuse_changes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import migrations

# table -> "always" (no row may change), "signed" (rows whose signed_at is set may not change)
# or "note_signed" (rows of an encounter whose note is signed may not be added, changed or removed)
IMMUTABLE_TABLES = {
    "audit_auditevent": "always",
    "charting_note": "signed",
    "charting_addendum": "signed",
    "charting_painmap": "note_signed",
    "needling_consent": "note_signed",
    "needling_palpationfinding": "note_signed",
    "needling_rangeofmotion": "note_signed",
    "needling_pressurepainthreshold": "note_signed",
    "needling_needlingentry": "note_signed",
    "needling_needlingrecord": "note_signed",
}
MODES = ("always", "signed", "note_signed")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION needlechart_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'needlechart: TRUNCATE of % is refused: its rows are immutable', TG_TABLE_NAME;
    END IF;
    IF TG_ARGV[0] = 'always' OR OLD.signed_at IS NOT NULL THEN
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


def create_sql(vendor: str, table: str, mode: str) -> list[str]:
    name = f"{table}_immutable"
    if mode == "note_signed":
        return _note_signed_sql(vendor, table)
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
        return [f"DROP TRIGGER IF EXISTS {name}_{op}" for op in ("insert", "update", "delete")]
    return []


def refuse_changes(table: str, *, mode: str) -> migrations.RunPython:
    """Migration operation guarding a table in one of ``MODES`` (see ``IMMUTABLE_TABLES``)."""
    if mode not in MODES:
        raise ValueError(mode)

    def forward(apps, schema_editor):
        for sql in create_sql(schema_editor.connection.vendor, table, mode):
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
                for sql in create_sql(connection.vendor, table, mode):
                    cursor.execute(sql)
