"""A clinic's public pages in Chromium on a phone (390 x 844): axe-core finds no serious or critical
accessibility violation on any page in either language, the pages fetch nothing from elsewhere and
break no rule of the Content-Security-Policy, they read without JavaScript, and the first Tab
shows the skip link.

axe-core is installed by ``scripts/setup dev`` into tests/browser/axe/node_modules (its version and
hash in tests/browser/axe/package-lock.json); it is read from there and run in the page, never
fetched while the tests run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from needlechart.core.access import Role
from needlechart.public import services as public
from tests.conftest import certify, make_staff
from tests.public.conftest import ALL_PAGES, page_url, profile_values

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
BLOCKING = ("serious", "critical")


@pytest.fixture
def published(clinic_admin, practitioner, clinic):
    lapsed = make_staff(clinic, "lapsed", Role.PRACTITIONER, discipline="chiropractor")
    certify(lapsed, completed_days_ago=900, expires_in_days=-3)
    hours = [{"day": day, "opens": "08:00", "closes": "16:00"} for day in range(5)]
    return public.profile_save(actor=clinic_admin, values=profile_values(), opening_hours=hours, photo_alts={})


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core not found at {AXE}: run scripts/setup dev (it installs the browser tests' axe-core).")
    return AXE.read_text(encoding="utf-8")


def test_the_public_pages_have_no_serious_accessibility_violation_on_a_phone(live_server, new_page, published, shot):
    axe = _axe_source()
    page = new_page(**PHONE)
    requests, problems = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    found = {}
    for name, language in ALL_PAGES:
        page.goto(f"{live_server.url}{page_url(name, language)}")
        page.evaluate(axe)  # run by the browser's debugger protocol, so the page's own policy stays as it is
        result = page.evaluate("axe.run(document)")
        blocking = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in BLOCKING]
        found[f"{name}/{language}"] = blocking
        print(f"{name}/{language}: {[(v['id'], v['impact']) for v in result['violations']] or 'no violations'}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], f"{name}/{language} scrolls sideways"
        if name in ("home", "practitioners", "suitability"):
            shot(page, f"public-{name}-{language}-phone")
    assert not any(found.values()), found
    assert result["testEngine"]["name"] == "axe-core" and result["passes"]
    page.evaluate("document.documentElement.removeAttribute('lang')")  # the check does catch a serious violation
    broken = page.evaluate("axe.run(document, {runOnly: ['html-has-lang']})")
    assert [(v["id"], v["impact"]) for v in broken["violations"]] == [("html-has-lang", "serious")]
    assert not problems, problems  # a blocked resource or a Content-Security-Policy violation shows up here
    assert requests and all(url.startswith(live_server.url) for url in requests), [u for u in requests if not u.startswith(live_server.url)]


def test_the_pages_read_without_javascript_and_the_first_tab_shows_the_skip_link(live_server, new_page, published):
    page = new_page(java_script_enabled=False, **PHONE)
    page.goto(f"{live_server.url}{page_url('practitioners', 'nb')}")
    assert page.locator("h1").inner_text() == "Våre behandlere"
    assert page.get_by_text("Sertifiseringen for nålebehandling er ikke gyldig").is_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip", "#main"]
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10  # on screen once focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
