"""On a phone (390 x 844, touch): the 0-10 scales keep one line, a long e-mail address stays in its
box, and the body map can be enlarged until every region is at least 24 px each way (issue 13).

Measured at 390 px before the fix: the 0-10 scales wrapped onto two lines, the e-mail address ran
215 px past its box (the page scrolled sideways), and 147 of the 155 region shapes of the visit's
body map were under 24 px in one dimension or both (the narrowest under 6 px). After it: one line,
no overflow, and with the map enlarged none of the 155 is under 24 px (the test prints the counts).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from needlechart.charting import services as charting
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from tests.conftest import PASSWORD

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
LONG_EMAIL = "kari.nordmann.with.a.rather.long.address.for.the.clinic@physiotherapy-clinic-example.invalid"
MIN_TARGET = 24  # px: WCAG 2.2's minimum target size (2.5.8)
REGION_SIZES = """els => els.map(e => { const r = e.getBoundingClientRect(); return [e.dataset.region, r.width, r.height]; })"""


@pytest.fixture
def clinic_day(practitioner, front_desk, patient, encounter):
    """The patient (with a long e-mail address), today's visit still open, and yesterday's signed one."""
    patients.patient_update(actor=front_desk, patient=patient, data={"email": LONG_EMAIL})
    yesterday = charting.encounter_create(
        actor=front_desk,
        episode=encounter.episode,
        practitioner=practitioner,
        starts_at=(timezone.now() - dt.timedelta(days=1)).replace(microsecond=0),
    )
    note = charting.note_save_draft(actor=practitioner, encounter=yesterday, subjective="Neck pain 6/10")
    charting.note_sign(actor=practitioner, note=note)
    _link, url = outcomes.follow_up_link_create(actor=practitioner, encounter=yesterday, base_url="http://x", send_email=False)
    return {"visit": encounter, "follow_up": url.removeprefix("http://x")}


def _sign_in(page, base_url):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill("practitioner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[action='/accounts/logout/'] button")).to_be_visible()


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _scale_on_one_line(page, scale, steps):
    spans = scale.locator(".scale-step span")
    expect(spans).to_have_count(steps)
    boxes = [spans.nth(i).bounding_box() for i in range(steps)]
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 1, f"the scale wraps: tops {[b['y'] for b in boxes]}"
    assert min(b["width"] for b in boxes) >= MIN_TARGET and min(b["height"] for b in boxes) >= MIN_TARGET
    assert boxes[-1]["x"] + boxes[-1]["width"] <= page.viewport_size["width"]
    assert scale.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_the_patient_s_0_to_10_scales_keep_one_line_on_a_phone(live_server, new_page, clinic_day, shot):
    page = new_page(**PHONE)
    page.goto(f"{live_server.url}{clinic_day['follow_up']}?lang=en")
    for testid in ("soreness", "nprs.pain"):
        _scale_on_one_line(page, page.get_by_test_id(testid), 11)
    _no_sideways_scroll(page)
    shot(page, "phone-follow-up")


def test_the_visit_s_0_to_10_scale_keeps_one_line_on_a_phone(live_server, new_page, clinic_day):
    page = new_page(**PHONE)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/encounters/{clinic_day['visit'].pk}/")
    scale = page.locator('.scale[data-testid="nprs.pain"]')
    scale.evaluate("e => { for (let n = e; n; n = n.parentElement) if (n.tagName === 'DETAILS') n.open = true; }")
    _scale_on_one_line(page, scale, 11)


def test_a_long_email_address_stays_in_its_box_on_a_phone(live_server, new_page, clinic_day, patient, shot):
    page = new_page(**PHONE)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    email = page.locator("dd", has_text=LONG_EMAIL)
    expect(email).to_be_visible()
    assert email.evaluate("e => e.scrollWidth <= e.clientWidth"), "the address overflows its box"
    box = email.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    _no_sideways_scroll(page)
    shot(page, "phone-chart-long-email")


def _small(sizes):
    return [s for s in sizes if s[1] < MIN_TARGET or s[2] < MIN_TARGET]


def test_the_body_map_enlarges_until_every_region_can_be_tapped(live_server, new_page, clinic_day, shot):
    page = new_page(**PHONE)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/encounters/{clinic_day['visit'].pk}/")
    regions = page.locator("#pain-map .bodymap.interactive .region")
    regions.first.evaluate("e => { for (let n = e; n; n = n.parentElement) if (n.tagName === 'DETAILS') n.open = true; }")
    before = regions.evaluate_all(REGION_SIZES)
    zoom = page.locator("[data-bodymap-zoom]")
    expect(zoom).to_be_visible()
    expect(zoom).to_have_attribute("aria-pressed", "false")

    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "true")
    after = regions.evaluate_all(REGION_SIZES)
    print(
        f"\nbody-map regions under {MIN_TARGET} px in a dimension: {len(_small(before))} of {len(before)} before, "
        f"{len(_small(after))} of {len(after)} enlarged"
    )
    assert len(before) == len(after) > 100 and _small(before)
    assert not _small(after), f"still under {MIN_TARGET} px enlarged: {_small(after)[:5]}"
    _no_sideways_scroll(page)  # the enlarged map scrolls in its own box, not the page

    # a tap on a region that was 6 px wide marks it, and the redrawn map stays enlarged
    page.get_by_test_id("pain-intensity").fill("6")
    page.locator('#pain-map .bodymap.interactive .region[data-region="thoracic_upper_r"]').first.tap()
    expect(page.get_by_test_id("pain-marks")).to_contain_text("6/10")
    expect(page.locator("#pain-map .bodymap.interactive")).to_have_class("bodymap interactive zoomed")
    expect(page.locator("[data-bodymap-zoom]")).to_have_attribute("aria-pressed", "true")
    shot(page, "phone-body-map-enlarged")

    page.locator("[data-bodymap-zoom]").click()
    expect(page.locator("#pain-map .bodymap.interactive")).to_have_class("bodymap interactive")


def test_a_desktop_has_no_zoom_toggle(live_server, new_page, clinic_day):
    page = new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/encounters/{clinic_day['visit'].pk}/")
    expect(page.locator("#pain-map .bodymap.interactive")).to_be_attached()
    expect(page.locator("[data-bodymap-zoom]")).to_be_hidden()
