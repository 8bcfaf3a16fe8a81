"""The audit append's SQL (audit.append_sql) names its tables and columns as the models' ``_meta`` does."""

from __future__ import annotations

import pytest
from django.db import connection

from needlechart.audit import append_sql
from needlechart.audit.models import AuditChainHead, AuditEvent, AuditSubject
from tests.sql_names import assert_names_from_meta, assert_renames_followed


def _statements() -> str:
    return "\n".join(
        statement for vendor in ("postgresql", "sqlite") for statement in append_sql.build_append_sql(vendor, connection.ops.quote_name)
    )


def test_every_table_and_column_is_quoted_from_meta():
    assert_names_from_meta(_statements(), [AuditEvent, AuditChainHead, AuditSubject])


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (AuditChainHead, "chain_key"),
        (AuditChainHead, "seq"),
        (AuditChainHead, "hash"),
        (AuditEvent, "prev_hash"),
        (AuditEvent, "clinic_id"),
        (AuditSubject, "patient_id"),  # PostgreSQL: a list's event and its subject rows in one statement
        (AuditSubject, "event"),
    ],
)
def test_a_renamed_table_or_column_is_renamed_in_the_sql(model, field):
    assert_renames_followed(_statements, model, field, lambda: None)


def _subject_statements() -> str:
    """SQLite's statement writing a list's subject rows after its event (PostgreSQL's is the append's, above)."""
    return append_sql.subjects_sql(connection.ops.quote_name)


def test_the_subject_rows_statement_quotes_every_table_and_column_from_meta():
    assert_names_from_meta(_subject_statements(), [AuditEvent, AuditSubject])


@pytest.mark.parametrize(("model", "field"), [(AuditSubject, "patient_id"), (AuditSubject, "event"), (AuditEvent, "seq")])
def test_a_renamed_table_or_column_is_renamed_in_the_subject_rows_statement(model, field):
    assert_renames_followed(_subject_statements, model, field, append_sql._SUBJECTS_SQL.clear)
