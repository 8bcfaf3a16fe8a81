"""What every online booking page shares: the clinic of the address, the page's frame (menu,
languages, ``noindex``) in the clinic's zone, and the problem pages (400, 404, 429)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.public import booking, selectors
from needlechart.public.booking import Window
from needlechart.public.models import PublicProfile
from needlechart.public.pages import LANGUAGES, PAGES
from needlechart.public.texts import public_texts
from needlechart.public.views import LANGUAGE_NAMES, base_url, page_path
from needlechart.scheduling.models import AppointmentType
from needlechart.scheduling.selectors import clinic_zone
from needlechart.scheduling.slots import Slot

FIRST_AVAILABLE = "any"


def address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def profile_of(clinic_slug: str, lang: str) -> PublicProfile:
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


def page(
    request: HttpRequest, profile: PublicProfile, lang: str, template: str, title: str, status: int = 200, **extra: Any
) -> HttpResponse:
    """The page in the clinic's zone (``extra["zone"]`` when the view has it: a free-time page read it already)."""
    with timezone.override(extra.get("zone") or clinic_zone(profile.clinic_id)):
        response = render(request, template, _context(request, profile, lang, title, **extra), status=status)
    response["Content-Language"] = lang
    return response


def problem(request: HttpRequest, profile: PublicProfile, lang: str, message: str, status: int = 400) -> HttpResponse:
    titles = {400: _("That did not work"), 404: _("Not found"), 410: _("This link has expired"), 429: _("Too many attempts")}
    return page(request, profile, lang, "public/booking/problem.html", titles.get(status, _("That did not work")), status, message=message)


def too_many(request: HttpRequest, profile: PublicProfile, lang: str, seconds: int) -> HttpResponse:
    minutes = max(1, round(seconds / 60))
    message = _("There have been too many booking attempts. Please try again in %(minutes)s minutes, or call the clinic.") % {
        "minutes": minutes
    }
    response = problem(request, profile, lang, message, 429)
    response["Retry-After"] = str(seconds)
    return response


def practitioners(profile: PublicProfile) -> list[selectors.ListedPractitioner]:
    return selectors.directory(profile.clinic_id, on=timezone.localdate())


def chosen_practitioners(
    profile: PublicProfile,
    chosen: str,
    kind: AppointmentType | None = None,
    listed: list[selectors.ListedPractitioner] | None = None,
) -> list[int]:
    """The staff ids of ``chosen`` (a listed practitioner's id, or the first available of all) who may
    take ``kind``: a needling session only with a practitioner whose needling certification is valid
    today. ValueError with the message when it is none of them. ``listed``: the directory, when the
    view read it already (``practitioners``)."""
    listed = practitioners(profile) if listed is None else listed
    if kind is not None and kind.is_needling:
        if chosen != FIRST_AVAILABLE and any(str(p.staff_id) == chosen and not p.certified for p in listed):
            raise ValueError(
                _(
                    "A needling session can be booked only with a practitioner whose needling certification is valid."
                    " Choose one of the certified practitioners."
                )
            )
        listed = [p for p in listed if p.certified]
    if chosen == FIRST_AVAILABLE:
        return [p.staff_id for p in listed]
    ids = [p.staff_id for p in listed if str(p.staff_id) == chosen]
    if not ids:
        raise ValueError(_("Choose one of the practitioners listed."))
    return ids


def day_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("Give the day as a date, such as 2026-03-25.")) from exc


def slot_of(text: str) -> tuple[int, dt.datetime]:
    """A time button's value (``<practitioner id>@<ISO start>``); ValueError when it is not one."""
    practitioner_text, _sep, start_text = text.partition("@")
    starts_at = dt.datetime.fromisoformat(start_text)
    if timezone.is_naive(starts_at):
        raise ValueError
    return int(practitioner_text), starts_at.astimezone(dt.UTC)


def times_context(
    profile: PublicProfile,
    kind: Any,
    slots: list[Slot],
    window: Window,
    chosen: str,
    listed: list[selectors.ListedPractitioner] | None = None,
    zone: Any = None,
) -> dict[str, Any]:
    """What ``_times.html`` shows of ``slots``: the days (from the window's first to the day before
    its end: fewer than ``DAYS_SHOWN`` when the times shown reached their limit), the names and the
    pager (the next page starts where this one ends). ``listed`` and ``zone``: the directory and the
    clinic's zone, when the view has them."""
    zone = zone or clinic_zone(profile.clinic_id)
    first = window.start.astimezone(zone).date()
    last = window.end.astimezone(zone).date()
    return {
        "kind": kind,
        "chosen": chosen,
        "days": booking.by_day(slots, zone),
        "zone": zone,
        "names": {p.staff_id: p.name for p in (practitioners(profile) if listed is None else listed)},
        "first_day": first,
        "previous_day": first - dt.timedelta(days=booking.DAYS_SHOWN) if window.start > window.earliest else None,
        "next_day": last if window.end < window.latest else None,
        "last_day": last - dt.timedelta(days=1),
    }
