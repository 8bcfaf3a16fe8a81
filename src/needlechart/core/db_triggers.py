"""Database triggers that back the application's immutability rules.

Used from migrations. PostgreSQL gets a PL/pgSQL trigger, SQLite a pair of RAISE(ABORT)
triggers, so even raw SQL cannot alter a signed note or any audit row.
"""

from __future__ import annotations

from django.db import migrations

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION needlechart_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_ARGV[0] = 'always' OR OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'needlechart: % on %.% is refused: the row is immutable',
            TG_OP, TG_TABLE_NAME, OLD.id USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


def _statements(vendor: str, table: str, mode: str) -> tuple[list[str], list[str]]:
    name = f"{table}_immutable"
    if vendor == "postgresql":
        forward = [
            _PG_FUNCTION,
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION needlechart_refuse_change('{mode}')",
        ]
        return forward, [f"DROP TRIGGER IF EXISTS {name} ON {table}"]
    if vendor == "sqlite":
        when = "" if mode == "always" else " WHEN OLD.signed_at IS NOT NULL"
        forward = [
            f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table}{when} "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table} row is immutable'); END",
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table}{when} "
            f"BEGIN SELECT RAISE(ABORT, 'needlechart: {table} row is immutable'); END",
        ]
        return forward, [f"DROP TRIGGER IF EXISTS {name}_update", f"DROP TRIGGER IF EXISTS {name}_delete"]
    return [], []


def refuse_changes(table: str, *, mode: str) -> migrations.RunPython:
    """mode 'signed': refuse UPDATE/DELETE of rows whose signed_at is set; 'always': of any row."""
    if mode not in {"signed", "always"}:
        raise ValueError(mode)

    def forward(apps, schema_editor):
        for sql in _statements(schema_editor.connection.vendor, table, mode)[0]:
            schema_editor.execute(sql)

    def reverse(apps, schema_editor):
        for sql in _statements(schema_editor.connection.vendor, table, mode)[1]:
            schema_editor.execute(sql)

    return migrations.RunPython(forward, reverse)


def trigger_names(table: str, vendor: str) -> list[str]:
    """The triggers ``refuse_changes`` creates (tests drop them to simulate tampering)."""
    if vendor == "postgresql":
        return [f"{table}_immutable"]
    return [f"{table}_immutable_update", f"{table}_immutable_delete"]
