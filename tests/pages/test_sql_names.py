"""The chart's SQL (pages.chart_reads, pages.visit_reads) names tables and columns as the models'
``_meta`` does: a renamed table or column changes the statements with it."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection

from needlechart.charting.models import Addendum, Encounter, Note, PainMap
from needlechart.clinics.models import User
from needlechart.core.raw_sql import SqlNames
from needlechart.needling.models import AdverseEvent
from needlechart.pages import chart_reads, visit_reads
from needlechart.patients.models import Episode, Patient, PatientIdentifier
from needlechart.screening.models import IntakeResponse, RuleSetting
from tests.sql_names import assert_names_from_meta, assert_renames_followed

MODELS = [Patient, PatientIdentifier, Episode, Encounter, Note, Addendum, PainMap, User, AdverseEvent, IntakeResponse, RuleSetting]


def _statements() -> str:
    chart_reads.clear_statement_caches()
    statements = [chart_reads.patient_sql(connection.vendor, clinical) for clinical in (False, True)]
    statements.append(chart_reads.latest_pain_map_sql(connection.vendor))
    for before in (False, True):
        where = visit_reads._episodes_visits(before)
        statements += [visit_reads.visits_sql(connection.vendor, clinical, where, 11) for clinical in (False, True)]
    return "\n".join(statements)


def test_every_table_and_column_is_quoted_from_meta():
    assert_names_from_meta(_statements(), MODELS)


@pytest.mark.parametrize(
    ("model", "field"),
    [(Patient, "clinic"), (Encounter, "starts_at"), (Note, "signed_at"), (PainMap, "marks"), (Episode, "complaint"), (User, "username")],
)
def test_a_renamed_table_or_column_is_renamed_in_the_sql(model, field):
    assert_renames_followed(_statements, model, field, chart_reads.clear_statement_caches)


def test_an_unknown_field_is_an_error_not_a_silent_name():
    with pytest.raises(FieldDoesNotExist):
        SqlNames(Encounter).no_such_field  # noqa: B018
