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

# table -> "always" (no row may change) or "signed" (rows whose signed_at is set may not change)
IMMUTABLE_TABLES = {
    "audit_auditevent": "always",
    "charting_note": "signed",
    "charting_addendum": "signed",
}

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


def create_sql(vendor: str, table: str, mode: str) -> list[str]:
    name = f"{table}_immutable"
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
        return [f"DROP TRIGGER IF EXISTS {name}_update", f"DROP TRIGGER IF EXISTS {name}_delete"]
    return []


def refuse_changes(table: str, *, mode: str) -> migrations.RunPython:
    """Migration operation: mode 'signed' guards rows whose signed_at is set; 'always' every row."""
    if mode not in {"signed", "always"}:
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
