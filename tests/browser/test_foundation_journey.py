"""Each demo role signs in, finds a patient, opens the chart and reads it in Norwegian."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from needlechart.patients.models import Patient
from needlechart.web.demo import DEMO_PASSWORD, build_demo


@pytest.fixture
def demo(transactional_db):
    build_demo(patient_count=14)
    return Patient.objects.order_by("family_name", "given_name").first()


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[action='/accounts/logout/'] button")).to_be_visible()
    page.get_by_test_id("lang-en").click()  # the front desk persona prefers Norwegian
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("username, sees_notes", [("ingrid", True), ("frontdesk", False), ("admin", False)])
def test_each_role_signs_in_searches_opens_the_chart_and_switches_to_norwegian(live_server, demo, new_page, shot, username, sees_notes):
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, username)
    shot(page, f"{username}-1-today")

    page.get_by_role("link", name="Patients", exact=True).click()
    page.wait_for_load_state("load")  # htmx listens from the load event on; a keystroke before it fires no search
    page.get_by_test_id("patient-search").fill(demo.family_name[:4])
    result = page.locator("#search-results").get_by_role("link", name=f"{demo.family_name}, {demo.given_name}")
    expect(result).to_be_visible()  # arrived through HTMX without a page load
    shot(page, f"{username}-2-search")

    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.full_name)
    expect(page.get_by_role("heading", name="Episodes of care")).to_be_visible()
    assert (page.get_by_test_id("note").count() > 0) is sees_notes
    shot(page, f"{username}-3-chart")

    page.get_by_test_id("lang-nb").click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", name="Behandlingsforløp")).to_be_visible()
    expect(page.get_by_role("link", name="Pasienter", exact=True)).to_be_visible()
    shot(page, f"{username}-4-chart-nb")


def test_a_practitioner_signs_a_note_and_adds_an_addendum(live_server, demo, new_page, shot):
    page = new_page(viewport={"width": 1024, "height": 1300})  # tablet
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "ingrid")
    visit = page.get_by_role("link", name="Open note").first
    expect(visit).to_be_visible()
    visit.click()
    page.get_by_label("Subjective").fill("Neck pain 5/10, better after last session.")
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_test_id("verification")).to_contain_text("Integrity verified")
    page.get_by_label("Reason for the addendum").fill("Side corrected")
    page.get_by_label("Text").fill("Left upper trapezius, not right.")
    page.get_by_role("button", name="Sign addendum").click()
    expect(page.get_by_test_id("addendum")).to_contain_text("Left upper trapezius, not right.")
    shot(page, "ingrid-signed-note-with-addendum")
