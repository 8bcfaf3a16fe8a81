"""In Chromium: a clinic requires a second factor; a practitioner sets up an authenticator app from
the page's key, signs in again with a code from it, and once with a recovery code."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from needlechart.clinics.models import Clinic, SecondFactorPolicy
from needlechart.core.access import Role
from tests.conftest import PASSWORD, make_staff


@pytest.fixture
def staff(transactional_db):
    clinic = Clinic.objects.create(name="Browser clinic")
    admin = make_staff(clinic, "boss", Role.CLINIC_ADMIN)
    practitioner = make_staff(clinic, "kari", Role.PRACTITIONER, discipline="physiotherapist")
    return admin, practitioner


def _code(key_base32: str, *, steps_ahead: int = 0) -> str:
    totp = TOTP(base64.b32decode(key_base32))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page) -> None:
    page.locator("form[action='/accounts/logout/'] button").first.click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_required_second_factor_is_set_up_then_asked_for_and_a_recovery_code_works(live_server, staff, new_page, shot):
    page = new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/staff/")
    page.get_by_test_id("second-factor-policy").get_by_label("Everyone who reads clinical records").check()
    page.get_by_test_id("second-factor-policy").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: who must sign in with a second factor.")).to_be_visible()
    _sign_out(page)

    # The practitioner is sent to set one up before any page.
    _sign_in(page, live_server.url, "kari")
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_test_id("second-factor-qr")).to_be_visible()
    shot(page, "second-factor-1-setup")
    key = page.get_by_test_id("second-factor-key").inner_text().strip()
    page.get_by_label("Code").fill(_code(key))
    page.get_by_role("button", name="Confirm").click()
    recovery_codes = page.get_by_test_id("recovery-codes").locator("code")
    expect(recovery_codes).to_have_count(10)
    codes = recovery_codes.all_inner_texts()
    assert len(set(codes)) == 10
    shot(page, "second-factor-2-recovery-codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("form[action='/accounts/logout/'] button")).to_be_visible()
    _sign_out(page)

    # Next sign-in: the password, then the app's code.
    _sign_in(page, live_server.url, "kari")
    expect(page.get_by_role("heading", name="Type the code from your authenticator app")).to_be_visible()
    page.get_by_label("Code").fill(_code(key, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Patients", exact=True)).to_be_visible()
    _sign_out(page)

    # A lost phone: a recovery code instead, once.
    _sign_in(page, live_server.url, "kari")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Patients", exact=True)).to_be_visible()
    _sign_out(page)
    _sign_in(page, live_server.url, "kari")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    shot(page, "second-factor-3-used-code-refused")
    assert Clinic.objects.get(name="Browser clinic").second_factor == SecondFactorPolicy.CLINICAL
