"""The database's own refusal of double booking, for whatever writes an appointment row.

An active appointment (booked or arrived) takes its practitioner, and its room if it has one,
from ``starts_at`` to ``blocked_until``; no two active appointments of the same practitioner, or
of the same room, may overlap (half-open intervals: one may start when the other's time ends).

- PostgreSQL: two exclusion constraints (GiST, with the ``btree_gist`` extension for the ``=``
  on the practitioner and the room) over ``tstzrange(starts_at, blocked_until)``, only for the
  active statuses. Two transactions booking the same time at once: the second waits for the
  first and then fails, so one booking wins and one gets a refusal. When both have written
  their row before either checks, each waits for the other and PostgreSQL aborts one as a
  deadlock (``deadlocked``); the services write that one again, which then waits for the
  winner and is refused like the rest.
- SQLite: BEFORE INSERT and BEFORE UPDATE triggers that abort when the new row overlaps an
  active one. Writers are serialised (``BEGIN IMMEDIATE``, settings.DATABASES), so the check
  and the write cannot interleave with another booking.

The constraints are not in the model's ``Meta``: Django would try to build the PostgreSQL one
on SQLite too. The migration adds them per database (``guard_operation``), and the services
turn a refusal into a message (``conflict_of``), naming the practitioner's or the room's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import migrations
from django.db.models import Func, Q

TABLE = "scheduling_appointment"
ACTIVE = ("booked", "arrived")
PRACTITIONER_GUARD = "appointment_practitioner_not_double_booked"
ROOM_GUARD = "appointment_room_not_double_booked"


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')``: the half-open interval an appointment takes."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def pg_constraints() -> list[ExclusionConstraint]:
    active = Q(status__in=ACTIVE)
    span = TsTzRange("starts_at", "blocked_until", RangeBoundary())
    return [
        ExclusionConstraint(
            name=PRACTITIONER_GUARD,
            expressions=[("practitioner", RangeOperators.EQUAL), (span, RangeOperators.OVERLAPS)],
            condition=active,
        ),
        ExclusionConstraint(
            name=ROOM_GUARD,
            expressions=[("room", RangeOperators.EQUAL), (span, RangeOperators.OVERLAPS)],
            condition=active & Q(room__isnull=False),
        ),
    ]


def _sqlite_trigger(name: str, column: str, operation: str) -> str:
    statuses = ", ".join(f"'{status}'" for status in ACTIVE)
    other_row = " AND other.id <> NEW.id" if operation == "UPDATE" else ""
    # DDL from the fixed names above, no input
    return (
        f"CREATE TRIGGER {name}_{operation.lower()} BEFORE {operation} ON {TABLE} "  # noqa: S608
        f"WHEN NEW.status IN ({statuses}) AND NEW.{column} IS NOT NULL AND EXISTS ("
        f"SELECT 1 FROM {TABLE} AS other WHERE other.{column} = NEW.{column} AND other.status IN ({statuses})"
        f" AND other.starts_at < NEW.blocked_until AND NEW.starts_at < other.blocked_until{other_row}) "
        f"BEGIN SELECT RAISE(ABORT, 'needlechart: {name}: the time overlaps another appointment'); END"
    )


SQLITE_GUARDS = [(PRACTITIONER_GUARD, "practitioner_id"), (ROOM_GUARD, "room_id")]


def sqlite_create_sql() -> list[str]:
    return [_sqlite_trigger(name, column, operation) for name, column in SQLITE_GUARDS for operation in ("INSERT", "UPDATE")]


def sqlite_drop_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}_{operation}" for name, _column in SQLITE_GUARDS for operation in ("insert", "update")]


def _forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        model = apps.get_model("scheduling", "Appointment")
        for constraint in pg_constraints():
            schema_editor.add_constraint(model, constraint)
    elif vendor == "sqlite":
        for sql in sqlite_create_sql():
            schema_editor.execute(sql, params=None)


def _reverse(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        model = apps.get_model("scheduling", "Appointment")
        for constraint in pg_constraints():
            schema_editor.remove_constraint(model, constraint)
    elif vendor == "sqlite":
        for sql in sqlite_drop_sql():
            schema_editor.execute(sql, params=None)


def guard_operation() -> migrations.RunPython:
    """The migration operation that adds the guards of this database (none on other databases)."""
    return migrations.RunPython(_forward, _reverse)


def conflict_of(error: BaseException) -> str | None:
    """Which guard refused a write: "room", "practitioner", or None when ``error`` is another error."""
    text = str(error)
    cause = error.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
    for guard, kind in ((ROOM_GUARD, "room"), (PRACTITIONER_GUARD, "practitioner")):
        if guard == constraint or guard in text:
            return kind
    return None


DEADLOCK = "40P01"


def deadlocked(error: BaseException) -> bool:
    """Whether PostgreSQL aborted the write to break a deadlock (two overlapping rows checked at once)."""
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK
