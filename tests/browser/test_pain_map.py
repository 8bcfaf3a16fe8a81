"""Marking a pain map in Chromium updates the suggestions live; keyboard-only marking works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in


@pytest.fixture
def visit(transactional_db):
    from needlechart.web.demo import build_demo

    build_demo(patient_count=7)


def _open_first_visit(page, base_url):
    sign_in(page, base_url, "ingrid")
    page.get_by_role("link", name="Open note").first.click()
    expect(page.get_by_role("heading", name="Pain map")).to_be_visible()


def test_marking_regions_updates_suggestions_and_opens_the_muscle_page(live_server, visit, new_page, shot):
    page = new_page(viewport={"width": 1280, "height": 1000})
    _open_first_visit(page, live_server.url)
    suggestions = page.get_by_test_id("suggestions")
    expect(suggestions).to_contain_text("Mark painful regions")

    page.get_by_test_id("pain-intensity").fill("7")
    page.locator('.bodymap.interactive .region[data-region="temple_r"]').first.click()
    expect(page.get_by_test_id("pain-marks")).to_contain_text("Temple, right: 7/10")
    page.get_by_test_id("pain-intensity").fill("5")
    page.locator('.bodymap.interactive .region[data-region="neck_back_r"]').first.click()
    expect(page.get_by_test_id("pain-marks")).to_contain_text("5/10")
    page.get_by_test_id("pain-intensity").fill("3")
    page.locator('.bodymap.interactive .region[data-region="jaw_r"]').first.click()
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(3)
    # quick successive clicks with the same brush are all kept, in order
    for region in ("occiput_r", "ear_r", "eye_r"):
        page.locator(f'.bodymap.interactive .region[data-region="{region}"]').first.click()
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(6)
    page.get_by_test_id("pain-intensity").fill("0")
    for region in ("occiput_r", "ear_r", "eye_r"):
        page.locator(f'.bodymap.interactive .region[data-region="{region}"]').first.click()
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(3)
    first = suggestions.locator("ol.suggestions > li").first
    expect(first).to_contain_text("Upper trapezius")
    expect(first).to_contain_text("right")
    expect(suggestions).to_contain_text("Segmental paraspinals")
    expect(page.locator('.region.level-7[data-region="temple_r"]').first).to_be_visible()
    shot(page, "pain-map-marked")

    first.get_by_role("link", name="Upper trapezius").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upper trapezius")
    expect(page.locator('.region.essential[data-region="temple_r"]').first).to_be_attached()
    expect(page.get_by_test_id("thorax-warning")).to_be_visible()
    shot(page, "muscle-upper-trapezius")


def test_keyboard_only_marking(live_server, visit, new_page, shot):
    page = new_page(viewport={"width": 1280, "height": 1000})
    _open_first_visit(page, live_server.url)
    page.get_by_test_id("pain-intensity").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    region = page.locator('.bodymap.interactive .region[data-region="lumbar_l"]').first
    region.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pain-marks")).to_contain_text("8/10")
    expect(page.locator('.region[data-region="lumbar_l"]').first).to_be_focused()  # focus survives the swap
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the next region in tab order is marked too
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(2)
    # the form alone: choose a region from the list and submit with Enter
    page.get_by_test_id("pain-region").select_option("buttock_l")
    page.get_by_test_id("pain-intensity").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("suggestions").locator("ol.suggestions > li").first).to_be_visible()
    shot(page, "pain-map-keyboard")
