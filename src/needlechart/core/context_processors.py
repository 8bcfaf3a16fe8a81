from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from needlechart.core.access import ROLE_CAPABILITIES, Capability, is_clinic_staff

# What each role may do, by capability name, for templates ("nav.view_clinical"): built once.
_NAV_OF_ROLE = {role: MappingProxyType({cap.value: cap in caps for cap in Capability}) for role, caps in ROLE_CAPABILITIES.items()}
_NO_NAV = MappingProxyType({cap.value: False for cap in Capability})


def nav_of(user: Any) -> Mapping[str, bool]:
    """What ``user`` may do, by capability name: nothing for anyone but a clinic's staff."""
    return _NAV_OF_ROLE[user.role] if user is not None and is_clinic_staff(user) else _NO_NAV


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES}
    return {"nav": nav_of(user), "idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES}
