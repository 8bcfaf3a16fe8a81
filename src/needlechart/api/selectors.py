"""Reads of API clients: the admin pages' lists, and finding the client a token belongs to."""

from __future__ import annotations

import functools
import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from needlechart.api.models import ApiClient
from needlechart.api.scopes import may_manage_clients
from needlechart.api.tokens import token_matches, token_prefix
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.raw_sql import SqlNames, model_columns


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
