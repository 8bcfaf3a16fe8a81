"""Passkeys (WebAuthn) as a second factor beside the authenticator app, through django-otp-webauthn.

A staff member who has set up the authenticator app (and so holds recovery codes) may add passkeys:
a phone, a laptop's fingerprint reader or a security key then answers the sign-in's second step with
a touch. A passkey is only ever the second factor after the password (passwordless sign-in is off:
it would pass around the sign-in's lockouts). The relying party is the address the staff member
signs in at, which Django has already checked against ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from django.http.request import split_domain_port
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from needlechart.clinics.models import User


def relying_party_id(request: HttpRequest) -> str:
    """The host name staff sign in at, without its port (WebAuthn's RP ID)."""
    host, _port = split_domain_port(request.get_host())
    return host


def offered_at(request: HttpRequest) -> bool:
    """Browsers take passkeys for a domain name only: not at an IP address (the demo's 127.0.0.1)."""
    try:
        ipaddress.ip_address(relying_party_id(request).strip("[]"))
    except ValueError:
        return True
    return False


class PasskeyHelper(WebAuthnHelper):
    """The origins a passkey may have been used at: the configured ones (``CSRF_TRUSTED_ORIGINS``)
    and the one this request came to (its host already checked against ``ALLOWED_HOSTS``)."""

    def get_allowed_origins(self) -> list[str]:
        return [*super().get_allowed_origins(), f"{self.request.scheme}://{self.request.get_host()}"]


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at"))


def remove_all(user: User) -> None:
    """A lost device: clinics.second_factor.reset removes passkeys with the app."""
    WebAuthnCredential.objects.filter(user=user).delete()
