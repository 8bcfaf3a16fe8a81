"""schemathesis against the served OpenAPI document: for every operation, seeded and bounded
examples, valid and invalid (its default modes), sent through the WSGI application with a token
of every scope the operations need. No answer may be a 5xx, have a status, media type or headers
the document does not declare for the operation, or a body that breaks its declared schema."""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from needlechart.charting.models import Note
from needlechart.wsgi import application
from tests.api.conftest import CLINICAL, READ_WRITE, Api
from tests.interop.conftest import full_visit  # noqa: F401 - shared fixtures
from tests.needling.conftest import ready_session, screened  # noqa: F401

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
PATH_RECORDS = {
    "patient_id": "patient",
    "episode_id": "episode",
    "staff_id": "staff",
    "encounter_id": "encounter",
    "note_id": "note",
    "measurement_id": "measurement",
    "event_id": "adverse_event",
}


@pytest.fixture
def _connection_kept():
    """As Django's test client does: the WSGI app must not close the test's database connection
    after each request (inside the test's transaction, PostgreSQL's would be closed)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(token_for, admins_may_read_clinical, patient, full_visit) -> str:  # noqa: F811 - the shared fixture, as a parameter
    """A token of every scope the operations need, which reads the patient's clinical rows (through
    Django's test client, which connects close_old_connections again: so before _connection_kept)."""
    token = token_for(READ_WRITE + CLINICAL)
    for kind in ("encounters", "notes", "needling", "measurements", "adverse-events"):
        assert Api(token).get(f"/api/v1/patients/{patient.pk}/{kind}").json()["items"], kind
    return token


@pytest.fixture
def records(settings, token, patient, episode, practitioner, full_visit, _connection_kept) -> dict:  # noqa: F811
    """The patient's records, a whole needling visit with its note, measures and an adverse event among them."""
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6  # the examples are not to be cut short by the rate
    return {
        "token": token,
        "patient": str(patient.pk),
        "episode": str(episode.pk),
        "staff": practitioner.pk,
        "encounter": str(full_visit.pk),
        "note": str(Note.objects.get(encounter=full_visit).pk),
        "measurement": str(full_visit.measurements.first().pk),
        "adverse_event": str(full_visit.adverse_events.get().pk),
    }


# Loaded when the module is collected: the document needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_document_says(case, records):
    # Every other example names a real record, so that reads and changes get past the lookup (a
    # random id is always 404); the other half, generated, finds nothing or breaks the path.
    if case.path_parameters and zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 2 == 0:
        for name in case.path_parameters:
            case.path_parameters[name] = records[PATH_RECORDS[name]]
        if case.method == "PATCH":
            case.headers = {**(case.headers or {}), "If-Match": "*"}
    case.call_and_validate(headers={"Authorization": f"Bearer {records['token']}"}, checks=CHECKS)
