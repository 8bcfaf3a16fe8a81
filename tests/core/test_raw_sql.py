"""core.raw_sql reads a model with a plain cursor as the ORM reads it."""

from __future__ import annotations

from django.db import connection

from needlechart.core.raw_sql import model_columns, model_from_row, uuid_param
from needlechart.patients.models import Patient


def test_a_model_read_with_a_cursor_equals_the_orm_s(db, patient):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(Patient, 'p')} FROM patients_patient p WHERE p.id = %s", [uuid_param(patient.pk)])  # noqa: S608
        read = model_from_row(Patient, cursor.fetchone())
    stored = Patient.objects.get(pk=patient.pk)
    for field in Patient._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(stored, field.attname), field.name
    assert read.created_at.tzinfo is not None and not read._state.adding
