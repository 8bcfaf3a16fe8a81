"""Checks that raw SQL names tables and columns as the models' ``_meta`` does (core.raw_sql.SqlNames)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def renamed(model, table: str, field: str, column: str, clear_caches: Callable[[], None]) -> Iterator[None]:
    """``model``'s table and ``field``'s column renamed for the block; the statement caches cleared after."""
    meta, target = model._meta, model._meta.get_field(field)
    old_table, old_column = meta.db_table, target.column
    meta.db_table, target.column = table, column
    try:
        yield
    finally:
        meta.db_table, target.column = old_table, old_column
        clear_caches()


def assert_names_from_meta(sql: str, models: list) -> None:
    """Every model's table is in ``sql``, and every quoted name is one of the models' tables or columns."""
    for model in models:
        assert f'"{model._meta.db_table}"' in sql, model
    known = {model._meta.db_table for model in models} | {f.column for model in models for f in model._meta.concrete_fields}
    quoted = set(re.findall(r'"(\w+)"', sql))
    assert quoted <= known, quoted - known


def assert_renames_followed(statements: Callable[[], str], model, field: str, clear_caches: Callable[[], None]) -> None:
    """With ``model``'s table and ``field``'s column renamed, the statements use the new names only; and back."""
    original = model._meta.db_table
    with renamed(model, "renamed_table", field, "renamed_column", clear_caches):
        sql = statements()
    assert '"renamed_table"' in sql and '"renamed_column"' in sql
    assert f'"{original}"' not in sql
    assert f'"{original}"' in statements()  # and back
