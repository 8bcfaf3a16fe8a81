"""The patient chart and an episode's older visits: the patient, what is known about suitability
and pain, and the episodes of care with their visits (patients, screening, charting, needling)."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read
from needlechart.charting.pain_map_views import pain_map_context
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.needling.selectors import serious_adverse_events
from needlechart.pages import chart_reads, visit_reads
from needlechart.patients.selectors import episode_get_for_user
from needlechart.scheduling.access import CalendarAction, may
from needlechart.screening.selectors import latest_intake_link, screening_of


@staff_view(Capability.VIEW_DEMOGRAPHICS)
def patient_chart(request: StaffRequest, patient_id) -> HttpResponse:
    user = request.user
    found = chart_reads.chart_patient(user=user, patient_id=patient_id)
    patient = found.patient
    timeline = chart_reads.patient_chart(user=user, found=found)
    audit_read(
        actor=user, action=AuditAction.VIEW, object_type="patient", object_id=patient.pk, patient_id=patient.pk, detail={"page": "chart"}
    )
    context = {
        "patient": patient,
        "identifiers": found.identifiers,
        "timeline": timeline,
        "screening": None,
        "serious_events": [],
        "latest_pain": None,  # pain_map_context's, with "taken_at"
        "intake_status": None,  # for who records intakes without reading them
        "now": timezone.now(),
        "may_book": may(user, CalendarAction.BOOK),  # the calendar's booking form, with the patient chosen
    }
    if has_capability(user, Capability.VIEW_CLINICAL):
        context["screening"] = screening_of(user=user, response=found.intake, clinic_has_rule_settings=found.has_rule_settings)
        context["serious_events"] = serious_adverse_events(patient) if found.has_serious_events else []
        if pain_map := chart_reads.latest_pain_map(user=user, patient=patient, timeline=timeline):
            context["latest_pain"] = {"taken_at": pain_map[0], **pain_map_context(pain_map[1], editable=False)}
    elif has_capability(user, Capability.RECORD_INTAKE):
        answered_at = found.intake.submitted_at if found.intake else None
        context["intake_status"] = {"answered_at": answered_at, "link": latest_intake_link(user=user, patient=patient)}
    return render(request, "pages/chart.html", context)


@staff_view(Capability.VIEW_DEMOGRAPHICS)
def episode_visits(request: StaffRequest, episode_id) -> HttpResponse:
    """The next page of an episode's older visits: HTMX appends it to the chart's timeline."""
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    try:
        before = uuid.UUID(request.GET["before"]) if request.GET.get("before") else None
    except ValueError as exc:
        raise Http404 from exc
    page, more = visit_reads.episode_visits(user=request.user, episode=episode, before=before)
    audit_read(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="episode",
        object_id=episode.pk,
        patient_id=episode.patient_id,
        detail={"page": "older_visits"},
    )
    context = {"episode": episode, "visits": page, "more": more}
    return render(request, "pages/_visits.html" if request.htmx else "pages/episode_visits.html", context)
