"""The online booking pages of a clinic's public site (``/c/<clinic>/<language>/book/...``), with no sign-in.

1. ``book/``: pick a practitioner (or the first available), a type and a free time, days listed with their times.
2. ``book/hold/`` (POST): the time is held for the visitor, who goes on to
3. ``book/h/<secret>/``: the details and the pre-check; on success the confirmation with the manage link.
4. ``booking/<secret>/``: the patient's own booking, cancellable until the clinic's limit.

Every page is private (``no-store``, from web.middleware) and marked ``noindex``. Bad input gets a
400 page saying what was wrong, floods a 429 page, and an unknown manage or hold secret a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.public import booking, selectors
from needlechart.public.booking_forms import BookingForm
from needlechart.public.models import PublicProfile
from needlechart.public.pages import LANGUAGES, PAGES
from needlechart.public.texts import public_texts
from needlechart.public.views import LANGUAGE_NAMES, base_url, page_path
from needlechart.scheduling.selectors import clinic_zone

FIRST_AVAILABLE = "any"


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def _profile(clinic_slug: str, lang: str) -> PublicProfile:
    if lang not in LANGUAGES:
        raise Http404
    return selectors.published_profile(clinic_slug)


def _context(request: HttpRequest, profile: PublicProfile, lang: str, title: str, **extra: Any) -> dict[str, Any]:
    texts, name = public_texts(), profile.clinic.name
    start = {code: reverse("booking_start", kwargs={"clinic_slug": profile.slug, "lang": code}) for code in LANGUAGES}
    return {
        "profile": profile,
        "clinic_name": name,
        "language": lang,
        "page": "booking",
        "title": title,
        "head": {
            "title": f"{title} – {name}",
            "description": title,
            "canonical": base_url(request) + start[lang],
            "alternates": [],
            "image": None,
            "noindex": True,
        },
        "menu": [(texts.page_text(lang, p.id, "nav", name), page_path(profile.slug, lang, p.id), False) for p in PAGES],
        "other_languages": [(code, LANGUAGE_NAMES[code], start[code]) for code in LANGUAGES if code != lang],
        "start_url": start[lang],
        **extra,
    }


def _page(
    request: HttpRequest, profile: PublicProfile, lang: str, template: str, title: str, status: int = 200, **extra: Any
) -> HttpResponse:
    with timezone.override(clinic_zone(profile.clinic_id)):
        response = render(request, template, _context(request, profile, lang, title, **extra), status=status)
    response["Content-Language"] = lang
    return response


def _problem(request: HttpRequest, profile: PublicProfile, lang: str, message: str, status: int = 400) -> HttpResponse:
    titles = {400: _("That did not work"), 404: _("Not found"), 429: _("Too many attempts")}
    return _page(request, profile, lang, "public/booking/problem.html", titles.get(status, _("That did not work")), status, message=message)


def _too_many(request: HttpRequest, profile: PublicProfile, lang: str, seconds: int) -> HttpResponse:
    minutes = max(1, round(seconds / 60))
    message = _("There have been too many booking attempts. Please try again in %(minutes)s minutes, or call the clinic.") % {
        "minutes": minutes
    }
    response = _problem(request, profile, lang, message, 429)
    response["Retry-After"] = str(seconds)
    return response


def _practitioners(profile: PublicProfile) -> list[selectors.ListedPractitioner]:
    return selectors.directory(profile.clinic_id, on=timezone.localdate())


def _choice(request: HttpRequest, profile: PublicProfile, params: Any) -> tuple[Any, list[int], str, dt.date | None]:
    """The visitor's type, practitioners and first day from ``params``; ValueError with the message."""
    listed = _practitioners(profile)
    kind = None
    if params.get("type"):
        kind = booking.bookable_type(profile.clinic_id, params["type"])
        if kind is None:
            raise ValueError(_("Choose one of the appointment types listed."))
    chosen = params.get("practitioner") or FIRST_AVAILABLE
    if chosen == FIRST_AVAILABLE:
        ids = [p.staff_id for p in listed]
    else:
        ids = [p.staff_id for p in listed if str(p.staff_id) == chosen]
        if not ids:
            raise ValueError(_("Choose one of the practitioners listed."))
    day = None
    if params.get("day"):
        try:
            day = dt.date.fromisoformat(params["day"])
        except ValueError as exc:
            raise ValueError(_("Give the day as a date, such as 2026-03-25.")) from exc
    return kind, ids, chosen, day


def _times_context(profile: PublicProfile, kind: Any, ids: list[int], chosen: str, day: dt.date | None, lang: str) -> dict[str, Any]:
    listed = _practitioners(profile)
    names = {p.staff_id: p.name for p in listed}
    extra: dict[str, Any] = {"practitioners": listed, "types": booking.bookable_types(profile.clinic_id), "kind": kind, "chosen": chosen}
    if kind is not None:
        slots, window = booking.free_times(profile, kind, ids, first_day=day)
        zone = clinic_zone(profile.clinic_id)
        first = window.start.astimezone(zone).date()
        extra["days"] = booking.by_day(slots, zone)
        extra["zone"] = zone
        extra["names"] = names
        extra["first_day"] = first
        extra["previous_day"] = first - dt.timedelta(days=booking.DAYS_SHOWN) if window.start > window.earliest else None
        last = first + dt.timedelta(days=booking.DAYS_SHOWN)
        extra["next_day"] = last if window.end < window.latest else None
        extra["last_day"] = last - dt.timedelta(days=1)
    return extra


@require_http_methods(["GET", "HEAD"])
def booking_start(request: HttpRequest, clinic_slug: str, lang: str) -> HttpResponse:
    profile = _profile(clinic_slug, lang)
    with translation.override(lang):
        try:
            kind, ids, chosen, day = _choice(request, profile, request.GET)
        except ValueError as error:
            return _problem(request, profile, lang, str(error))
        extra = _times_context(profile, kind, ids, chosen, day, lang)
        return _page(request, profile, lang, "public/booking/start.html", _("Book a time"), **extra)


@require_POST
def booking_hold(request: HttpRequest, clinic_slug: str, lang: str) -> HttpResponse:
    profile = _profile(clinic_slug, lang)
    with translation.override(lang):
        try:
            booking.count("address", _address(request), limit=booking.limits()["ip"], window=booking.IP_WINDOW)
        except booking.RateLimited as limited:
            return _too_many(request, profile, lang, limited.seconds)
        try:
            kind, _ids, chosen, _day = _choice(request, profile, request.POST)
        except ValueError as error:
            return _problem(request, profile, lang, str(error))
        try:
            practitioner_id_text, _sep, start_text = request.POST.get("slot", "").partition("@")
            practitioner_id = int(practitioner_id_text)
            starts_at = dt.datetime.fromisoformat(start_text)
            if kind is None or timezone.is_naive(starts_at):
                raise ValueError
        except ValueError:
            return _problem(request, profile, lang, _("Choose a time from the list."))
        if practitioner_id not in {p.staff_id for p in _practitioners(profile)}:
            return _problem(request, profile, lang, _("Choose one of the practitioners listed."))
        try:
            _hold, secret = booking.hold_create(profile, kind, practitioner_id, starts_at.astimezone(dt.UTC))
        except booking.TimeTaken:
            extra = _times_context(profile, kind, [p.staff_id for p in _practitioners(profile)], FIRST_AVAILABLE, starts_at.date(), lang)
            return _page(request, profile, lang, "public/booking/taken.html", _("That time was just taken"), 409, **extra)
        return redirect(reverse("booking_details", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret}))


@require_http_methods(["GET", "HEAD", "POST"])
def booking_details(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    profile = _profile(clinic_slug, lang)
    with translation.override(lang):
        hold = booking.hold_get(profile, secret)
        if hold is None:
            return _problem(
                request, profile, lang, _("This time is no longer held for you: holds last a few minutes. Please pick a time again."), 404
            )
        zone = clinic_zone(profile.clinic_id)
        form = BookingForm(request.POST if request.method == "POST" else None, language=lang)
        extra: dict[str, Any] = {"hold": hold, "zone": zone, "form": form, "kind_name": hold.appointment_type.name_in(lang)}
        extra["practitioner_name"] = f"{hold.practitioner.first_name} {hold.practitioner.last_name}".strip()
        title = _("Your details")
        if request.method != "POST":
            return _page(request, profile, lang, "public/booking/details.html", title, **extra)
        if form.is_bot:  # a bot: it is told nothing went wrong, and nothing is booked
            return _page(request, profile, lang, "public/booking/received.html", _("Thank you"))
        try:
            booking.count("address", _address(request), limit=booking.limits()["ip"], window=booking.IP_WINDOW)
            if form.data.get("phone"):
                booking.count(
                    "phone", booking.normalised_phone(str(form.data["phone"])), limit=booking.limits()["phone"], window=booking.PHONE_WINDOW
                )
        except booking.RateLimited as limited:
            return _too_many(request, profile, lang, limited.seconds)
        if not form.is_valid():
            return _page(request, profile, lang, "public/booking/details.html", title, 400, **extra)
        try:
            booked = booking.book(profile, hold, details=form.details(), answers=form.answers(), language=lang, base_url=base_url(request))
        except booking.TimeTaken:
            kind = hold.appointment_type
            ids = [p.staff_id for p in _practitioners(profile)]
            times = _times_context(profile, kind, ids, FIRST_AVAILABLE, hold.starts_at.astimezone(zone).date(), lang)
            return _page(request, profile, lang, "public/booking/taken.html", _("That time was just taken"), 409, **times)
        manage = reverse("booking_manage", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": booked.manage_secret})
        appointment = booked.booking.appointment
        return _page(
            request,
            profile,
            lang,
            "public/booking/done.html",
            _("Your time is booked"),
            booked=booked,
            appointment=appointment,
            zone=zone,
            kind_name=appointment.appointment_type.name_in(lang),
            requested_name=booked.booking.requested_type.name_in(lang),
            practitioner_name=extra["practitioner_name"],
            manage_url=base_url(request) + manage,
            cancel_until=booking.cancel_until(profile, booked.booking),
        )


@require_http_methods(["GET", "HEAD", "POST"])
def booking_manage(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    profile = _profile(clinic_slug, lang)
    with translation.override(lang):
        found = booking.booking_by_secret(profile, secret)
        if found is None:
            return _problem(
                request, profile, lang, _("We found no booking at this address. Check the link in your message, or call the clinic."), 404
            )
        message = None
        if request.method == "POST":
            if request.POST.get("action") != "cancel":
                return _problem(request, profile, lang, _("Choose what to do with the booking."))
            try:
                booking.cancel(profile, found)
            except booking.CancelRefused:
                message = _("It is too late to cancel online. Please call the clinic.")
            else:
                return redirect(request.path + "?cancelled=1")
            found.refresh_from_db()
        appointment = found.appointment
        appointment.refresh_from_db()
        practitioner = appointment.practitioner
        response = _page(
            request,
            profile,
            lang,
            "public/booking/manage.html",
            _("Your booking"),
            400 if message else 200,
            appointment=appointment,
            zone=clinic_zone(profile.clinic_id),
            kind_name=appointment.appointment_type.name_in(lang),
            practitioner_name=f"{practitioner.first_name} {practitioner.last_name}".strip(),
            may_cancel=booking.may_cancel(profile, found),
            cancel_until=booking.cancel_until(profile, found),
            cancelled=appointment.status != "booked" and appointment.status != "arrived",
            just_cancelled=request.GET.get("cancelled") == "1",
            message=message,
        )
        return response


# The booking pages below ``/c/<clinic>/<language>/`` (public.urls makes one pattern per language).
ROUTES = (
    ("book/", booking_start, "booking_start"),
    ("book/hold/", booking_hold, "booking_hold"),
    ("book/h/<str:secret>/", booking_details, "booking_details"),
    ("booking/<str:secret>/", booking_manage, "booking_manage"),
)
