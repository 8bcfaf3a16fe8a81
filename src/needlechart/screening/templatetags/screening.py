"""The screening's template helpers: the suitability panel, drawn with format strings.

The panel heads the chart and the visit page. As template markup (a badge chosen among six,
links, a form and a loop over the findings) it cost about 0.7 ms a page; here the words are
translated and the links resolved once per language.
"""

from __future__ import annotations

import functools
import json
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext

from needlechart.core.csrf import csrf_input
from needlechart.core.dates import date_format
from needlechart.core.layout import PanelContext
from needlechart.core.links import object_url
from needlechart.patients.models import Patient
from needlechart.screening.selectors import Screening

register = template.Library()


@register.filter
def as_json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    """The panel's words in the active language (``language``), escaped, with the status badges."""
    words = {
        "title": gettext("Suitability for needling"),
        "answers": gettext("Answers"),
        "fill_in": gettext("Fill in with patient"),
        "send_link": gettext("Send intake link"),
        "absolute": gettext("Absolute"),
        "relative": gettext("Relative"),
        "precaution": gettext("Precaution"),
    }
    labels = {key: escape(word) for key, word in words.items()}
    badges = {
        "none": ("badge", gettext("no intake yet")),
        "blocked": ("badge danger", gettext("do not needle")),
        "restricted": ("badge danger", gettext("not in some areas")),
        "relative": ("badge warn", gettext("needs your reasoning")),
        "precautions": ("badge", gettext("precautions")),
        "suitable": ("badge ok", gettext("no concerns found")),
    }
    labels |= {f"status:{status}": f'<span class="{classes}">{escape(word)}</span>' for status, (classes, word) in badges.items()}
    return labels


_FINDING_BADGE = {"absolute": "badge danger", "relative": "badge warn"}

_PANEL = """<section class="card suitability status-{status}" data-testid="suitability" aria-labelledby="suitability-title">
<div class="page-head">
<h2 id="suitability-title">{title}: {badge}</h2>
<div class="actions">{answers}<a class="button small" href="{fill_in_url}">{fill_in}</a>
<form method="post" action="{link_url}">{csrf}<button type="submit" class="small">{send_link}</button></form>
</div>
</div>
{findings}</section>
"""


@register.simple_tag(takes_context=True)
def suitability_panel(context: PanelContext, screening: Screening, patient: Patient) -> SafeString:
    """The latest intake's verdict for needling, its findings, and how to (re)take the intake."""
    language = get_language()
    labels = _labels(language)
    response, suitability = screening.response, screening.suitability
    status = suitability.status if response is not None and suitability is not None else "none"
    answers = findings = ""
    if response is not None and suitability is not None:
        answers = f'<a class="button small" href="{object_url("screening_detail", patient.pk)}">{labels["answers"]}</a>\n'
        items = "".join(
            f'<li class="finding {escape(f.severity)}"><span class="{_FINDING_BADGE.get(f.severity, "badge")}">'
            f"{labels.get(f.severity, labels['precaution'])}</span> {escape(f.rule.message.get(language or 'en'))}</li>\n"
            for f in suitability.findings
            if f.severity != "precaution" or not f.rule.session_match
        )
        when = date_format(localtime(response.submitted_at), "SHORT_DATETIME_FORMAT")
        intake_of = escape(gettext("Intake of %(when)s.") % {"when": when})
        findings = f'<ul class="findings">\n{items}</ul>\n<p class="muted small">{intake_of}</p>\n'
    html = _PANEL.format(
        status=status,
        title=labels["title"],
        badge=labels[f"status:{status}"],
        answers=answers,
        fill_in_url=object_url("intake_staff", patient.pk),
        fill_in=labels["fill_in"],
        link_url=object_url("intake_link_create", patient.pk),
        csrf=csrf_input(context),
        send_link=labels["send_link"],
        findings=findings,
    )
    return mark_safe(html)  # noqa: S308 - every value is escaped
