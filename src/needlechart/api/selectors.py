"""Reads of API clients: the admin pages' lists, and finding the client a token belongs to."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from needlechart.api.models import ApiClient
from needlechart.api.scopes import may_manage_clients
from needlechart.api.tokens import token_matches, token_prefix
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.raw_sql import SqlNames, date_value, datetime_value, model_columns, uuid_param, uuid_value
from needlechart.patients.models import PatientIdentifier
from needlechart.patients.selectors import SearchQuery, patient_find_rows


def api_clients_for_user(*, user: User) -> QuerySet[ApiClient]:
    if not may_manage_clients(user):
        raise PermissionDenied(_("Only clinic admins can manage API clients."))
    return ApiClient.objects.filter(clinic_id=clinic_id_of(user)).select_related("created_by", "revoked_by", "application")


def api_client_get_for_user(*, user: User, client_id: uuid.UUID) -> ApiClient:
    try:
        return api_clients_for_user(user=user).get(pk=client_id)
    except (ApiClient.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@functools.cache
def _by_prefix() -> str:
    """The client of a token prefix (unique), written out: every API call looks it up, and
    compiling the ORM's query cost three times its running. Names from the model's _meta."""
    table = SqlNames(ApiClient)
    return f"SELECT {model_columns(ApiClient, 'c')} FROM {table} c WHERE c.{table.token_prefix} = %s"  # noqa: S608


def api_client_for_token(text: str) -> ApiClient | None:
    """The client whose token ``text`` is (revoked and expired ones too: the caller says which);
    None for a token of no client, or no token at all."""
    prefix = token_prefix(text)
    if prefix is None:
        return None
    client = next(iter(ApiClient.objects.raw(_by_prefix(), [prefix])), None)
    if client is None or not token_matches(text, client.token_digest):
        return None
    return client


_IDENTIFIERS = SqlNames(PatientIdentifier)
# The columns that come back as text on SQLite, and how each becomes its value.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "id": uuid_value,
    "birth_date": date_value,
    "created_at": datetime_value,
    "updated_at": datetime_value,
}


def found_patients(
    *, user: User, query: SearchQuery, columns: tuple[str, ...]
) -> tuple[list[dict[str, Any]], dict[uuid.UUID, list[tuple[str, str]]]]:
    """The patients the search finds (patients.selectors.patient_find_rows), each as its
    ``columns`` (PatientOut's, for the API's patient search) in the results' order, and their
    identifiers' (system, value) by patient, of the user's clinic: two statements, the search's own
    reading the columns and one for the identifiers, written out in SQL as the search is (a page
    of fifty models and their identifiers, and the ORM's compiling, cost more than the search).
    Names from the models' _meta, every value a parameter."""
    found = patient_find_rows(user=user, query=query, fields=columns)
    rows = [
        {name: _CONVERT[name](value) if name in _CONVERT else value for name, value in zip(columns, row, strict=False)} for row in found
    ]
    if not rows:
        return [], {}
    clinic, keys, ids_of = uuid_param(clinic_id_of(user)), [uuid_param(row["id"]) for row in rows], _IDENTIFIERS
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.{ids_of.patient}, i.{ids_of.system}, i.{ids_of.value} FROM {ids_of} i"  # noqa: S608
            f" WHERE i.{ids_of.clinic} = %s AND i.{ids_of.patient} IN ({', '.join(['%s'] * len(keys))})",
            [clinic, *keys],
        )
        pairs = cursor.fetchall()
    identifiers: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for patient_id, system, value in pairs:
        identifiers.setdefault(uuid_value(patient_id), []).append((system, value))
    return rows, identifiers
