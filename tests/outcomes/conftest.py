"""Shared records for the outcome and analytics tests: signed sessions, a PSFS baseline, follow-up links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from tests.needling.conftest import ready_session, screened  # noqa: F401 - shared fixtures

PSFS_ACTIVITIES = ["Climbing stairs", "Sitting at a desk", "Turning my head when driving"]
BASE_URL = "http://testserver"


def needle(practitioner, encounter) -> None:
    """Document a needling session on the encounter (the patient must be screened), ready to sign."""
    needling.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id="upper_trapezius", side="r", **needling.default_entry("upper_trapezius")
    )
    needling.needling_record_update(actor=practitioner, encounter=encounter, needles_out=1, advice_ids=["soreness_24_48"])
    needling.consent_record(
        actor=practitioner,
        encounter=encounter,
        method="verbal",
        witness_name="Jon Vik",
        risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
    )


def sign(practitioner, encounter, text: str = "Neck pain 6/10"):
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective=text)
    return charting.note_sign(actor=practitioner, note=note)


def needled_and_signed(practitioner, encounter):
    needle(practitioner, encounter)
    sign(practitioner, encounter)
    return encounter


def visit(front_desk, episode, practitioner, days_ago: float):
    """A visit of the episode some days ago (whole seconds, so dates and orders are exact)."""
    starts_at = (timezone.now() - dt.timedelta(days=days_ago)).replace(microsecond=0)
    return charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=starts_at)


def record(practitioner, encounter, instrument_id: str, answers: dict):
    return outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id=instrument_id, raw_answers=answers)


def nprs(practitioner, encounter, pain: int):
    return record(practitioner, encounter, "nprs", {"pain": str(pain)})


def psfs(practitioner, encounter, scores=(2, 3, 4)):
    rated = [{"name": name, "score": str(score)} for name, score in zip(PSFS_ACTIVITIES, scores, strict=True)]
    return record(practitioner, encounter, "psfs", {"activities": rated})


def link_for(encounter, *, actor=None, send_email: bool = False):
    """A follow-up link and the path of its URL on the test server."""
    link, url = outcomes.follow_up_link_create(actor=actor, encounter=encounter, base_url=BASE_URL, send_email=send_email)
    assert url.startswith(BASE_URL + "/follow-up/")
    return link, url.removeprefix(BASE_URL)


def answers(**extra) -> dict:
    """Valid follow-up answers for an episode with the PSFS baseline below: no side effect, mild soreness."""
    return {
        "soreness": "3",
        "nprs.pain": "4",
        "groc.change": "3",
        "psfs.activity_0": "6",
        "psfs.activity_1": "5",
        "psfs.activity_2": "7",
        "comment": "",
        **extra,
    }


def second_patient(front_desk, practitioner, *, given_name="Ola", condition="low_back"):
    """Another patient of the clinic with an episode and a visit of their own."""
    other = patients.patient_create(
        actor=front_desk,
        data={"given_name": given_name, "family_name": "Hansen", "birth_date": dt.date(1979, 3, 2), "email": "ola@example.invalid"},
    )
    episode = patients.episode_create(
        actor=front_desk, patient=other, complaint="Low back pain", condition=condition, started_on=timezone.localdate()
    )
    encounter = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    return other, episode, encounter


@pytest.fixture
def baseline(practitioner, encounter):
    """NPRS 7 and a PSFS (2, 3, 4) at the first visit."""
    return nprs(practitioner, encounter, 7), psfs(practitioner, encounter)


@pytest.fixture
def session(encounter, practitioner, baseline, signed_note):
    """The first visit: baseline measured and its note signed, so follow-up questions can be sent."""
    encounter.refresh_from_db()
    return encounter


@pytest.fixture
def follow_up(session):
    """An open follow-up link for the session: (link, path)."""
    return link_for(session)
