"""The patient chart page, drawn with format strings (core.layout.render_page).

The chart is the page a clinic opens most. Its parts were already drawn in Python (the
header, the suitability panel, the pain map, the timeline); drawing the page around them
without the template engine too saves its context processors, blocks and tags, about a
third of what drawing the page cost. The words are translated once per language.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext

from needlechart.charting.templatetags.pain_map import pain_map_panel
from needlechart.core.dates import date_format
from needlechart.core.labels import choice_label
from needlechart.core.layout import render_page
from needlechart.core.links import object_url
from needlechart.needling.models import AdverseEvent, AdverseEventOutcome, AdverseEventSeverity
from needlechart.patients.chart import EpisodeTimeline
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.templatetags.patient_header import patient_header
from needlechart.patients.templatetags.timeline import episode_timelines
from needlechart.screening.selectors import Screening
from needlechart.screening.templatetags.screening import suitability_panel


@dataclass
class ChartPage:
    """What the chart shows, as the view has read it."""

    patient: Patient
    identifiers: list[PatientIdentifier]
    timeline: list[EpisodeTimeline]
    show_clinical: bool
    can_audit: bool
    nav: Mapping[str, bool]
    screening: Screening | None = None
    serious_events: list[tuple[AdverseEvent, str]] | None = None
    latest_pain: dict[str, Any] | None = None  # pain_map_context's, with "taken_at"


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    """The page's words in the active language (``language``), escaped."""
    words = {
        "serious": gettext("Significant and serious adverse events"),
        "open": gettext("Open"),
        "loading": gettext("Loading progress…"),
        "episodes": gettext("Episodes of care"),
        "new_episode": gettext("Start a new episode of care"),
    }
    return {key: escape(word) for key, word in words.items()}


def _serious_events(events: list[tuple[AdverseEvent, str]], labels: dict[str, str]) -> str:
    items = "".join(
        f'<li><span class="badge danger">{choice_label(AdverseEventSeverity, event.severity)}</span> {escape(name)},'
        f" {date_format(localtime(event.onset), 'SHORT_DATE_FORMAT')} · {choice_label(AdverseEventOutcome, event.outcome)}"
        f' · <a href="{object_url("encounter_detail", event.encounter_id)}">{labels["open"]}</a></li>'
        for event, name in events
    )
    return (
        '<section class="card serious-events" role="alert" data-testid="serious-events">\n'
        f"<h2>{labels['serious']}</h2>\n<ul>{items}</ul>\n</section>\n"
    )


def _pain_map(latest_pain: dict[str, Any], context: Mapping[str, Any]) -> str:
    taken_at: dt.datetime = latest_pain["taken_at"]
    when = date_format(localtime(taken_at), "SHORT_DATETIME_FORMAT")
    note = escape(gettext("Pain map from the visit on %(when)s.") % {"when": when})
    return f'<div data-testid="chart-pain-map">\n{pain_map_panel(context, latest_pain)}\n<p class="muted small">{note}</p>\n</div>\n'


def chart_response(request: HttpRequest, page: ChartPage) -> HttpResponse:
    """The chart: the patient, what is known about suitability and pain, the episodes of care with their visits."""
    labels = _labels(get_language())
    patient = page.patient
    # what the parts drawn as template tags read from their context
    context = {"request": request, "user": request.user, "nav": page.nav, "show_clinical": page.show_clinical, "can_audit": page.can_audit}
    parts = [patient_header(context, patient, page.identifiers), "\n"]
    if page.serious_events:
        parts.append(_serious_events(page.serious_events, labels))
    if page.screening is not None:
        parts.append(suitability_panel(context, page.screening, patient))
    if page.latest_pain is not None:
        parts.append(_pain_map(page.latest_pain, context))
    if page.show_clinical:
        url = object_url("progress_panel", patient.pk)
        parts.append(
            f'<div hx-get="{url}" hx-trigger="load" hx-swap="outerHTML" data-testid="progress-placeholder">'
            f'<p class="muted small">{labels["loading"]}</p></div>\n'
        )
    parts.append(f'<div class="page-head">\n<h2>{labels["episodes"]}</h2>\n</div>\n')
    if page.nav.get("edit_demographics"):
        parts.append(f'<p><a class="button" href="{object_url("episode_create", patient.pk)}">{labels["new_episode"]}</a></p>\n')
    parts.append(episode_timelines(context, page.timeline))
    return render_page(request, title=patient.full_name, content="".join(parts))
