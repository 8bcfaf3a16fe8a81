"""Cross-cutting HTTP behaviour: security headers, the signed-in user read once, the idle-session timeout, the second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_otp.middleware import is_verified

from needlechart.api.problems import is_api_request, shell_problem
from needlechart.clinics import second_factor

Handler = Callable[[HttpRequest], HttpResponse]

# last-seen is rewritten at most this often, so an active session does not write on every request
_TOUCH_EVERY_SECONDS = 30


class SecurityHeadersMiddleware:
    """Strict Content-Security-Policy, permissions policy and no caching of pages on every response
    (but those that ask for a public cache and set no cookie)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        # Health data must not linger in shared or browser caches: staff pages and the patients'
        # link pages alike. Static files keep the long cache WhiteNoise gives them, and a clinic's
        # public pages (needlechart.public: no patient data) ask for a public cache themselves; but
        # a response that sets a cookie (a signed-in visitor's session) is never kept by a cache.
        if response.cookies and "public" in _directives(response.headers.get("Cache-Control", "")):
            response.headers["Cache-Control"] = "no-store, private"
        response.headers.setdefault("Cache-Control", "no-store, private")
        return response


def _directives(cache_control: str) -> set[str]:
    return {directive.split("=", 1)[0].strip().lower() for directive in cache_control.split(",")}


class ResolvedUserMiddleware:
    """Read the signed-in user once, up front, in place of the lazy ``request.user``.

    Every page asks the user for its clinic, role and name dozens of times; through the lazy
    wrapper each of those lookups cost a proxy call. Staff pages need the user anyway; a
    request without a session cookie (a patient's link) reads nothing for it. Placed after
    django-otp's OTPMiddleware, whose lazy user carries the second factor's state
    (``otp_device``): that user is read once and put in the wrapper's place.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, SimpleLazyObject):
            user = get_user(request)
        while isinstance(user, SimpleLazyObject):  # OTPMiddleware's around Django's
            user.is_authenticated  # noqa: B018 - reads the user (and its second factor) once
            user = user._wrapped
        request.user = user
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


class SecondFactorMiddleware:
    """After the password: a staff member with a second factor types its code, and one who must have
    one (clinics.second_factor.required_for) sets it up, before any other page answers.

    Only the sign-in pages, sign-out and the language switch stay open. A session that has confirmed
    its code costs nothing here (django-otp's OTPMiddleware says so from the session); one without a
    factor is looked at again at most once a minute, so an admin's new rule reaches it soon.
    """

    OPEN = frozenset(
        {
            "login",
            "logout",
            "second_factor_verify",
            "second_factor_setup",
            "set_language",
            "credential-authentication-begin",  # a passkey answers the second step (web.passkey_views)
            "credential-authentication-complete",
            "js-i18n-catalog",
        }
    )
    RECHECK_SECONDS = 60

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not is_verified(user) and self._must_stop(request):
            target = resolve_url("second_factor_verify" if second_factor.has_second_factor(user) else "second_factor_setup")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = target
                return response
            # The whole path with its query: /o/authorize/?client_id=...&code_challenge=... comes back whole.
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _must_stop(self, request: HttpRequest) -> bool:
        now = time.time()
        if now - request.session.get("second_factor_free_at", 0) < self.RECHECK_SECONDS:
            return False
        try:
            if resolve(request.path_info).url_name in self.OPEN:
                return False
        except Resolver404:
            return False
        user = request.user
        if second_factor.has_second_factor(user) or second_factor.required_for(user):  # type: ignore[arg-type]
            return True
        request.session["second_factor_free_at"] = now
        return False


class NulCharacterMiddleware:
    """A form or query value holding the NUL character is refused with a 400 and a message.

    No text anyone types holds it, and PostgreSQL cannot store it in a text column: refusing it
    here keeps every view (and every later endpoint) from failing on it deep down.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._holds_nul(request):
            message = _("The text you sent holds a character that cannot be stored (NUL). Remove it and try again.")
            if is_api_request(request):
                return shell_problem(400, message, request)
            return render(request, "error.html", {"status": 400, "title": _("Bad request"), "message": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path:
            return True
        # The API reads JSON bodies only, and its schemas refuse control characters in them.
        form = request.method == "POST" and not is_api_request(request)
        queries = [request.GET] + ([request.POST] if form else [])
        return any("\x00" in key or any("\x00" in value for value in values) for query in queries for key, values in query.lists())
