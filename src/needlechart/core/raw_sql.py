"""Parameters for the few reads written out in SQL (``Manager.raw()``), whichever the database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import connection, models

_UUID, _DATE = models.UUIDField(), models.DateField()


def uuid_param(value: uuid.UUID) -> Any:
    """SQLite keeps a UUID as its 32 hex digits, PostgreSQL as a uuid."""
    return _UUID.get_db_prep_value(value, connection)


def date_param(value: dt.date) -> Any:
    return _DATE.get_db_prep_value(value, connection)
