"""FHIR Bulk Data ``$export`` (docs/architecture.md, "FHIR bulk export"): kick-off, status, files, cancel.

``GET /fhir/$export`` (the clinic's whole record) and ``GET /fhir/Group/<id>/$export`` (the
resources of the Group's patients, api.fhir.groups) with ``Prefer: respond-async`` queue an
``ExportJob`` and answer 202 with its status URL in Content-Location. The status URL answers 202
with X-Progress while the job waits or runs (``needlechart run-exports`` runs it), then 200 with
the Bulk Data manifest; DELETE cancels the job and deletes its files (202). Each file is
``application/fhir+ndjson`` and needs the token of the client that asked (another client: 404,
as an unknown job). Files expire ``FILES_LIVE`` after the job is done (410). Every call needs
the export scope; the kick-off and each file downloaded are audited.

Parameters: ``_type`` (types, comma-separated: the default is every type the client may read,
for a Group those of the patients' records), ``_since`` (an instant with its time zone: only
what was created or changed since, see api.fhir.bulk_jobs), ``_outputFormat`` (NDJSON only).
Any other parameter is refused (400), so that no filter is silently left out.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _

from needlechart.api.auth import Caller, ClientToken
from needlechart.api.fhir.bulk_jobs import FILES_LIVE, file_path, job_directory
from needlechart.api.fhir.groups import group_patients
from needlechart.api.fhir.handling import fhir_view
from needlechart.api.fhir.outcome import FhirError, fhir_response, issue, operation_outcome, outcome_response
from needlechart.api.fhir.sources import TYPES
from needlechart.api.models import ExportJob, ExportStatus
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read, audit_record
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.interop.elements import instant

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
PARAMETERS = frozenset({"_type", "_since", "_outputFormat"})
MAX_ACTIVE = 3  # unfinished jobs one client may have at once
AUDIT_OBJECT = "fhir_export"
# Types whose every row belongs to a patient: what a Group export may hold.
PATIENT_TYPES = tuple(name for name, kind in TYPES.items() if all(source.patient for source in kind.sources))


def _respond_async(request: HttpRequest) -> bool:
    return any(part.strip() == "respond-async" for part in request.headers.get("Prefer", "").split(","))


def _types(request: HttpRequest, caller: Caller, group: str) -> list[str]:
    allowed = PATIENT_TYPES if group else tuple(TYPES)
    may_audit = has_capability(caller.user, Capability.VIEW_AUDIT)
    asked = [name.strip() for value in request.GET.getlist("_type") for name in value.split(",") if name.strip()]
    if not asked:
        return [name for name in allowed if may_audit or not TYPES[name].audit_log]
    unknown = sorted({name for name in asked if name not in allowed})
    if unknown:
        names = ", ".join(unknown)[:300]
        if group:
            message = _("A Group export holds only the patients' records: it has no resource type %(types)s.") % {"types": names}
        else:
            message = _("This server exports no resource type %(types)s.") % {"types": names}
        raise FhirError(400, message, code="not-supported")
    if not may_audit and any(TYPES[name].audit_log for name in asked):
        require_capability(caller.user, Capability.VIEW_AUDIT)
    return [name for name in allowed if name in set(asked)]


def _since(request: HttpRequest) -> dt.datetime | None:
    values = request.GET.getlist("_since")
    if not values:
        return None
    text = values[-1]
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment > timezone.now():
        message = _("_since must be a past instant with its time zone, e.g. 2026-01-31T12:00:00Z; %(value)s is not.")
        raise FhirError(400, message % {"value": text[:100]})
    return moment


def _check_parameters(request: HttpRequest) -> None:
    unknown = sorted(set(request.GET) - PARAMETERS)
    if unknown:
        raise FhirError(
            400, _("$export does not take the parameters %(names)s.") % {"names": ", ".join(unknown)[:300]}, code="not-supported"
        )
    formats = request.GET.getlist("_outputFormat")
    if formats and formats[-1] not in OUTPUT_FORMATS:
        raise FhirError(400, _("$export writes NDJSON only (_outputFormat=%(format)s).") % {"format": NDJSON}, code="not-supported")


def _status_url(request: HttpRequest, job: ExportJob) -> str:
    return request.build_absolute_uri(reverse("fhir_export_status", args=[job.pk]))


def _kick_off(request: HttpRequest, group: str) -> HttpResponse:
    caller = ClientToken(Scope.EXPORT)(request)
    if not _respond_async(request):
        raise FhirError(400, _("$export runs as a job: send the header Prefer: respond-async."))
    _check_parameters(request)
    types = _types(request, caller, group)
    since = _since(request)
    for name in types:
        for source in TYPES[name].sources:
            source.rows(caller.user)  # the access layer's check: 403 for a role that may not read them
    if group and group_patients(caller.user, group) is None:
        raise FhirError(404, _("There is no Group %(id)s in this clinic.") % {"id": group[:80]})
    now = timezone.now()
    unfinished = ExportJob.objects.filter(client=caller.client, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING], expires_at__gt=now)
    if unfinished.count() >= MAX_ACTIVE:
        message = _("This client has %(count)s exports still running. Wait for one to finish or cancel one.") % {"count": MAX_ACTIVE}
        return outcome_response(429, message, headers={"Retry-After": "60"})
    with transaction.atomic():
        job = ExportJob.objects.create(
            clinic_id=caller.client.clinic_id,
            client=caller.client,
            group=group,
            types=types,
            since=since,
            request_url=request.build_absolute_uri()[:4000],
            expires_at=now + FILES_LIVE,
        )
        audit_record(
            actor=caller.user,
            action=AuditAction.EXPORT,
            object_type=AUDIT_OBJECT,
            object_id=job.pk,
            clinic_id=caller.client.clinic_id,
            detail={"fhir": "$export", "group": group, "types": types, "since": since.isoformat() if since else None},
        )
    accepted = operation_outcome(
        issue(_("The export has started. Ask the Content-Location address for its progress."), code="informational", severity="information")
    )
    return fhir_response(accepted, status=202, headers={"Content-Location": _status_url(request, job)})


@fhir_view("GET")
def export_system(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, "")


@fhir_view("GET")
def export_group(request: HttpRequest, group_id: str) -> HttpResponse:
    return _kick_off(request, group_id)


def _job_of(caller: Caller, job_id: uuid.UUID) -> ExportJob:
    """The caller's own job; another client's is as unknown as a job that never was (404)."""
    job = ExportJob.objects.filter(pk=job_id, client=caller.client).first()
    if job is None or job.status == ExportStatus.CANCELLED:
        raise Http404
    return job


def _gone() -> FhirError:
    return FhirError(410, _("This export has expired and its files were deleted. Start a new one."), code="not-found")


def _manifest(request: HttpRequest, job: ExportJob) -> dict[str, object]:
    output = []
    for name in job.types:
        entry = job.files.get(name)
        if entry and entry["count"]:
            url = request.build_absolute_uri(reverse("fhir_export_file", args=[job.pk, name]))
            output.append({"type": name, "url": url, "count": entry["count"]})
    assert job.transaction_time is not None
    return {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def _cancel(job: ExportJob) -> HttpResponse:
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED, files={}, finished_at=timezone.now())
    shutil.rmtree(job_directory(job.pk), ignore_errors=True)
    message = _("The export was cancelled and its files deleted.")
    return fhir_response(operation_outcome(issue(message, code="informational", severity="information")), status=202)


@fhir_view("GET", "DELETE")
def export_status(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    caller = ClientToken(Scope.EXPORT)(request)
    job = _job_of(caller, job_id)
    if request.method == "DELETE":
        return _cancel(job)
    if job.expires_at <= timezone.now():
        raise _gone()
    if job.status == ExportStatus.FAILED:
        return outcome_response(500, _("The export failed: %(reason)s.") % {"reason": job.error}, code="exception")
    if job.status != ExportStatus.DONE:
        progress = job.progress or str(ExportStatus(job.status).label)
        return HttpResponse(status=202, headers={"X-Progress": progress, "Retry-After": "5"})
    return fhir_response(_manifest(request, job), headers={"Expires": http_date(job.expires_at.timestamp())})


@fhir_view("GET", "HEAD")
def export_file(request: HttpRequest, job_id: uuid.UUID, resource_type: str) -> HttpResponseBase:
    caller = ClientToken(Scope.EXPORT)(request)
    job = _job_of(caller, job_id)
    if job.status != ExportStatus.DONE:
        raise Http404
    if job.expires_at <= timezone.now():
        raise _gone()
    path = file_path(job, resource_type)
    if path is None:
        raise Http404
    audit_read(
        actor=caller.user,
        action=AuditAction.DOWNLOAD,
        object_type=AUDIT_OBJECT,
        object_id=job.pk,
        detail={"fhir": f"$export {resource_type}", "count": job.files[resource_type]["count"], "group": job.group},
    )
    return FileResponse(open(path, "rb"), content_type=NDJSON)  # noqa: SIM115 - FileResponse closes it
