"""The online booking pages of a clinic's public site (``/c/<clinic>/<language>/book/...``), with no sign-in.

0. ``book/certified/``: the public pages' "Book with a certified practitioner" section (loaded by
   htmx after the page) or its page: each certified practitioner's next free times, one press to hold one.
1. ``book/``: pick a practitioner (or the first available), a type and a free time, days listed with their times.
   The directory's "book with" link opens it with the practitioner chosen; the clinic's only online
   type is chosen by itself, and with several each type is a link straight to its free times.
2. ``book/hold/`` (POST): the time is held for the visitor, who goes on to
3. ``book/h/<secret>/``: the details and the pre-check; on success the confirmation with the manage link.
4. ``book/h/<secret>/code/``: a returning patient's code (``booking_codes``), or booking as a new patient.
5. ``booking/<secret>/`` and ``booking/<secret>/move/``: the patient's own booking (``booking_manage_views``).

Every page is private (``no-store``, from web.middleware) and marked ``noindex``. Bad input gets a
400 page saying what was wrong, floods a 429 page, and an unknown manage or hold secret a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render as render_to
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.patients.models import Patient
from needlechart.public import booking, booking_codes, booking_make, booking_manage_views
from needlechart.public import booking_render as render
from needlechart.public.booking_forms import BookingForm, CodeForm
from needlechart.public.booking_manage import cancel_until
from needlechart.public.booking_models import SlotHold
from needlechart.public.models import PublicProfile
from needlechart.public.selectors import ListedPractitioner
from needlechart.public.views import base_url
from needlechart.scheduling.models import AppointmentType
from needlechart.scheduling.selectors import clinic_zone

FIRST_AVAILABLE = render.FIRST_AVAILABLE


def _choice(
    profile: PublicProfile,
    params: Any,
    listed: list[ListedPractitioner] | None = None,
    types: list[AppointmentType] | None = None,
) -> tuple[AppointmentType | None, list[int], str, dt.date | None]:
    """The visitor's type, practitioners and first day from ``params``; ValueError with the message.
    ``listed`` and ``types``: the directory and the types open online, when the view read them."""
    kind = None
    if params.get("type"):
        if types is None:
            kind = booking.bookable_type(profile.clinic_id, params["type"])
        else:
            kind = next((t for t in types if str(t.pk) == _as_uuid_text(params["type"])), None)
        if kind is None:
            raise ValueError(_("Choose one of the appointment types listed."))
    chosen = params.get("practitioner") or FIRST_AVAILABLE
    return kind, render.chosen_practitioners(profile, chosen, kind, listed), chosen, render.day_of(params.get("day"))


def _as_uuid_text(text: str) -> str | None:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def _times_context(
    profile: PublicProfile,
    kind: AppointmentType | None,
    ids: list[int],
    chosen: str,
    day: dt.date | None,
    types: list[AppointmentType] | None = None,
    listed: list[ListedPractitioner] | None = None,
) -> dict[str, Any]:
    """The booking page's choices and, with a type, its free times (``booking.TIMES_SHOWN`` at most,
    in whole days): the directory read once for the names, the choice and the list."""
    types = booking.bookable_types(profile.clinic_id) if types is None else types
    listed = render.practitioners(profile) if listed is None else listed
    extra: dict[str, Any] = {"practitioners": listed, "types": types}
    extra |= {"kind": kind, "chosen": chosen}
    if kind is not None:
        slots, window = booking.free_times(profile, kind, ids, first_day=day, limit=booking.TIMES_SHOWN)
        extra |= render.times_context(profile, kind, slots, window, chosen, listed, clinic_zone(profile.clinic_id))
    return extra


def _taken(request: HttpRequest, profile: PublicProfile, lang: str, kind: AppointmentType, day: dt.date) -> HttpResponse:
    ids = render.chosen_practitioners(profile, FIRST_AVAILABLE, kind)
    extra = _times_context(profile, kind, ids, FIRST_AVAILABLE, day)
    return render.page(request, profile, lang, "public/booking/taken.html", _("That time was just taken"), 409, **extra)


@require_http_methods(["GET", "HEAD"])
def booking_start(request: HttpRequest, clinic_slug: str, lang: str) -> HttpResponse:
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        types, listed = booking.bookable_types(profile.clinic_id), render.practitioners(profile)
        try:
            kind, ids, chosen, day = _choice(profile, request.GET, listed, types)
        except ValueError as error:
            return render.problem(request, profile, lang, str(error))
        if kind is None and len(types) == 1:  # the only type open online: its free times at once
            kind = types[0]
        extra = _times_context(profile, kind, ids, chosen, day, types, listed)
        return render.page(request, profile, lang, "public/booking/start.html", _("Book a time"), **extra)


@require_http_methods(["GET", "HEAD"])
def booking_certified(request: HttpRequest, clinic_slug: str, lang: str) -> HttpResponse:
    """The "Book with a certified practitioner" section: each practitioner whose needling certification is
    valid today with their next free times, as buttons that hold the time (the clinic's only
    online type), or a link per type when it has several. The public pages load it after
    themselves (htmx): it is private (its form's CSRF cookie, times that change by the minute)
    while they are cached. Asked for by htmx it is the section alone, else a page of its own
    (the section's link when scripts do not run)."""
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        types = booking.bookable_types(profile.clinic_id)
        certified = [p for p in render.practitioners(profile) if p.certified]
        kind = types[0] if len(types) == 1 else None
        times = booking.next_free_times(profile, kind, [p.staff_id for p in certified]) if kind and certified else {}
        extra: dict[str, Any] = {
            "types": types,
            "kind": kind,
            "entries": [(p, times.get(p.staff_id, [])) for p in certified],
            "weeks": booking.NEXT_WEEKS,
        }
        if request.headers.get("HX-Request") == "true":
            with timezone.override(clinic_zone(profile.clinic_id)):
                response = render_to(request, "public/booking/certified_section.html", {**extra, "profile": profile, "language": lang})
            response["Content-Language"] = lang
        else:
            response = render.page(
                request, profile, lang, "public/booking/certified.html", _("Book with a certified practitioner"), **extra
            )
        response["X-Robots-Tag"] = "noindex"
        response["Vary"] = "HX-Request"
        return response


@require_POST
def booking_hold(request: HttpRequest, clinic_slug: str, lang: str) -> HttpResponse:
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        try:
            booking.count("address", render.address(request), limit=booking.limits()["ip"], window=booking.IP_WINDOW)
        except booking.RateLimited as limited:
            return render.too_many(request, profile, lang, limited.seconds)
        try:
            kind, _ids, _chosen, _day = _choice(profile, request.POST)
        except ValueError as error:
            return render.problem(request, profile, lang, str(error))
        try:
            practitioner_id, starts_at = render.slot_of(request.POST.get("slot", ""))
            if kind is None:
                raise ValueError
        except ValueError:
            return render.problem(request, profile, lang, _("Choose a time from the list."))
        try:
            render.chosen_practitioners(profile, str(practitioner_id), kind)
        except ValueError as error:
            return render.problem(request, profile, lang, str(error))
        try:
            _hold, secret = booking.hold_create(profile, kind, practitioner_id, starts_at)
        except booking.TimeTaken:
            return _taken(request, profile, lang, kind, starts_at.astimezone(clinic_zone(profile.clinic_id)).date())
        return redirect(reverse("booking_details", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret}))


def _hold_or_problem(request: HttpRequest, profile: PublicProfile, lang: str, secret: str) -> SlotHold | HttpResponse:
    hold = booking.hold_get(profile, secret)
    if hold is None:
        message = _("This time is no longer held for you: holds last a few minutes. Please pick a time again.")
        return render.problem(request, profile, lang, message, 404)
    return hold


def _held(hold: SlotHold, lang: str) -> dict[str, Any]:
    practitioner = hold.practitioner
    return {
        "hold": hold,
        "zone": clinic_zone(hold.clinic_id),
        "kind_name": hold.appointment_type.name_in(lang),
        "practitioner_name": f"{practitioner.first_name} {practitioner.last_name}".strip(),
    }


def _book(
    request: HttpRequest,
    profile: PublicProfile,
    lang: str,
    hold: SlotHold,
    details: Mapping[str, Any],
    answers: Mapping[str, Any],
    patient: Patient | None = None,
) -> HttpResponse:
    """Book the held time and show the confirmation (or the other free times, if it was just taken)."""
    held = _held(hold, lang)
    try:
        booked = booking_make.book(
            profile, hold, details=details, answers=answers, language=lang, base_url=base_url(request), patient=patient
        )
    except booking.TimeTaken:
        return _taken(request, profile, lang, hold.appointment_type, hold.starts_at.astimezone(held["zone"]).date())
    appointment = booked.booking.appointment
    return render.page(
        request,
        profile,
        lang,
        "public/booking/done.html",
        _("Your time is booked"),
        booked=booked,
        appointment=appointment,
        zone=held["zone"],
        kind_name=appointment.appointment_type.name_in(lang),
        requested_name=booked.booking.requested_type.name_in(lang),
        practitioner_name=held["practitioner_name"],
        manage_url=booked.manage_url,
        cancel_until=cancel_until(profile, booked.booking),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def booking_details(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        hold = _hold_or_problem(request, profile, lang, secret)
        if isinstance(hold, HttpResponse):
            return hold
        form = BookingForm(request.POST if request.method == "POST" else None, language=lang)
        extra = {**_held(hold, lang), "form": form}
        title = _("Your details")
        if request.method != "POST":
            return render.page(request, profile, lang, "public/booking/details.html", title, **extra)
        if form.is_bot:  # a bot: it is told nothing went wrong, and nothing is booked
            return render.page(request, profile, lang, "public/booking/received.html", _("Thank you"))
        try:
            booking.count("address", render.address(request), limit=booking.limits()["ip"], window=booking.IP_WINDOW)
            if form.data.get("phone"):
                phone = booking.normalised_phone(str(form.data["phone"]))
                booking.count("phone", phone, limit=booking.limits()["phone"], window=booking.PHONE_WINDOW)
        except booking.RateLimited as limited:
            return render.too_many(request, profile, lang, limited.seconds)
        if not form.is_valid():
            return render.page(request, profile, lang, "public/booking/details.html", title, 400, **extra)
        if not form.cleaned_data.get("returning"):
            return _book(request, profile, lang, hold, form.details(), form.answers())
        try:
            booking_codes.code_send(
                profile, hold, details=form.details(), answers=form.answers(), language=lang, address=render.address(request)
            )
        except booking.RateLimited as limited:
            return render.too_many(request, profile, lang, limited.seconds)
        return redirect(reverse("booking_code", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret}))


@require_http_methods(["GET", "HEAD", "POST"])
def booking_code(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    """The returning patient's code: the same page whether or not the details matched anyone."""
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        hold = _hold_or_problem(request, profile, lang, secret)
        if isinstance(hold, HttpResponse):
            return hold
        row = booking_codes.code_of_hold(hold)
        if row is None:
            return redirect(reverse("booking_details", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret}))
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "new":
            return _book(request, profile, lang, hold, booking_codes.stored_details(row), row.answers)
        form = CodeForm(request.POST if action == "confirm" else None)
        extra = {**_held(hold, lang), "form": form, "minutes": booking_codes.CODE_MINUTES, "message": None, "expired": False}
        status = 200
        if request.method == "POST":
            status = 400
            if action != "confirm":
                return render.problem(request, profile, lang, _("Choose what to do with the booking."))
            if form.is_valid():
                try:
                    patient = booking_codes.code_confirm(row, form.cleaned_data["code"])
                except booking_codes.WrongCode as wrong:
                    extra["message"] = _("That code is not right. You have %(tries)s tries left.") % {"tries": wrong.tries_left}
                except booking_codes.CodeExpired:
                    extra["expired"] = True
                else:
                    return _book(request, profile, lang, hold, booking_codes.stored_details(row), row.answers, patient=patient)
        return render.page(request, profile, lang, "public/booking/code.html", _("Confirm it is you"), status, **extra)


# Every booking page below ``/c/<clinic>/<language>/``, the manage link's too (public.urls makes
# one pattern per language).
ROUTES = (
    ("book/", booking_start, "booking_start"),
    ("book/certified/", booking_certified, "booking_certified"),
    ("book/hold/", booking_hold, "booking_hold"),
    ("book/h/<str:secret>/", booking_details, "booking_details"),
    ("book/h/<str:secret>/code/", booking_code, "booking_code"),
    *booking_manage_views.ROUTES,
)
