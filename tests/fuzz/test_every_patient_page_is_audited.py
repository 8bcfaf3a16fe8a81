"""Every page that shows a patient's data writes an audit row: each route of the URL conf that
takes a patient, episode, encounter, note, measurement or appointment (or lists patients: the day
list, the calendar, search), opened by a practitioner and by the front desk, leaves one more row
in the audit log when it answers 200. Routes added later are checked without new code."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from needlechart.audit.models import AuditEvent
from tests.fuzz.site import client_as, fill, patterns

PATIENT_PARAMETERS = ("patient_id", "episode_id", "encounter_id", "note_id", "addendum_id", "measurement_id", "appointment_id")
LISTS_PATIENTS = ("", "calendar/")  # the day list and the calendar (a search is audited when it has a query: tests/audit/test_audit_log.py)


def _patientroutes() -> list[str]:
    routes = {route for route, _ in patterns(get_resolver())}
    return sorted(r for r in routes if any(f":{name}>" in r for name in PATIENT_PARAMETERS) or r in LISTS_PATIENTS)


@pytest.mark.parametrize("persona", ["ingrid", "frontdesk"])
def test_every_page_showing_patient_data_is_audited(demo, db, persona):
    client, unaudited, opened = client_as(persona), [], 0
    for route in _patientroutes():
        url = fill(route)
        before = AuditEvent.objects.count()
        response = client.get(url)
        if (
            response.status_code == 200
            and "html" in response.get("Content-Type", "")
            or response.get("Content-Type", "").startswith(("application/pdf", "text/csv"))
        ):
            opened += 1
            if AuditEvent.objects.count() == before:
                unaudited.append(url)
    assert opened > 5, "the persona opened pages with patient data"
    assert not unaudited, f"{len(unaudited)} of {opened} pages showing patient data wrote no audit row: {unaudited}"
