"""The whole treatment journey in Chromium, and a repeat follow-up signed in twelve actions.

The patient answers the intake on a phone through the secure link; the practitioner
reviews the screening, marks the pain map, takes a suggestion, records palpation and
needling over the thorax (and sees the warnings), records consent, reconciles the
needles, signs, and opens the aftercare PDF. A follow-up then repeats the session, with a
consent of its own (nothing of the earlier consent is carried over).
"""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from needlechart.charting import services as charting
from needlechart.clinics.models import User
from needlechart.patients import services as patients
from tests.browser.test_foundation_journey import sign_in

RISKS = ("soreness", "bruising_bleeding", "fainting", "pneumothorax")  # explained: the three always, and the thorax's


@pytest.fixture
def journey(transactional_db):
    from needlechart.web.demo import build_demo

    build_demo(patient_count=4)
    ingrid = User.objects.get(username="ingrid")
    frontdesk = User.objects.get(username="frontdesk")
    patient = patients.patient_create(
        actor=frontdesk,
        data={
            "given_name": "Nora",
            "family_name": "Reise",
            "birth_date": dt.date(1988, 3, 9),
            "email": "nora@example.invalid",
            "preferred_language": "en",
        },
    )
    episode = patients.episode_create(
        actor=frontdesk, patient=patient, complaint="Headache and neck pain", condition="headache", started_on=timezone.localdate()
    )
    now = timezone.now().replace(second=0, microsecond=0)
    first = charting.encounter_create(
        actor=frontdesk, episode=episode, practitioner=ingrid, starts_at=now - dt.timedelta(hours=2), reason="First visit"
    )
    # in an hour, but on today's day list whatever the time of day (the clinic's day ends at midnight local time)
    follow_up_at = min(now + dt.timedelta(hours=1), timezone.localtime(now).replace(hour=23, minute=59))
    follow_up = charting.encounter_create(actor=frontdesk, episode=episode, practitioner=ingrid, starts_at=follow_up_at, reason="Follow-up")
    return {"patient": patient, "first": first, "follow_up": follow_up}


def _answer_every_visible_question(page) -> None:
    """Answer the questionnaire as a well patient would: no warning signs, no conditions."""
    page.locator("[data-question=age] input").fill("38")
    page.locator("[data-question=sex_at_birth] input[value=female]").check()
    page.locator("[data-question=pregnant] input[value=no]").check()
    page.locator("[data-question=main_complaint] textarea").fill("Headaches behind the eye and a stiff neck")
    for question in page.locator(".question:visible").all():
        radios = question.locator("input[type=radio]")
        boxes = question.locator("input[type=checkbox]")
        if radios.count() and not question.locator("input[type=radio]:checked").count():
            preferred = question.locator("input[value=no], input[value=none], input[value=never]")
            (preferred.first if preferred.count() else radios.first).check()
        if boxes.count() and question.locator("input[value=none]").count() and not question.locator("input:checked").count():
            question.locator("input[value=none]").check()
    page.locator("[data-question=wants_needling] input[value=yes]").check()


def test_the_whole_journey_then_a_follow_up_in_twelve_actions(live_server, journey, browser, new_page, shot):
    base = live_server.url
    patient, first, follow_up = journey["patient"], journey["first"], journey["follow_up"]

    page = new_page(viewport={"width": 1280, "height": 1000})
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "ingrid")
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("button", name="Send intake link").click()
    intake_url = page.get_by_test_id("intake-url").inner_text()

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(intake_url)
    expect(phone.get_by_role("heading", name="Health questions before treatment")).to_be_visible()
    _answer_every_visible_question(phone)
    shot(phone, "journey-1-intake-phone")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_test_id("public-message")).to_contain_text("Thank you")

    page.goto(f"{base}/patients/{patient.pk}/")
    expect(page.get_by_test_id("suitability")).to_be_visible()
    shot(page, "journey-2-screening")
    page.goto(f"{base}/encounters/{first.pk}/")

    page.get_by_test_id("pain-intensity").fill("7")
    page.locator('.bodymap.interactive .region[data-region="temple_r"]').first.click()
    expect(page.get_by_test_id("pain-marks")).to_contain_text("7/10")
    page.get_by_test_id("pain-intensity").fill("5")
    page.locator('.bodymap.interactive .region[data-region="neck_back_r"]').first.click()
    expect(page.get_by_test_id("pain-marks").locator("li")).to_have_count(2)
    page.get_by_test_id("plan-upper_trapezius").first.click()
    expect(page.get_by_test_id("entry-muscle")).to_have_value("upper_trapezius")
    page.get_by_test_id("entry-add").click()
    warnings = page.get_by_test_id("safety-warnings")
    expect(warnings).to_contain_text("pneumothorax")
    expect(page.get_by_test_id("needling-entries")).to_contain_text("Upper trapezius")
    shot(page, "journey-3-needling-warnings")

    palpation = page.get_by_test_id("palpation-form")
    palpation.locator("select[name=muscle_id]").select_option("upper_trapezius")
    palpation.locator("select[name=side]").select_option("r")
    for name in ("taut_band", "tender_spot", "recognised", "twitch"):
        palpation.locator(f"input[name={name}]").check()
    palpation.get_by_role("button", name="Save finding").click()
    expect(page.get_by_test_id("tp-upper_trapezius-r")).to_have_text("active")

    consent = page.get_by_test_id("consent-form")
    consent.locator("input[value=verbal]").check()
    consent.locator("input[name=witness_name]").fill("Jon Vik")
    expect(consent.locator("input[value=pneumothorax]")).not_to_be_checked()  # needed, marked, ticked by the practitioner
    expect(consent.locator("#consent-needed-pneumothorax")).to_have_text("needed")  # marked as the trapezius was planned
    for risk in RISKS:
        consent.locator(f"input[value={risk}]").check()
    consent.get_by_test_id("consent-save").click()
    expect(page.get_by_test_id("consent-summary")).to_contain_text("Verbal")

    page.get_by_label("Subjective").fill("Temple headache 7/10, neck 5/10.")
    page.get_by_test_id("needles-out").fill("1")  # saved as the field is left: the note waits for it
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_test_id("verification")).to_contain_text("Integrity verified")
    shot(page, "journey-4-signed")

    pdf = page.request.get(f"{base}/encounters/{first.pk}/aftercare.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).split())
    assert "After your treatment" in text and "breath" in text.lower()  # thorax needled: pneumothorax safety-netting
    page.goto(f"{base}/encounters/{first.pk}/aftercare/")
    expect(page.get_by_test_id("aftercare")).to_be_visible()
    shot(page, "journey-5-aftercare")

    # The follow-up: from the day list to a signed note, counting every user action.
    page.goto(f"{base}/")
    actions = 0
    started = time.perf_counter()
    page.locator(f'a[href="/encounters/{follow_up.pk}/"]').click()
    actions += 1
    page.get_by_test_id("repeat-last").click()
    actions += 1
    expect(page.get_by_test_id("needling-entries")).to_contain_text("Upper trapezius")
    consent = page.get_by_test_id("consent-form")
    expect(consent.locator("input:checked")).to_have_count(0)  # a consent of its own: nothing carried over
    consent.locator("input[value=verbal]").check()
    consent.locator("input[name=witness_name]").fill("Jon Vik")
    for risk in RISKS:
        consent.locator(f"input[value={risk}]").check()
    consent.get_by_test_id("consent-save").click()
    actions += 3 + len(RISKS)
    expect(page.get_by_test_id("consent-summary")).to_be_visible()
    page.get_by_test_id("needles-out").fill("1")
    actions += 1
    page.get_by_role("button", name="Sign note").click()
    actions += 2  # the click and the confirmation dialog
    expect(page.get_by_test_id("verification")).to_contain_text("Integrity verified")
    elapsed = time.perf_counter() - started
    shot(page, "journey-6-follow-up-signed")
    print(f"\nfollow-up documented and signed in {actions} user actions, {elapsed:.1f} s wall time")
    assert actions <= 12
