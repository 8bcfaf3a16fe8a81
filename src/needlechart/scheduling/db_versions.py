"""The clinic's calendar version (``models.CalendarVersion``), set by the database itself.

Every insert, update and delete of a row of the working hours or the exceptions sets the row's
clinic a new random token (an update moving a row to another clinic sets both): AFTER ... FOR EACH
ROW triggers, on PostgreSQL one PL/pgSQL function, on SQLite one trigger per table and operation.
The writers of those tables are the calendar's set-up (rare), so the one row per clinic they touch
is no point of contention; appointments do not touch it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

VERSION_TABLE = "scheduling_calendarversion"
TABLES = ("scheduling_workinghours", "scheduling_scheduleexception")
_PG_FUNCTION = "scheduling_calendar_version_bump"

_PG_CREATE = [
    f"""CREATE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO {VERSION_TABLE} (clinic_id, token) VALUES (OLD.clinic_id, gen_random_uuid()::text)
        ON CONFLICT (clinic_id) DO UPDATE SET token = EXCLUDED.token;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO {VERSION_TABLE} (clinic_id, token) VALUES (NEW.clinic_id, gen_random_uuid()::text)
        ON CONFLICT (clinic_id) DO UPDATE SET token = EXCLUDED.token;
    END IF;
    RETURN NULL;
END;
$$""",  # noqa: S608 - DDL from the fixed names above, no input
    *(
        f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()"
        for table in TABLES
    ),
]
_PG_DROP = [*(f"DROP TRIGGER IF EXISTS {table}_version ON {table}" for table in TABLES), f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()"]


def _sqlite_upsert(row: str) -> str:
    return (
        f"INSERT INTO {VERSION_TABLE} (clinic_id, token) VALUES ({row}.clinic_id, lower(hex(randomblob(16))))"  # noqa: S608 - as above
        " ON CONFLICT (clinic_id) DO UPDATE SET token = excluded.token;"
    )


_SQLITE_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}
_SQLITE_CREATE = [
    f"CREATE TRIGGER {table}_version_{operation} AFTER {operation.upper()} ON {table} FOR EACH ROW BEGIN "
    + " ".join(_sqlite_upsert(row) for row in rows)
    + " END"
    for table in TABLES
    for operation, rows in _SQLITE_ROWS.items()
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_version_{operation}" for table in TABLES for operation in _SQLITE_ROWS]

# Clinics with hours or exceptions before the triggers: a token each, so that theirs are cached too.
_SEED = {
    "postgresql": f"INSERT INTO {VERSION_TABLE} (clinic_id, token) SELECT clinic_id, gen_random_uuid()::text FROM "  # noqa: S608
    f"(SELECT clinic_id FROM {TABLES[0]} UNION SELECT clinic_id FROM {TABLES[1]}) AS clinics ON CONFLICT (clinic_id) DO NOTHING",
    "sqlite": f"INSERT OR IGNORE INTO {VERSION_TABLE} (clinic_id, token) SELECT clinic_id, lower(hex(randomblob(16))) FROM "  # noqa: S608
    f"(SELECT clinic_id FROM {TABLES[0]} UNION SELECT clinic_id FROM {TABLES[1]})",
}


def _forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": _PG_CREATE, "sqlite": _SQLITE_CREATE}.get(vendor, []):
        schema_editor.execute(sql, params=None)
    if vendor in _SEED:
        schema_editor.execute(_SEED[vendor], params=None)


def _reverse(apps: Any, schema_editor: Any) -> None:
    for sql in {"postgresql": _PG_DROP, "sqlite": _SQLITE_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def version_operation() -> migrations.RunPython:
    """The migration operation that adds this database's triggers (none on other databases)."""
    return migrations.RunPython(_forward, _reverse)
