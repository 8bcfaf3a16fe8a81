"""The staff's pages for online booking: the front desk's "New online patients" (confirm each record
as a new patient or merge it into one on file) and a clinic admin's booking settings.

Who may register patients (``edit_demographics``) sees the new online patients; only a clinic
admin (``manage_staff``) changes the settings. Every read and write goes through
``booking_desk`` and ``booking_settings`` (scoped to the reader's clinic and audited there); bad
input gets the page with its message and a 400.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.public import booking_desk, booking_settings
from needlechart.public.booking_forms import BookingSettingsForm
from needlechart.scheduling.selectors import clinic_zone


def _list(request: StaffRequest, status: int = 200) -> HttpResponse:
    rows = booking_desk.new_online_patients(user=request.user)
    with timezone.override(clinic_zone(clinic_id_of(request.user))):
        return render(request, "public/booking_online_patients.html", {"rows": rows}, status=status)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_http_methods(["GET", "HEAD"])
def online_patients(request: StaffRequest) -> HttpResponse:
    return _list(request)


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_POST
def online_patient_confirm(request: StaffRequest, booking_id: uuid.UUID) -> HttpResponse:
    patient = booking_desk.confirm_as_new(actor=request.user, booking_id=booking_id)
    messages.success(request, _("%(name)s is confirmed as a new patient.") % {"name": f"{patient.given_name} {patient.family_name}"})
    return redirect("online_patients")


@staff_view(Capability.EDIT_DEMOGRAPHICS)
@require_POST
def online_patient_merge(request: StaffRequest, booking_id: uuid.UUID) -> HttpResponse:
    try:
        into_id: uuid.UUID | None = uuid.UUID(request.POST.get("into", ""))
    except ValueError:
        into_id = None
    try:
        into = booking_desk.merge_into(actor=request.user, booking_id=booking_id, into_id=into_id)
    except booking_desk.MergeRefused as refused:
        messages.error(request, " ".join(refused.messages))
        return _list(request, status=400)
    messages.success(request, _("The booking is now in the record of %(name)s.") % {"name": f"{into.given_name} {into.family_name}"})
    return redirect("online_patients")


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "HEAD", "POST"])
def online_booking_settings(request: StaffRequest) -> HttpResponse:
    initial = booking_settings.current(user=request.user)
    if initial is None:
        messages.error(request, _("Save the public pages' settings first, then the booking settings."))
        return redirect("public_admin")
    form = BookingSettingsForm(request.POST if request.method == "POST" else None, initial=initial, clinic_id=clinic_id_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            booking_settings.booking_settings_save(actor=request.user, values=form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The booking settings are saved."))
            return redirect("online_booking_settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "public/booking_settings.html", {"form": form}, status=status)


ROUTES = (
    ("online-patients/", online_patients, "online_patients"),
    ("online-patients/<uuid:booking_id>/confirm/", online_patient_confirm, "online_patient_confirm"),
    ("online-patients/<uuid:booking_id>/merge/", online_patient_merge, "online_patient_merge"),
    ("public-pages/booking/", online_booking_settings, "online_booking_settings"),
)
