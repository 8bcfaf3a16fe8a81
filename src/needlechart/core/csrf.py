"""The CSRF field of forms drawn with format strings.

{% csrf_token %} masks the token anew for every form, with 32 random characters drawn one by
one from the operating system; a chart has four or five forms. Every form of one response may
carry the same masked token (the mask only has to differ between responses), so it is drawn
once per request here.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode


def csrf_input(context: template.Context) -> str:
    """The hidden input of the request's CSRF token, masked once per request (and again if the token changed)."""
    request = context.get("request")
    if request is None:
        return CsrfTokenNode().render(context)
    secret = request.META.get("CSRF_COOKIE")
    cached = getattr(request, "_csrf_input", None)
    if cached is None or cached[0] != secret:
        html = CsrfTokenNode().render(context)
        cached = request._csrf_input = (request.META.get("CSRF_COOKIE"), html)
    return cached[1]
