"""Outcomes end to end in Chromium: a patient answers the follow-up on a phone in Norwegian, the
practitioner sees the chart, progress and alert updated, and the clinic admin sees the dashboard move."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.models import Measurement
from tests.browser.test_foundation_journey import sign_in


@pytest.fixture
def answered_session(transactional_db):
    """A signed needling session of Ingrid's with a baseline pain score, no adverse event, and a fresh follow-up link."""
    from needlechart.web.demo import build_demo

    build_demo(patient_count=6)
    ingrid = User.objects.get(username="ingrid")
    sessions = Encounter.objects.filter(
        practitioner=ingrid, note__signed_at__isnull=False, needling_entries__isnull=False, adverse_events__isnull=True
    ).exclude(follow_up_links__isnull=False)
    encounter = sessions.distinct().order_by("-starts_at").first()
    assert encounter is not None and Measurement.objects.filter(episode=encounter.episode, instrument="nprs").exists()
    patient = encounter.patient
    patient.preferred_language = "nb"
    patient.save()
    _link, url = outcomes.follow_up_link_create(actor=ingrid, encounter=encounter, base_url="http://unused", send_email=False)
    return encounter, url.removeprefix("http://unused")


def _mild_sessions(page, base: str) -> int:
    page.goto(f"{base}/analytics/")
    return int(page.get_by_test_id("adverse-mild").locator("td").first.inner_text())


def test_patient_answers_on_a_phone_and_the_clinic_sees_it(live_server, answered_session, new_page, shot):
    base = live_server.url
    encounter, path = answered_session

    admin = new_page(viewport={"width": 1280, "height": 1000})
    sign_in(admin, base, "admin")
    mild_before = _mild_sessions(admin, base)

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"{base}{path}")
    expect(phone.locator("html")).to_have_attribute("lang", "nb")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hvordan har du det etter behandlingen?")
    impact = phone.get_by_test_id("impact-headache-mild")
    expect(impact).to_be_hidden()  # asked only once the side effect is ticked
    phone.get_by_test_id("soreness").get_by_text("4", exact=True).click()
    phone.get_by_test_id("effect-headache").check()
    impact.check()
    phone.get_by_test_id("nprs.pain").get_by_text("2", exact=True).click()
    for row in phone.locator("[data-testid^='psfs.activity_']").all():
        row.get_by_text("8", exact=True).click()
    phone.get_by_test_id("groc.change").get_by_text("5", exact=True).click()
    shot(phone, "follow-up-phone-nb")
    phone.get_by_test_id("follow-up-submit").click()
    expect(phone.get_by_test_id("public-message")).to_contain_text("Takk")
    shot(phone, "follow-up-phone-nb-sent")

    practitioner = new_page(viewport={"width": 1280, "height": 1000})
    sign_in(practitioner, base, "ingrid")
    expect(practitioner.get_by_test_id("open-alerts")).to_be_visible()
    practitioner.goto(f"{base}/patients/{encounter.patient_id}/")
    panel = practitioner.get_by_test_id("progress-panel")
    expect(panel.get_by_test_id("progress-nprs")).to_be_visible()
    expect(panel.get_by_test_id("progress-nprs")).to_contain_text("latest 2")
    shot(practitioner, "chart-progress-after-follow-up")
    panel.get_by_test_id("progress-link").first.click()
    table = practitioner.get_by_test_id("progress-table")
    expect(table.locator("tr", has_text="patient (follow-up)").first).to_be_visible()
    expect(practitioner.get_by_test_id("progress-groc")).to_be_visible()
    shot(practitioner, "episode-progress")

    practitioner.goto(f"{base}/alerts/")
    alert = practitioner.get_by_test_id("alert").filter(has_text=encounter.patient.full_name).filter(has_text="Headache")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Soreness after the session: 4/10")
    practitioner.goto(f"{base}/encounters/{encounter.pk}/")
    expect(practitioner.get_by_test_id("adverse-events")).to_contain_text("reported by the patient")
    expect(practitioner.get_by_test_id("follow-up-status")).to_contain_text("Answered by the patient")
    shot(practitioner, "encounter-outcome-measures")

    assert _mild_sessions(admin, base) == mild_before + 1
    shot(admin, "analytics-dashboard")
