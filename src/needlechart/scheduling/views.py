"""The calendar pages: the day and the week of one practitioner or of the whole clinic, the free
times, and booking. Each draws the clinic's times in the clinic's zone; the appointment's own
pages (move, cancel, arrival) are in ``appointment_views``."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_list_read, audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.core.forms import in_date_range
from needlechart.patients.selectors import FoundPatient, patient_search, patients_for_user
from needlechart.scheduling import selectors, services, span_rows
from needlechart.scheduling.access import CalendarAction, may, require
from needlechart.scheduling.calendar import TimeLabels, build_grid, week_cells
from needlechart.scheduling.forms import BookingForm, parse_local
from needlechart.scheduling.models import AppointmentStatus, AppointmentType, CalendarSettings
from needlechart.scheduling.slots import Slot, SlotQuery, Span, free_slots, wall_clock
from needlechart.scheduling.templating import FreeTimeLinks

SEARCH_DAYS = 28  # how far the free-time search looks
SEARCH_LIMIT = 40
FIRST_SEARCH_PART = dt.timedelta(days=7)  # a search with a limit reads a week, then two, ...


def bad_request(request: StaffRequest, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": 400, "title": title, "message": message}, status=400)


def parse_day(text: str | None, zone: zoneinfo.ZoneInfo) -> dt.date | None:
    if not text:
        return timezone.now().astimezone(zone).date()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    # A week either side stays in range: a page reaches back to its Monday and on to the next week.
    week = dt.timedelta(days=7)
    return day if in_date_range(day) and in_date_range(day - week) and in_date_range(day + week) else None


def _chosen(rows: list[Any], text: str | None, default: Any = None) -> Any:
    """The row whose id is ``text`` (as a string), else ``default``."""
    return next((row for row in rows if str(row.pk) == (text or "").strip()), default)


def day_span(first: dt.date, last: dt.date, zone: zoneinfo.ZoneInfo) -> Span:
    return Span(wall_clock(first, dt.time(0), zone), wall_clock(last + dt.timedelta(days=1), dt.time(0), zone))


def find_free(
    request: StaffRequest,
    *,
    calendar: CalendarSettings,
    kind: AppointmentType,
    practitioners: list[User],
    span: Span,
    read: selectors.CalendarRead | None = None,
    room_id: uuid.UUID | None = None,
    leaving_out: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free times of ``kind`` for ``practitioners`` (first available across them) in ``span``, from now on.

    With a ``limit`` (and no ``read`` given) the span is searched in parts, a week first and each
    part twice the one before, each read on its own with the time after it that its last free time
    may take (the working hours and exceptions read once for all of them), until enough are found:
    the first free times of a busy month come from its first week's appointments. A free time
    depends only on what overlaps it, so the parts find exactly what the whole span would."""
    ids = [p.pk for p in practitioners]
    query = SlotQuery(
        length=dt.timedelta(minutes=kind.duration_minutes),
        buffer=dt.timedelta(minutes=kind.buffer_minutes),
        window=span,
        now=timezone.now(),
        step=dt.timedelta(minutes=calendar.slot_minutes),
        room_id=room_id,
    )

    def free_in(read: selectors.CalendarRead | selectors.FreeTimeRead, window: Span, wanted: int | None) -> list[Slot]:
        diaries, rooms = selectors.diaries(read, ids, leaving_out=leaving_out), selectors.rooms_taken(read, leaving_out=leaving_out)
        return free_slots(diaries, replace(query, window=window), read.zone, rooms, limit=wanted)

    def read_of(span: Span, frame: selectors.CalendarFrame | None = None) -> selectors.CalendarRead | selectors.FreeTimeRead:
        """The search's own read: only the time taken (``free_time_read``), but for a move, which leaves its appointment out by id."""
        if leaving_out is None:
            return selectors.free_time_read(user=request.user, span=span, practitioner_ids=ids, calendar=calendar, frame=frame)
        return selectors.calendar_read(user=request.user, span=span, practitioner_ids=ids, calendar=calendar, frame=frame)

    if read is not None or limit is None:
        return free_in(read or read_of(span), span, limit)
    found: list[Slot] = []
    start, step = max(span.start, query.now), FIRST_SEARCH_PART
    if start >= span.end:
        return found
    after = query.length + query.buffer
    frame = selectors.calendar_frame(
        user=request.user, span=Span(start, span.end + after), practitioner_ids=ids, zone=selectors.zone_of(calendar)
    )
    while start < span.end and len(found) < limit:
        part = Span(start, min(span.end, start + step))
        around = Span(part.start, part.end + after)
        found += free_in(read_of(around, frame), part, limit - len(found))
        start, step = part.end, step * 2
    return found


@dataclass(frozen=True)
class Page:
    """Where a calendar page stands: its day, day or week, whose (None: the clinic), the type whose free times it shows."""

    day: dt.date
    view: str
    practitioner: User | None
    kind: AppointmentType | None

    def moved(self, steps: int) -> str:
        """The day ``steps`` days (a day view) or weeks (a week view) away, in ISO form."""
        return (self.day + dt.timedelta(days=steps * (7 if self.view == "week" else 1))).isoformat()

    def query(self, **changes: Any) -> str:
        values = {"date": self.day.isoformat(), "view": self.view, "practitioner": self.practitioner.pk if self.practitioner else ""}
        values["type"] = str(self.kind.pk) if self.kind else ""
        values.update(changes)
        # "practitioner" stays even when empty: it is how a practitioner asks for the whole clinic (they start with their own).
        return "?" + urlencode({k: v for k, v in values.items() if k == "practitioner" or v not in ("", None)})


@staff_view(Capability.VIEW_DAY_LIST)
def calendar(request: StaffRequest) -> HttpResponse:
    """The calendar: a day (columns per practitioner) or a week (one practitioner's days, or the clinic's practitioners by day)."""
    settings = selectors.calendar_settings(clinic_id_of(request.user))
    zone = selectors.zone_of(settings)
    day = parse_day(request.GET.get("date"), zone)
    if day is None:
        return bad_request(request, _("No such day"), _("Give the day as YYYY-MM-DD, from 1900 to 2199."))
    view = "week" if request.GET.get("view") == "week" else "day"
    practitioners = list(selectors.calendar_practitioners(user=request.user))
    wanted = request.GET.get("practitioner")
    if wanted is None and request.user.is_practitioner:
        wanted = str(request.user.pk)  # a practitioner starts with their own calendar
    practitioner = _chosen(practitioners, wanted)
    types = list(selectors.appointment_types_for_user(user=request.user))
    page = Page(day, view, practitioner, _chosen(types, request.GET.get("type"), types[0] if types else None))
    days = [day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=n) for n in range(7)] if view == "week" else [day]
    shown = [practitioner] if practitioner else practitioners
    span = day_span(days[0], days[-1], zone)
    read = selectors.calendar_read(user=request.user, span=span, practitioner_ids=[p.pk for p in shown], calendar=settings, names=True)
    free = []
    if page.kind and may(request.user, CalendarAction.BOOK):
        free = find_free(request, calendar=settings, kind=page.kind, practitioners=shown, span=span, read=read)
    context: dict[str, Any] = {
        "page": page,
        "zone": zone,
        "days": days,
        "practitioners": practitioners,
        "types": types,
        "today": timezone.now().astimezone(zone).date(),
        "may_book": may(request.user, CalendarAction.BOOK),
        "may_configure": may(request.user, CalendarAction.CONFIGURE),
        "step": settings.slot_minutes,
    }
    if view == "week" and practitioner is None:
        context["cells"] = week_cells(
            read, days, practitioners, free, lambda d, p: page.query(date=d.isoformat(), view="day", practitioner=p.pk)
        )
        context["status_labels"] = {value: str(label) for value, label in AppointmentStatus.choices}
        shown_count = len(read.appointments) + len(read.visits)
    else:
        columns = [(d, practitioner) for d in days] if practitioner else [(day, p) for p in practitioners if _works(read, day, p)]
        if practitioner and view == "week":
            columns = [(d, p) for d, p in columns if d.weekday() < 5 or _works(read, d, p)]
        context["grid"] = build_grid(read, columns, free, settings.slot_minutes, FreeTimeLinks(page.kind, zone=zone))
        context["away"] = [p for p in practitioners if practitioner is None and not _works(read, day, p)]
        shown_count = sum(len(c.appointments) for c in context["grid"].columns)
    audit_read(
        actor=request.user,
        object_type=AuditObject.CALENDAR,
        detail={
            "day": day.isoformat(),
            "view": view,
            "practitioner": practitioner.pk if practitioner else None,
            "appointments": shown_count,
        },
    )
    with timezone.override(zone):
        template = "scheduling/_calendar.html" if request.htmx and request.htmx.target == "calendar" else "scheduling/calendar.html"
        return render(request, template, context)


def _works(read: selectors.CalendarRead, day: dt.date, practitioner: User) -> bool:
    """Whether the practitioner has hours, appointments or visits on ``day`` (the clinic's day shows them)."""
    if any(h.weekday == day.weekday() for h in read.hours.get(practitioner.pk, [])):
        return True
    items: list[span_rows.TakenTime | span_rows.OutsideVisit] = [*read.appointments_of(practitioner.pk), *read.visits_of(practitioner.pk)]
    return any(item.starts_at.astimezone(read.zone).date() == day for item in items)


@staff_view(Capability.BOOK_ENCOUNTERS)
def free_times(request: StaffRequest) -> HttpResponse:
    """The next free times of a type, with one practitioner or the first available (a partial of the booking page)."""
    settings = selectors.calendar_settings(clinic_id_of(request.user))
    zone = selectors.zone_of(settings)
    types = list(selectors.appointment_types_for_user(user=request.user))
    kind = _chosen(types, request.GET.get("appointment_type"))
    practitioners = list(selectors.calendar_practitioners(user=request.user))
    practitioner = _chosen(practitioners, request.GET.get("practitioner"))
    wanted_room = (request.GET.get("room") or "").strip()  # the rooms are read only when one is asked for ("first available": none)
    room = _chosen(list(selectors.rooms_for_user(user=request.user)), wanted_room) if wanted_room else None
    typed = parse_local(request.GET.get("starts_at"))  # the booking form's time, when it has one
    day = typed.date() if typed else parse_day(request.GET.get("date"), zone) or timezone.now().astimezone(zone).date()
    slots: list[Slot] = []
    if kind:
        span = day_span(day, day + dt.timedelta(days=SEARCH_DAYS - 1), zone)
        shown = [practitioner] if practitioner else practitioners
        slots = find_free(
            request, calendar=settings, kind=kind, practitioners=shown, span=span, room_id=room.pk if room else None, limit=SEARCH_LIMIT
        )
    names = {p.pk: p.display_name for p in practitioners}
    patient = as_uuid(request.GET.get("patient"))
    link, written = FreeTimeLinks(kind, patient, zone), TimeLabels(zone)  # each time of day written once, as the time filter does
    context = {
        "kind": kind,
        "slots": [(slot, names.get(slot.practitioner_id, ""), link(slot), written(slot.start)) for slot in slots],
        "patient": patient,
    }
    context |= {"practitioner": practitioner, "days": SEARCH_DAYS}
    with timezone.override(zone):
        return render(request, "scheduling/_free_times.html", context)


def _patients_found(request: StaffRequest, text: str) -> list[FoundPatient]:
    query, found = patient_search(user=request.user, text=text)
    if not query.is_empty:
        shown = {patient.pk: [patient.pk] for patient in found}
        audit_list_read(actor=request.user, object_type="patient", shown=shown, detail={"results": len(found), "page": "booking"})
    return found


@staff_view(Capability.BOOK_ENCOUNTERS)
def booking_patients(request: StaffRequest) -> HttpResponse:
    """The patients a search in the booking form finds, to choose one (a partial of the booking page)."""
    found = _patients_found(request, request.GET.get("q", ""))
    return render(request, "scheduling/_patient_choices.html", {"found": found, "chosen": None, "searched": bool(request.GET.get("q"))})


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_http_methods(["GET", "POST"])
def booking(request: StaffRequest) -> HttpResponse:
    """Book an appointment (or a weekly series): from a free time of the calendar, or typed in."""
    require(request.user, CalendarAction.BOOK)
    settings = selectors.calendar_settings(clinic_id_of(request.user))
    zone = selectors.zone_of(settings)
    practitioners = selectors.calendar_practitioners(user=request.user)
    types = selectors.appointment_types_for_user(user=request.user)
    rooms = selectors.rooms_for_user(user=request.user)
    source = request.POST if request.method == "POST" else request.GET
    patients = patients_for_user(user=request.user)
    patient_id = as_uuid(source.get("patient"))
    chosen = patients.filter(pk=patient_id).first() if patient_id else None
    found = _patients_found(request, request.GET.get("q", "")) if request.method == "GET" else []
    start = parse_local(request.GET.get("starts_at"))
    initial = {
        "practitioner": as_staff_id(request.GET.get("practitioner")) or (request.user.pk if request.user.is_practitioner else None),
        "appointment_type": as_uuid(request.GET.get("appointment_type")),
        "room": as_uuid(request.GET.get("room")),
        "starts_at": start.replace(tzinfo=zone) if start else None,
        "patient": chosen.pk if chosen else None,
        "weeks": 1,
    }
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        zone=zone,
        practitioners=practitioners,
        types=types,
        rooms=rooms,
        language=get_language() or "en",
    )
    series_refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if chosen is None:
            form.add_error("patient", _("Choose the patient (search by name, date of birth or identifier)."))
        else:
            try:
                result = services.appointment_book_series(
                    actor=request.user,
                    patient=chosen,
                    practitioner=data["practitioner"],
                    appointment_type=data["appointment_type"],
                    first_start=data["starts_at"],
                    weeks=data["weeks"],
                    room=data["room"],
                    reason=data["reason"],
                    outside_hours=data["outside_hours"],
                    skip_conflicts=data["skip_conflicts"],
                )
            except services.SeriesConflict as refusal:
                series_refused = data["weeks"] > 1
                for message in refusal.messages:
                    form.add_error(None, message)
            except ValidationError as refusal:
                for message in refusal.messages:
                    form.add_error(None, message)
            else:
                return _booked(request, result, zone)
    if chosen is not None:
        audit_read(actor=request.user, object_type="patient", object_id=chosen.pk, patient_id=chosen.pk, detail={"page": "booking"})
    context = {
        "form": form,
        "chosen": chosen,
        "found": found,
        "query": request.GET.get("q", ""),
        "series_refused": series_refused,
    }
    template = "scheduling/_booking_form.html" if request.htmx and request.htmx.target == "calendar-panel" else "scheduling/booking.html"
    with timezone.override(zone):
        return render(request, template, context, status=400 if request.method == "POST" else 200)


def _booked(request: StaffRequest, result: services.SeriesBooked, zone: zoneinfo.ZoneInfo) -> HttpResponse:
    first = result.booked[0]
    if len(result.booked) == 1 and not result.skipped:
        messages.success(request, _("Appointment booked."))
    else:
        booked = ngettext("%(n)s appointment booked.", "%(n)s appointments booked.", len(result.booked)) % {"n": len(result.booked)}
        skipped = ngettext("%(n)s week left out.", "%(n)s weeks left out.", len(result.skipped)) % {"n": len(result.skipped)}
        messages.success(request, booked + (" " + skipped if result.skipped else ""))
    day = first.starts_at.astimezone(zone).date().isoformat()
    url = calendar_page_of(request) or reverse("calendar") + "?" + urlencode({"date": day, "practitioner": str(first.practitioner_id)})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def calendar_page_of(request: StaffRequest) -> str | None:
    """The calendar page an htmx request came from (its panel's form), to return to it as it was."""
    current = request.htmx.current_url_abs_path if request.htmx else None
    return current if current and current.split("?")[0] == reverse("calendar") else None


def as_uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text or "").strip())
    except ValueError:
        return None


def as_staff_id(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None
