"""The patient's own booking, from the manage link (``/c/<clinic>/<language>/booking/<secret>/``):
see it, cancel it, or move it to another free time of the same type (``move/``), with the same
practitioner or the first available, until the clinic's cancellation limit. An unknown secret is
a 404, a link past the end of its appointment's day a 410; past the limit the page says to call the clinic."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from needlechart.public import booking, booking_manage
from needlechart.public import booking_render as render
from needlechart.public.booking_models import OnlineBooking
from needlechart.public.models import PublicProfile
from needlechart.scheduling.models import AppointmentStatus
from needlechart.scheduling.selectors import clinic_zone

TOO_LATE = gettext_noop("It is too late to cancel or move online. Please call the clinic.")


def _found(request: HttpRequest, profile: PublicProfile, lang: str, secret: str) -> OnlineBooking | HttpResponse:
    found = booking_manage.booking_by_secret(profile, secret)
    if found is None:
        message = _("We found no booking at this address. Check the link in your message, or call the clinic.")
        return render.problem(request, profile, lang, message, 404)
    if booking_manage.link_expired(found):
        message = _("This link worked until the end of the day of your appointment and has now expired. Please call the clinic.")
        return render.problem(request, profile, lang, message, 410)
    return found


def _booking_context(profile: PublicProfile, found: OnlineBooking, lang: str) -> dict[str, Any]:
    appointment = found.appointment
    practitioner = appointment.practitioner
    return {
        "appointment": appointment,
        "zone": clinic_zone(profile.clinic_id),
        "kind_name": appointment.appointment_type.name_in(lang),
        "practitioner_name": f"{practitioner.first_name} {practitioner.last_name}".strip(),
        "may_change": booking_manage.may_change(profile, found),
        "cancel_until": booking_manage.cancel_until(profile, found),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def booking_manage_page(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        found = _found(request, profile, lang, secret)
        if isinstance(found, HttpResponse):
            return found
        message = None
        if request.method == "POST":
            if request.POST.get("action") != "cancel":
                return render.problem(request, profile, lang, _("Choose what to do with the booking."))
            try:
                booking_manage.cancel(profile, found)
            except booking_manage.TooLate:
                message = _(TOO_LATE)
            else:
                return redirect(request.path + "?cancelled=1")
        found.appointment.refresh_from_db()
        extra = _booking_context(profile, found, lang)
        extra |= {
            "cancelled": found.appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED),
            "just_cancelled": request.GET.get("cancelled") == "1",
            "just_moved": request.GET.get("moved") == "1",
            "move_url": reverse("booking_move", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret}),
            "message": message,
        }
        return render.page(request, profile, lang, "public/booking/manage.html", _("Your booking"), 400 if message else 200, **extra)


@require_http_methods(["GET", "HEAD", "POST"])
def booking_move(request: HttpRequest, clinic_slug: str, lang: str, secret: str) -> HttpResponse:
    """Other free times of the booking's type; a time's button moves the booking there."""
    profile = render.profile_of(clinic_slug, lang)
    with translation.override(lang):
        found = _found(request, profile, lang, secret)
        if isinstance(found, HttpResponse):
            return found
        manage = reverse("booking_manage", kwargs={"clinic_slug": profile.slug, "lang": lang, "secret": secret})
        params = request.POST if request.method == "POST" else request.GET
        kind = found.appointment.appointment_type
        listed = {str(staff_id) for staff_id in render.chosen_practitioners(profile, render.FIRST_AVAILABLE, kind)}
        own = str(found.appointment.practitioner_id)
        chosen = params.get("practitioner") or (own if own in listed else render.FIRST_AVAILABLE)
        try:
            ids = render.chosen_practitioners(profile, chosen, kind)
            day = render.day_of(params.get("day"))
        except ValueError as error:
            return render.problem(request, profile, lang, str(error))
        message, status = None, 200
        if not booking_manage.may_change(profile, found):
            return render.problem(request, profile, lang, _(TOO_LATE))
        if request.method == "POST":
            try:
                practitioner_id, starts_at = render.slot_of(request.POST.get("slot", ""))
            except ValueError:
                return render.problem(request, profile, lang, _("Choose a time from the list."))
            if practitioner_id not in ids:
                return render.problem(request, profile, lang, _("Choose one of the practitioners listed."))
            try:
                booking_manage.move(profile, found, practitioner_id, starts_at)
            except booking_manage.TooLate:
                return render.problem(request, profile, lang, _(TOO_LATE))
            except booking.TimeTaken:
                message, status = _("Sorry, someone else booked or is booking that time just now. Here are other free times."), 409
                found.appointment.refresh_from_db()
            else:
                return redirect(manage + "?moved=1")
        slots, window = booking_manage.move_times(profile, found, ids, first_day=day)
        extra = _booking_context(profile, found, lang) | render.times_context(
            profile, found.appointment.appointment_type, slots, window, chosen
        )
        extra |= {"practitioners": render.practitioners(profile), "times_action": request.path, "manage_url": manage, "message": message}
        return render.page(request, profile, lang, "public/booking/move.html", _("Move your booking"), status, **extra)


ROUTES = (
    ("booking/<str:secret>/", booking_manage_page, "booking_manage"),
    ("booking/<str:secret>/move/", booking_move, "booking_move"),
)
