"""Verifying a signed note or addendum: people are bound by their ids with their names as recorded,
the visit by its patient and time, and notes signed in the first form still verify in it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from needlechart.charting import services
from needlechart.charting.models import Note
from needlechart.charting.signing import NOTE_FORMS, note_content
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.core.db_triggers import immutability_lifted
from needlechart.patients import services as patients


def _reload(record):
    return type(record).objects.get(pk=record.pk)


def _behind_the_guards(record, mode: str, **values) -> None:
    """UPDATE the record's row in SQL with the database's guards lifted, as someone with the
    database could (the application's own refusals are not in the way of raw SQL)."""
    table = type(record)._meta.db_table
    columns = ", ".join(f"{column} = %s" for column in values)
    params = [
        value.hex if connection.vendor == "sqlite" and hasattr(value, "hex") and not isinstance(value, str) else value
        for value in values.values()
    ]
    record_id = record.pk.hex if connection.vendor == "sqlite" else str(record.pk)
    with immutability_lifted(connection, {table: mode}), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*params, record_id])  # noqa: S608 - the test's own names


def _rename(user, first_name: str, username: str | None = None) -> None:
    user.first_name = first_name
    if username:
        user.username = username
    user.save()


def test_a_signed_note_binds_the_visit_patient_and_people(signed_note):
    stored = json.loads(signed_note.canonical)
    assert stored["type"] == NOTE_FORMS[-1]
    encounter = signed_note.encounter
    assert stored["encounter"]["patient"] == str(encounter.patient_id)
    assert stored["encounter"]["reason"] == encounter.reason
    assert stored["author"]["id"] == signed_note.author_id


def test_renaming_the_author_and_the_practitioner_keeps_notes_and_addenda_intact(client_for, signed_addendum, signed_note, practitioner):
    _rename(practitioner, "Renamed", username="renamed-practitioner")
    assert services.signed_record_verify(_reload(signed_note))
    assert services.signed_record_verify(_reload(signed_addendum))
    page = client_for(practitioner).get(reverse("encounter_detail", args=[signed_note.encounter_id]))
    assert page.context["verified"] is True


def test_another_person_in_the_signers_place_breaks_the_note(signed_note, second_practitioner):
    _behind_the_guards(signed_note, "signed", author_id=second_practitioner.pk)
    assert not services.signed_record_verify(_reload(signed_note))


@pytest.fixture
def other_patient(front_desk):
    return patients.patient_create(
        actor=front_desk, data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1970, 1, 2)}, identifiers=[]
    )


def test_a_visit_moved_to_another_patient_behind_the_guards_no_longer_verifies(signed_note, other_patient):
    _behind_the_guards(signed_note.encounter, "encounter", patient_id=other_patient.pk)
    assert not services.signed_record_verify(_reload(signed_note))


def _resign_in_first_form(note: Note) -> Note:
    """The note as needlechart signed it before the visit's patient was bound (form /1)."""
    note = _reload(note)
    stored = json.loads(note.canonical)
    first = note_content(note, form=NOTE_FORMS[0]) | {key: stored[key] for key in stored if key == "judgements"}
    canonical = canonical_json(first)
    _behind_the_guards(note, "signed", canonical=canonical, digest=sha256_hex(canonical))
    return _reload(note)


def test_a_note_signed_in_the_first_form_still_verifies_in_it(signed_note):
    note = _resign_in_first_form(signed_note)
    assert json.loads(note.canonical)["type"] == NOTE_FORMS[0]
    assert services.signed_record_verify(note)
    _behind_the_guards(note, "signed", plan="changed behind the guards")
    assert not services.signed_record_verify(_reload(note))


def test_an_addendum_changed_behind_the_guards_no_longer_verifies(signed_addendum):
    _behind_the_guards(signed_addendum, "signed", text="Right after all.")
    assert not services.signed_record_verify(_reload(signed_addendum))


def test_verify_records_checks_every_signed_note_and_addendum(signed_addendum, signed_note, capsys):
    call_command("verify_records")
    assert "1 notes and 1 addenda verified" in capsys.readouterr().out
    _behind_the_guards(signed_addendum, "signed", reason="other")
    with pytest.raises(CommandError, match=f"addendum {signed_addendum.pk}"):
        call_command("verify_records")
