"""Audit reports: a patient's access log and the clinic's log over a period.

In the composing layer (pages), not in audit: they read patients, and audit sits below them.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from needlechart.audit import selectors
from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.pages.audit_accounts import account_rows
from needlechart.pages.audit_forms import AuditRangeForm
from needlechart.patients.selectors import patient_get_for_user

PAGE_SIZE = 100


class _Echo:
    def write(self, value: str) -> str:
        return value


# A cell a spreadsheet would read as a formula (OWASP's CSV injection list) is written with a
# leading apostrophe, which spreadsheets show as text and drop.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_response(rows: QuerySet[AuditEvent], filename: str, *, patient_id: uuid.UUID | None = None) -> StreamingHttpResponse:
    """The rows as CSV; ``patient_id``: one patient's log, whose every row is of that patient (a
    list's row names its patients in subject rows, not in its own patient column)."""
    writer = csv.writer(_Echo())
    header = ["time", "user", "role", "action", "object_type", "object_id", "patient", "address"]

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for e in rows.iterator(chunk_size=2000):
            row = [e.at.isoformat(), e.actor_username, e.actor_role, e.action, e.object_type, e.object_id, e.patient_id or patient_id, e.ip]
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view(Capability.VIEW_AUDIT)
def patient_access_report(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse | StreamingHttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    events = selectors.patient_access_report(user=request.user, patient_id=patient.pk)
    audit_read(
        actor=request.user,
        action=AuditAction.EXPORT if "csv" in request.GET else AuditAction.VIEW,
        object_type="access_report",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    if "csv" in request.GET:
        return _csv_response(events, f"access-report-{patient.pk}.csv", patient_id=patient.pk)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/patient_access.html", {"patient": patient, "page": page})


@staff_view(Capability.VIEW_AUDIT)
def audit_report(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    today = timezone.localdate()
    data = request.GET if "start" in request.GET else {"start": today - dt.timedelta(days=7), "end": today}
    form = AuditRangeForm(data)
    if not form.is_valid():
        return render(request, "audit/report.html", {"form": form}, status=400)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(form.cleaned_data["start"], dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(form.cleaned_data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    events = selectors.audit_report(user=request.user, start=start, end=end, action=form.cleaned_data["action"])
    if "csv" in request.GET:
        audit_read(
            actor=request.user,
            action=AuditAction.EXPORT,
            object_type="audit_report",
            detail={"start": start.isoformat(), "end": end.isoformat()},
        )
        return _csv_response(events, f"audit-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    accounts = account_rows(user=request.user, start=start, end=end)
    return render(request, "audit/report.html", {"form": form, "page": page, "query": query.urlencode(), "accounts": accounts})
