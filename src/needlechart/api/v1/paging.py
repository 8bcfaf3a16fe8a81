"""Cursor pagination: a page in a stable order, and an opaque cursor to the next one.

Pages follow the rows in (``order``, primary key) order and start after the cursor's row (keyset
pagination), so a page never repeats or skips a row when rows before it are added or removed,
and the database walks an index instead of counting an offset. The cursor is the last row's
values, signed (django.core.signing) so that a client cannot craft one, and names its ordering,
so a cursor of one list is refused by another. It is signed without a time (``Signer``, not
``signing.dumps``'s ``TimestampSigner``): the same page always gives the same cursor, so its ETag
changes only with its rows, not with the second it was read in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, TypeVar

from django.core import signing
from django.db import models
from django.utils.translation import gettext as _
from ninja import Query

from needlechart.api.problems import MALFORMED, ProblemError

_SALT = "needlechart.api.cursor"
_SIGNER = signing.Signer(salt=_SALT)
# A list operation's paging parameters.
Cursor = Annotated[str | None, Query(max_length=600, description="The next_cursor of the page before; leave out for the first page.")]
Limit = Annotated[int, Query(ge=1, le=100, description="How many to answer at most.")]
Row = TypeVar("Row", bound=models.Model)


def _text_of(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value) if isinstance(value, uuid.UUID) else value


def _value_of(field: models.Field[Any, Any], text: Any) -> Any:
    if isinstance(field, models.DateTimeField):
        return dt.datetime.fromisoformat(text)
    if isinstance(field, models.DateField):
        return dt.date.fromisoformat(text)
    return field.to_python(text)


def _after(queryset: models.QuerySet[Row], order: str, cursor: str) -> models.QuerySet[Row]:
    model = queryset.model
    try:
        data = _SIGNER.unsign_object(cursor)
        if data["o"] != f"{model._meta.label}.{order}":
            raise ValueError(data["o"])
        field, pk_field = model._meta.get_field(order), model._meta.pk
        assert isinstance(field, models.Field) and pk_field is not None  # a column of the model, which has a key
        value, pk = _value_of(field, data["v"]), pk_field.to_python(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise ProblemError(MALFORMED, _("The cursor is not one this list gave. Start again without a cursor.")) from error
    return queryset.filter(models.Q(**{f"{order}__gt": value}) | models.Q(**{order: value, "pk__gt": pk}))


def page(queryset: models.QuerySet[Row], *, order: str, cursor: str | None, limit: int) -> tuple[list[Row], str | None]:
    """Up to ``limit`` rows after ``cursor`` in (``order``, pk) order, and the next page's cursor
    (None on the last page). One query: it reads one row more than it answers to know."""
    queryset = queryset.order_by(order, "pk")
    if cursor:
        queryset = _after(queryset, order, cursor)
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    token = {"o": f"{queryset.model._meta.label}.{order}", "v": _text_of(getattr(last, order)), "k": _text_of(last.pk)}
    return rows[:limit], _SIGNER.sign_object(token, compress=True)
