"""The patient search's SQL (patients.selectors) names tables and columns as the models' ``_meta``
does, and finds the same patients on both databases."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import connection

from needlechart.patients import selectors
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.selectors import name_search_statement, patient_search


def _statements() -> str:
    selectors.clear_statement_caches()
    name_search, _params = name_search_statement("clinic", ["ola", "nord"])
    return "\n".join([selectors._by_birth_date_sql(), selectors._by_identifier_sql(), name_search])


@contextmanager
def _renamed(model, table: str, field: str, column: str):
    meta, target = model._meta, model._meta.get_field(field)
    old_table, old_column = meta.db_table, target.column
    meta.db_table, target.column = table, column
    try:
        yield
    finally:
        meta.db_table, target.column = old_table, old_column
        selectors.clear_statement_caches()


def test_every_table_and_column_is_quoted_from_meta():
    sql = _statements()
    for model in (Patient, PatientIdentifier):
        assert f'"{model._meta.db_table}"' in sql, model
    known = {model._meta.db_table for model in (Patient, PatientIdentifier)}
    known |= {f.column for model in (Patient, PatientIdentifier) for f in model._meta.concrete_fields}
    quoted = set(re.findall(r'"(\w+)"', sql))
    assert quoted <= known, quoted - known
    unquoted = re.sub(r'"\w+"', "", sql)
    assert not re.search(r"\b(patients_\w+|family_key|given_key|birth_date|clinic_id|patient_id)\b", unquoted), unquoted


@pytest.mark.parametrize(
    ("model", "field"),
    [(Patient, "family_key"), (Patient, "birth_date"), (Patient, "clinic"), (PatientIdentifier, "value"), (PatientIdentifier, "patient")],
)
def test_a_renamed_table_or_column_is_renamed_in_the_sql(model, field):
    original = model._meta.db_table
    with _renamed(model, "renamed_table", field, "renamed_column"):
        sql = _statements()
    assert '"renamed_table"' in sql and '"renamed_column"' in sql
    assert f'"{original}"' not in sql
    assert f'"{original}"' in _statements()  # and back


@pytest.mark.django_db
def test_each_statement_finds_the_patient_on_this_database(practitioner, patient):
    """Name prefixes (one and two words), date of birth and identifier, as the search box takes them."""
    identifier = patient.identifiers.first()
    assert identifier is not None
    texts = [
        patient.family_name[:3],
        f"{patient.given_name[:2]} {patient.family_name[:2]}",
        patient.birth_date.isoformat(),
        identifier.value,
    ]
    for text in texts:
        _query, found = patient_search(user=practitioner, text=text)
        assert [p.pk for p in found] == [patient.pk], (connection.vendor, text)
