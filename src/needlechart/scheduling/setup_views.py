"""The calendar's set-up, for the clinic's admins: settings, rooms, appointment types, and each
practitioner's week template of working hours with its exceptions. No patient data here."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.scheduling import configuration, selectors
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.form_writes import errors_to_form, form_write
from needlechart.scheduling.forms import AppointmentTypeForm, CalendarSettingsForm, RoomForm, ScheduleExceptionForm, WorkingHoursForm
from needlechart.scheduling.models import Weekday
from needlechart.scheduling.views import as_staff_id


def _configure(request: StaffRequest) -> None:
    require(request.user, CalendarAction.CONFIGURE)


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def calendar_setup(request: StaffRequest) -> HttpResponse:
    """Settings, rooms and appointment types on one page."""
    _configure(request)
    current = selectors.calendar_settings(clinic_id_of(request.user))
    form = CalendarSettingsForm(request.POST or None, instance=current)
    if form_write(request, form, lambda data: configuration.calendar_settings_update(actor=request.user, data=data)):
        messages.success(request, _("Calendar settings saved."))
        return redirect("calendar_setup")
    context = {
        "form": form,
        "rooms": selectors.rooms_for_user(user=request.user, active_only=False),
        "types": selectors.appointment_types_for_user(user=request.user, active_only=False),
        "practitioners": selectors.calendar_practitioners(user=request.user),
    }
    return render(request, "scheduling/setup.html", context, status=400 if request.method == "POST" else 200)


def _edit(request: StaffRequest, *, form: BaseForm, save: Any, title: str, saved: str) -> HttpResponse:
    if form_write(request, form, save):
        messages.success(request, saved)
        return redirect("calendar_setup")
    return render(request, "scheduling/setup_form.html", {"form": form, "title": title}, status=400 if request.method == "POST" else 200)


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def room_edit(request: StaffRequest, room_id: uuid.UUID | None = None) -> HttpResponse:
    _configure(request)
    room = selectors.room_get_for_user(user=request.user, room_id=room_id) if room_id else None
    form = RoomForm(request.POST or None, instance=room)
    return _edit(
        request,
        form=form,
        save=lambda data: configuration.room_save(actor=request.user, data=data, room=room),
        title=room.name if room else _("New room"),
        saved=_("Room saved."),
    )


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def appointment_type_edit(request: StaffRequest, appointment_type_id: uuid.UUID | None = None) -> HttpResponse:
    _configure(request)
    kind = (
        selectors.appointment_type_get_for_user(user=request.user, appointment_type_id=appointment_type_id) if appointment_type_id else None
    )
    form = AppointmentTypeForm(request.POST or None, instance=kind)
    return _edit(
        request,
        form=form,
        save=lambda data: configuration.appointment_type_save(actor=request.user, data=data, appointment_type=kind),
        title=kind.name_en if kind else _("New appointment type"),
        saved=_("Appointment type saved."),
    )


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def working_hours(request: StaffRequest) -> HttpResponse:
    """A practitioner's week template and exceptions, with the forms that add to them."""
    _configure(request)
    practitioners = selectors.calendar_practitioners(user=request.user)
    source = request.POST if request.method == "POST" else request.GET
    wanted = as_staff_id(source.get("practitioner"))
    practitioner = (practitioners.filter(pk=wanted).first() if wanted else None) or practitioners.first()
    rooms = selectors.rooms_for_user(user=request.user)
    initial = {"practitioner": practitioner.pk if practitioner else None}
    hours_form = WorkingHoursForm(
        request.POST if request.POST.get("form") == "hours" else None, initial=initial, practitioners=practitioners, rooms=rooms
    )
    exception_form = ScheduleExceptionForm(
        request.POST if request.POST.get("form") == "exception" else None, initial=initial, practitioners=practitioners
    )
    if request.method == "POST":
        saved = _add_hours(request, hours_form) if request.POST.get("form") == "hours" else _add_exception(request, exception_form)
        if saved:
            url = reverse("working_hours") + (f"?practitioner={practitioner.pk}" if practitioner else "")
            return redirect(url)
    today = timezone.localdate()
    context = {
        "practitioners": practitioners,
        "practitioner": practitioner,
        "hours": selectors.working_hours_for_user(user=request.user, practitioner=practitioner) if practitioner else [],
        "exceptions": selectors.exceptions_for_user(user=request.user, practitioner=practitioner, from_day=today) if practitioner else [],
        "weekdays": Weekday.choices,
        "hours_form": hours_form,
        "exception_form": exception_form,
    }
    return render(request, "scheduling/working_hours.html", context, status=400 if request.method == "POST" else 200)


def _add_hours(request: StaffRequest, form: WorkingHoursForm) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        configuration.working_hours_add(
            actor=request.user,
            practitioner=data["practitioner"],
            weekday=data["weekday"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            room=data["room"],
        )
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    messages.success(request, _("Working hours added."))
    return True


def _add_exception(request: StaffRequest, form: ScheduleExceptionForm) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        configuration.schedule_exception_add(
            actor=request.user,
            practitioner=data["practitioner"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            reason=data["reason"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            note=data["note"],
        )
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    messages.success(request, _("Exception added."))
    return True


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def working_hours_remove(request: StaffRequest, working_hours_id: uuid.UUID) -> HttpResponse:
    _configure(request)
    hours = selectors.working_hours_get_for_user(user=request.user, working_hours_id=working_hours_id)
    configuration.working_hours_remove(actor=request.user, hours=hours)
    messages.success(request, _("Working hours removed."))
    return redirect(reverse("working_hours") + f"?practitioner={hours.practitioner_id}")


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def schedule_exception_remove(request: StaffRequest, schedule_exception_id: uuid.UUID) -> HttpResponse:
    _configure(request)
    exception = selectors.schedule_exception_get_for_user(user=request.user, schedule_exception_id=schedule_exception_id)
    configuration.schedule_exception_remove(actor=request.user, exception=exception)
    messages.success(request, _("Exception removed."))
    practitioner = f"?practitioner={exception.practitioner_id}" if exception.practitioner_id else ""
    return redirect(reverse("working_hours") + practitioner)
