"""What every page's template reads besides its own context (a context processor of the Jinja2 engine)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.template.backends.utils import csrf_input
from django.utils.functional import lazy
from django.utils.safestring import SafeString

from needlechart.core.access import ROLE_CAPABILITIES, Capability, is_awaiting_approval, is_clinic_staff
from needlechart.core.formatting import PageLocale

# What each role may do, by capability name, for templates ("nav.view_clinical"): built once.
_NAV_OF_ROLE = {role: MappingProxyType({cap.value: cap in caps for cap in Capability}) for role, caps in ROLE_CAPABILITIES.items()}
_NO_NAV = MappingProxyType({cap.value: False for cap in Capability})


def nav_of(user: Any) -> Mapping[str, bool]:
    """What ``user`` may do, by capability name: nothing for anyone but a clinic's staff."""
    # An account waiting for a second admin's approval may do nothing yet (core.access).
    return _NAV_OF_ROLE[user.role] if user is not None and is_clinic_staff(user) and not is_awaiting_approval(user) else _NO_NAV


def _once_per_response(request: HttpRequest) -> SafeString:
    """Django's CSRF input, masked once and reused by every form of the page (a page has several)."""
    cached = request.__dict__.get("_needlechart_csrf_input")
    if cached is None:
        cached = request.__dict__["_needlechart_csrf_input"] = csrf_input(request)
    return cached


_lazy_csrf_input = lazy(_once_per_response, SafeString)


def page(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "user": user,
        "nav": nav_of(user),
        "messages": get_messages(request),
        "csrf_input": _lazy_csrf_input(request),
        "idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES,
        "page_locale": PageLocale.current(),
    }
