"""The pain map panel (body map, legend, marked regions, suggested muscles and, on the visit
page, the brush to mark regions with), drawn with format strings.

The chart shows the latest pain map on every view; as template markup its legend and up to
eight suggestions, each with a link, a meter and translated words, cost about 1 ms, and the
panel around them about 0.4 ms more.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from needlechart.core.csrf import csrf_input
from needlechart.core.layout import PanelContext
from needlechart.core.links import object_url, object_urls
from needlechart.knowledge.suggest import SegmentalSuggestion
from needlechart.knowledge.templatetags.knowledge import bodymap

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
        "title": gettext("Pain map"),
        "scale": gettext("Intensity 1 (mild) to 10 (worst imaginable). Front view: the patient's right is on your left."),
        "brush_help": gettext("Choose intensity and quality, then click or press Enter on a region. Intensity 0 clears it."),
        "intensity": gettext("Intensity"),
        "quality": gettext("Quality"),
        "region": gettext("Region"),
        "mark": gettext("Mark region"),
    }
    labels = {key: escape(word) for key, word in words.items()}
    labels["decimal_separator"] = escape(str(get_format("DECIMAL_SEPARATOR")))
    return labels


_LEVELS = "".join(f'<li><span class="swatch level-{level}"></span>{level}</li>' for level in range(1, 11))

_PANEL = """<section class="card pain-map" id="pain-map" aria-labelledby="pain-map-title">
<h2 id="pain-map-title">{title}</h2>
<div class="pain-grid">
<div>
{bodymap}<ul class="legend pain-legend" aria-label="{legend}">{levels}</ul>
<p class="muted small">{scale}</p>
</div>
<div>
{brush}{findings}
</div>
</div>
</section>
"""
_BRUSH = """<form class="pain-brush" method="post" action="{url}" hx-post="{url}" hx-target="#pain-map" hx-swap="outerHTML" \
data-testid="pain-form">{csrf}
{error}<p class="muted small">{brush_help}</p>
<label for="pain-intensity">{intensity}</label>
<input id="pain-intensity" name="intensity" type="number" min="0" max="10" value="{brush_intensity}" required \
data-testid="pain-intensity">
<label for="pain-quality">{quality}</label>
<select id="pain-quality" name="quality">{qualities}</select>
<label for="pain-region">{region}</label>
<select id="pain-region" name="region" data-testid="pain-region">{regions}</select>
<button type="submit" class="primary">{mark}</button>
</form>
"""


@register.simple_tag(takes_context=True)
def pain_map_panel(context: PanelContext, pain: Mapping[str, Any] | None = None) -> SafeString:
    """The pain map as charting.pain_map_views.pain_map_context gives it, in ``pain`` or else in the
    template's context; with ``editable`` (and ``encounter``), the brush that marks regions, keeping
    ``brush_intensity`` and ``brush_quality`` and showing ``pain_error``."""
    data: Mapping[str, Any] = context if pain is None else pain  # type: ignore[assignment] # a Context reads as a mapping
    labels = _labels(get_language())
    editable = bool(data.get("editable"))
    brush = ""
    if editable:
        quality = data.get("brush_quality") or ""
        qualities = "".join(
            f'<option value="{escape(value)}"{" selected" if value == quality else ""}>{escape(str(label))}</option>'
            for value, label in data.get("qualities") or ()
        )
        regions = "".join(
            f'<optgroup label="{escape(str(group))}">'
            + "".join(f'<option value="{escape(id_)}">{escape(label)}</option>' for id_, label in items)
            + "</optgroup>"
            for group, items in data.get("region_choices") or ()
        )
        error = data.get("pain_error")
        brush = _BRUSH.format(
            url=object_url("pain_map_update", data["encounter"].pk),
            csrf=csrf_input(context),
            error=f'<p class="errors" role="alert">{escape(error)}</p>\n' if error else "",
            brush_help=labels["brush_help"],
            intensity=labels["intensity"],
            brush_intensity=escape(str(data.get("brush_intensity") or 5)),
            quality=labels["quality"],
            qualities=qualities,
            region=labels["region"],
            regions=regions,
            mark=labels["mark"],
        )
    html = _PANEL.format(
        title=labels["title"],
        bodymap=bodymap(data.get("pain_views") or (), editable),
        legend=labels["legend"],
        levels=_LEVELS,
        scale=labels["scale"],
        brush=brush,
        findings=pain_findings(data),
    )
    return mark_safe(html)  # noqa: S308 - every value is escaped


def pain_findings(context: Mapping[str, Any]) -> str:
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
    muscle_url = object_urls("muscle_detail", str)
    parts.append('<ol class="suggestions">\n')
    for s in suggestions:
        muscle = s["muscle"]
        link = f'<a href="{muscle_url(muscle.id)}">{escape(muscle.name.get(language))}</a>'
        score = f"{s['score']:.2f}".replace(".", labels["decimal_separator"])
        parts.append(
            f"<li>\n{link}, {labels[s['side']]}\n"
            f'<meter min="0" max="1" value="{s["score"]:.3f}" title="{labels["match"]}">{score}</meter>\n'
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
            f'<li><a href="{muscle_url(p.muscle.id)}">{escape(p.muscle.name.get(language))}</a>,'
            f" {labels[p.side]}: {escape(', '.join(p.segments))}</li>"
            for p in paraspinals
        )
        parts.append(f'<h3>{labels["paraspinals"]}</h3>\n<ul class="paraspinals">{rows}</ul>\n')
    parts.append(f'<p class="muted small">{labels["caution"]}</p>\n</div>')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped
