"""A home programme on a phone, end to end in Chromium: the practitioner prescribes it from the
muscles needled on a phone-sized screen (open the panel, take the suggestion, adjust a dosage); the
patient reads it with drawings and dosage through the aftercare link on their phone, answers on the
follow-up how often they did it, and the progress page shows that beside the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from needlechart.charting import services as charting
from needlechart.clinics.models import User
from needlechart.documents.models import AftercareLink
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from needlechart.screening import services as screening
from needlechart.screening.services import token_hash
from tests.browser.test_foundation_journey import sign_in
from tests.screening.test_intake_pages import healthy_answers

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TOKEN = "home-programme-on-a-phone"


@pytest.fixture
def needled_visit(transactional_db):
    """Ingrid's visit today: upper trapezius (right and left) and gluteus medius (left) needled, baseline measured, note in draft."""
    from needlechart.web.demo import build_demo

    build_demo(patient_count=2)
    ingrid = User.objects.get(username="ingrid")
    frontdesk = User.objects.get(username="frontdesk")
    patient = patients.patient_create(
        actor=frontdesk,
        data={"given_name": "Siri", "family_name": "Strekk", "birth_date": dt.date(1981, 6, 2), "preferred_language": "en"},
    )
    episode = patients.episode_create(
        actor=frontdesk, patient=patient, complaint="Neck and hip pain", condition="neck", started_on=timezone.localdate()
    )
    encounter = charting.encounter_create(
        actor=frontdesk, episode=episode, practitioner=ingrid, starts_at=timezone.now().replace(second=0, microsecond=0)
    )
    screening.intake_record_by_staff(actor=ingrid, patient=patient, raw_answers={**healthy_answers(), "able_to_consent": "yes"})
    for muscle, side in (("upper_trapezius", "r"), ("upper_trapezius", "l"), ("gluteus_medius", "l")):
        needling.needling_entry_save(actor=ingrid, encounter=encounter, muscle_id=muscle, side=side, **needling.default_entry(muscle))
    needling.needling_record_update(actor=ingrid, encounter=encounter, needles_out=3, advice_ids=["soreness_24_48"])
    needling.consent_record(
        actor=ingrid,
        encounter=encounter,
        method="verbal",
        witness_name="Jon Vik",
        risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
    )
    outcomes.measurement_record(actor=ingrid, encounter=encounter, instrument_id="nprs", raw_answers={"pain": "7"})
    activities = [{"name": name, "score": "3"} for name in ("Working at the desk", "Turning my head when driving", "Climbing stairs")]
    outcomes.measurement_record(actor=ingrid, encounter=encounter, instrument_id="psfs", raw_answers={"activities": activities})
    charting.note_save_draft(actor=ingrid, encounter=encounter, subjective="Neck 7/10, worse at the desk")
    return ingrid, encounter


def _fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def test_prescribing_and_receiving_a_home_programme_on_a_phone(live_server, needled_visit, new_page, shot):
    base = live_server.url
    ingrid, encounter = needled_visit

    # --- the practitioner, on a phone: open the panel, take the suggestion, adjust one dosage
    staff = new_page(**PHONE)
    sign_in(staff, base, "ingrid")
    staff.goto(f"{base}/encounters/{encounter.pk}/")
    panel = staff.get_by_test_id("home-programme")
    staff.get_by_test_id("home-programme-open").click()  # 1: open the panel
    staff.get_by_test_id("home-programme-suggest").click()  # 2: accept the suggestion
    stretch = staff.get_by_test_id("hc-item-upper_trapezius_stretch")
    expect(stretch).to_be_visible()
    expect(stretch).to_contain_text("both sides")  # needled right and left
    expect(staff.get_by_test_id("hc-item-gluteal_ball_release")).to_contain_text("left side")
    expect(panel.get_by_test_id("home-programme-count")).to_have_text("4 items")
    staff.get_by_test_id("hc-adjust-upper_trapezius_stretch").click()  # 3: adjust
    staff.get_by_test_id("hc-upper_trapezius_stretch-hold_seconds").fill("45")
    staff.get_by_test_id("hc-upper_trapezius_stretch-times_per_day").fill("3")
    staff.get_by_test_id("hc-save-upper_trapezius_stretch").click()
    expect(staff.get_by_test_id("hc-dosage-upper_trapezius_stretch")).to_have_text(
        "Hold 45 seconds · 3 repetitions · 3 times a day · 7 days a week"
    )
    shot(staff, "home-programme-prescribed-phone")

    charting.note_sign(actor=ingrid, note=encounter.note)  # signed with the programme
    staff.reload()
    expect(staff.get_by_test_id("home-programme")).to_contain_text("Signed with the note")
    expect(staff.get_by_test_id("home-programme-suggest")).to_have_count(0)

    # --- the patient, on their phone: the aftercare link
    AftercareLink.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        token_hash=token_hash(TOKEN),
        created_by=ingrid,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    phone = new_page(**PHONE)
    phone.goto(f"{base}/aftercare/{TOKEN}/")
    programme = phone.get_by_test_id("home-programme-patient")
    expect(programme.get_by_role("heading", name="Your home programme")).to_be_visible()
    card = phone.get_by_test_id("hc-card-upper_trapezius_stretch")
    expect(card.get_by_role("heading", name="Side neck stretch (both sides)")).to_be_visible()
    expect(phone.get_by_test_id("hc-dose-upper_trapezius_stretch")).to_have_text(
        "Hold 45 seconds · 3 repetitions · 3 times a day · 7 days a week"
    )
    drawing = card.get_by_role("img", name="Side neck stretch")
    expect(drawing).to_be_visible()
    box = drawing.bounding_box()
    assert box and 100 <= box["width"] <= 390 and box["height"] > 60  # drawn, and large enough to follow on a phone
    expect(card).to_contain_text("Take care")
    _fits_the_screen(phone)
    shot(phone, "home-programme-aftercare-phone")
    expect(phone.get_by_test_id("aftercare-pdf")).to_have_attribute("href", f"/aftercare/{TOKEN}/pdf/")

    # --- the follow-up asks how often it was done
    _link, url = outcomes.follow_up_link_create(actor=ingrid, encounter=encounter, base_url="http://unused", send_email=False)
    phone.goto(f"{base}{url.removeprefix('http://unused')}")
    question = phone.get_by_test_id("follow-up-home-programme")
    expect(question).to_contain_text("How often did you do your home programme?")
    expect(question).to_contain_text("Side neck stretch")
    phone.get_by_test_id("soreness").get_by_text("2", exact=True).click()
    phone.get_by_test_id("nprs.pain").get_by_text("3", exact=True).click()
    for scale in phone.locator("[data-testid^='psfs.activity_']").all():
        scale.get_by_text("6", exact=True).click()
    groc = phone.get_by_test_id("groc.change")
    if groc.count():
        groc.get_by_text("4", exact=True).click()
    phone.get_by_test_id("adherence-most_days").check()
    _fits_the_screen(phone)
    phone.get_by_test_id("follow-up-submit").click()
    expect(phone.get_by_test_id("public-message")).to_be_visible()

    # --- the practitioner sees adherence beside the outcome
    staff.goto(f"{base}/episodes/{encounter.episode_id}/progress/")
    row = staff.get_by_test_id("adherence-row")
    expect(row.get_by_test_id("adherence-answer")).to_contain_text("Most days")
    expect(row).to_contain_text("NPRS 3")
    shot(staff, "home-programme-adherence-phone")
