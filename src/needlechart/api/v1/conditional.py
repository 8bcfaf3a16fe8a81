"""ETags: a read answers with its version, If-None-Match with that version answers 304, and a
change must name the version it changes (If-Match), so that two clients never overwrite each
other's change unseen (a lost update).

The version is the SHA-256 of the answer's canonical JSON (of an answer written as JSON without
its Schema, read_json_answer's, the SHA-256 of its bytes): any change to what a client reads
changes it, and nothing else does.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.renderers import JSONRenderer
from ninja.responses import Status

from needlechart.api.problems import PRECONDITION_FAILED, PRECONDITION_REQUIRED, ProblemError
from needlechart.core.canonical import canonical_json, sha256_hex

Answer = TypeVar("Answer", bound=Schema)


def etag_of(answer: Schema) -> str:
    return f'"{sha256_hex(canonical_json(answer.model_dump(mode="json")))[:32]}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def read_answer(request: HttpRequest, response: HttpResponse, answer: Answer) -> Status[Answer | None]:
    """The answer with its ETag, or 304 without a body when the client's If-None-Match holds it
    (compared weakly, as RFC 9110 says for If-None-Match)."""
    etag = etag_of(answer)
    response["ETag"] = etag
    held = [tag.removeprefix("W/") for tag in _tags(request.headers.get("If-None-Match", ""))]
    if "*" in held or etag in held:
        return Status(304, None)
    return Status(200, answer)


_RENDERER = JSONRenderer()  # the API's (v1.app.NeedlechartApi keeps ninja's)


def read_json_answer(request: HttpRequest, response: HttpResponse, rendered: dict[str, Any]) -> HttpResponse:
    """read_answer of an answer built as JSON rather than as its Schema: ``rendered`` as ninja would
    write the Schema, written here by the API's renderer, its ETag the SHA-256 of those bytes (as
    any change to what the client reads changes the canonical JSON, it changes the bytes: the
    answer is not taken apart a second time to hash it). The answer comes back in ``response``,
    which the operation's headers are set on, as read_answer's does; tests/api/test_patient_search_rows.py
    shows the bytes those of the validated Schema."""
    content = _RENDERER.render(request, rendered, response_status=200)
    etag = f'"{sha256_hex(content)[:32]}"'
    response["ETag"] = etag
    held = [tag.removeprefix("W/") for tag in _tags(request.headers.get("If-None-Match", ""))]
    if "*" in held or etag in held:
        response.status_code = 304
        return response
    response.status_code = 200
    response.content = content
    return response


def require_version(if_match: str | None, current: Schema) -> None:
    """Refuse a change whose If-Match does not name the current version: 428 without the header,
    412 when the record changed since the client read it (compared strongly: RFC 9110)."""
    if not if_match:
        raise ProblemError(PRECONDITION_REQUIRED, _("Send the ETag of the record you read as If-Match, so that no change is lost."))
    tags = _tags(if_match)
    if "*" not in tags and etag_of(current) not in tags:
        raise ProblemError(PRECONDITION_FAILED, _("The record changed since you read it. Read it again, then send the change."))
