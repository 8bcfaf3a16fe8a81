"""The session note lists the safety warnings for the muscles needled, each labelled where it rests on
a fact not checked against a primary source (issue 13)."""

from __future__ import annotations

from django.urls import reverse

from needlechart.needling import services
from tests.documents.test_pdfs import _text
from tests.needling.conftest import screened  # noqa: F401 - shared fixture


def _needle(practitioner, encounter, muscle_id: str) -> None:
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id=muscle_id, side="r", **services.default_entry(muscle_id)
    )


def test_the_note_lists_the_warnings_and_labels_the_unverified_ones(client_for, practitioner, encounter, screened):  # noqa: F811
    _needle(practitioner, encounter, "scalenes")  # its nerves and vessels come from course material: unverified
    text = _text(client_for(practitioner).get(reverse("session_note_pdf", args=[encounter.pk])))
    section = text.split("Safety warnings for the muscles needled")[1]
    assert "Phrenic nerve" in section and "pneumothorax" in section
    assert "unverified" in section.split("Adverse events")[0]


def test_warnings_resting_on_checked_facts_carry_no_label(client_for, practitioner, encounter, screened):  # noqa: F811
    _needle(practitioner, encounter, "first_dorsal_interosseous")  # the radial artery, from Standring
    text = _text(client_for(practitioner).get(reverse("session_note_pdf", args=[encounter.pk])))
    section = text.split("Safety warnings for the muscles needled")[1].split("Adverse events")[0]
    assert "Radial artery" in section and "unverified" not in section
