"""Passkeys beside the authenticator app: they count as a second factor, an admin's reset removes
them, a refused one is audited, and they are not offered at an IP address."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_otp_webauthn.models import WebAuthnCredential

from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.clinics import passkeys, second_factor


def _passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user, name="Laptop", credential_id=b"\x01" * 16, public_key=b"\x02" * 32, sign_count=0, confirmed=True
    )


def test_a_passkey_is_a_second_factor_and_an_admins_reset_removes_it(practitioner, clinic_admin):
    assert not second_factor.has_second_factor(practitioner)
    _passkey(practitioner)
    assert second_factor.has_second_factor(practitioner)
    second_factor.reset(actor=clinic_admin, staff=practitioner)
    assert not second_factor.has_second_factor(practitioner)
    assert not WebAuthnCredential.objects.filter(user=practitioner).exists()


def test_a_refused_passkey_is_audited_and_answered_with_a_message(practitioner, client_for):
    _passkey(practitioner)
    client = client_for(practitioner)
    response = client.post("/accounts/passkeys/authentication/complete/", data="{}", content_type="application/json")
    assert 400 <= response.status_code < 500 and response.json()["detail"]
    refused = AuditEvent.objects.filter(actor_id=practitioner.pk, action=AuditAction.LOGIN_FAILED).last()
    assert refused is not None and refused.detail == {"second_factor": "passkey refused"}


@pytest.mark.parametrize("host, offered", [("chart.example-clinic.no", True), ("localhost:8000", True), ("127.0.0.1:8000", False)])
def test_passkeys_are_offered_at_a_domain_name_only(host, offered, settings):
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/", HTTP_HOST=host)
    assert passkeys.offered_at(request) is offered
    assert passkeys.relying_party_id(request) == host.split(":")[0]
