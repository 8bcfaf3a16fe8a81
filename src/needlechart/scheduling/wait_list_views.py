"""The wait list's pages: the list (by practitioner and type), adding a patient, editing and
removing an entry, and "who fits this time": for a freed appointment's time or a free time of the
calendar, the waiting patients who fit it, urgent first, each booked with one click.

Everyone who books appointments uses them (``CalendarAction.BOOK``). Every page that shows a
patient writes an audit row for each entry it shows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.patients.selectors import patient_get_for_user
from needlechart.scheduling import selectors
from needlechart.scheduling import wait_list as service
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.form_writes import form_write
from needlechart.scheduling.forms import local_text, parse_local
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment
from needlechart.scheduling.views import _patients_found, as_staff_id, as_uuid, bad_request, day_span, find_free
from needlechart.scheduling.wait_list_forms import BookFromEntryForm, EntryForm, OfferForm, OfferTimeForm, RemoveForm
from needlechart.scheduling.wait_list_models import WAITING_STATUSES, WaitListEntry, WaitListStatus

LIST_LIMIT = 200
SHOWN = {"waiting": WAITING_STATUSES, "booked": (WaitListStatus.BOOKED,), "removed": (WaitListStatus.REMOVED,)}


def _audit_entries(request: StaffRequest, entries: list[WaitListEntry], page: str) -> None:
    for entry in entries:
        audit_read(
            actor=request.user, object_type=service.AUDIT_OBJECT, object_id=entry.pk, patient_id=entry.patient_id, detail={"page": page}
        )


def _chosen(rows: list[Any], text: str | None) -> Any:
    return next((row for row in rows if str(row.pk) == (text or "").strip()), None)


def _panel(request: StaffRequest, partial: str, page: str) -> str:
    return partial if request.htmx and request.htmx.target == "calendar-panel" else page


@staff_view(Capability.BOOK_ENCOUNTERS)
def wait_list(request: StaffRequest) -> HttpResponse:
    require(request.user, CalendarAction.BOOK)
    practitioners = list(selectors.calendar_practitioners(user=request.user))
    types = list(selectors.appointment_types_for_user(user=request.user))
    practitioner = _chosen(practitioners, request.GET.get("practitioner"))
    kind = _chosen(types, request.GET.get("type"))
    show = str(request.GET.get("show"))
    show = show if show in SHOWN else "waiting"
    rows = service.wait_list_for_user(
        user=request.user,
        practitioner_id=practitioner.pk if practitioner else None,
        appointment_type_id=kind.pk if kind else None,
        statuses=SHOWN[show],
    )
    entries = list(rows[:LIST_LIMIT])
    _audit_entries(request, entries, "wait_list")
    audit_read(actor=request.user, object_type=service.AUDIT_OBJECT, detail={"page": "wait_list", "entries": len(entries)})
    context = {
        "entries": entries,
        "practitioners": practitioners,
        "types": types,
        "practitioner": practitioner,
        "kind": kind,
        "show": show,
        "limit": LIST_LIMIT,
    }
    with timezone.override(selectors.clinic_zone(clinic_id_of(request.user))):
        return render(request, "scheduling/wait_list.html", context)


def _entry_form(request: StaffRequest, entry: WaitListEntry | None) -> EntryForm:
    initial: dict[str, Any] = {}
    if entry is not None:
        initial = {
            "appointment_types": [k.pk for k in entry.appointment_types.all()],
            "practitioners": [p.pk for p in entry.practitioners.all()],
            "parts_of_day": entry.parts_of_day,
            "weekdays": entry.weekdays,
            "earliest_date": entry.earliest_date,
            "latest_date": entry.latest_date,
            "urgent": entry.urgent,
            "note": entry.note,
            "offer_by": entry.offer_by,
        }
    return EntryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        practitioners=selectors.calendar_practitioners(user=request.user),
        types=selectors.appointment_types_for_user(user=request.user),
        language=get_language() or "en",
    )


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_http_methods(["GET", "POST"])
def entry_new(request: StaffRequest) -> HttpResponse:
    """Put a patient on the wait list (the patient from ``?patient=``, or found by a search here)."""
    require(request.user, CalendarAction.BOOK)
    source = request.POST if request.method == "POST" else request.GET
    patient = None
    if source.get("patient"):
        patient_id = as_uuid(source.get("patient"))
        if patient_id is None:
            return bad_request(request, _("No such patient"), _("Choose the patient from the search."))
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    form = _entry_form(request, None)
    if request.method == "POST" and patient is None:
        return bad_request(request, _("No such patient"), _("Choose the patient from the search."))
    if patient is not None and form_write(request, form, lambda data: service.entry_add(actor=request.user, patient=patient, data=data)):
        messages.success(request, _("%(name)s is on the wait list.") % {"name": patient.full_name})
        return redirect("wait_list")
    query = request.GET.get("q", "") if patient is None else ""
    found = _patients_found(request, query) if query else []
    if patient is not None:
        audit_read(
            actor=request.user,
            object_type=AuditObject.PATIENT,
            object_id=patient.pk,
            patient_id=patient.pk,
            detail={"page": "wait_list_new"},
        )
    context = {"form": form, "patient": patient, "entry": None, "found": found, "query": query}
    return render(request, "scheduling/wait_list_form.html", context, status=400 if request.method == "POST" else 200)


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_http_methods(["GET", "POST"])
def entry_edit(request: StaffRequest, wait_list_entry_id: uuid.UUID) -> HttpResponse:
    entry = service.entry_get_for_user(user=request.user, entry_id=wait_list_entry_id)
    form = _entry_form(request, entry)
    if form_write(request, form, lambda data: service.entry_edit(actor=request.user, entry=entry, data=data)):
        messages.success(request, _("Wait list entry saved."))
        return redirect("wait_list")
    _audit_entries(request, [entry], "wait_list_entry")
    context = {"form": form, "patient": entry.patient, "entry": entry, "remove_form": RemoveForm(), "found": [], "query": ""}
    with timezone.override(selectors.clinic_zone(entry.clinic_id)):
        return render(request, "scheduling/wait_list_form.html", context, status=400 if request.method == "POST" else 200)


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_POST
def entry_remove(request: StaffRequest, wait_list_entry_id: uuid.UUID) -> HttpResponse:
    entry = service.entry_get_for_user(user=request.user, entry_id=wait_list_entry_id)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return bad_request(request, _("Give a reason"), _("Give a reason for removing the patient from the wait list."))
    try:
        service.entry_remove(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return bad_request(request, _("Not removed"), " ".join(error.messages))
    messages.success(request, _("%(name)s is off the wait list.") % {"name": entry.patient.full_name})
    return redirect("wait_list")


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_POST
def entry_offer(request: StaffRequest, wait_list_entry_id: uuid.UUID) -> HttpResponse:
    """A time was offered to the patient (their answer awaited), or the offer lapsed."""
    entry = service.entry_get_for_user(user=request.user, entry_id=wait_list_entry_id)
    form = OfferForm(request.POST)
    if not form.is_valid():
        return bad_request(request, _("Unknown answer"), _("Choose offered or waiting again."))
    try:
        service.entry_mark_offered(actor=request.user, entry=entry, offered=form.cleaned_data["offered"])
    except ValidationError as error:
        return bad_request(request, _("Not changed"), " ".join(error.messages))
    messages.success(request, _("Wait list entry saved."))
    return redirect("wait_list")


# --- who fits a free time --------------------------------------------------------------------


def _fits_context(request: StaffRequest, practitioner: User, start: dt.datetime) -> dict[str, Any]:
    """The waiting entries that fit the practitioner's free time at ``start``, and for each the
    types it could be booked for with the room the free time has."""
    settings = selectors.calendar_settings(clinic_id_of(request.user))
    zone = selectors.zone_of(settings)
    local_day = start.astimezone(zone).date()
    span = day_span(local_day, local_day, zone)
    read = selectors.calendar_read(user=request.user, span=span, practitioner_ids=[practitioner.pk], calendar=settings)
    rooms: dict[uuid.UUID, uuid.UUID | None] = {}
    for kind in selectors.appointment_types_for_user(user=request.user):
        for slot in find_free(request, calendar=settings, kind=kind, practitioners=[practitioner], span=span, read=read):
            if slot.start == start:
                rooms[kind.pk] = slot.room_id
    free = service.FreeTime(practitioner_id=practitioner.pk, start=start, type_ids=frozenset(rooms))
    found = service.match(user=request.user, free=free)
    _audit_entries(request, [entry for entry, _kinds in found], "wait_list_fits")
    return {
        "practitioner": practitioner,
        "start": start,
        "start_value": local_text(start, zone),
        "found": [(entry, [(kind, rooms[kind.pk]) for kind in kinds]) for entry, kinds in found],
        "is_free": bool(rooms),
        "zone": zone,
    }


def _render_fits(request: StaffRequest, context: dict[str, Any]) -> HttpResponse:
    with timezone.override(context["zone"]):
        return render(request, _panel(request, "scheduling/_wait_list_fits.html", "scheduling/wait_list_fits.html"), context)


@staff_view(Capability.BOOK_ENCOUNTERS)
def fits_free_time(request: StaffRequest) -> HttpResponse:
    """Who fits a free time of the calendar: ``?practitioner=<id>&starts_at=<local date and time>``."""
    require(request.user, CalendarAction.BOOK)
    zone = selectors.clinic_zone(clinic_id_of(request.user))
    practitioner_id = as_staff_id(request.GET.get("practitioner"))
    local = parse_local(request.GET.get("starts_at"))
    if practitioner_id is None or local is None:
        return bad_request(request, _("No such time"), _("Give a practitioner and a time, such as 2027-03-29 09:00."))
    practitioner = selectors.practitioner_get_for_user(user=request.user, practitioner_id=practitioner_id)
    start = local.replace(tzinfo=zone).astimezone(dt.UTC)
    context = _fits_context(request, practitioner, start)
    if not context["found"]:
        audit_read(actor=request.user, object_type=service.AUDIT_OBJECT, detail={"page": "wait_list_fits", "entries": 0})
    return _render_fits(request, context | {"appointment": None})


@staff_view(Capability.BOOK_ENCOUNTERS)
def fits_appointment(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """Who fits the time a cancelled (or not kept) appointment leaves free."""
    require(request.user, CalendarAction.BOOK)
    appointment: Appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    audit_read(
        actor=request.user,
        object_type=AuditObject.APPOINTMENT,
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail={"page": "wait_list_fits"},
    )
    context = _fits_context(request, appointment.practitioner, appointment.starts_at)
    return _render_fits(request, context | {"appointment": appointment, "still_booked": appointment.status in ACTIVE_STATUSES})


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_POST
def entry_offer_time(request: StaffRequest, wait_list_entry_id: uuid.UUID) -> HttpResponse:
    """Offer the waiting patient a free time by message (from "who fits"), as their entry allows."""
    entry = service.entry_get_for_user(user=request.user, entry_id=wait_list_entry_id)
    zone = selectors.clinic_zone(entry.clinic_id)
    form = OfferTimeForm(request.POST, zone=zone, practitioners=selectors.calendar_practitioners(user=request.user))
    if not form.is_valid():
        problems = [str(message) for field_messages in form.errors.values() for message in field_messages]
        return bad_request(request, _("Not offered"), " ".join(problems))
    data = form.cleaned_data
    try:
        service.entry_offer_time(actor=request.user, entry=entry, practitioner=data["practitioner"], starts_at=data["starts_at"])
    except ValidationError as error:
        return bad_request(request, _("Not offered"), " ".join(error.messages))
    messages.success(request, _("The time is offered to %(name)s by message.") % {"name": entry.patient.full_name})
    return redirect("wait_list")


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_POST
def entry_book(request: StaffRequest, wait_list_entry_id: uuid.UUID) -> HttpResponse:
    """Book the waiting patient in a free time (one click on "who fits"): the entry is then booked."""
    entry = service.entry_get_for_user(user=request.user, entry_id=wait_list_entry_id)
    zone = selectors.clinic_zone(entry.clinic_id)
    form = BookFromEntryForm(
        request.POST,
        zone=zone,
        practitioners=selectors.calendar_practitioners(user=request.user),
        types=selectors.appointment_types_for_user(user=request.user),
        rooms=selectors.rooms_for_user(user=request.user),
    )
    if not form.is_valid():
        problems = [str(message) for field_messages in form.errors.values() for message in field_messages]
        return bad_request(request, _("Not booked"), " ".join(problems))
    data = form.cleaned_data
    try:
        appointment = service.entry_book(
            actor=request.user,
            entry=entry,
            practitioner=data["practitioner"],
            appointment_type=data["appointment_type"],
            starts_at=data["starts_at"],
            room=data["room"],
        )
    except ValidationError as error:
        return bad_request(request, _("Not booked"), " ".join(error.messages))
    messages.success(request, _("%(name)s is booked from the wait list.") % {"name": entry.patient.full_name})
    day = appointment.starts_at.astimezone(zone).date().isoformat()
    url = reverse("calendar") + "?" + urlencode({"date": day, "practitioner": str(appointment.practitioner_id)})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
