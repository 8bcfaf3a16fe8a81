"""A patient's link secret never reaches a log or a cache."""

from __future__ import annotations

import logging
import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse

from needlechart.web.logging import AccessLogWithoutSecrets, RedactLinkSecrets, redact

LINK_ID = uuid.UUID("0b7a8e2c-1d3f-4c5e-9a6b-7c8d9e0f1a2b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not Found: /intake/AbC-123_x/", "Not Found: /intake/[secret]/"),
        ("Gone: /aftercare/tok3n/pdf/", "Gone: /aftercare/[secret]/pdf/"),
        (f"Not Found: /follow-up/{LINK_ID}/s3cr3t/", f"Not Found: /follow-up/{LINK_ID}/[secret]/"),
        ('"GET /intake/tok?lang=nb HTTP/1.1" 410', '"GET /intake/[secret]?lang=nb HTTP/1.1" 410'),
        ("Not Found: /patients/42/intake/", "Not Found: /patients/42/intake/"),  # a staff page: nothing secret
    ],
)
def test_secrets_in_paths_are_redacted(text, expected):
    assert redact(text) == expected


def test_django_log_records_of_a_link_page_carry_no_secret(client, caplog, db):
    caplog.handler.addFilter(RedactLinkSecrets())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("intake_public", args=["no-such-link-secret"]))
    assert response.status_code in (404, 410)
    assert caplog.records, "Django logs the refused link"
    assert "no-such-link-secret" not in caplog.text


def test_the_gunicorn_access_log_carries_no_secret():
    logger = AccessLogWithoutSecrets(
        SimpleNamespace(
            **{
                "loglevel": "info",
                "errorlog": "-",
                "accesslog": None,
                "syslog": False,
                "capture_output": False,
                "logconfig": None,
                "logconfig_dict": {},
                "logconfig_json": None,
                "disable_redirect_access_to_syslog": False,
                "access_log_format": "%(r)s",
                "user": 0,
                "group": 0,
            }
        )
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/intake/s3cret/",
        "PATH_INFO": "/intake/s3cret/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    req = SimpleNamespace(headers=[], method="GET", path="/intake/s3cret/", query="", version=(1, 1), uri="/intake/s3cret/")
    atoms = logger.atoms(resp, req, environ, SimpleNamespace(seconds=0, microseconds=1000))
    assert "s3cret" not in atoms["r"] and "s3cret" not in atoms["U"]


def test_a_patients_link_page_is_never_cached(client, db):
    response = client.get(reverse("intake_public", args=["no-such-link-secret"]))
    assert "no-store" in response["Cache-Control"]


def test_the_servers_log_handlers_redact():
    root = logging.getLogger().handlers
    handlers = [h for h in root if isinstance(h, logging.StreamHandler) and not type(h).__module__.startswith("_pytest")]
    assert handlers and all(any(isinstance(f, RedactLinkSecrets) for f in h.filters) for h in handlers)


def test_static_files_keep_their_cache(client, db):
    response = client.get("/static/needlechart/needlechart.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
