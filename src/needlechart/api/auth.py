"""Who is calling: the API client a bearer token belongs to, acting within its clinic.

The token is the client's personal access token (``nct_...``) or an OAuth 2 access token the
client got from /o/token/ (api.oauth); an access token has the scopes it was given, at most the
client's.

Each operation names the one scope it needs (``ClientToken(Scope...)``). A call is answered in
this order: no token, a malformed one, one of no client, an expired or a revoked one: 401; over
the client's rate: 429; a token without the scope: 403. Only then does the operation run, as the
client's ``Caller``: its ``user`` is the client standing in for a staff member (never saved), so
the services and selectors check and scope it as they check a person; the audit rows of the
call name the client and the scope (audit.context.current_detail).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from ninja.security.http import HttpAuthBase

from needlechart.api.models import ApiClient
from needlechart.api.oauth import access_token_of
from needlechart.api.problems import FORBIDDEN, UNAUTHENTICATED, ProblemError
from needlechart.api.ratelimit import count_call
from needlechart.api.scopes import Scope, role_allows
from needlechart.api.selectors import api_client_for_token
from needlechart.api.tokens import TOKEN_START
from needlechart.audit.context import current_detail
from needlechart.clinics.models import User
from needlechart.core.access import is_clinic_staff

REALM = 'Bearer realm="needlechart"'
# How often a client's "last used" is written: not on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """The authenticated client of a call, the scope the operation needs, and the user it acts as."""

    client: ApiClient
    scope: str
    user: User


def acting_user(client: ApiClient) -> User:
    """The client as the services see an actor: a staff member of its clinic with the role of the
    admin who created it, named ``api:<client>`` in the audit log. Never saved: it has no id."""
    return User(clinic_id=client.clinic_id, role=client.acting_role, username=f"api:{client.name}"[:150], is_active=True)


def _unauthenticated(detail: str, *, error: str | None = "invalid_token") -> ProblemError:
    challenge = f'{REALM}, error="{error}"' if error else REALM
    return ProblemError(UNAUTHENTICATED, detail, headers={"WWW-Authenticate": challenge})


def authenticated_client(request: HttpRequest) -> tuple[ApiClient, frozenset[str]]:
    """The usable client whose token the request carries and the token's scopes, or the 401
    problem saying why not."""
    client, scopes, _user = authenticated_caller(request)
    return client, scopes


def authenticated_caller(request: HttpRequest) -> tuple[ApiClient, frozenset[str], User]:
    """The usable client whose token the request carries, the token's scopes and the user it acts
    as (the staff member of an authorization code token, else acting_user(client)), or the 401
    problem saying why not."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthenticated(_("Send the client's token in the header Authorization: Bearer <token>."), error=None)
    scheme, _space, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated(_("The Authorization header must read: Bearer <token>."), error="invalid_request")
    now = timezone.now()
    client, scopes, user = _client_and_scopes(token, now)
    if client.revoked_at is not None:
        raise _unauthenticated(_("The token was revoked."))
    if client.is_expired(now):
        raise _unauthenticated(_("The token expired on %(date)s.") % {"date": date_format(timezone.localtime(client.expires_at))})
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client, scopes, user or acting_user(client)


def _client_and_scopes(token: str, now: dt.datetime) -> tuple[ApiClient, frozenset[str], User | None]:
    if token.startswith(TOKEN_START):
        client = api_client_for_token(token)
        if client is None:
            raise _unauthenticated(_("The token is not valid."))
        return client, client.scopes, None
    access = access_token_of(token)
    # An access token of no API client's application (one made in Django's admin) opens nothing.
    client = getattr(access.application, "api_client", None) if access is not None else None
    if access is None or client is None:
        raise _unauthenticated(_("The token is not valid."))
    if access.expires <= now:
        raise _unauthenticated(_("The access token expired. Ask for a new one at /o/token/."))
    scopes = frozenset(access.scope.split()) & client.scopes
    if access.user_id is None:
        return client, scopes, None
    user = access.user
    if user is None or not is_clinic_staff(user) or user.clinic_id != client.clinic_id:
        raise _unauthenticated(_("The staff member this token acts for can no longer use needlechart."))
    return client, frozenset(scope for scope in scopes if role_allows(user, scope)), user


class ClientToken(HttpAuthBase):
    """Bearer-token authentication requiring ``scope`` (a personal access token of an ApiClient).
    ``openapi_*`` describe it in the OpenAPI document (ninja's AuthBase reads them)."""

    openapi_scheme = "bearer"
    openapi_description = (
        "A personal access token of an API client of the clinic (Authorization: Bearer nct_...), or an access token"
        " its OAuth 2 client credentials got from /o/token/."
    )

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Caller:
        client, scopes, user = authenticated_caller(request)
        count_call(client.pk)
        if self.scope not in scopes:
            raise ProblemError(
                FORBIDDEN,
                _("This client's token does not have the scope %(scope)s.") % {"scope": self.scope},
                headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{self.scope}"'},
            )
        detail = {"api_client": str(client.pk), "scope": str(self.scope)}
        if user.pk is not None:
            detail["api_client_name"] = client.name  # the row's actor is the staff member; this names the system
        current_detail.set(detail)
        return Caller(client=client, scope=self.scope, user=user)
