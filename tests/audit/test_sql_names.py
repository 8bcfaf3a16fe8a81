"""The audit append's SQL (audit.services) names its tables and columns as the models' ``_meta`` does."""

from __future__ import annotations

import pytest
from django.db import connection

from needlechart.audit import services
from needlechart.audit.models import AuditChainHead, AuditEvent
from tests.sql_names import assert_names_from_meta, assert_renames_followed


def _statements() -> str:
    return "\n".join(
        statement for vendor in ("postgresql", "sqlite") for statement in services._build_append_sql(vendor, connection.ops.quote_name)
    )


def test_every_table_and_column_is_quoted_from_meta():
    assert_names_from_meta(_statements(), [AuditEvent, AuditChainHead])


@pytest.mark.parametrize(
    ("model", "field"), [(AuditChainHead, "chain_key"), (AuditChainHead, "seq"), (AuditChainHead, "hash"), (AuditEvent, "prev_hash")]
)
def test_a_renamed_table_or_column_is_renamed_in_the_sql(model, field):
    assert_renames_followed(_statements, model, field, lambda: None)
