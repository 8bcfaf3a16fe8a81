"""The pain map's legend, marked regions and suggested muscles, drawn with format strings.

The chart shows the latest pain map on every view; as template loops its legend and up to
eight suggestions, each with a link, a meter and translated words, cost about 1 ms.
"""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from needlechart.core.links import object_url
from needlechart.knowledge.suggest import SegmentalSuggestion

register = template.Library()


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    """The pain map's words in the active language (``language``), escaped. (Plain gettext calls:
    makemessages does not find them inside f-strings.)"""
    words = {
        "legend": gettext("Legend"),
        "marked": gettext("Marked"),
        "suggested": gettext("Muscles that may explain this pain"),
        "none_marked": gettext("Mark painful regions to see suggestions."),
        "match": gettext("Match"),
        "thorax": gettext("Thorax: lung"),
        "plan": gettext("Plan needling"),
        "explains": gettext("Explains"),
        "not_explained": gettext("Not explained"),
        "paraspinals": gettext("Segmental paraspinals (Gunn IMS)"),
        "caution": gettext("Referral patterns vary between people: these are candidates to palpate, ranked, not a diagnosis."),
        "r": gettext("right"),
        "l": gettext("left"),
    }
    return {key: escape(word) for key, word in words.items()}


@register.simple_tag
def pain_legend() -> SafeString:
    levels = "".join(f'<li><span class="swatch level-{level}"></span>{level}</li>' for level in range(1, 11))
    legend = _labels(get_language())["legend"]
    return mark_safe(f'<ul class="legend pain-legend" aria-label="{legend}">{levels}</ul>')  # noqa: S308 - no input


@register.simple_tag(takes_context=True)
def pain_findings(context: template.Context) -> SafeString:
    """The marked regions and the muscles that may explain them (``marks``, ``suggestions``, ``paraspinals``
    from charting.pain_map_views.pain_map_context); with ``editable``, a button to plan needling each one."""
    language = get_language() or "en"
    labels = _labels(language)
    parts = []
    if marks := context.get("marks"):
        rows = "".join(
            f'<li><span class="swatch level-{level}"></span>{escape(label)}: {level}/10, {escape(str(quality).lower())}</li>'
            for _id, label, level, quality in marks
        )
        parts.append(f'<h3>{labels["marked"]}</h3>\n<ul class="marks" data-testid="pain-marks">{rows}</ul>\n')
    parts.append(f'<div id="suggestions" data-testid="suggestions">\n<h3>{labels["suggested"]}</h3>\n')
    suggestions: list[dict[str, Any]] = context.get("suggestions") or []
    if not suggestions:
        parts.append(f'<p class="muted">{labels["none_marked"]}</p>\n</div>')
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped
    plan_url = reverse("needling_entry_defaults", args=[context["encounter"].pk]) if context.get("editable") else ""
    parts.append('<ol class="suggestions">\n')
    for s in suggestions:
        muscle = s["muscle"]
        link = f'<a href="{object_url("muscle_detail", muscle.id)}">{escape(muscle.name.get(language))}</a>'
        parts.append(
            f"<li>\n{link}, {labels[s['side']]}\n"
            f'<meter min="0" max="1" value="{s["score"]:.3f}" title="{labels["match"]}">{localize(s["score"])}</meter>\n'
        )
        if muscle.thorax:
            parts.append(f'<span class="badge danger">{labels["thorax"]}</span>\n')
        if plan_url:
            parts.append(
                f'<button type="button" class="small" hx-get="{plan_url}?muscle_id={escape(muscle.id)}&amp;side={s["side"]}"'
                f' hx-target="#needling-panel" hx-swap="outerHTML" data-testid="plan-{escape(muscle.id)}">{labels["plan"]}</button>\n'
            )
        unexplained = ""
        if s["unexplained"]:
            unexplained = f'. <span class="muted">{labels["not_explained"]}: {escape(", ".join(s["unexplained"]))}</span>'
        parts.append(f'<p class="small">{labels["explains"]}: {escape(", ".join(s["explained"]))}{unexplained}</p>\n</li>\n')
    parts.append("</ol>\n")
    paraspinals: list[SegmentalSuggestion] = context.get("paraspinals") or []
    if paraspinals:
        rows = "".join(
            f'<li><a href="{object_url("muscle_detail", p.muscle.id)}">{escape(p.muscle.name.get(language))}</a>,'
            f" {labels[p.side]}: {escape(', '.join(p.segments))}</li>"
            for p in paraspinals
        )
        parts.append(f'<h3>{labels["paraspinals"]}</h3>\n<ul class="paraspinals">{rows}</ul>\n')
    parts.append(f'<p class="muted small">{labels["caution"]}</p>\n</div>')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped
