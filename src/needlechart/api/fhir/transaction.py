"""``POST /fhir/`` (and ``POST /fhir/Bundle``): a transaction Bundle imported with interop.importing.

Patient, Practitioner, EpisodeOfCare and Observation, as ``needlechart import-fhir`` imports them:
duplicates found by identifier (matched, never changed), references to entries of the Bundle or
to the clinic's records, all or nothing. The call needs the scope demographics:write, and the
client's role must be allowed each write (the services check it entry by entry). The records
written name the staff member who created the client as their author (``_author``).

Answers: 200 and a ``transaction-response`` Bundle (each entry's status, 201 Created or 200 OK
for a record matched, and its location) when the Bundle was written; 422 and an OperationOutcome
naming every rejected entry with its reasons when any entry was refused (nothing written); 400
for a body that is no JSON or no transaction Bundle, 413 for one over ``MAX_BYTES``, 415 for
another media type. ``?_dry-run=true`` runs the whole import, the database's checks included,
and writes nothing: 200 and an OperationOutcome with one line per entry saying what a real call
would do (or 422 as above). The import is audited (interop.importing: one row per call that
writes or is refused, naming the counts; the records created by their services).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from needlechart.api.auth import Caller, ClientToken
from needlechart.api.fhir.handling import View, fhir_view
from needlechart.api.fhir.outcome import FhirError, fhir_response, issue, operation_outcome
from needlechart.api.scopes import Scope
from needlechart.clinics.models import Clinic, User
from needlechart.interop.importing import ImportReport, InvalidImport, import_bundle, parse_json
from needlechart.interop.importing_report import CREATED
from needlechart.interop.validation import validate_resource

MAX_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = frozenset({"application/fhir+json", "application/json"})
DRY_RUN = "_dry-run"


def _body(request: HttpRequest) -> bytes:
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise FhirError(415, _("Send the Bundle as application/fhir+json."), code="not-supported")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    limit = _("The Bundle is larger than %(size)s MB. Send it in parts, or use needlechart import-fhir.") % {"size": MAX_BYTES // 2**20}
    if declared > MAX_BYTES:
        raise FhirError(413, limit)
    body = request.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise FhirError(413, limit)
    return body


def _dry_run(request: HttpRequest) -> bool:
    value = request.GET.get(DRY_RUN, "false")
    if value not in ("true", "false"):
        raise FhirError(400, _("%(name)s takes true or false.") % {"name": DRY_RUN})
    return value == "true"


def _rejected(report: ImportReport) -> HttpResponse:
    issues = [
        {**issue(f"{entry.label}: {'; '.join(entry.reasons)}", code="processing"), "expression": [_expression(entry.label)]}
        for entry in report.rejected
    ]
    summary = _("Nothing was written: every entry must be accepted for the Bundle to be written.")
    return fhir_response(operation_outcome(*issues, issue(summary, code="processing", severity="information")), status=422)


def _expression(label: str) -> str:
    """``Bundle.entry[0]`` for the report's ``entry 1 (...)``."""
    number = label.split()[1] if label.startswith("entry ") else ""
    return f"Bundle.entry[{int(number) - 1}]" if number.isdigit() else "Bundle.entry"


def _preview(report: ImportReport) -> dict[str, Any]:
    lines = [issue(entry.line(), code="informational", severity="information") for entry in report.entries]
    summary = _("Dry run: nothing was written. Send the Bundle again without %(name)s to write it.") % {"name": DRY_RUN}
    return operation_outcome(*lines, issue(summary, code="informational", severity="information"))


def _response_bundle(report: ImportReport) -> dict[str, Any]:
    now = timezone.now().isoformat()
    entries = []
    for entry in report.entries:
        status = "201 Created" if entry.outcome == CREATED else "200 OK"
        entries.append({"response": {"status": status, "location": entry.target, "lastModified": now}})
    bundle = {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
    validate_resource(bundle)
    return bundle


def _author(caller: Caller) -> User:
    """Who the import acts as. A record names a saved staff member as its author (an episode's
    created_by, a measurement's recorded_by), which a client's stand-in user is not: the staff
    member who created the client answers for what it writes, with the client's role and name
    (``api:<client>`` in the audit log, the client in the rows' detail). A token of the
    authorization code grant acts as its staff member already."""
    if caller.user.pk is not None:
        return caller.user
    author = User.objects.filter(pk=caller.client.created_by_id, clinic_id=caller.client.clinic_id).first()
    if author is None:
        raise FhirError(403, _("The staff member who made this client is no longer in the clinic. Make a new client."))
    stand_in = caller.user
    author.role, author.username, author.approval, author.is_active = stand_in.role, stand_in.username, stand_in.approval, True
    return author


@fhir_view("POST")
def transaction(request: HttpRequest) -> HttpResponse:
    caller = ClientToken(Scope.DEMOGRAPHICS_WRITE)(request)
    dry_run = _dry_run(request)
    body = _body(request)
    try:
        bundle = parse_json(body, "the request's body")
    except InvalidImport as error:
        raise FhirError(400, str(error)) from error
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise FhirError(400, _("POST a Bundle of type transaction to this address."))
    clinic = Clinic.objects.get(pk=caller.client.clinic_id)
    source = f"POST /fhir/ by API client {caller.client.name}"
    try:
        report = import_bundle(clinic, _author(caller), bundle, dry_run=dry_run, source=source)
    except InvalidImport as error:
        raise FhirError(400, str(error)) from error
    if report.rejected:
        return _rejected(report)
    return fhir_response(_preview(report) if dry_run else _response_bundle(report))


def posted_or(other: View) -> View:
    """An address that answers POST with the transaction and every other method with ``other``."""

    @csrf_exempt
    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return transaction(request) if request.method == "POST" else other(request, *args, **kwargs)

    return dispatch
