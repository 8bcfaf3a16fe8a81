"""Intake pages: the patient's phone questionnaire, the staff version, the screening result,
and the clinic's rule settings."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.core.public_links import link_refused, public_language
from needlechart.knowledge.treatment import SEVERITIES, treatment_catalog
from needlechart.patients.selectors import patient_get_for_user
from needlechart.screening import selectors, services
from needlechart.screening.rules import AnswerError, answered_questions, answers_for_the_day


def _raw_answers(data: QueryDict) -> dict[str, Any]:
    return {q.id: data.getlist(q.id) if q.type == "multichoice" else data.get(q.id) for q in treatment_catalog().questions.values()}


def _selected(value: object) -> tuple[str, set[str]]:
    """An answer as (text, set of chosen option strings) for re-rendering the form."""
    if value is True or value in ("yes", "true", "on"):
        return "", {"yes"}
    if value is False or value in ("no", "false", "off"):
        return "", {"no"}
    if isinstance(value, list):
        return "", {str(v) for v in value}
    return ("" if value is None else str(value)), {str(value)} if value is not None else set()


def _form_context(*, answers: dict[str, Any], errors: dict[str, str] | None = None, staff: bool) -> dict[str, Any]:
    """Every question of the sections this person answers; conditional ones carry their
    condition for the page script, and the server drops hidden answers anyway."""
    sections = [
        (section, [(q, *_selected(answers.get(q.id)), (errors or {}).get(q.id)) for q in section.questions])
        for section in treatment_catalog().sections
        if staff or not section.staff_only
    ]
    return {"sections": sections, "errors": errors or {}, "staff": staff}


@require_http_methods(["GET", "POST"])
def intake_public(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's questionnaire, reached through a secure link; no login."""
    try:
        link = services.intake_link_resolve(token)
    except services.LinkUnusable as error:
        return link_refused(request, error)
    language = public_language(request, link)
    with translation.override(language):
        if request.method == "POST":
            raw = _raw_answers(request.POST)
            try:
                services.intake_submit_by_patient(token=token, raw_answers=raw)
            except services.LinkUnusable as error:
                return link_refused(request, error)
            except AnswerError as exc:
                context = {**_form_context(answers=raw, errors=exc.errors, staff=False), "link": link, "language": language}
                return render(request, "screening/public_intake.html", context, status=400)
            thanks = _("Thank you. Your answers have been sent to the clinic.")
            return render(request, "screening/public_message.html", {"message": thanks, "done": True})
        context = {**_form_context(answers={}, staff=False), "link": link, "language": language}
        return render(request, "screening/public_intake.html", context)


@staff_view(Capability.RECORD_INTAKE)
@require_POST
def intake_link_create(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    link, url = services.intake_link_create(actor=request.user, patient=patient, base_url=request.build_absolute_uri("/"))
    return render(request, "screening/link_created.html", {"patient": patient, "link": link, "link_url": url})


@staff_view(Capability.RECORD_INTAKE)
@require_http_methods(["GET", "POST"])
def intake_staff(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Staff fill in the questionnaire with the patient (and the staff-only questions)."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    latest = patient.intake_responses.order_by("-submitted_at").first()
    if request.method == "POST":
        raw = _raw_answers(request.POST)
        try:
            services.intake_record_by_staff(actor=request.user, patient=patient, raw_answers=raw)
        except AnswerError as exc:
            context = {**_form_context(answers=raw, errors=exc.errors, staff=True), "patient": patient}
            return render(request, "screening/staff_intake.html", context, status=400)
        messages.success(request, _("Intake saved."))
        return redirect("patient_chart", patient_id=patient.pk)
    # The patient's earlier answers are health data: offered again (those that hold for their day
    # only, intoxication, on the same day only) to those who may read clinical records; the front
    # desk fills in a blank form with the patient. Either way the page view is audited.
    clinical = has_capability(request.user, Capability.VIEW_CLINICAL)
    earlier = (
        answers_for_the_day(latest.answers, answered_on=timezone.localdate(latest.submitted_at), on=timezone.localdate())
        if latest and clinical
        else {}
    )
    audit_read(
        actor=request.user,
        object_type=AuditObject.INTAKE if earlier else AuditObject.PATIENT,
        object_id=latest.pk if earlier and latest else patient.pk,
        patient_id=patient.pk,
        detail={"page": "staff intake form"},
    )
    return render(request, "screening/staff_intake.html", {**_form_context(answers=earlier, staff=True), "patient": patient})


@staff_view(Capability.VIEW_CLINICAL)
def screening_detail(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    screening = selectors.screening_for_patient(user=request.user, patient=patient)
    audit_read(
        actor=request.user,
        object_type=AuditObject.INTAKE,
        object_id=screening.response.pk if screening.response else "",
        patient_id=patient.pk,
    )
    answers = list(answered_questions(screening.response.answers)) if screening.response else []
    return render(request, "screening/detail.html", {"patient": patient, "screening": screening, "answers": answers})


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def rule_settings(request: StaffRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        severity = request.POST.get("severity", "")
        try:
            services.rule_setting_set(
                actor=request.user, rule_id=request.POST.get("rule", ""), severity=severity if severity != "off" else None
            )
            messages.success(request, _("Rule updated."))
            return redirect("rule_settings")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    adjustments = selectors.rule_adjustments(clinic_id_of(request.user))
    rules = [
        (rule, (adjustments[rule.id] or "off") if rule.id in adjustments else rule.severity, rule.id in adjustments)
        for rule in treatment_catalog().rules.values()
    ]
    return render(request, "screening/rules.html", {"rules": rules, "severities": SEVERITIES}, status=status)
