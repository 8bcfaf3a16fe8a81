"""The calendar feed: the practitioner's own page to make, renew or revoke its address and choose
its privacy, and the feed itself (``.ics``, reached by its secret address without sign-in)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.scheduling import feeds
from needlechart.scheduling.views import bad_request

_ACTIONS = ("new", "revoke", "privacy")


@staff_view(Capability.VIEW_DAY_LIST)
@require_http_methods(["GET", "POST"])
def my_feed(request: StaffRequest) -> HttpResponse:
    """The signed-in practitioner's feed (only their own: there is no other's to ask for)."""
    if not feeds.may_have_feed(request.user):
        return render(
            request,
            "error.html",
            {"status": 403, "title": _("No calendar feed"), "message": _("Calendar feeds are for practitioners' own appointments.")},
            status=403,
        )
    token = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in _ACTIONS:
            return bad_request(request, _("Unknown action"), _("Make a new address, revoke it or choose what the feed shows."))
        if action == "new":
            _feed, token = feeds.feed_token_new(actor=request.user)
        elif action == "revoke":
            feeds.feed_revoke(actor=request.user)
            messages.success(request, _("The feed's address is revoked: calendars using it get nothing more."))
            return redirect("calendar_feed")
        else:
            private = request.POST.get("private", "")
            if private not in ("on", "off"):
                return bad_request(request, _("Unknown choice"), _("Choose whether the feed shows patients' names."))
            feeds.feed_set_private(actor=request.user, private=private == "on")
            messages.success(request, _("Saved."))
            return redirect("calendar_feed")
    feed = feeds.feed_of(user=request.user)
    audit_read(actor=request.user, object_type=AuditObject.CALENDAR_FEED, object_id=feed.pk if feed else "", detail={"page": "feed"})
    context = {
        "feed": feed,
        "feed_url": request.build_absolute_uri(reverse("calendar_feed_ics", args=[token])) if token else None,
        "days_back": feeds.DAYS_BACK,
        "days_ahead": feeds.DAYS_AHEAD,
    }
    return render(request, "scheduling/feed.html", context)


@require_safe
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed: 404 for an unknown, revoked or malformed token, as for any address that is not there."""
    feed = feeds.feed_by_token(token)
    if feed is None:
        raise Http404
    with translation.override(feed.practitioner.preferred_language):
        name = _("needlechart: %(name)s") % {"name": feed.practitioner.display_name}
    read = feeds.feed_read(feed, name=name)
    response = HttpResponse(read.body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="needlechart.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
