"""In Chromium with a virtual authenticator: a practitioner who signs in with an authenticator app
adds a passkey, then passes the sign-in's second step with it, and both are in the audit log."""

from __future__ import annotations

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from needlechart.audit.models import AuditEvent
from needlechart.clinics.models import Clinic
from needlechart.core.access import Role
from tests.browser.test_second_factor import _code, _sign_in, _sign_out
from tests.conftest import make_staff

KEY = base64.b32encode(b"needlechart-passkey-test").decode("ascii")


@pytest.fixture
def practitioner(transactional_db):
    clinic = Clinic.objects.create(name="Passkey clinic")
    staff = make_staff(clinic, "kari", Role.PRACTITIONER, discipline="physiotherapist")
    TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True, key=base64.b32decode(KEY).hex())
    return staff


def _virtual_authenticator(page) -> None:
    """A platform authenticator that says yes at once, as a fingerprint reader would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True}
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options | {"isUserVerified": True, "automaticPresenceSimulation": True}})


def test_a_passkey_is_added_and_then_answers_the_second_step(live_server, practitioner, new_page, shot):
    assert live_server.url.startswith("http://localhost:")  # browsers take passkeys at a domain name, not an IP address
    page = new_page(viewport={"width": 1280, "height": 900})
    _virtual_authenticator(page)
    _sign_in(page, live_server.url, "kari")
    page.get_by_label("Code").fill(_code(KEY))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Patients", exact=True)).to_be_visible()

    page.goto(f"{live_server.url}/accounts/second-factor/")
    page.wait_for_load_state("load")
    page.get_by_test_id("add-passkey").click()
    expect(page.get_by_text("Registration successful!")).to_be_visible()
    shot(page, "passkey-1-added")
    _sign_out(page)

    _sign_in(page, live_server.url, "kari")
    expect(page.get_by_role("heading", name="Type the code from your authenticator app")).to_be_visible()
    page.wait_for_load_state("load")  # the library's script listens from then on
    page.get_by_test_id("use-passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")  # today's list, with no code typed
    expect(page.get_by_role("heading", name="Type the code from your authenticator app")).to_have_count(0)
    events = [e.detail.get("second_factor") for e in AuditEvent.objects.filter(actor_id=practitioner.pk).order_by("chain_key", "seq")]
    assert "passkey added" in events and "passkey" in events
