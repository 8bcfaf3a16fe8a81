"""Every error of the API in one shape: RFC 9457 problem details (``application/problem+json``).

A problem has a ``type`` (a URN naming the kind of problem, the same for every occurrence: a
client branches on it), a ``title`` (the kind in words), the HTTP ``status``, a ``detail`` about
this occurrence and, for invalid input, ``errors``: where (``loc``: ``body``, ``query``, ``path``
or ``header`` and the field), what (``msg``) and its code (``type``). Titles and details follow
the request's Accept-Language (English or Norwegian Bokmål).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field

from needlechart.api.fhir.outcome import outcome_response

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:needlechart:problem:"
PATH_PREFIX = "/api/"  # everything under it answers errors as problems, the web shell's too
FHIR_PREFIX = "/fhir/"  # and everything under it as FHIR OperationOutcomes (api.fhir.outcome)


def is_fhir_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(FHIR_PREFIX)


def is_api_request(request: HttpRequest) -> bool:
    """An address of the JSON API or of FHIR: its errors are never an HTML page."""
    return request.path_info.startswith(PATH_PREFIX) or is_fhir_request(request)


@dataclass(frozen=True)
class Kind:
    slug: str
    status: int
    title: Promise

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug


MALFORMED = Kind("malformed-request", 400, _("Malformed request"))
UNAUTHENTICATED = Kind("unauthenticated", 401, _("Not authenticated"))
FORBIDDEN = Kind("forbidden", 403, _("Not permitted"))
NOT_FOUND = Kind("not-found", 404, _("Not found"))
METHOD_NOT_ALLOWED = Kind("method-not-allowed", 405, _("Method not allowed"))
CONFLICT = Kind("conflict", 409, _("Conflict"))
PRECONDITION_FAILED = Kind("precondition-failed", 412, _("Precondition failed"))
TOO_LARGE = Kind("too-large", 413, _("Request too large"))
UNSUPPORTED_MEDIA_TYPE = Kind("unsupported-media-type", 415, _("Unsupported media type"))
VALIDATION = Kind("validation", 422, _("Invalid input"))
PRECONDITION_REQUIRED = Kind("precondition-required", 428, _("Precondition required"))
RATE_LIMITED = Kind("rate-limited", 429, _("Too many requests"))
SERVER_ERROR = Kind("server-error", 500, _("Server error"))

KINDS = (
    MALFORMED,
    UNAUTHENTICATED,
    FORBIDDEN,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    CONFLICT,
    PRECONDITION_FAILED,
    TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION,
    PRECONDITION_REQUIRED,
    RATE_LIMITED,
    SERVER_ERROR,
)
KIND_OF_STATUS = {kind.status: kind for kind in KINDS}


class FieldError(Schema):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then the field (and index).")
    msg: str = Field(description="What is wrong, in words.")
    type: str = Field(description="A code for what is wrong, e.g. missing, string_too_long, extra_forbidden.")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="The kind of problem, a URN starting urn:needlechart:problem:.")
    title: str = Field(description="The kind of problem in words.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    errors: list[FieldError] = Field(default_factory=list, description="Invalid input only: each field's problem.")


def field_error(loc: Iterable[str | int], msg: str, code: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": str(msg), "type": code}


class ProblemError(Exception):
    """Raised anywhere under an API view; the API's exception handler answers with its problem."""

    def __init__(
        self,
        kind: Kind,
        detail: str | Promise,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.kind, self.detail, self.errors, self.headers = kind, str(detail), errors or [], dict(headers or {})

    def response(self) -> HttpResponse:
        return problem_response(self.kind, self.detail, errors=self.errors, headers=self.headers)


def problem_response(
    kind: Kind, detail: str | Promise, *, errors: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"type": kind.type, "title": str(kind.title), "status": kind.status, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=kind.status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# Every operation can meet these: a request refused before the operation (a NUL character in the
# address or query), no or a bad token, a token without the scope, too many calls.
ALWAYS = (400, 401, 403, 429)


def responses(answers: Mapping[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's responses for the OpenAPI document: its ``answers`` and, as problems, the
    errors every operation can give and its own ``errors``."""
    return {**answers, **dict.fromkeys(sorted({*ALWAYS, *errors}), Problem)}


def shell_problem(status: int, detail: str | Promise, request: HttpRequest | None = None) -> HttpResponse:
    """The problem the web shell answers for an API address, where it would draw an error page
    (Django's handlers for 400, 403, 404 and 500, a refusal by middleware); for a FHIR address
    (``request`` under /fhir/) the same status with an OperationOutcome."""
    if request is not None and is_fhir_request(request):
        return outcome_response(status, str(detail))
    return problem_response(KIND_OF_STATUS.get(status, SERVER_ERROR if status >= 500 else MALFORMED), detail)
