"""The patient search's SQL (patients.selectors) names tables and columns as the models' ``_meta``
does, and finds the same patients on both databases."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from needlechart.patients import selectors
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.selectors import name_search_statement, patient_search
from tests.sql_names import assert_names_from_meta, assert_renames_followed


def _statements() -> str:
    selectors.clear_statement_caches()
    name_search, _params = name_search_statement("clinic", ["ola", "nord"])
    return "\n".join([selectors._by_birth_date_sql(), selectors._by_identifier_sql(), name_search])


def test_every_table_and_column_is_quoted_from_meta():
    sql = _statements()
    assert_names_from_meta(sql, [Patient, PatientIdentifier])
    unquoted = re.sub(r'"\w+"', "", sql)
    assert not re.search(r"\b(patients_\w+|family_key|given_key|birth_date|clinic_id|patient_id)\b", unquoted), unquoted


@pytest.mark.parametrize(
    ("model", "field"),
    [(Patient, "family_key"), (Patient, "birth_date"), (Patient, "clinic"), (PatientIdentifier, "value"), (PatientIdentifier, "patient")],
)
def test_a_renamed_table_or_column_is_renamed_in_the_sql(model, field):
    assert_renames_followed(_statements, model, field, selectors.clear_statement_caches)


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
