"""The visit page labels the planning warnings that rest on an unverified atlas fact (issue 13)."""

from __future__ import annotations

from django.urls import reverse

from needlechart.needling import services
from tests.needling.conftest import screened  # noqa: F401 - shared fixture


def _visit(client_for, practitioner, encounter, muscle_id: str) -> str:
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id=muscle_id, side="r", **services.default_entry(muscle_id)
    )
    body = client_for(practitioner).get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    return body.split('data-testid="safety-warnings"')[1].split("</ul>")[0]


def test_a_warning_from_course_material_is_labelled_unverified(client_for, practitioner, encounter, screened):  # noqa: F811
    warnings = _visit(client_for, practitioner, encounter, "scalenes")
    care = next(item for item in warnings.split("<li") if "take care of" in item)
    assert 'data-testid="warning-unverified"' in care


def test_a_warning_from_checked_anatomy_is_not(client_for, practitioner, encounter, screened):  # noqa: F811
    warnings = _visit(client_for, practitioner, encounter, "first_dorsal_interosseous")
    assert "Radial artery" in warnings and 'data-testid="warning-unverified"' not in warnings
