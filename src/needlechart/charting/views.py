"""Booking visits and setting their status (the day list and the visit page are in pages.today and pages.visit)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.services import audit_read
from needlechart.charting import selectors, services
from needlechart.charting.forms import EncounterForm
from needlechart.charting.models import EncounterStatus
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import practitioners_for_clinic
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.patients.selectors import episode_get_for_user


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_http_methods(["GET", "POST"])
def encounter_create(request: StaffRequest, episode_id) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    practitioners = practitioners_for_clinic(user=request.user)
    initial = {
        "practitioner": request.user.pk if request.user.is_practitioner else None,
        "starts_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    form = EncounterForm(request.POST or None, practitioners=practitioners, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_create(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Visit booked."))
            if has_capability(request.user, Capability.VIEW_CLINICAL):
                return redirect("encounter_detail", encounter_id=encounter.pk)
            return redirect("patient_chart", patient_id=episode.patient_id)
    status = 400 if request.method == "POST" else 200
    patient_id = episode.patient_id
    audit_read(actor=request.user, object_type="patient", object_id=patient_id, patient_id=patient_id, detail={"page": "book visit"})
    return render(request, "charting/encounter_form.html", {"form": form, "episode": episode, "patient": episode.patient}, status=status)


@staff_view(Capability.VIEW_DAY_LIST)
@require_POST
def encounter_status(request: StaffRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    status = request.POST.get("status", "")
    if status not in EncounterStatus.values:
        return HttpResponse(_("Unknown status."), status=400)
    services.encounter_set_status(actor=request.user, encounter=encounter, status=status)
    if request.POST.get("next_page") == "chart":
        return redirect("patient_chart", patient_id=encounter.patient_id)
    return redirect(f"{reverse('today')}?date={timezone.localdate(encounter.starts_at).isoformat()}")
