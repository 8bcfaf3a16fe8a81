"""One appointment: its page (in the calendar's side panel with htmx), moving it to a free time,
cancelling it with a reason, and what happened on the day (arrived, did not come), which makes
it the day's visit."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.scheduling import selectors, services
from needlechart.scheduling.access import CalendarAction, may, require
from needlechart.scheduling.form_writes import form_write
from needlechart.scheduling.forms import CancelForm, MoveForm, StatusForm, local_text
from needlechart.scheduling.models import Appointment
from needlechart.scheduling.panel import panel_actions
from needlechart.scheduling.views import as_staff_id, as_uuid, bad_request, calendar_page_of, day_span, find_free, parse_day

MOVE_DAYS = 7  # the free times a move offers: this many days from the chosen one


def _detail_context(request: StaffRequest, appointment: Appointment) -> dict[str, object]:
    user = request.user
    return {
        "appointment": appointment,
        "kind": appointment.appointment_type,
        "series": selectors.series_of(user=user, appointment=appointment),
        "may_manage": may(user, CalendarAction.MANAGE),
        "may_receive": may(user, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id),
        "may_open_visit": may(user, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id)
        and has_capability(user, Capability.VIEW_CLINICAL),
        "cancel_form": CancelForm(),
        "panel_actions": panel_actions(user, appointment),  # from the apps above the calendar (screening's intake link)
        "calendar_url": _calendar_url(appointment, selectors.clinic_zone(appointment.clinic_id)),
    }


def _calendar_url(appointment: Appointment, zone: zoneinfo.ZoneInfo) -> str:
    day = appointment.starts_at.astimezone(zone).date().isoformat()
    return reverse("calendar") + "?" + urlencode({"date": day, "practitioner": str(appointment.practitioner_id)})


def _audit_view(request: StaffRequest, appointment: Appointment, page: str) -> None:
    audit_read(
        actor=request.user,
        object_type=AuditObject.APPOINTMENT,
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail={"page": page},
    )


def _panel_or_page(request: StaffRequest, partial: str, page: str) -> str:
    return partial if request.htmx and request.htmx.target == "calendar-panel" else page


@staff_view(Capability.VIEW_DAY_LIST)
def appointment_detail(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    _audit_view(request, appointment, "appointment")
    template = _panel_or_page(request, "scheduling/_appointment.html", "scheduling/appointment.html")
    with timezone.override(selectors.clinic_zone(appointment.clinic_id)):
        return render(request, template, _detail_context(request, appointment))


def _done(request: StaffRequest, appointment: Appointment, message: str) -> HttpResponse:
    messages.success(request, message)
    back = request.POST.get("next", "") or calendar_page_of(request) or ""
    if not (back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})):
        back = _calendar_url(appointment, selectors.clinic_zone(appointment.clinic_id))
    return HttpResponseClientRedirect(back) if request.htmx else redirect(back)


def _refused(request: StaffRequest, appointment: Appointment, error: ValidationError) -> HttpResponse:
    context = _detail_context(request, appointment) | {"errors": error.messages}
    template = _panel_or_page(request, "scheduling/_appointment.html", "scheduling/appointment.html")
    with timezone.override(selectors.clinic_zone(appointment.clinic_id)):
        return render(request, template, context, status=400)


@staff_view(Capability.VIEW_DAY_LIST)
@require_POST
def appointment_status(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """The day: the patient arrived (the appointment becomes the visit) or did not come."""
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return bad_request(request, _("Unknown status"), _("Choose arrived or did not come."))
    try:
        if form.cleaned_data["status"] == "arrived":
            services.appointment_mark_arrived(actor=request.user, appointment=appointment)
            return _done(request, appointment, _("Arrival recorded: the appointment is on today's list as a visit."))
        services.appointment_mark_no_show(actor=request.user, appointment=appointment)
        return _done(request, appointment, _("Marked as not come."))
    except ValidationError as error:
        return _refused(request, appointment, error)


@staff_view(Capability.VIEW_DAY_LIST)
@require_POST
def appointment_cancel(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    require(request.user, CalendarAction.MANAGE)
    form = CancelForm(request.POST)
    if not form.is_valid():
        errors = [message for messages_ in form.errors.values() for message in messages_]
        return _refused(request, appointment, ValidationError(errors))
    try:
        services.appointment_cancel(
            actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"], late=form.cleaned_data["late"]
        )
    except ValidationError as error:
        return _refused(request, appointment, error)
    return _done(request, appointment, _("Appointment cancelled."))


@staff_view(Capability.VIEW_CLINICAL)
@require_POST
def appointment_visit(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """The practitioner opens the appointment's visit (made now if the patient has not been marked arrived)."""
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    try:
        encounter = services.appointment_open_visit(actor=request.user, appointment=appointment)
    except ValidationError as error:
        return _refused(request, appointment, error)
    url = reverse("encounter_detail", args=[encounter.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@staff_view(Capability.VIEW_DAY_LIST)
@require_http_methods(["GET", "POST"])
def appointment_move(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """Rebook: the free times of the appointment's type from a chosen day, each a button that moves it there."""
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    require(request.user, CalendarAction.MANAGE)
    settings = selectors.calendar_settings(appointment.clinic_id)
    zone = selectors.zone_of(settings)
    practitioners = selectors.calendar_practitioners(user=request.user)
    rooms = selectors.rooms_for_user(user=request.user)
    source = request.POST if request.method == "POST" else request.GET
    practitioner_id = as_staff_id(source.get("practitioner")) or appointment.practitioner_id
    practitioner = practitioners.filter(pk=practitioner_id).first() or appointment.practitioner
    room_id = as_uuid(source.get("room"))
    room = (rooms.filter(pk=room_id).first() if room_id else None) if "room" in source else appointment.room
    initial = {"starts_at": appointment.starts_at, "practitioner": practitioner.pk, "room": room.pk if room else None}
    form = MoveForm(
        request.POST if request.method == "POST" else None, initial=initial, zone=zone, practitioners=practitioners, rooms=rooms
    )

    def move(data: dict[str, Any]) -> Appointment:
        return services.appointment_move(
            actor=request.user,
            appointment=appointment,
            starts_at=data["starts_at"],
            practitioner=data["practitioner"],
            room=data["room"],
            outside_hours=data["outside_hours"],
        )

    if form_write(request, form, move):
        return _done(request, appointment, _("Appointment moved."))
    asked = parse_day(request.GET.get("date"), zone) if request.GET.get("date") else None
    day = asked or appointment.starts_at.astimezone(zone).date()
    today = timezone.now().astimezone(zone).date()
    day = max(day, today)
    span = day_span(day, day + dt.timedelta(days=MOVE_DAYS - 1), zone)
    kind = appointment.appointment_type
    slots = find_free(
        request,
        calendar=settings,
        kind=kind,
        practitioners=[practitioner],
        span=span,
        room_id=room.pk if room else None,
        leaving_out=appointment.pk,
    )
    _audit_view(request, appointment, "move")
    context = {
        "appointment": appointment,
        "form": form,
        "practitioner": practitioner,
        "room": room,
        "slots": [(slot, local_text(slot.start, zone)) for slot in slots],
        "day": day,
        "previous_day": max(today, day - dt.timedelta(days=MOVE_DAYS)),
        "next_day": day + dt.timedelta(days=MOVE_DAYS),
        "today": today,
        "calendar_url": _calendar_url(appointment, zone),
    }
    template = _panel_or_page(request, "scheduling/_move.html", "scheduling/move.html")
    with timezone.override(zone):
        return render(request, template, context, status=400 if request.method == "POST" else 200)
