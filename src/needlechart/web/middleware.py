"""Cross-cutting HTTP behaviour: security headers, the signed-in user read once, the idle-session timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponse]

# last-seen is rewritten at most this often, so an active session does not write on every request
_TOUCH_EVERY_SECONDS = 30


class SecurityHeadersMiddleware:
    """Strict Content-Security-Policy, permissions policy and no caching of pages on every response."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        # Health data must not linger in shared or browser caches: staff pages and the patients'
        # link pages alike. Static files keep the long cache WhiteNoise gives them.
        response.headers.setdefault("Cache-Control", "no-store, private")
        return response


class ResolvedUserMiddleware:
    """Read the signed-in user once, up front, in place of Django's lazy ``request.user``.

    Every page asks the user for its clinic, role and name dozens of times; through the lazy
    wrapper each of those lookups cost a proxy call. Staff pages need the user anyway; a
    request without a session cookie (a patient's link) reads nothing for it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = get_user(request)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Log a staff user out after IDLE_TIMEOUT_MINUTES without a request.

    The ONC criterion 170.315(d)(5) asks for automatic time-out with re-authentication;
    the login page then says why the user was signed out.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get("last_seen")
            if last_seen is not None and now - last_seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity. Please sign in again."))
                login_url = resolve_url(settings.LOGIN_URL)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = login_url
                    return response
                return redirect(f"{login_url}?next={request.path}")
            if last_seen is None or now - last_seen > _TOUCH_EVERY_SECONDS:
                request.session["last_seen"] = now
        return self.get_response(request)
