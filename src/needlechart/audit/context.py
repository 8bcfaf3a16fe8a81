"""The client address of the request being served, for audit rows written deeper down.

Services take the acting user as an argument; the address is request metadata that every
audit row needs, so the middleware puts it in a context variable instead of threading it
through every service signature. Outside a request (CLI, jobs) it reads "cli".

``current_detail`` is more of the same: what every audit row of the request carries in its
detail besides its own. An API call sets it to its client and scope once it is authenticated
(api.auth), so the rows the services write for the call name the client, as the API's own do.
The middleware starts each request with none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_client_ip: ContextVar[str] = ContextVar("current_client_ip", default="cli")
current_detail: ContextVar[Mapping[str, Any]] = ContextVar("current_detail", default=MappingProxyType({}))


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the
    X-Forwarded-For entry the outermost of them appended (counted from the right: entries further
    left were sent by the client and may be anything). Also django-axes' address for lockout."""
    address = request.META.get("REMOTE_ADDR") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        entries = [e.strip() for e in request.headers.get("X-Forwarded-For", "").split(",") if e.strip()]
        if len(entries) >= trusted and _is_address(entries[-trusted]):
            address = entries[-trusted]
    return address[:45]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token, detail_token = current_client_ip.set(client_ip(request)), current_detail.set(MappingProxyType({}))
        try:
            return self.get_response(request)
        finally:
            current_client_ip.reset(token)
            current_detail.reset(detail_token)
