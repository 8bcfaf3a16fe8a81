"""FHIR R4 REST: ``GET /fhir/metadata``, ``GET /fhir/<type>/<id>`` (read), ``GET /fhir/<type>?...`` (search).

A call is authenticated, rate-limited and scoped exactly as a v1 API call (``api.auth.ClientToken``
with the type's scope), acts within the client's clinic, and is audited as v1 reads are
(``audit_read``, the client and scope in the row's context). Another clinic's id is a 404, as a
missing one. Errors are OperationOutcomes with the status (and headers) the v1 API gives.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.api.auth import REALM, Caller, ClientToken
from needlechart.api.fhir.handling import fhir_view
from needlechart.api.fhir.outcome import FhirError, fhir_response, issue, operation_outcome
from needlechart.api.fhir.search import CONTROL, count_of, cursor_position, cursor_text, key_of, patient_ids, search_key, source_filter
from needlechart.api.fhir.source_types import ResourceType, Source
from needlechart.api.fhir.sources import TYPES
from needlechart.api.problems import FORBIDDEN, ProblemError
from needlechart.api.read_audit import audit_shown
from needlechart.api.scopes import Scope
from needlechart.audit.services import audit_read
from needlechart.core.access import Capability, has_capability
from needlechart.interop.validation import validate_resource

# The read-only views' wrapper, by the name api.fhir.everything imports.
_fhir_view = fhir_view("GET", "HEAD")


def _kind(resource_type: str) -> ResourceType:
    kind = TYPES.get(resource_type)
    if kind is None:
        raise FhirError(404, _("This server has no resource type %(type)s.") % {"type": resource_type[:64]}, code="not-supported")
    return kind


def _authorize(request: HttpRequest, kind: ResourceType) -> Caller:
    """The v1 API's check (401, 429, 403 without the scope); the access log also needs an admin-made client."""
    caller = ClientToken(kind.scope)(request)
    if kind.audit_log and not has_capability(caller.user, Capability.VIEW_AUDIT):
        raise ProblemError(
            FORBIDDEN,
            _("Only a client made by a clinic admin may read the access log."),
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{kind.scope}"'},
        )
    return caller


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir_root"))


def _rows_by_id(kind: ResourceType, caller: Caller, resource_id: str) -> tuple[Source, Any] | None:
    for source in kind.sources:
        queryset = source.rows(caller.user)
        key = key_of(queryset, resource_id)
        row = queryset.filter(pk=key).first() if key is not None else None
        if row is not None:
            return source, row
    return None


@fhir_view("GET", "HEAD")
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    kind = _kind(resource_type)
    caller = _authorize(request, kind)
    found = _rows_by_id(kind, caller, resource_id)
    if found is None:
        raise Http404
    source, row = found
    resource = source.build(row)
    audit_read(
        actor=caller.user,
        object_type=source.audit_object,
        object_id=row.pk,
        patient_id=source.patient_of(row),
        detail={"fhir": f"{kind.name}/{row.pk}"},
    )
    return fhir_response(resource)


def _strict(request: HttpRequest) -> bool:
    return any(part.strip() == "handling=strict" for part in re.split("[;,]", request.headers.get("Prefer", "")))


def _audit_search(caller: Caller, kind: ResourceType, shown: list[tuple[Source, Any]]) -> None:
    """One row per patient shown, naming the resources shown of them (api.read_audit)."""
    audit_shown(
        actor=caller.user,
        object_type=kind.sources[0].audit_object,
        shown=[(source.patient_of(row), row.pk) for source, row in shown],
        detail={"fhir": kind.name},
    )


def _one_patient(kind: ResourceType, filters: list[tuple[str, str]]) -> uuid.UUID | None:
    """The patient of a search by one patient's id alone (patient= or subject=, one value), when
    every source of the type reads a patient's rows itself; None for any other search."""
    if len(filters) != 1 or filters[0][0] not in {"patient", "subject"} or not all(s.patient_page for s in kind.sources):
        return None
    alternatives = [value for value in filters[0][1].split(",") if value]
    patients = patient_ids(alternatives) if len(alternatives) == 1 else []
    return patients[0] if len(patients) == 1 else None


@fhir_view("GET", "HEAD")
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    kind = _kind(resource_type)
    caller = _authorize(request, kind)
    params = [(name, value) for name, values in request.GET.lists() for value in values]
    known = kind.searchable
    unknown = sorted({name for name, _value in params if name not in known and name not in CONTROL})
    if unknown and _strict(request):
        raise FhirError(
            400,
            _("Unknown search parameters for %(type)s: %(names)s.") % {"type": kind.name, "names": ", ".join(unknown)},
            code="not-supported",
        )
    filters = [(name, value) for name, value in params if name in known]
    count = count_of(params)
    key = search_key(kind, params)
    cursors = [value for name, value in params if name == "_cursor"]
    start, after = cursor_position(key, cursors[-1]) if cursors else (0, None)
    # One patient's first page is read by the sources' patient_page (api.fhir.patient_pages), the rest by querysets.
    patient = _one_patient(kind, filters) if start == 0 and after is None else None
    querysets = [] if patient else [source_filter(kind, source, source.rows(caller.user), filters, caller.user) for source in kind.sources]
    shown: list[tuple[int, Any]] = []
    for index, source in enumerate(kind.sources):
        if index < start or len(shown) > count:
            continue
        limit = count + 1 - len(shown)
        if patient:
            shown.extend((index, row) for row in source.first_of_patient(caller.user, patient, limit))
            continue
        rows = querysets[index].order_by("pk")
        if index == start and after is not None:
            rows = rows.filter(pk__gt=key_of(rows, after))
        shown.extend((index, row) for row in rows[:limit])
    # A first page that holds every row counts them itself; any other page asks each source once.
    whole = start == 0 and after is None and len(shown) <= count
    if not whole and not querysets:
        querysets = [source_filter(kind, source, source.rows(caller.user), filters, caller.user) for source in kind.sources]
    total = len(shown) if whole else sum(queryset.count() for queryset in querysets)
    base = _base(request)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if len(shown) > count:
        shown = shown[:count]
        index, last = shown[-1]
        kept = [(name, value) for name, value in params if name != "_cursor"]
        query = urlencode([*kept, ("_cursor", cursor_text(key, index, last.pk))])
        links.append({"relation": "next", "url": f"{base}{kind.name}?{query}"})
    rows_shown = [(kind.sources[index], row) for index, row in shown]
    entries: list[dict[str, Any]] = []
    for source, row in rows_shown:
        resource = source.build(row)
        entries.append({"fullUrl": f"{base}{kind.name}/{resource['id']}", "resource": resource, "search": {"mode": "match"}})
    if unknown:
        warning = _("Ignored search parameters for %(type)s: %(names)s.") % {"type": kind.name, "names": ", ".join(unknown)}
        outcome = operation_outcome(issue(warning, code="not-supported", severity="warning"))
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    _audit_search(caller, kind, rows_shown)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "total": total,
        "link": links,
        "entry": entries,
    }
    return fhir_response(bundle)


_SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_BULK = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
_EXPORT_DOC = (
    f"FHIR Bulk Data export with {Scope.EXPORT} and Prefer: respond-async; _type, _since and _outputFormat (NDJSON)."
    " The files are served to the client that asked, for 24 hours."
)
_GROUP = {
    "type": "Group",
    "documentation": (
        "A Group is not stored: 'clinic' holds every patient of the clinic, 'practitioner-<Practitioner id>' the patients"
        " with a visit booked with that staff member. Only its $export is served."
    ),
    "operation": [{"name": "export", "definition": _BULK + "group-export", "documentation": _EXPORT_DOC}],
}
_EVERYTHING = {
    "name": "everything",
    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
    "documentation": (
        f"GET Patient/<id>/$everything with {Scope.CLINICAL_READ}, for a client acting for a role that may disclose records:"
        " the patient's whole record as a collection Bundle (their copy), audited as a disclosure. It takes no parameters."
    ),
}
_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def capability_statement(base: str, token_url: str) -> dict[str, Any]:
    """What /fhir/ serves: each type's read and search-type and its search parameters; validated."""
    resources = []
    for kind in TYPES.values():
        scope = str(kind.scope) + (" (and a client made by a clinic admin)" if kind.audit_log else "")
        resource: dict[str, Any] = {
            "type": kind.name,
            "documentation": f"Needs the scope {scope}.",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": name, "type": kind_of} for name, kind_of in kind.searchable.items()]
            + [{"name": "_count", "type": "number", "documentation": "1 to 100, 20 when not given."}],
        }
        if kind.name == "Patient":
            resource["operation"] = [_EVERYTHING]
        resources.append(resource)
    statement: dict[str, Any] = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "needlechart",
        "kind": "instance",
        "software": {"name": "needlechart"},
        "implementation": {"description": "needlechart FHIR R4 read, search, transaction and bulk export", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Search pages with _count and the next link's _cursor. Unknown search parameters are ignored and named in an"
                    " OperationOutcome entry (search mode outcome); send Prefer: handling=strict to have them refused with 400."
                ),
                "security": {
                    "extension": [{"url": _OAUTH_URIS, "extension": [{"url": "token", "valueUri": token_url}]}],
                    "cors": False,
                    "service": [{"coding": [{"system": _SECURITY, "code": "OAuth", "display": "OAuth"}]}],
                    "description": (
                        "Authorization: Bearer with an API client's personal access token, or an access token of its OAuth 2 client"
                        f" credentials from {token_url}. Scopes: {Scope.DEMOGRAPHICS_READ} for Patient, Practitioner, PractitionerRole"
                        f" and Organization; {Scope.CLINICAL_READ} for the others; AuditEvent also needs a client made by a clinic admin."
                    ),
                },
                "resource": [*resources, _GROUP],
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": (
                            f"POST a transaction Bundle to the base (or to Bundle) with {Scope.DEMOGRAPHICS_WRITE}: Patient, Practitioner,"
                            " EpisodeOfCare and Observation, all or nothing, duplicates matched by identifier."
                            " ?_dry-run=true writes nothing and says what would be written."
                        ),
                    }
                ],
                "operation": [{"name": "export", "definition": _BULK + "export", "documentation": _EXPORT_DOC}],
            }
        ],
    }
    validate_resource(statement)
    return statement


@fhir_view("GET", "HEAD")
def metadata(request: HttpRequest) -> HttpResponse:
    """No token needed: the statement says how to get one."""
    return fhir_response(capability_statement(_base(request), request.build_absolute_uri(reverse("oauth_token"))))


@fhir_view("GET", "HEAD")
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise FhirError(404, _("There is no such address in the FHIR API."), code="not-supported")
