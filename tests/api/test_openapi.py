"""The OpenAPI document is served, valid OpenAPI 3.1, and declares for every operation its scope
and every response it can give, errors as problem details, so that a generated client is right."""

from __future__ import annotations

import pytest
import schemathesis
from django.test import Client

DOC = "/api/v1/openapi.json"


@pytest.fixture
def document(db) -> dict:
    response = Client().get(DOC)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_the_document_is_valid_openapi(document):
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()


def test_every_operation_names_the_one_scope_it_needs(document):
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"ClientToken", "OAuth2"}
    assert (schemes["ClientToken"]["type"], schemes["ClientToken"]["scheme"]) == ("http", "bearer")
    for method, path, op in _operations(document):
        assert [list(requirement) for requirement in op["security"]] == [["ClientToken"], ["OAuth2"]], (method, path)
        assert len(op["security"][0]["ClientToken"]) == 1 and op["security"][0]["ClientToken"] == op["security"][1]["OAuth2"]


def test_every_operation_declares_the_errors_it_can_give(document):
    for method, path, op in _operations(document):
        expected = {"400", "401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if op.get("parameters") and any(p["in"] in ("query", "header") for p in op["parameters"]) or "requestBody" in op:
            expected.add("422")
        if any(p["name"] == "cursor" for p in op.get("parameters", [])):
            expected.add("400")
        if "requestBody" in op:
            expected |= {"400", "409", "413", "415"}
        if method == "PATCH":
            expected |= {"412", "428"}
        if method == "GET" and "application/json" in op["responses"]["200"]["content"]:
            expected.add("304")  # a read's ETag; a patient's copy (a ZIP) is made anew on every call
        declared = set(op["responses"])
        assert expected <= declared, (method, path, expected - declared)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        assert "Retry-After" in op["responses"]["429"]["headers"] and "WWW-Authenticate" in op["responses"]["401"]["headers"]


def test_reads_declare_their_etag(document):
    for method, _path, op in _operations(document):
        if method == "GET":
            assert "ETag" in op["responses"]["200"]["headers"]
            if "application/json" in op["responses"]["200"]["content"]:  # not the patient's copy: made anew, never a 304
                assert "ETag" in op["responses"]["304"]["headers"]


def test_the_problem_schema_is_rfc_9457s(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"} and "errors" in problem["properties"]


def test_the_documentation_page_loads_nothing_from_elsewhere(db):
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower() and "https://" not in html


def test_each_request_gets_the_document_with_its_own_addresses(db):
    """The document is built once a process; each answer still completes its own copy."""
    flows = [Client().get(DOC, secure=secure).json()["components"]["securitySchemes"] for secure in (True, False, True)]
    token_urls = [{flow["tokenUrl"] for scheme in schemes.values() for flow in scheme.get("flows", {}).values()} for schemes in flows]
    assert token_urls == [{"https://testserver/o/token/"}, {"http://testserver/o/token/"}, {"https://testserver/o/token/"}]
