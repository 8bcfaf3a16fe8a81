"""The document around every page and the top bar of staff pages, drawn with format strings.

base.html is made of these pieces (core.templatetags.layout), and the busiest page, the
chart, is drawn without templates at all (``render_page``): as template markup the document,
its context processors and blocks cost about 0.3 ms of every chart, and the top bar (the main
menu, the language switch with its form, who is signed in) about 0.6 ms more. The menu
depends only on the language, the page's section and the reader's capabilities, so each
variant is drawn once per process; the rest is one format string.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language, gettext, gettext_noop

from needlechart.clinics.models import Role
from needlechart.core.context_processors import nav_of
from needlechart.core.csrf import csrf_input
from needlechart.core.labels import choice_label
from needlechart.core.links import object_url

# What the panels drawn in Python read ("request", "user", "nav", ...): a template's context,
# or the mapping a page drawn without templates gives them (patients.chart_page).
PanelContext = template.Context | Mapping[str, Any]

# (capability, URL name, label, whether the link marks its own page as the current one)
_MENU = (
    ("view_day_list", "today", gettext_noop("Today"), True),
    ("view_demographics", "patient_list", gettext_noop("Patients"), True),
    ("view_clinical", "atlas", gettext_noop("Muscle atlas"), True),
    ("view_clinical", "alert_list", gettext_noop("Alerts"), True),
    ("view_analytics", "analytics", gettext_noop("Analytics"), True),
    ("manage_staff", "staff_list", gettext_noop("Staff"), False),
    ("manage_staff", "clinic_instruments", gettext_noop("Questionnaires"), False),
    ("manage_staff", "rule_settings", gettext_noop("Screening rules"), False),
    ("view_audit", "audit_report", gettext_noop("Audit log"), False),
)
_LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}  # each in its own language


@functools.lru_cache(maxsize=256)
def _menu(language: str | None, section: str | None, capabilities: frozenset[str]) -> str:
    """The main menu for readers with ``capabilities`` on a page of ``section`` (a URL name)."""
    current = ' aria-current="page"'
    links = "".join(
        f'<a href="{reverse(name)}"{current if marks_current and name == section else ""}>{escape(gettext(label))}</a>\n'
        for capability, name, label, marks_current in _MENU
        if capability in capabilities
    )
    return f'<nav aria-label="{escape(gettext("Main"))}">\n{links}</nav>\n' if links else ""


@functools.lru_cache(maxsize=8)
def _words(language: str | None) -> dict[str, str]:
    return {
        "sign_out": escape(gettext("Sign out")),
        "skip": escape(gettext("Skip to content")),
        "today_url": reverse("today"),
        "logout_url": reverse("logout"),
        "set_language_url": reverse("set_language"),
    }


_LANGUAGE_BUTTON = (
    '<button type="submit" name="language" value="{code}" lang="{code}" aria-pressed="{pressed}"{active}'
    ' data-testid="lang-{code}">{name}</button>\n'
)
_BAR = """<a class="brand" href="{today_url}">needlechart</a>
{menu}<div class="topbar-end">
<form action="{set_language_url}" method="post" class="lang-switch">{csrf}
<input name="next" type="hidden" value="{next}">
{languages}</form>
{who}</div>
"""


def topbar_html(request: HttpRequest) -> str:
    """needlechart's name, the main menu, the language switch and the signed-in user with a way out."""
    user = getattr(request, "user", None)
    language = get_language()
    words = _words(language)
    csrf = csrf_input(request)
    menu = who = ""
    if user is not None and user.is_authenticated:
        match = request.resolver_match
        capabilities = frozenset(cap for cap, allowed in nav_of(user).items() if allowed)
        menu = _menu(language, match.url_name if match else None, capabilities)
        if user.clinic_id:
            name = f'<a href="{object_url("staff_detail", user.pk)}">{escape(user.display_name)}</a> · {choice_label(Role, user.role)}'
        else:
            name = escape(user.username)
        who = (
            f'<span class="who">{name}</span>\n'
            f'<form action="{words["logout_url"]}" method="post">{csrf}'
            f'<button type="submit" class="link">{words["sign_out"]}</button></form>\n'
        )
    languages = "".join(
        _LANGUAGE_BUTTON.format(
            code=code,
            pressed="true" if code == language else "false",
            active=' class="active"' if code == language else "",
            name=_LANGUAGE_NAMES.get(code, code),
        )
        for code, _name in settings.LANGUAGES
    )
    return _BAR.format(
        today_url=words["today_url"],
        menu=menu,
        set_language_url=words["set_language_url"],
        csrf=csrf,
        next=escape(request.get_full_path()),
        languages=languages,
        who=who,
    )


_HTMX_CONFIG = (
    '{"includeIndicatorStyles": false, "allowScriptTags": false, "responseHandling": [{"code": "204", "swap": false},'
    ' {"code": "[23]..", "swap": true}, {"code": "4..", "swap": true, "error": false}, {"code": "...", "swap": false, "error": true}]}'
)
_START = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{htmx_config}'>
<title>"""
_TOP = """ · needlechart</title>
<link rel="stylesheet" href="{css}">
<script src="{htmx}" defer></script>
<script src="{js}" defer></script>
</head>
<body>
<a class="skip" href="#main">{skip}</a>
<header class="topbar">
{topbar}</header>
<main id="main" tabindex="-1">
{messages}"""
DOCUMENT_END = "\n</main>\n</body>\n</html>\n"


@functools.lru_cache(maxsize=8)
def document_start(language: str | None) -> str:
    """The document up to the text of its <title>."""
    return _START.format(language=escape(language or settings.LANGUAGE_CODE), htmx_config=_HTMX_CONFIG)


@functools.lru_cache(maxsize=1)
def _assets() -> Mapping[str, str]:
    return {
        "css": static("needlechart/needlechart.css"),
        "htmx": static("vendor/htmx-2.0.11.min.js"),
        "js": static("needlechart/needlechart.js"),
    }


def _messages(request: HttpRequest) -> str:
    """The messages waiting for the reader (and done with once shown)."""
    waiting = list(get_messages(request)) if hasattr(request, "_messages") else []
    if not waiting:
        return ""
    items = "".join(f'<li class="msg-{escape(message.tags)}">{conditional_escape(message)}</li>' for message in waiting)
    return f'<ul class="messages" role="status">{items}</ul>\n'


def document_top(request: HttpRequest) -> str:
    """From the end of the <title> to the page's own content: the head, the top bar and the messages."""
    return _TOP.format(**_assets(), skip=_words(get_language())["skip"], topbar=topbar_html(request), messages=_messages(request))


def render_page(request: HttpRequest, *, title: str, content: str, status: int = 200) -> HttpResponse:
    """The whole page around ``content`` (HTML, every value in it escaped) under ``title`` (text)."""
    html = document_start(get_language()) + escape(title) + document_top(request) + content + DOCUMENT_END
    return HttpResponse(html, status=status)
