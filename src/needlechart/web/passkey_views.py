"""Passkeys at the sign-in's second step and on the second-factor page (clinics.passkeys).

django-otp-webauthn's own JSON endpoints, each writing its audit row: a passkey added, a sign-in's
second step passed with one, and one refused. Its script, loaded by the two pages, talks to them.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.urls import path
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

from needlechart.audit.models import AuditAction
from needlechart.clinics import passkeys, second_factor
from needlechart.clinics.models import User


def page_config(request: HttpRequest) -> SafeString | None:
    """What the library's script reads from the page (its endpoints and the CSRF token), or None where
    passkeys cannot work (an IP address)."""
    if not passkeys.offered_at(request):
        return None
    configuration = get_configuration(request, {"nextFieldSelector": "#second-factor-next"})  # not the language switch's "next"
    return json_script(configuration, "otp_webauthn_config")  # Django's, escaped; safe in Jinja2 through __html__


class AddPasskey(webauthn.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        response = super().post(*args, **kwargs)
        user = cast(User, self.request.user)
        second_factor.audit_event(user, AuditAction.CREATE, user, "passkey added")
        return response


class SignInWithPasskey(webauthn.CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> Any:
        super().complete_auth(device)
        second_factor.audit_event(device.user, AuditAction.LOGIN, device.user, "passkey")

    def handle_exception(self, exc: Exception) -> Any:
        if self.request.user.is_authenticated:
            user = cast(User, self.request.user)
            second_factor.audit_event(user, AuditAction.LOGIN_FAILED, user, "passkey refused")
        return super().handle_exception(exc)


# The names the library's configuration reverses, under its namespace.
urlpatterns = [
    path("registration/begin/", webauthn.BeginCredentialRegistrationView.as_view(), name="credential-registration-begin"),
    path("registration/complete/", AddPasskey.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", webauthn.BeginCredentialAuthenticationView.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", SignInWithPasskey.as_view(), name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
