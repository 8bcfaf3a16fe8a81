"""PDFs from the same (Jinja2) templates as the pages, rendered by WeasyPrint.

Nothing is fetched while rendering: the templates carry their own print styles and the
body map is inline SVG, and the URL fetcher refuses every request.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string


def _no_fetching(url: str, *args, **kwargs):
    raise ValueError(f"needlechart PDFs do not load external resources ({url[:40]})")


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # imported lazily: it is slow to import and only PDFs need it

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
