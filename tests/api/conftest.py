"""API clients and their tokens for the API's tests: one per scope set, made as a clinic admin makes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from needlechart.api import services
from needlechart.api.scopes import Scope
from needlechart.clinics.models import Role
from needlechart.core import access
from needlechart.core.access import Capability

READ = (Scope.DEMOGRAPHICS_READ,)
WRITE = (Scope.DEMOGRAPHICS_WRITE,)
READ_WRITE = (Scope.DEMOGRAPHICS_READ, Scope.DEMOGRAPHICS_WRITE)
CLINICAL = (Scope.CLINICAL_READ,)


class Api:
    """Django's test client, sending a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client(raise_request_exception=False)
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return sent | (headers or {})

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def send(
        self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None, content_type="application/json", headers=None
    ):
        data = raw if raw is not None else json.dumps(body)
        return getattr(self.client, method.lower())(path, data, content_type=content_type, headers=self._headers(headers))


@pytest.fixture
def token_for(clinic_admin) -> Callable[..., str]:
    """A new client's token with ``scopes``, made by ``admin`` (this clinic's, unless another is given)."""
    made = [0]

    def make(scopes=READ_WRITE, admin=None, days: int = 30) -> str:
        made[0] += 1
        _client, token = services.api_client_create(actor=admin or clinic_admin, name=f"System {made[0]}", scopes=scopes, valid_days=days)
        return token

    return make


@pytest.fixture
def api(token_for) -> Api:
    """A client with demographics:read and demographics:write."""
    return Api(token_for())


@pytest.fixture
def admins_may_read_clinical(monkeypatch):
    """A clinic admin whose role may view clinical records, so that they can make clinical:read
    clients (no role both manages clients and reads clinical records today)."""
    widened = dict(access.ROLE_CAPABILITIES) | {Role.CLINIC_ADMIN: access.ROLE_CAPABILITIES[Role.CLINIC_ADMIN] | {Capability.VIEW_CLINICAL}}
    monkeypatch.setattr(access, "ROLE_CAPABILITIES", widened)
