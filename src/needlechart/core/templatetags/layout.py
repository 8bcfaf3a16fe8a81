"""The top bar of every staff page, drawn with format strings.

As template markup the bar (the main menu, the language switch with its form, who is signed
in) cost about 0.6 ms of every page, more than most pages' own content. The menu depends
only on the language, the page's section and the reader's capabilities, so each variant is
drawn once per process; the rest is one format string.
"""

from __future__ import annotations

import functools
from html import escape

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

from needlechart.clinics.models import Role
from needlechart.core.csrf import csrf_input
from needlechart.core.labels import choice_label
from needlechart.core.links import object_url

register = template.Library()

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


@register.simple_tag(takes_context=True)
def topbar(context: template.Context) -> SafeString:
    """needlechart's name, the main menu, the language switch and the signed-in user with a way out."""
    request = context.get("request")
    user = context.get("user")
    language = get_language()
    words = _words(language)
    csrf = csrf_input(context)
    menu = who = ""
    if user is not None and user.is_authenticated:
        nav = context.get("nav") or {}
        match = getattr(request, "resolver_match", None)
        menu = _menu(language, match.url_name if match else None, frozenset(cap for cap, allowed in nav.items() if allowed))
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
    html = _BAR.format(
        today_url=words["today_url"],
        menu=menu,
        set_language_url=words["set_language_url"],
        csrf=csrf,
        next=escape(request.get_full_path()) if request is not None else "",
        languages=languages,
        who=who,
    )
    return mark_safe(html)  # noqa: S308 - every value is escaped
