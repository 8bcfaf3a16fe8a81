"""What the patient-facing link pages (intake, follow-up) share: their language and the refusal page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

PUBLIC_LANGUAGES = ("en", "nb")


def public_language(request: HttpRequest, link: Any) -> str:
    """The language the patient chose on the page (?lang=), else their preferred one, else Norwegian."""
    language = request.GET.get("lang") or request.POST.get("lang") or (link.patient.preferred_language if link else "nb")
    return language if language in PUBLIC_LANGUAGES else "nb"


def link_refused(request: HttpRequest, error: Any) -> HttpResponse:
    """A screening.services.LinkUnusable as a plain page: 404 for an unknown link, 410 for a used or expired one."""
    with translation.override(public_language(request, error.link)):
        return render(request, "screening/public_message.html", {"message": error.message()}, status=error.status)
