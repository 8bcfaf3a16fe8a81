"""The client address of the request being served, for audit rows written deeper down.

Services take the acting user as an argument; the address is request metadata that every
audit row needs, so the middleware puts it in a context variable instead of threading it
through every service signature. Outside a request (CLI, jobs) it reads "cli".
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_client_ip: ContextVar[str] = ContextVar("current_client_ip", default="cli")


def client_ip(request: HttpRequest) -> str:
    if settings.AUDIT_TRUST_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return (request.META.get("REMOTE_ADDR") or "")[:45]


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_client_ip.reset(token)
