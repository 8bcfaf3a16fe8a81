"""The client's address behind the clinic's proxies: what the audit log records and what the
sign-in lockout counts, never an address the client wrote into X-Forwarded-For itself."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.context import client_ip
from needlechart.audit.models import AuditEvent
from needlechart.pages.audit_reports import csv_cell
from tests.conftest import PASSWORD

SPOOFED = '=HYPERLINK("http://evil.example","x")'


def _through_proxy(forwarded: str) -> dict[str, str]:
    return {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy: the header is the client's own
        (1, "203.0.113.9", "203.0.113.9"),  # one proxy appended the client's address
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the client sent a leftmost entry of its own
        (1, f"{SPOOFED}, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.7, 203.0.113.9, 10.1.1.1", "203.0.113.9"),  # two proxies: the outer one's entry
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: not through them
        (1, SPOOFED, "10.0.0.1"),  # not an address at all
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address_is_the_entry_the_outermost_trusted_proxy_wrote(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_audit_log_records_the_real_address_behind_the_proxy(client_for, practitioner, patient, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client_for(practitioner).get(reverse("patient_chart", args=[patient.pk]), **_through_proxy(f"{SPOOFED}, 203.0.113.9"))
    assert AuditEvent.objects.filter(patient_id=patient.pk).latest("pk").ip == "203.0.113.9"


def test_a_stranger_cannot_lock_a_colleague_out_through_the_proxy(client, practitioner, settings):
    """Behind the proxy every request came from the proxy's address, so a stranger's failures
    locked the account for everyone; now they lock only the stranger's own address."""
    settings.TRUSTED_PROXY_COUNT = 1
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": practitioner.username, "password": "wrong"}, **_through_proxy("198.51.100.66"))
    stranger = client.post(login, {"username": practitioner.username, "password": PASSWORD}, **_through_proxy("198.51.100.66"))
    assert stranger.status_code == 429
    colleague = client.post(login, {"username": practitioner.username, "password": PASSWORD}, **_through_proxy("203.0.113.9"))
    assert colleague.status_code == 302


@pytest.mark.parametrize("value", ["=1+1", "+47 900", "-2", "@SUM(A1)", "\tx", "\rx", SPOOFED])
def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["kari", "2024-03-08T12:30:00+01:00", "10.0.0.1", "", None, 42])
def test_ordinary_csv_cells_are_written_as_they_are(value):
    assert csv_cell(value) == ("" if value is None else str(value))


def test_the_audit_csv_neutralises_a_formula_in_a_username(client_for, clinic_admin):
    formula = "=cmd|' /C calc'!A0"
    clinic_admin.username = formula
    clinic_admin.save(update_fields=["username"])
    today = timezone.localdate().isoformat()
    response = client_for(clinic_admin).get(reverse("audit_report"), {"start": today, "end": today, "csv": "1"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    users = {row[1] for row in rows[1:]}
    assert "'" + formula in users and formula not in users
