"""The clinic dashboard and its CSV export. Aggregates only: no patient is named or identifiable."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from needlechart.analytics.charts import months_svg
from needlechart.analytics.report import FilterError, Filters, Report, clinic_report, parse_filters, practitioners
from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.outcomes.benchmarks import published_benchmarks
from needlechart.outcomes.stats import Interval
from needlechart.patients.models import ConditionCategory


def _report(request: StaffRequest) -> tuple[Filters | None, Report | None, str]:
    clinic_id = clinic_id_of(request.user)
    try:
        filters = parse_filters(request.GET, clinic_id)
    except FilterError as error:
        return None, None, str(error)
    return filters, clinic_report(clinic_id, filters), ""


@staff_view(Capability.VIEW_ANALYTICS)
@require_GET
def dashboard(request: StaffRequest) -> HttpResponse:
    filters, report, error = _report(request)
    audit_read(actor=request.user, object_type=AuditObject.ANALYTICS, detail=filters.query() if filters else {"error": error})
    context = {
        "filters": filters,
        "report": report,
        "error": error,
        "values": request.GET,
        "practitioners": practitioners(clinic_id_of(request.user)),
        "conditions": ConditionCategory.choices,
        "benchmarks": published_benchmarks(),
        "months_chart": months_svg(report.months) if report else "",
    }
    return render(request, "analytics/dashboard.html", context, status=400 if error else 200)


def _ci(interval: Interval | None) -> list[float | str]:
    return ["", "", ""] if interval is None else [round(interval.estimate, 4), round(interval.low, 4), round(interval.high, 4)]


@staff_view(Capability.VIEW_ANALYTICS)
@require_GET
def export_csv(request: StaffRequest) -> HttpResponse:
    filters, report, error = _report(request)
    if report is None or filters is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    audit_read(actor=request.user, action=AuditAction.EXPORT, object_type=AuditObject.ANALYTICS, detail=filters.query())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="needlechart-analytics-{filters.start}-{filters.end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["measure", "group", "count", "denominator", "value", "ci_low_95", "ci_high_95"])
    for month, sessions, patients in report.months:
        writer.writerow(["sessions", month.strftime("%Y-%m"), sessions, "", "", "", ""])
        writer.writerow(["patients", month.strftime("%Y-%m"), patients, "", "", "", ""])
    for severity, (count, rate) in report.adverse.items():
        writer.writerow(["adverse_event_rate_per_session", severity, count, report.sessions, *_ci(rate)])
    for row in report.outcomes:
        writer.writerow(["responder_rate_nprs", row.condition, row.responders, row.with_follow_up, *_ci(row.responder_rate)])
        change = row.change
        values = (
            ["", "", ""]
            if change is None
            else [
                round(change.mean, 3),
                *(("", "") if change.low is None or change.high is None else (round(change.low, 3), round(change.high, 3))),
            ]
        )
        writer.writerow(["mean_nprs_improvement", row.condition, change.n if change else 0, "", *values])
    if report.to_response:
        responders, quartiles = report.to_response
        for name in ("median", "q1", "q3"):
            writer.writerow([f"sessions_to_response_{name}", "all", responders, "", getattr(quartiles, name), "", ""])
    return response
