"""Someone with write access to the database cannot rewrite a signed visit: not by replacing rows
(SQLite's INSERT OR REPLACE skips DELETE triggers; PostgreSQL's INSERT ... ON CONFLICT DO UPDATE is
an update), not by moving the visit to another patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from needlechart.audit.models import AuditEvent
from needlechart.charting.models import Encounter, Note
from needlechart.patients import services as patients

REFUSED = (DatabaseError, IntegrityError)


def _db_id(value) -> str:
    if isinstance(value, int):
        return str(value)
    return value.hex if connection.vendor == "sqlite" else str(value)


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


NEW_ID = {"sqlite": "lower(hex(randomblob(16)))", "postgresql": "gen_random_uuid()"}


def _replace(table: str, row_id, *, key: str = "id", **changes) -> None:
    """Write a copy of row ``row_id`` with ``changes`` (column -> SQL expression) over the row it
    clashes with on ``key``: SQLite's INSERT OR REPLACE, PostgreSQL's INSERT ... ON CONFLICT DO UPDATE."""
    columns = _columns(table)
    values = ", ".join(changes.get(c, c) for c in columns)
    copy = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} WHERE id = %s"  # noqa: S608 - test's own names
    if connection.vendor == "sqlite":
        statement = copy.replace("INSERT INTO", "INSERT OR REPLACE INTO", 1)
    else:
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != key)
        statement = f"{copy} ON CONFLICT ({key}) DO UPDATE SET {updates}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [_db_id(row_id)])


def test_a_signed_note_cannot_be_replaced_by_an_unsigned_copy(signed_note):
    with pytest.raises(REFUSED):
        _replace("charting_note", signed_note.pk, signed_at="NULL", subjective="'rewritten'")
    note = Note.objects.get(pk=signed_note.pk)
    assert note.is_signed and note.subjective == "Pain 6/10"


def test_a_signed_note_cannot_be_replaced_through_its_other_unique_key(signed_note):
    """A new id with the same encounter clashes on encounter_id: REPLACE would delete the signed note."""
    with pytest.raises(REFUSED):
        _replace("charting_note", signed_note.pk, key="encounter_id", id=NEW_ID[connection.vendor], signed_at="NULL")
    assert Note.objects.filter(encounter=signed_note.encounter).get().pk == signed_note.pk


def test_a_signed_addendum_and_an_audit_row_cannot_be_replaced(signed_addendum):
    with pytest.raises(REFUSED):
        _replace("charting_addendum", signed_addendum.pk, text="'other'")
    event = AuditEvent.objects.order_by("-pk").first()
    with pytest.raises(REFUSED):
        _replace("audit_auditevent", event.pk, action="'changed'")
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_a_draft_may_still_be_replaced(draft_note):
    _replace("charting_note", draft_note.pk, subjective="'typed again'")
    assert Note.objects.get(pk=draft_note.pk).subjective == "typed again"


@pytest.fixture
def other_patient(front_desk):
    return patients.patient_create(
        actor=front_desk, data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1970, 1, 2)}, identifiers=[]
    )


def _update_encounter(encounter, assignment: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE charting_encounter SET {assignment} WHERE id = %s", [*params, _db_id(encounter.pk)])  # noqa: S608


@pytest.mark.parametrize(
    ("assignment", "value"),
    [
        ("patient_id = %s", "other_patient"),
        ("starts_at = %s", dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)),
        ("reason = %s", "Another reason"),
        ("duration_minutes = %s", 90),
    ],
)
def test_a_signed_visit_keeps_its_patient_time_and_reason(signed_note, other_patient, assignment, value):
    encounter = signed_note.encounter
    param = _db_id(other_patient.pk) if value == "other_patient" else value
    with pytest.raises(REFUSED):
        _update_encounter(encounter, assignment, param)
    kept = Encounter.objects.get(pk=encounter.pk)
    assert (kept.patient_id, kept.starts_at, kept.reason, kept.duration_minutes) == (
        encounter.patient_id,
        encounter.starts_at,
        encounter.reason,
        encounter.duration_minutes,
    )


def test_a_signed_visit_cannot_be_deleted_but_its_status_may_change(signed_note):
    encounter = signed_note.encounter
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM charting_encounter WHERE id = %s", [_db_id(encounter.pk)])
    _update_encounter(encounter, "status = %s", "finished")
    assert Encounter.objects.get(pk=encounter.pk).status == "finished"


def test_a_visit_without_a_signed_note_may_be_moved(draft_note, other_patient):
    encounter = draft_note.encounter
    moved = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
    _update_encounter(encounter, "starts_at = %s", moved)
    assert Encounter.objects.get(pk=encounter.pk).starts_at == moved


def test_a_refused_change_of_an_audit_row_says_why(signed_note):
    """PostgreSQL's guard asked an audit row for the signed_at only notes have, and said so instead."""
    event = AuditEvent.objects.order_by("-pk").first()
    with pytest.raises(REFUSED) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert "immutable" in str(refused.value)
