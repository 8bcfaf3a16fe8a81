"""Reads of patients, always through the reader's clinic (missing and forbidden: 404)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.core.raw_sql import SqlNames, date_param, date_value, uuid_param, uuid_value
from needlechart.core.text import search_key
from needlechart.patients.models import Episode, Patient, PatientIdentifier

SEARCH_LIMIT = 50
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d%m%Y")
_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def patients_for_user(*, user: User) -> QuerySet[Patient]:
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    return Patient.objects.filter(clinic_id=clinic_id_of(user))


def patient_get_for_user(*, user: User, patient_id: uuid.UUID) -> Patient:
    try:
        return patients_for_user(user=user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def episode_get_for_user(*, user: User, episode_id: uuid.UUID) -> Episode:
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    try:
        return Episode.objects.select_related("patient").get(pk=episode_id, clinic_id=clinic_id_of(user))
    except (Episode.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest key greater than every key starting with ``prefix`` (keys use _KEY_ALPHABET)."""
    chars = list(prefix)
    while chars:
        position = _KEY_ALPHABET.index(chars[-1])
        if position + 1 < len(_KEY_ALPHABET):
            chars[-1] = _KEY_ALPHABET[position + 1]
            return "".join(chars)
        chars.pop()
    return None


def _prefix_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """The quoted ``column`` of ``p`` starts with ``prefix``, as an index range."""
    upper = _prefix_upper_bound(prefix)
    if upper is None:
        return f"p.{column} >= %s", [prefix]
    return f"p.{column} >= %s AND p.{column} < %s", [prefix, upper]


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


@dataclass
class SearchQuery:
    """What the search box was understood to contain."""

    text: str
    birth_date: dt.date | None = None
    identifier: str | None = None
    name_keys: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.birth_date or self.identifier or self.name_keys)


def parse_search(text: str) -> SearchQuery:
    text = " ".join(text.split())[:100]
    query = SearchQuery(text=text)
    compact = text.replace(" ", "")
    if date := _parse_date(text):
        query.birth_date = date
    elif re.fullmatch(r"[0-9A-Za-z\-]{5,}", compact) and sum(c.isdigit() for c in compact) >= 4:
        query.identifier = compact
    else:
        query.name_keys = name_keys(text)
    return query


def name_keys(text: str) -> list[str]:
    """The search keys of up to four words of a name."""
    return [k for k in (search_key(t) for t in text.split()) if k][:4]


# Search is written out in SQL like the chart (pages.chart_reads): through the ORM, compiling the
# name search's UNION cost more than running it. Only the columns the results show are read, and
# tables and columns are named from the models' _meta (core.raw_sql.SqlNames); every value is a
# parameter. The statements are built once per process (clear_statement_caches builds them again).


FOUND_FIELDS = ("pk", "given_name", "family_name", "birth_date", "phone")  # what the search box's list shows
_ORDER_KEYS = ("family_key", "given_key", "birth_date")  # what the results are ordered by


@functools.cache
def _result_columns(fields: tuple[str, ...]) -> str:
    P = SqlNames(Patient)
    return ", ".join(f"p.{getattr(P, name)}" for name in (*fields, *(key for key in _ORDER_KEYS if key not in fields)))


@functools.cache
def _found_sql(fields: tuple[str, ...]) -> str:
    return f"SELECT {_result_columns(fields)} FROM {SqlNames(Patient)} p"  # noqa: S608 - names from _meta


@functools.cache
def _in_order_sql() -> str:
    P = SqlNames(Patient)
    return f" ORDER BY {P.family_key}, {P.given_key}, {P.birth_date} LIMIT %s"


@functools.cache
def _by_birth_date_sql(fields: tuple[str, ...] = FOUND_FIELDS) -> str:
    P = SqlNames(Patient)
    return f"{_found_sql(fields)} WHERE p.{P.clinic} = %s AND p.{P.birth_date} = %s{_in_order_sql()}"


@functools.cache
def _by_identifier_sql(fields: tuple[str, ...] = FOUND_FIELDS) -> str:
    """From the identifier's index to its patient. Written as "p.id IN (...)", or as a plain join
    without statistics (a new database), SQLite walked the whole family-name index in the results'
    order instead, testing every patient (0.7 s). CROSS JOIN is SQLite's way of fixing the order of
    the loops; PostgreSQL plans it as any join."""
    P, Ids = SqlNames(Patient), SqlNames(PatientIdentifier)
    return (
        f"SELECT DISTINCT {_result_columns(fields)} FROM {Ids} i CROSS JOIN {P} p"  # noqa: S608 - names from _meta
        f" WHERE p.{P.pk} = i.{Ids.patient} AND i.{Ids.clinic} = %s AND i.{Ids.value} = %s AND p.{P.clinic} = %s{_in_order_sql()}"
    )


def clear_statement_caches() -> None:
    """Build the statements again from the models' names (tests change ``_meta`` to prove they follow it)."""
    for cached in (_result_columns, _found_sql, _in_order_sql, _by_birth_date_sql, _by_identifier_sql):
        cached.cache_clear()


@dataclass(frozen=True, slots=True)
class FoundPatient:
    """A search result: what the list shows of a patient (read straight from its row: a page of
    50 model instances cost more than finding them)."""

    pk: uuid.UUID
    given_name: str
    family_name: str
    birth_date: dt.date
    phone: str


def patient_search(*, user: User, text: str) -> tuple[SearchQuery, list[FoundPatient]]:
    """Find patients by name prefix(es), date of birth, or an exact identifier, as typed in one box."""
    query = parse_search(text)
    return query, patient_find(user=user, query=query)


def patient_find(*, user: User, query: SearchQuery) -> list[FoundPatient]:
    """The patients a query finds (at most SEARCH_LIMIT), by its date of birth, else its identifier,
    else its name keys, as the search box lists them."""
    rows = patient_find_rows(user=user, query=query, fields=FOUND_FIELDS)
    return [FoundPatient(uuid_value(pk), given, family, date_value(born), phone) for pk, given, family, born, phone, *_keys in rows]


def patient_find_rows(*, user: User, query: SearchQuery, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """patient_find's patients as rows of the Patient ``fields`` (and after them any of the order's
    keys that ``fields`` lacks), as the database gives them, in the results' order: the API's
    search reads the columns it answers in the search's own statement. The API builds its queries
    field by field; the search box parses one."""
    if query.is_empty:
        return []
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    clinic = uuid_param(clinic_id_of(user))
    if query.birth_date:
        sql, params = _by_birth_date_sql(fields), [clinic, date_param(query.birth_date), SEARCH_LIMIT]
    elif query.identifier:
        sql, params = _by_identifier_sql(fields), [clinic, query.identifier, clinic, SEARCH_LIMIT]
    else:
        sql, params = name_search_statement(clinic, query.name_keys, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def name_search_statement(clinic: Any, keys: list[str], fields: tuple[str, ...] = FOUND_FIELDS) -> tuple[str, list[Any]]:
    """The statement and parameters that find patients with every key at the start of their family or a given name.

    The first key is looked up as two index ranges, family names and given names, each
    stopping after one page, joined by UNION. With a single OR instead, PostgreSQL may walk the
    whole family-name index in order and filter (about 70 ms at 100,000 patients for a prefix
    late in the alphabet, not 1 ms).
    """
    first, *rest = keys
    P = SqlNames(Patient)
    family_key, given_key = P.family_key, P.given_key
    also, also_params = "", []
    for key in rest:
        family, family_params = _prefix_sql(family_key, key)
        given, given_params = _prefix_sql(given_key, key)
        also += f" AND (({family}) OR ({given}))"
        also_params += family_params + given_params
    arms, params = [], []
    for name, column in (("family_key", family_key), ("given_key", given_key)):
        starts, starts_params = _prefix_sql(column, first)
        arms.append(f"SELECT * FROM ({_found_sql(fields)} WHERE p.{P.clinic} = %s AND {starts}{also}{_in_order_sql()}) AS by_{name}")  # noqa: S608
        params += [clinic, *starts_params, *also_params, SEARCH_LIMIT]
    # The SQL is made of names from _meta and fixed fragments; every value is a parameter.
    return f"{arms[0]} UNION {arms[1]}{_in_order_sql()}", [*params, SEARCH_LIMIT]
