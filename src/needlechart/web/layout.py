"""What the layout shows beside each page's content: the main menu by capability, and htmx's settings."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from django.template import engines
from django.utils.translation import get_language, gettext_noop
from markupsafe import Markup

# (capability, URL name, label, whether the link marks its own page as the current one)
MAIN_MENU = (
    ("view_day_list", "today", gettext_noop("Today"), True),
    ("view_day_list", "calendar", gettext_noop("Calendar"), True),
    ("view_demographics", "patient_list", gettext_noop("Patients"), True),
    ("edit_demographics", "online_patients", gettext_noop("New online patients"), True),
    ("view_clinical", "atlas", gettext_noop("Muscle atlas"), True),
    ("view_clinical", "alert_list", gettext_noop("Alerts"), True),
    ("view_analytics", "analytics", gettext_noop("Analytics"), True),
    ("manage_staff", "staff_list", gettext_noop("Staff"), False),
    ("manage_staff", "api_client_list", gettext_noop("API clients"), False),
    ("manage_staff", "clinic_instruments", gettext_noop("Questionnaires"), False),
    ("manage_staff", "rule_settings", gettext_noop("Screening rules"), False),
    ("manage_staff", "public_admin", gettext_noop("Public pages"), False),
    ("manage_staff", "online_booking_settings", gettext_noop("Online booking"), False),
    ("view_audit", "audit_report", gettext_noop("Audit log"), False),
)

# htmx: no inline indicator styles (the Content-Security-Policy forbids inline style), no
# script tags from responses, and 4xx answers (a form's errors) swapped in like 2xx.
HTMX_CONFIG = json.dumps(
    {
        "includeIndicatorStyles": False,
        "allowScriptTags": False,
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "4..", "swap": True, "error": False},
            {"code": "...", "swap": False, "error": True},
        ],
    }
)


def main_menu(nav: Mapping[str, bool], section: str | None) -> Markup:
    """The main menu (``_menu.html``) for a reader who may do ``nav``, on a page of ``section`` (its
    URL name). It depends on nothing else but the language, so each variant is drawn once per
    process and kept: a template fragment cache, as the menu is on every page."""
    capabilities = frozenset(capability for capability, allowed in nav.items() if allowed)
    return _menu(get_language(), section, capabilities)


@functools.lru_cache(maxsize=512)
def _menu(language: str | None, section: str | None, capabilities: frozenset[str]) -> Markup:
    links = [(name, label, marks_current) for capability, name, label, marks_current in MAIN_MENU if capability in capabilities]
    menu: Markup = engines["jinja2"].env.get_template("_menu.html").module.main_menu(links, section)  # type: ignore[attr-defined]
    return menu
