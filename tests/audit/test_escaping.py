"""What staff typed is shown as text on the audit reports, never as markup.

Each payload goes into the patient's names and the clinic admin's username (which every event
the admin causes records), and the reports are fetched as the clinic admin: the patient's access
report, the clinic's audit log (with its pager, which repeats the query) and the log's form sent
back with a bad period.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from needlechart.clinics.models import User
from needlechart.pages import audit_reports
from needlechart.patients.models import Patient
from tests.escaping import PAYLOADS, assert_shown_as_text


def _access_report(client, patient, payload):
    return client.get(reverse("patient_access_report", args=[patient.pk]))


def _audit_log(client, patient, payload):
    today = timezone.localdate().isoformat()
    return client.get(reverse("audit_report"), {"start": today, "end": today, "note": payload})


def _audit_log_sent_back(client, patient, payload):
    return client.get(reverse("audit_report"), {"start": payload, "end": payload})


# (page, its status, how many times each payload is shown on it at least)
PAGES = [
    pytest.param(_access_report, 200, 4, id="access-report"),  # the patient's name (2), the admin's views of the record (2)
    pytest.param(_audit_log, 200, 2, id="audit-log"),  # the admin's views
    pytest.param(_audit_log_sent_back, 400, 2, id="audit-log-with-errors"),  # the form's two dates
]


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
@pytest.mark.parametrize(("page", "status", "at_least"), PAGES)
def test_audit_reports_show_typed_text_as_text(client_for, clinic_admin, patient, monkeypatch, page, status, at_least, payload, escaped):
    monkeypatch.setattr(audit_reports, "PAGE_SIZE", 2)  # a pager, whose links repeat the query
    Patient.objects.filter(pk=patient.pk).update(given_name=payload, family_name=payload)
    User.objects.filter(pk=clinic_admin.pk).update(username=payload)
    clinic_admin.refresh_from_db()
    client = client_for(clinic_admin)
    client.get(reverse("patient_access_report", args=[patient.pk]))  # an event of the admin's, named by the payload
    response = page(client, patient, payload)
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert_shown_as_text(body, payload, escaped, at_least=at_least)
    if page is _audit_log:
        assert 'class="pager"' in body and "&amp;page=2" in body
