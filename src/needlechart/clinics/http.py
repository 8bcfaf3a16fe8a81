"""The request a staff page gets, typed for what the access layer guarantees."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from needlechart.clinics.models import User


class StaffRequest(HttpRequest):
    """A request to a view decorated with ``@staff_view`` (needlechart.core.access).

    ``@staff_view`` guarantees a signed-in, active clinic staff member: an anonymous visitor is
    sent to the login page and anyone who is not staff of a clinic gets 403 before the view
    runs. So a view decorated with it may annotate ``request: StaffRequest`` and pass
    ``request.user`` where a ``User`` is wanted. Public (patient link) views keep
    ``HttpRequest``: their user is anonymous.

    Only a type: at run time the request is Django's own. ``htmx`` is set on every request by
    django-htmx's ``HtmxMiddleware`` (settings.MIDDLEWARE).
    """

    user: User
    htmx: HtmxDetails
