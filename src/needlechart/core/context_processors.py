from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from needlechart.core.access import Capability, has_capability


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES}
    return {
        "nav": {cap.value: has_capability(user, cap) for cap in Capability},
        "idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES,
    }
