"""Patient pages: search, registration, demographics and episodes of care (the chart is in pages.chart)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_list_read, audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.patients import selectors, services
from needlechart.patients.forms import EpisodeCloseForm, EpisodeForm, PatientForm
from needlechart.patients.identifiers import NATIONAL_ID_SYSTEMS


@staff_view(Capability.VIEW_DEMOGRAPHICS)
def patient_list(request: StaffRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    query, results = selectors.patient_search(user=request.user, text=text)
    if not query.is_empty:
        # One event naming every patient the list showed, so each one's access log finds it.
        audit_list_read(actor=request.user, object_type="patient", shown={p.pk: [p.pk] for p in results}, detail={"results": len(results)})
    context = {"query": query, "results": results, "limit": selectors.SEARCH_LIMIT}
    template = "patients/_results.html" if request.htmx and request.htmx.target == "search-results" else "patients/list.html"
    return render(request, template, context)


def _form_errors_to_messages(form: BaseForm, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_http_methods(["GET", "POST"])
def patient_create(request: StaffRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=request.user, data=form.cleaned_data, identifiers=form.identifiers())
        except ValidationError as error:
            _form_errors_to_messages(form, error)
        else:
            messages.success(request, _("Patient registered."))
            return redirect("patient_chart", patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "creating": True}, status=status)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_http_methods(["GET", "POST"])
def patient_edit(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
    identifiers = list(patient.identifiers.all())
    nin = next((i.value for i in identifiers if i.system in NATIONAL_ID_SYSTEMS), "")
    other = next((i for i in identifiers if i.system not in NATIONAL_ID_SYSTEMS), None)
    initial = {"national_id": nin, "other_id_system": other.system if other else "", "other_id_value": other.value if other else ""}
    form = PatientForm(request.POST or None, instance=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=request.user, patient=patient, data=form.cleaned_data, identifiers=form.identifiers())
        except ValidationError as error:
            _form_errors_to_messages(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patient_chart", patient_id=patient.pk)
    else:
        audit_read(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            detail={"page": "edit"},
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "patient": patient}, status=status)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_http_methods(["GET", "POST"])
def episode_create(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
    form = EpisodeForm(request.POST or None, initial={"started_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_create(actor=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            _form_errors_to_messages(form, error)
        else:
            messages.success(request, _("Episode of care started."))
            return redirect("patient_chart", patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    audit_read(actor=request.user, object_type="patient", object_id=patient.pk, patient_id=patient.pk, detail={"page": "new episode"})
    return render(request, "patients/episode_form.html", {"form": form, "patient": patient}, status=status)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_POST
def episode_close(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    episode = selectors.episode_get_for_user(user=request.user, episode_id=episode_id)
    form = EpisodeCloseForm(request.POST)
    if form.is_valid():
        try:
            services.episode_close(actor=request.user, episode=episode, ended_on=form.cleaned_data["ended_on"])
        except ValidationError as error:
            _form_errors_to_messages(form, error)
        else:
            messages.success(request, _("Episode of care closed."))
            return redirect("patient_chart", patient_id=episode.patient_id)
    return render(request, "patients/episode_form.html", {"form": form, "patient": episode.patient, "closing": episode}, status=400)
