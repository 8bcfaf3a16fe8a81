"""OAuth 2 for API clients, through django-oauth-toolkit: client credentials and authorization code with PKCE.

A client made for OAuth 2 has a django-oauth-toolkit ``Application`` (confidential, grant type
client credentials) instead of a personal access token; its secret is shown once and stored
hashed, as the toolkit does. The token endpoint gives an access token for 10 minutes
(``NEEDLECHART_API_ACCESS_TOKEN_SECONDS``) with the scopes asked for, which must be the client's
(all of them when none are asked for); only the token's SHA-256 is stored (RFC 9700 storage). A
revoked or expired client gets no token, and the tokens it has stop working (api.auth checks the
client at every call, as for a personal access token).

A client made for the authorization code grant (public, with PKCE only, or confidential, with a
secret as well) has exact redirect URIs (``redirect_uri_errors``); a staff member of its clinic
signs in at ``/o/authorize/`` (api.authorize) and lets it act as them. PKCE is required and only
S256 is accepted (``Server``: "plain" is refused when the authorization is asked for). Its access
tokens name the user (api.auth acts as them); its refresh tokens rotate at each use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.oauth2 import Server as OAuthlibServer
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope, role_allows
from needlechart.clinics.models import User

# http is accepted only for a system on the developer's own machine (RFC 8252 loopback).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _client_of(application: Any) -> ApiClient | None:
    if not isinstance(application, Application):
        return None
    return ApiClient.objects.filter(application=application).first()


def _scopes_of(application: Any) -> list[str]:
    client = _client_of(application)
    return sorted(client.scopes) if client is not None else []


class ClientScopes(BaseScopes):
    """The toolkit's scopes: every scope of the API; a client may have (and gets by default) its own."""

    def get_all_scopes(self) -> dict[str, str]:
        return {scope.value: str(scope.label) for scope in Scope}

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return _scopes_of(application)

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return _scopes_of(application)


class ClientValidator(OAuth2Validator):
    """The toolkit's validator; a client that is revoked or expired does not authenticate (a
    confidential one with its secret, a public one by its id alone), and PKCE is always required."""

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        return _usable(request.client)

    def authenticate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().authenticate_client_id(client_id, request, *args, **kwargs):
            return False
        return _usable(request.client)

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        # At /o/authorize/: a revoked or expired client is not asked about (a fatal error: no redirect).
        return super().validate_client_id(client_id, request, *args, **kwargs) and _usable(request.client)

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        return True


def _usable(application: Any) -> bool:
    client = _client_of(application)
    return client is not None and client.is_usable(dt.datetime.now(dt.UTC))


class Server(OAuthlibServer):
    """oauthlib's server with S256 as the only PKCE method: "plain" (or no method, which means
    plain) is refused at the authorization request, before anyone is asked to consent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auth_grant._code_challenge_methods = {"S256": code_challenge_method_s256}


def redirect_uri_errors(uris: list[str]) -> list[str]:
    """Why each of ``uris`` cannot be a redirect URI (none: all can). Each must be an exact absolute
    https address, or http on localhost / 127.0.0.1 for development; no fragment, no wildcard."""
    errors = []
    for uri in uris:
        try:
            parts = urlsplit(uri)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - a port that is no number raises ValueError
        except ValueError:
            errors.append(_("%(uri)s is not a web address.") % {"uri": uri})
            continue
        if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in uri):
            errors.append(_("%(uri)s is not a web address starting with https://.") % {"uri": uri})
        elif parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            errors.append(_("%(uri)s must use https:// (http:// is only for localhost or 127.0.0.1).") % {"uri": uri})
        elif parts.fragment or "#" in uri:
            errors.append(_("%(uri)s must not have a fragment (#...).") % {"uri": uri})
        elif "*" in uri:
            errors.append(_("%(uri)s must be exact: no wildcards.") % {"uri": uri})
        elif parts.username is not None or parts.password is not None:
            errors.append(_("%(uri)s must not hold a user name or password.") % {"uri": uri})
    return errors


def granted_scopes(requested: list[str], client: ApiClient, user: User) -> list[str]:
    """What a staff member's consent gives a client: the scopes asked for that the client has and
    that the user's role may do itself (api.scopes.role_allows)."""
    return sorted(scope for scope in set(requested) if scope in client.scopes and role_allows(user, scope))


def access_token_of(text: str) -> AccessToken | None:
    """The access token ``text`` is, with its application's API client; None if it is none."""
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return AccessToken.objects.select_related("application__api_client", "user").filter(token_checksum=checksum).first()
