"""The v1 API: django-ninja with needlechart's parser, problem details for every error, and an
OpenAPI document that names each operation's scope and every response it can give."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.responses import NinjaJSONEncoder
from ninja.responses import Response as NinjaResponse

from needlechart.api import problems
from needlechart.api.auth import REALM, ClientToken
from needlechart.api.problems import MEDIA_TYPE, ProblemError, field_error, problem_response
from needlechart.api.scopes import Scope
from needlechart.api.v1.parsing import JsonBodyParser

logger = logging.getLogger(__name__)

DESCRIPTION = """\
The clinic's records for the systems it runs beside needlechart. Every call carries an API
client's token (`Authorization: Bearer nct_...`), made by a clinic admin on the API clients page,
and acts within that client's clinic with the scopes it was given; each operation names the one
it needs. Every call is written to the clinic's audit log.

Errors are RFC 9457 problem details (`application/problem+json`): `type` (a URN to branch on),
`title`, `status`, `detail`, and `errors` for invalid input. Lists are read a page at a time:
pass the `next_cursor` of a page as `cursor` for the next one (null: the last page). Reads carry an
`ETag`; `If-None-Match` with it answers 304 when nothing changed, and a change must send it as
`If-Match` (412 if the record changed meanwhile, 428 without it). Each client may make
a limited number of calls a minute; over it the answer is 429 with `Retry-After`.
"""

# Response headers the document declares, by status.
_HEADERS = {
    200: {"ETag": "The version of what was read: send it as If-None-Match, or as If-Match with a change."},
    201: {"ETag": "The version of what was created.", "Location": "Where the new record is read."},
    304: {"ETag": "The version the client already has."},
    401: {"WWW-Authenticate": 'Bearer realm="needlechart", with error="invalid_token" for a token that is not valid.'},
    403: {"WWW-Authenticate": 'Bearer realm="needlechart", error="insufficient_scope" and the scope needed.'},
    429: {"Retry-After": "Seconds until the client may call again."},
}


class _Document(OpenAPISchema):
    """ninja's document, with each operation's scope in its security requirement (OpenAPI 3.1 lets
    a bearer scheme list them), errors as problem+json and the headers of each response."""

    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        """The client's personal access token, or an OAuth 2 access token of its client credentials
        (ClientToken takes either), with the scope the operation needs."""
        security = super().operation_security(operation)
        scopes = [str(auth.scope) for auth in operation.auth_callbacks if isinstance(auth, ClientToken)]
        if not scopes:
            return security
        all_scopes = {s.value: str(s.label) for s in Scope}
        self.securitySchemes["OAuth2"] = {
            "type": "oauth2",
            "description": (
                "OAuth 2 of an API client: client credentials (the client itself), or authorization code with PKCE S256 (a staff"
                " member of the clinic signs in and the tokens act as them, with at most what their role may do); access tokens"
                " from the token endpoint, lasting minutes."
            ),
            "flows": {
                "clientCredentials": {"tokenUrl": reverse("oauth_token"), "scopes": all_scopes},
                "authorizationCode": {
                    "authorizationUrl": reverse("oauth_authorize"),
                    "tokenUrl": reverse("oauth_token"),
                    "refreshUrl": reverse("oauth_token"),
                    "scopes": all_scopes,
                },
            },
        }
        return [*(dict.fromkeys(requirement, scopes) for requirement in security or []), {"OAuth2": scopes}]

    def responses(self, operation: Operation) -> dict[int, Any]:
        result = super().responses(operation)
        for status, response in result.items():
            if status >= 400 and "content" in response:
                response["content"] = {MEDIA_TYPE: next(iter(response["content"].values()))}
            if status in _HEADERS and not (status == 200 and "GET" not in operation.methods):
                response["headers"] = {name: {"description": text, "schema": {"type": "string"}} for name, text in _HEADERS[status].items()}
        return result


class NeedlechartApi(NinjaAPI):
    _built_documents: dict[tuple[str, str], str]  # the OpenAPI document's JSON by path prefix and language

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built_documents = {}

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _Document(self, path_prefix)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """ninja's URLs, each answering problem details for what Django or ninja would answer
        otherwise (a method not allowed, the API's root), then a 404 problem for any other path."""
        urls: list[URLResolver | URLPattern] = []
        for entry in super()._get_urls():
            if isinstance(entry, URLPattern):
                view = self._document if entry.name == "openapi-json" else entry.callback
                entry = URLPattern(entry.pattern, _problems_for(view), entry.default_args, entry.name)
            urls.append(entry)
        urls.append(re_path(r"^.*$", not_found))
        return urls

    def _document(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The OpenAPI document, with the OAuth 2 endpoints' addresses in full, as OpenAPI 3.1 wants them.
        The document is built once a process for its path and language (building it takes ~200 ms; it changes
        only with the code), and each request gets its own copy to complete with its host."""
        prefix = self.get_root_path(kwargs)
        built = (prefix, get_language())
        if built not in self._built_documents:
            self._built_documents[built] = json.dumps(self.get_openapi_schema(path_prefix=prefix), cls=NinjaJSONEncoder)
        document = json.loads(self._built_documents[built])
        for scheme in document["components"].get("securitySchemes", {}).values():
            for flow in scheme.get("flows", {}).values():
                for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
                    if key in flow:
                        flow[key] = request.build_absolute_uri(flow[key])
        return NinjaResponse(document)


def _problems_for(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html"):
            detail = _("Use one of these methods: %(methods)s.") % {"methods": response["Allow"]}
            return problem_response(problems.METHOD_NOT_ALLOWED, detail, headers={"Allow": response["Allow"]})
        return response

    return wrapped


@csrf_exempt  # as ninja's own views: the API takes no cookies, so a PATCH to a wrong address is a 404 too
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(problems.NOT_FOUND, _("There is no such record in this clinic, and no such address in the API."))


def _location(loc: Any) -> list[str | int]:
    """ninja's place of an error, without the body parameter's own name (``body``, ``payload``, ``name``)."""
    place = list(loc)
    return [place[0], *place[2:]] if place[:1] == ["body"] and len(place) > 1 else place


def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [field_error(_location(error.get("loc", ())), error.get("msg", ""), error.get("type", "invalid")) for error in exc.errors]
    return problem_response(problems.VALIDATION, _("The input is not valid: see errors."), errors=errors)


def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service's refusal: each message where the model field names it (Django formats its parameters)."""
    by_field = exc.error_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.error_list)]
    errors = [
        field_error(["body"] if field == "__all__" else ["body", field], error.messages[0], error.code or "invalid")
        for field, field_errors in by_field
        for error in field_errors
    ]
    return problem_response(problems.VALIDATION, " ".join(str(e["msg"]) for e in errors), errors=errors)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ProblemError):  # raised by the parser; ninja wraps it in a 400
        return exc.__cause__.response()
    if isinstance(exc, AuthenticationError):
        return problem_response(problems.UNAUTHENTICATED, _("Send the client's token."), headers={"WWW-Authenticate": REALM})
    kind = problems.KIND_OF_STATUS.get(exc.status_code, problems.MALFORMED)
    return problem_response(kind, str(exc))


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API call failed: %s %s", request.method, request.path, exc_info=exc)
    return problem_response(problems.SERVER_ERROR, _("The error has been logged. Nothing was changed by this call."))


HANDLERS: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
    ProblemError: lambda request, exc: exc.response(),
    NinjaValidationError: _invalid,
    HttpError: _http_error,
    DjangoValidationError: _django_invalid,
    Http404: lambda request, exc: not_found(request),
    PermissionDenied: lambda request, exc: problem_response(problems.FORBIDDEN, _("The client's role may not do this.")),
    RequestDataTooBig: lambda request, exc: problem_response(problems.TOO_LARGE, _("The body is larger than the API accepts.")),
    SuspiciousOperation: lambda request, exc: problem_response(problems.MALFORMED, _("The request could not be understood.")),
    IntegrityError: lambda request, exc: problem_response(
        problems.CONFLICT, _("The change clashes with another one made at the same time. Read the record again and retry.")
    ),
    Exception: _unexpected,
}


def build_api(routers: list[tuple[str, Any]]) -> NeedlechartApi:
    api = NeedlechartApi(
        title="needlechart API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api-v1",
        parser=JsonBodyParser(),
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    for exception, handler in HANDLERS.items():
        api.add_exception_handler(exception, handler)
    for prefix, router in routers:
        api.add_router(prefix, router)
    return api
