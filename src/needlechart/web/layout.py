"""What the layout shows beside each page's content: the main menu by capability, and htmx's settings."""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.utils.translation import gettext_noop

# (capability, URL name, label, whether the link marks its own page as the current one)
MAIN_MENU = (
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


def main_menu(nav: Mapping[str, bool]) -> list[tuple[str, str, bool]]:
    """The menu's links (URL name, untranslated label, marks current) for a reader who may do ``nav``."""
    return [(name, label, marks_current) for capability, name, label, marks_current in MAIN_MENU if nav.get(capability)]
