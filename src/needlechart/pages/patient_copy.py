"""The chart's "Patient's copy": who asked and a note, then the patient's whole record as a ZIP.

The page only asks; ``interop.patient_copy_archive.disclose_copy`` audits the request as a
disclosure, builds the copy and audits its delivery. Opening the page is audited as a view of the
patient; a form with a wrong answer is shown again (400) and writes nothing.
"""

from __future__ import annotations

import uuid

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.interop.patient_copy_archive import NOTE_LENGTH, ZIP_TYPE, Requester, disclose_copy
from needlechart.patients.selectors import patient_get_for_user

# Staff record a request made to the clinic; a system's request comes through the API.
_ASKED_IN_THE_CLINIC = [(value, label) for value, label in Requester.choices if value != Requester.API_CLIENT]


class CopyRequestForm(forms.Form):
    requester = forms.ChoiceField(label=_("Who asked for the copy"), choices=_ASKED_IN_THE_CLINIC, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note on the request"),
        required=False,
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the audit log: how the request came, or who the representative is and what shows their authority."),
    )


@staff_view(Capability.DISCLOSE_RECORDS)
@require_http_methods(["GET", "POST"])
def patient_copy(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    if request.method == "GET":
        detail = {"page": "patient_copy"}
        audit_read(actor=request.user, object_type=AuditObject.PATIENT, object_id=patient.pk, patient_id=patient.pk, detail=detail)
        return render(request, "pages/patient_copy.html", {"patient": patient, "form": CopyRequestForm()})
    form = CopyRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "pages/patient_copy.html", {"patient": patient, "form": form}, status=400)
    copy = disclose_copy(
        actor=request.user, patient=patient, requester=Requester(form.cleaned_data["requester"]), note=form.cleaned_data["note"]
    )
    response = HttpResponse(copy.content, content_type=ZIP_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{copy.filename}"'
    response["Cache-Control"] = "no-store"
    return response
