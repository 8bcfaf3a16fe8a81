"""FHIR responses: resources as application/fhir+json, and every error as an OperationOutcome.

The API's own refusals (api.auth, api.ratelimit raise ``ProblemError``) keep their status and
headers (WWW-Authenticate, Retry-After); only the body becomes an OperationOutcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse

if TYPE_CHECKING:  # api.problems answers FHIR addresses with outcome_response: no import back at run time
    from needlechart.api.problems import ProblemError

MEDIA_TYPE = "application/fhir+json"
# FHIR's issue-type codes (http://hl7.org/fhir/issue-type) by HTTP status.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    410: "not-found",
    413: "too-costly",
    415: "not-supported",
    422: "processable",
    429: "throttled",
    500: "exception",
}


def fhir_response(resource: Mapping[str, Any], *, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False), status=status, content_type=f"{MEDIA_TYPE}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def issue(diagnostics: str, *, code: str, severity: str = "error") -> dict[str, Any]:
    return {"severity": severity, "code": code, "diagnostics": str(diagnostics)}


def operation_outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def outcome_response(status: int, diagnostics: str, *, code: str | None = None, headers: Mapping[str, str] | None = None) -> HttpResponse:
    body = operation_outcome(issue(diagnostics, code=code or ISSUE_CODES.get(status, "processing")))
    return fhir_response(body, status=status, headers=headers)


def problem_outcome(error: ProblemError) -> HttpResponse:
    """The API's problem as FHIR answers it: the same status and headers, an OperationOutcome body."""
    return outcome_response(error.kind.status, error.detail, headers=error.headers)


class FhirError(Exception):
    """Raised in a FHIR view: answered as an OperationOutcome with ``status``."""

    def __init__(self, status: int, diagnostics: str, *, code: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status, self.diagnostics, self.code = status, str(diagnostics), code

    def response(self) -> HttpResponse:
        return outcome_response(self.status, self.diagnostics, code=self.code)
