"""What staff and patients typed is shown as text on the needling panel, never as markup.

The HTMX endpoints return the needling panel (and the adverse-event card) on their own, so
these check the partials exactly as the browser swaps them into the visit page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from needlechart.needling import services
from needlechart.patients.models import Patient

# (payload, how it must appear on the page)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]


def assert_shown_as_text(body: str, payload: str, escaped: str) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert escaped in body
    if payload == "{{7*7}}":
        assert "{{7*7}}" in body and ">49<" not in body


@pytest.fixture
def typed_session(practitioner, encounter, screened):
    """A visit where every free-text field on the panel holds the payload (set by the test)."""

    def fill(payload: str):
        Patient.objects.filter(pk=encounter.patient_id).update(given_name=payload, family_name=payload)
        services.needling_entry_save(
            actor=practitioner,
            encounter=encounter,
            muscle_id="upper_trapezius",
            side="r",
            **{**services.default_entry("upper_trapezius"), "direction": payload},
        )
        services.consent_record(
            actor=practitioner,
            encounter=encounter,
            method="verbal",
            witness_name=payload,
            risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
        )
        services.needling_record_update(
            actor=practitioner,
            encounter=encounter,
            needles_out=0,
            mismatch_search=payload,
            mismatch_outcome="found",
            relative_reasoning=payload,
            advice_ids=["soreness_24_48"],
        )
        return encounter

    return fill


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_needling_panel_shows_typed_text_as_text(client_for, practitioner, typed_session, payload, escaped):
    encounter = typed_session(payload)
    client = client_for(practitioner)
    panel = client.get(
        reverse("needling_entry_defaults", args=[encounter.pk]), {"muscle_id": "upper_trapezius", "side": "r"}, HTTP_HX_REQUEST="true"
    )
    body = panel.content.decode()
    assert panel.status_code == 200 and 'data-testid="needling-panel"' in body and "<html" not in body
    assert body.count(escaped) >= 2  # the needle's direction, the consent's witness (and the form pre-filled with it)
    assert_shown_as_text(body, payload, escaped)

    # A refused input comes back in the panel's error, as text.
    refused = client.post(
        reverse("needling_entry_add", args=[encounter.pk]),
        {**{k: str(v) for k, v in services.default_entry("upper_trapezius").items()}, "muscle_id": payload, "side": "r"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and 'data-testid="panel-error"' in refused.content.decode()
    assert_shown_as_text(refused.content.decode(), payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_adverse_events_card_shows_typed_text_as_text(client_for, practitioner, typed_session, payload, escaped):
    encounter = typed_session(payload)
    data = {
        "event_type": "syncope",
        "severity": "significant",
        "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": payload,
        "action_taken": payload,
        "outcome": "resolved",
    }
    response = client_for(practitioner).post(reverse("adverse_event_save", args=[encounter.pk]), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="adverse-events"' in body and "<html" not in body
    assert body.count(escaped) >= 2  # the description and the action taken
    assert_shown_as_text(body, payload, escaped)
