"""A clinic's public pages, with no sign-in, in the language their address names.

They show no patient data, so unlike every other page they may be kept by browsers and shared
caches for a few minutes (``Cache-Control: public``; web.middleware keeps ``no-store`` on any
response that sets a cookie). A clinic's photo is kept for good: each upload gets a new address.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.views.decorators.http import require_safe

from needlechart.content import Source
from needlechart.public import selectors
from needlechart.public.models import PublicProfile
from needlechart.public.pages import LANGUAGES, PAGES
from needlechart.public.structured import clinic_data
from needlechart.public.texts import Block, public_texts

PAGE_CACHE = "public, max-age=300"
PHOTO_CACHE = "public, max-age=31536000, immutable"
FILE_CACHE = "public, max-age=3600"
TEMPLATES = {"home": "public/home.html", "suitability": "public/suitability.html", "practitioners": "public/practitioners.html"}
LANGUAGE_NAMES = {"en": "English", "nb": "Norsk"}  # each named in its own language
# The pages that end with "Book with a certified practitioner" (public/_book_certified.html).
BOOK_SECTION_PAGES = ("ims", "practitioners")


def base_url(request: HttpRequest) -> str:
    """The site's address for links that leave the page (canonical, alternates, sitemap): the
    configured public address, else the one the request came to (a host Django allows)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") or f"{request.scheme}://{request.get_host()}"


def page_path(slug: str, language: str, page: str) -> str:
    return reverse("public_page", kwargs={"clinic_slug": slug, "lang": language, "page": page})


def photo_url(profile: PublicProfile) -> str | None:
    if not profile.photo.name:
        return None
    return reverse("public_photo", kwargs={"clinic_slug": profile.slug, "name": PurePosixPath(profile.photo.name).name})


def _public(response: HttpResponse, cache: str) -> HttpResponse:
    response["Cache-Control"] = cache
    return response


def _cited(blocks: tuple[Block, ...]) -> list[Source]:
    sources = public_texts().sources
    cited: dict[str, Source] = {}
    for block in blocks:
        for part in (block, *block.items):
            if part.source:
                cited.setdefault(part.source, sources[part.source])
    return list(cited.values())


def _head(request: HttpRequest, profile: PublicProfile, language: str, page: str) -> dict[str, Any]:
    texts, name, site = public_texts(), profile.clinic.name, base_url(request)
    title = texts.page_text(language, page, "title", name)
    return {
        "title": f"{name} – {title}" if page == "home" else f"{title} – {name}",
        "description": texts.page_text(language, page, "description", name),
        "canonical": site + page_path(profile.slug, language, page),
        "alternates": [(code, site + page_path(profile.slug, code, page)) for code in LANGUAGES]
        + [("x-default", site + page_path(profile.slug, profile.default_language, page))],
        "image": site + picture if (picture := photo_url(profile)) else None,
    }


def _opening_hours(profile: PublicProfile) -> list[tuple[str, str, str]]:
    return [(str(WEEKDAYS[hours["day"]]), hours["opens"], hours["closes"]) for hours in profile.opening_hours]


@require_safe
def clinic_root(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """``/c/<clinic>/``: the home page in the clinic's main language."""
    profile = selectors.published_profile(clinic_slug)
    return redirect(page_path(profile.slug, profile.default_language, "home"))


@require_safe
def public_page(request: HttpRequest, clinic_slug: str, lang: str, page: str) -> HttpResponse:
    profile = selectors.published_profile(clinic_slug)
    with translation.override(lang):
        context = _page_context(request, profile, lang, page)
        response = render(request, TEMPLATES.get(page, "public/text_page.html"), context)
    response["Content-Language"] = lang
    return _public(response, PAGE_CACHE)


def _page_context(request: HttpRequest, profile: PublicProfile, lang: str, page: str) -> dict[str, Any]:
    texts, clinic_id, name = public_texts(), profile.clinic_id, profile.clinic.name
    own = selectors.clinic_blocks(clinic_id, page, lang)
    blocks = () if own else texts.pages[page]
    context: dict[str, Any] = {
        "profile": profile,
        "clinic_name": name,
        "language": lang,
        "page": page,
        "head": _head(request, profile, lang, page),
        "title": name if page == "home" else texts.page_text(lang, page, "title", name),
        "menu": [(texts.page_text(lang, p.id, "nav", name), page_path(profile.slug, lang, p.id), p.id == page) for p in PAGES],
        "other_languages": [(code, LANGUAGE_NAMES[code], page_path(profile.slug, code, page)) for code in LANGUAGES if code != lang],
        "words": texts.words[lang],
        "own": own,
        "blocks": blocks,
        "sources": _cited(blocks),
        "opening_hours": _opening_hours(profile),
    }
    if page in BOOK_SECTION_PAGES:
        # The section is loaded after the page (htmx) from a private address, which reads the
        # calendar: this page reads none of it, stays the same for everyone, may still be cached,
        # and holds no form or cookie. (A clinic with no type open online: the section says so.)
        context["book_section"] = reverse("booking_certified", kwargs={"clinic_slug": profile.slug, "lang": lang})
    if page in ("home", "practitioners"):
        practitioners = selectors.directory(clinic_id, on=timezone.localdate())
        home = base_url(request) + page_path(profile.slug, lang, "home")
        context["practitioners"] = practitioners
        context["structured"] = clinic_data(
            profile, name=name, home_url=home, photo_url=context["head"]["image"], practitioners=practitioners
        )
    if page == "home":
        context["photo"] = photo_url(profile)
        context["links"] = [(texts.page_text(lang, p.id, "title", name), page_path(profile.slug, lang, p.id)) for p in PAGES[1:]]
    if page == "suitability":
        context["suitability"] = suitability = selectors.suitability(clinic_id)
        sources = texts.sources
        for item in suitability.items:
            if sources[item.source] not in context["sources"]:
                context["sources"].append(sources[item.source])
    return context


@require_safe
def photo(request: HttpRequest, clinic_slug: str, name: str) -> FileResponse:
    """The clinic's photo, only under its current name (a new upload gets a new one)."""
    profile = selectors.published_profile(clinic_slug)
    if not profile.photo.name or name != PurePosixPath(profile.photo.name).name:
        raise Http404
    try:
        file = profile.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(file, content_type=profile.photo_type)
    response["Cache-Control"] = PHOTO_CACHE
    return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Search engines may read the clinics' public pages and their style sheet, and nothing else."""
    response = render(request, "public/robots.txt", {"sitemap": base_url(request) + reverse("sitemap")}, content_type="text/plain")
    return _public(response, FILE_CACHE)


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    """Every public page of every published clinic, in each language, with the others as alternates."""
    site = base_url(request)
    entries: list[tuple[str, dt.datetime, list[tuple[str, str]]]] = []
    for profile, changed in selectors.published_profiles_changed():
        for page in PAGES:
            alternates = [(code, site + page_path(profile.slug, code, page.id)) for code in LANGUAGES]
            entries.extend((href, changed, alternates) for _code, href in alternates)
    response = render(request, "public/sitemap.xml", {"entries": entries}, content_type="application/xml")
    return _public(response, FILE_CACHE)
