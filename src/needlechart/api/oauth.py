"""OAuth 2 client credentials for API clients, through django-oauth-toolkit (``/o/token/``).

A client made for OAuth 2 has a django-oauth-toolkit ``Application`` (confidential, grant type
client credentials) instead of a personal access token; its secret is shown once and stored
hashed, as the toolkit does. The token endpoint gives an access token for 10 minutes
(``NEEDLECHART_API_ACCESS_TOKEN_SECONDS``) with the scopes asked for, which must be the client's
(all of them when none are asked for); only the token's SHA-256 is stored (RFC 9700 storage). A
revoked or expired client gets no token, and the tokens it has stop working (api.auth checks the
client at every call, as for a personal access token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope


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
    """The toolkit's validator; a client that is revoked or expired does not authenticate."""

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = _client_of(request.client)
        return client is not None and client.is_usable(dt.datetime.now(dt.UTC))


def access_token_of(text: str) -> AccessToken | None:
    """The access token ``text`` is, with its application's API client; None if it is none."""
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return AccessToken.objects.select_related("application__api_client").filter(token_checksum=checksum).first()
