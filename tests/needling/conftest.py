from __future__ import annotations

import pytest

from needlechart.needling import services
from needlechart.screening import services as screening
from tests.screening.test_intake_pages import healthy_answers


@pytest.fixture
def screened(patient, practitioner):
    """The patient has a clean intake on record."""
    return screening.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "able_to_consent": "yes"}
    )


@pytest.fixture
def ready_session(encounter, practitioner, screened):
    """Two muscles needled, count settled, consent recorded: ready to sign."""
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id="upper_trapezius", side="r", **services.default_entry("upper_trapezius")
    )
    services.needling_entry_save(
        actor=practitioner,
        encounter=encounter,
        muscle_id="gluteus_medius",
        side="l",
        **{**services.default_entry("gluteus_medius"), "needle_count": 2},
    )
    services.needling_record_update(actor=practitioner, encounter=encounter, needles_out=3, advice_ids=["soreness_24_48"])
    services.consent_record(
        actor=practitioner,
        encounter=encounter,
        method="verbal",
        witness_name="Jon Vik",
        risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
    )
    return encounter
