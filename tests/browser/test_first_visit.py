"""A first visit in Chromium, counting every user action (issue 13: at most 25), and the visit
page's keyboard shortcuts.

The first visit: consent (verbal, with a witness, each risk explained ticked), a pain map of three
regions, one palpation finding, two muscles needled from the suggestions with the atlas's
defaults, the needle count, aftercare (the usual advice) and the signature. A click, a key press,
a fill, a tick, a choice in a list and the confirmation of a dialog count one each.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.clinics.models import User
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import NeedlingRecord
from needlechart.patients import services as patients
from needlechart.screening import services as screening
from tests.browser.test_foundation_journey import sign_in
from tests.screening.test_intake_pages import healthy_answers

MOST_ACTIONS = 25


class Actions:
    """The user's actions on a page, each counted (and logged, to read the count back)."""

    def __init__(self, page):
        self.page = page
        self.log: list[str] = []
        page.on("dialog", self._dialog)

    @property
    def count(self) -> int:
        return len(self.log)

    def _dialog(self, dialog) -> None:
        self.log.append(f"confirm: {dialog.message[:30]}")
        dialog.accept()

    def click(self, locator, what: str) -> None:
        self.log.append(f"click {what}")
        locator.click()

    def fill(self, locator, value: str, what: str) -> None:
        self.log.append(f"fill {what}")
        locator.fill(value)

    def check(self, locator, what: str) -> None:
        self.log.append(f"tick {what}")
        locator.check()

    def press(self, key: str, what: str) -> None:
        self.log.append(f"key {key} ({what})")
        self.page.keyboard.press(key)


@pytest.fixture
def first_visit(transactional_db):
    """Nora, screened (a clean intake), with her first visit with Ingrid on today's day list."""
    from needlechart.web.demo import build_demo

    build_demo(patient_count=4)
    ingrid = User.objects.get(username="ingrid")
    frontdesk = User.objects.get(username="frontdesk")
    patient = patients.patient_create(
        actor=frontdesk,
        data={"given_name": "Nora", "family_name": "Reise", "birth_date": dt.date(1988, 3, 9), "preferred_language": "en"},
    )
    episode = patients.episode_create(
        actor=frontdesk, patient=patient, complaint="Headache and neck pain", condition="headache", started_on=timezone.localdate()
    )
    screening.intake_record_by_staff(actor=ingrid, patient=patient, raw_answers={**healthy_answers(), "able_to_consent": "yes"})
    now = timezone.now().replace(second=0, microsecond=0)
    starts = max(timezone.localtime(now).replace(hour=0, minute=1), now - dt.timedelta(minutes=10))  # today, already begun
    return charting.encounter_create(actor=frontdesk, episode=episode, practitioner=ingrid, starts_at=starts, reason="First visit")


def test_a_first_visit_takes_at_most_25_actions(live_server, first_visit, new_page, shot, record_property):
    base = live_server.url
    page = new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, base, "ingrid")
    page.goto(f"{base}/")
    act = Actions(page)
    started = time.perf_counter()

    act.click(page.locator(f'a[href="/encounters/{first_visit.pk}/"]'), "the visit on the day list")
    summary = page.get_by_test_id("visit-summary")
    verdict = page.get_by_test_id("suitability").locator("h2 .badge").inner_text()
    expect(summary.get_by_test_id("summary-suitability")).to_have_text(verdict)  # the screening's verdict, kept in view
    expect(summary.get_by_test_id("summary-consent")).to_have_text("not recorded")
    page.wait_for_load_state("load")  # its style sheet applied, to measure the page
    height_at_open = page.evaluate("document.documentElement.scrollHeight")
    shot(page, "first-visit-open")

    # Consent first, fresh: nothing is ticked or filled in for the practitioner.
    consent = page.get_by_test_id("consent-form")
    expect(consent.locator("input:checked")).to_have_count(0)
    act.check(consent.locator("input[value=verbal]"), "verbal consent")
    act.fill(consent.locator("input[name=witness_name]"), "Jon Vik", "witness")
    for risk in ("soreness", "bruising_bleeding", "fainting", "pneumothorax"):
        act.check(consent.locator(f"input[value={risk}]"), f"risk {risk}")
    act.click(consent.get_by_test_id("consent-save"), "save consent")
    expect(page.get_by_test_id("consent-summary")).to_contain_text("Verbal")
    expect(page.locator("#visit-consent")).not_to_have_attribute("open", "")  # done: closed to one line
    expect(summary.get_by_test_id("summary-consent")).to_contain_text("Jon Vik")

    # Assessment: the pain map, then palpation of the first suggestion.
    for region in ("temple_r", "neck_back_r", "occiput_r"):
        act.click(page.locator(f'.bodymap.interactive .region[data-region="{region}"]').first, f"region {region}")
        expect(page.locator(f'.bodymap.interactive .region.level-5[data-region="{region}"]').first).to_be_visible()
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(3)
    act.click(page.get_by_test_id("palpate-semispinalis_capitis").first, "palpate the first suggestion")
    palpation = page.get_by_test_id("palpation-form")
    expect(palpation.locator("select[name=muscle_id]")).to_have_value("semispinalis_capitis")
    for finding in ("taut_band", "tender_spot", "recognised"):
        act.check(palpation.locator(f"input[name={finding}]"), finding)
    act.click(palpation.get_by_role("button", name="Save finding"), "save finding")
    expect(page.get_by_test_id("tp-semispinalis_capitis-r")).to_have_text("active")

    # The needling plan from the suggestions, with the atlas's defaults, and the needles.
    entries = page.get_by_test_id("needling-entries")
    for muscle, name, length in (("semispinalis_capitis", "Semispinalis capitis", "30"), ("upper_trapezius", "Upper trapezius", "25")):
        act.click(page.get_by_test_id(f"plan-{muscle}").first, f"plan {muscle}")
        expect(page.get_by_test_id("entry-muscle")).to_have_value(muscle)
        expect(page.get_by_test_id("entry-form").locator("input[name=length_mm]")).to_have_value(length)  # its shortest usual needle
        act.click(page.get_by_test_id("entry-add"), "add needles")
        expect(entries).to_contain_text(name)
    expect(summary.get_by_test_id("summary-warnings")).to_contain_text("pneumothorax")
    expect(summary.get_by_test_id("summary-needles")).to_contain_text("2 in")

    # The count (saved as the field is left), aftercare as usual, the note and the signature.
    act.fill(page.get_by_test_id("needles-out"), "2", "needles counted out")
    act.fill(page.get_by_label("Subjective"), "Right temple and neck ache 5/10 since March.", "subjective")
    expect(summary.get_by_test_id("summary-needles")).to_contain_text("2 out")
    act.click(page.get_by_role("button", name="Sign note"), "sign")
    expect(page.get_by_test_id("verification")).to_contain_text("Integrity verified")
    elapsed = time.perf_counter() - started

    shot(page, "first-visit-signed")
    record = NeedlingRecord.objects.get(encounter=first_visit)
    assert record.needles_out == 2
    assert record.advice_ids == sorted(a.id for a in treatment_catalog().advice.values() if a.default)
    assert Note.objects.get(encounter=first_visit).is_signed
    record_property("actions", act.count)
    record_property("wall_seconds", round(elapsed, 1))
    print(f"\nfirst visit signed in {act.count} user actions, {elapsed:.1f} s wall time; page {height_at_open} px tall at open")
    print("\n".join(f"{n:2}. {what}" for n, what in enumerate(act.log, 1)))
    assert act.count <= MOST_ACTIONS, act.log


def test_letters_jump_to_the_steps_but_not_while_typing(live_server, first_visit, new_page):
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "ingrid")
    page.goto(f"{live_server.url}/encounters/{first_visit.pk}/")
    help_list = page.locator("#shortcut-help")
    expect(help_list).to_contain_text("Keyboard shortcuts")  # discoverable: always in the summary
    page.keyboard.press("?")
    expect(help_list).to_have_attribute("open", "")
    expect(help_list.locator(".shortcut-list")).to_contain_text("Write the note")
    page.keyboard.press("?")
    expect(help_list).not_to_have_attribute("open", "")

    page.keyboard.press("w")
    expect(page.get_by_label("Subjective")).to_be_focused()
    page.keyboard.type("neck ache")  # letters typed in a field stay there: "c" and "n" jump nowhere
    expect(page.get_by_label("Subjective")).to_have_value("neck ache")
    expect(page.get_by_label("Subjective")).to_be_focused()
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("c")
    expect(page.locator("#consent-method-written")).to_be_focused()
    page.keyboard.press("o")
    expect(page.get_by_test_id("needles-out")).to_be_focused()
    page.locator("#visit-consent > summary").click()  # close consent, then "c" opens it again
    expect(page.locator("#visit-consent")).not_to_have_attribute("open", "")
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("c")
    expect(page.locator("#visit-consent")).to_have_attribute("open", "")
    expect(page.locator("#consent-method-written")).to_be_focused()
