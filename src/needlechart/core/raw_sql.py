"""Parameters and values of the few reads written out in SQL, whichever the database.

Read with a plain cursor, columns come back as the database gives them: PostgreSQL (psycopg)
gives uuids, dates and times as Python objects, SQLite gives them as text. The *_value
functions accept either.

Tables and columns are named from the models' ``_meta`` (``sql_names``, ``model_columns``), never
written out: renaming a model or a field, or setting its ``db_table`` or ``db_column``, changes
the SQL with it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, overload

from django.db import connection, models

_UUID, _DATE = models.UUIDField(), models.DateField()


def uuid_param(value: uuid.UUID | None) -> Any:
    """SQLite keeps a UUID as its 32 hex digits, PostgreSQL as a uuid."""
    return _UUID.get_db_prep_value(value, connection)


def date_param(value: dt.date) -> Any:
    return _DATE.get_db_prep_value(value, connection)


def uuid_value(value: uuid.UUID | str) -> uuid.UUID:
    """A uuid column: SQLite gives its 32 hex digits."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def date_value(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@overload
def datetime_value(value: dt.datetime | str) -> dt.datetime: ...
@overload
def datetime_value(value: None) -> None: ...
@overload
def datetime_value(value: dt.datetime | str | None) -> dt.datetime | None: ...
def datetime_value(value: dt.datetime | str | None) -> dt.datetime | None:
    """A datetime column: SQLite gives it as text, without its time zone (UTC)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def json_value(value: Any) -> Any:
    """A JSON column: text on SQLite (and as Django has psycopg give jsonb), else already parsed."""
    return json.loads(value) if isinstance(value, str) else value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "UUIDField": uuid_value,
    "DateField": date_value,
    "DateTimeField": datetime_value,
    "BooleanField": bool,
    "JSONField": json_value,
}


@functools.cache
def _model_converters(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    fields = model._meta.concrete_fields
    kinds = [(f.target_field if isinstance(f, models.ForeignKey) else f).get_internal_type() for f in fields]
    return tuple(f.attname for f in fields), tuple(_CONVERTERS.get(kind) for kind in kinds)


def quote_name(name: str) -> str:
    """A table's or column's name as the database's SQL writes it (quoted)."""
    return connection.ops.quote_name(name)


class SqlNames:
    """A model's table and columns for raw SQL, as its ``_meta`` names them, quoted.

    ``E = SqlNames(Encounter)``: ``str(E)`` (or ``f"{E}"``) is the table, ``E.pk`` the primary
    key's column, ``E.starts_at`` a field's column and ``E.patient`` a foreign key's
    (``patient_id``): ``f"SELECT v.{E.starts_at} FROM {E} v WHERE v.{E.patient} = %s"``.
    An unknown field raises FieldDoesNotExist, so a renamed one cannot go unnoticed.
    """

    __slots__ = ("model",)

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    def __str__(self) -> str:
        return quote_name(self.model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        meta = self.model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        column = getattr(field, "column", None)
        if not column:  # a reverse relation or a many-to-many has no column of its own
            raise AttributeError(f"{self.model.__name__}.{name} has no column")
        return quote_name(column)


def model_columns(model: type[models.Model], alias: str) -> str:
    """The model's columns for a SELECT, as model_from_row() takes them: ``alias."column", ...``."""
    return ", ".join(f"{alias}.{quote_name(field.column or field.attname)}" for field in model._meta.concrete_fields)


def model_from_row(model: type[models.Model], values: Sequence[Any]) -> Any:
    """An instance of ``model`` from the values of model_columns(model, ...), as a cursor gives them."""
    names, converters = _model_converters(model)
    converted = [value if convert is None or value is None else convert(value) for convert, value in zip(converters, values, strict=False)]
    return model.from_db(connection.alias, names, converted)
