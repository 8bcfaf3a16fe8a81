"""Bad input gets a 4xx problem (RFC 9457), never a 5xx, and writes nothing: malformed JSON, a
body that is not JSON, a 10 MB body, a method or address the API does not have, too many calls."""

from __future__ import annotations

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.patients.models import Patient
from tests.api.conftest import READ, Api

PATIENT = {"given_name": "Ola", "family_name": "Hansen", "birth_date": "1990-01-02"}


def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) <= {"type", "title", "status", "detail", "errors"}
    assert body["type"] == f"urn:needlechart:problem:{kind}" and body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize(
    "raw",
    ['{"given_name": "Ola",', "{'given_name': 'Ola'}", '{"given_name": NaN}', "\xff\xfe", "[1, 2", '{"a": Infinity}'],
)
def test_malformed_json_is_a_400_problem_saying_where(api, raw):
    before = Patient.objects.count()
    body = _problem(api.send("POST", "/api/v1/patients", raw=raw.encode("latin-1")), 400, "malformed-request")
    assert "JSON" in body["detail"] or "UTF-8" in body["detail"]
    assert Patient.objects.count() == before


def test_json_that_is_not_an_object_is_a_422_problem(api):
    body = _problem(api.send("POST", "/api/v1/patients", [PATIENT]), 422, "validation")
    assert body["errors"]


def test_a_body_that_is_not_json_is_a_415_problem(api):
    _problem(
        api.send("POST", "/api/v1/patients", raw="given_name=Ola", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported-media-type",
    )
    _problem(api.send("POST", "/api/v1/patients", raw="<patient/>", content_type="application/xml"), 415, "unsupported-media-type")


def test_an_empty_body_is_a_422_problem(api):
    body = _problem(api.send("POST", "/api/v1/patients", raw=b""), 422, "validation")
    assert body["errors"][0]["type"] == "missing"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_ten_megabyte_body_is_a_413_problem(api, content_type):
    raw = b'{"given_name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = api.send("POST", "/api/v1/patients", raw=raw, content_type=content_type)
    assert response.status_code in (400, 413), response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == response.status_code


def test_a_ten_megabyte_body_without_a_token_is_refused_before_it_is_read(db):
    raw = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    _problem(Api().send("POST", "/api/v1/patients", raw=raw), 401, "unauthenticated")


def test_wrong_types_in_the_query_are_422_problems_naming_the_parameter(api):
    body = _problem(api.get("/api/v1/patients", {"limit": "many"}), 422, "validation")
    assert body["errors"][0]["loc"] == ["query", "limit"] and body["errors"][0]["type"] == "int_parsing"
    body = _problem(api.get("/api/v1/patients", {"limit": 1000}), 422, "validation")
    assert body["errors"][0]["type"] == "less_than_equal"


def test_a_nul_character_in_the_query_is_a_400_problem(api):
    _problem(api.get("/api/v1/patients/search", {"name": "Kari\x00"}), 400, "malformed-request")


def test_a_nul_character_in_a_json_string_is_refused(api):
    body = _problem(api.send("POST", "/api/v1/patients", PATIENT | {"city": "Os\u0000lo"}), 422, "validation")
    assert body["errors"][0]["loc"] == ["body", "city"]


def test_a_method_the_address_does_not_have_is_a_405_problem(api, patient):
    response = api.send("DELETE", f"/api/v1/patients/{patient.pk}", {})
    body = _problem(response, 405, "method-not-allowed")
    assert set(response["Allow"].split(", ")) == {"GET", "PATCH"} and "GET" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/patients/not-a-uuid", "/api/v1/", "/api/v1/patients/"])
def test_an_address_the_api_does_not_have_is_a_404_problem(api, path):
    _problem(api.get(path), 404, "not-found")


def test_problems_speak_the_requests_language(api):
    body = _problem(Api().get("/api/v1/patients", headers={"Accept-Language": "nb"}), 401, "unauthenticated")
    assert body["title"] == "Ikke autentisert"


def test_calls_over_the_clients_rate_are_429_with_retry_after(token_for, settings, patient):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    limited, other = Api(token_for(READ)), Api(token_for(READ))
    assert [limited.get("/api/v1/patients").status_code for _ in range(3)] == [200, 200, 200]
    before = AuditEvent.objects.count()
    response = limited.get(f"/api/v1/patients/{patient.pk}")
    body = _problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 60 and "3 calls" in body["detail"]
    assert AuditEvent.objects.count() == before  # refused before anything is read
    assert other.get("/api/v1/patients").status_code == 200  # the limit is each client's own


def test_the_rate_counts_calls_refused_for_their_scope_too(token_for, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    writer = Api(token_for((READ[0].__class__.DEMOGRAPHICS_WRITE,)))
    assert [writer.get("/api/v1/patients").status_code for _ in range(3)] == [403, 403, 429]
