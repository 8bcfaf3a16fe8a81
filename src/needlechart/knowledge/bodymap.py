"""Drawing the body map: front and back views of the catalogue's regions as inline SVG.

Regions carry CSS classes only (no inline styles, so the Content-Security-Policy stays
strict): ``level-N`` for a pain intensity N, or ``essential``/``spillover``/``lies-in``
when a muscle's pattern is shown.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from needlechart.core.links import object_url
from needlechart.knowledge.catalog import Region, catalog

VIEWS = ("front", "back")
# The plain regions' colours, as in knowledge/_bodymap.html.
PLAIN_FILL, STROKE = "#eef2f6", "#97a3b3"
# Same colours as needlechart.css; PDFs need them as attributes.
FILLS = {
    "level-1": "#fff3c4",
    "level-2": "#ffe699",
    "level-3": "#ffd166",
    "level-4": "#ffb84d",
    "level-5": "#ff9e40",
    "level-6": "#f77f3a",
    "level-7": "#ea5f34",
    "level-8": "#d6402f",
    "level-9": "#b7282b",
    "level-10": "#8e1527",
    "essential": "#d9534f",
    "spillover": "#f7c9a8",
    "lies-in": "#cfe0f5",
}
GROUP_LABELS = {
    "head": _("Head"),
    "neck": _("Neck"),
    "shoulder": _("Shoulder"),
    "upper_back": _("Upper back"),
    "arm": _("Arm"),
    "hand": _("Wrist and hand"),
    "chest": _("Chest"),
    "abdomen": _("Abdomen"),
    "low_back": _("Low back and pelvis"),
    "hip": _("Hip and buttock"),
    "thigh": _("Thigh"),
    "knee": _("Knee"),
    "leg": _("Lower leg"),
    "foot": _("Ankle and foot"),
}


@dataclass(frozen=True)
class DrawnView:
    name: str
    markup: str  # the regions as SVG, safe to insert
    outline: str = ""  # the URL of the view's plain regions, drawn under ``markup``, if they are not in it


@functools.cache
def _paths(region_id: str, view: str) -> str:
    return "".join(f'<path d="{d}"/>' for d in catalog().regions[region_id].shapes[view])


def _region_markup(region: Region, view: str, language: str, css: str, title: str, interactive: bool) -> str:
    label = escape(region.label(language) + (f": {title}" if title else ""))
    fill = f' fill="{FILLS[css]}"' if css in FILLS else ""
    focus = f' tabindex="0" role="button" aria-label="{label}"' if interactive else ""
    return f'<g class="region {css}" data-region="{region.id}"{fill}{focus}><title>{label}</title>{_paths(region.id, view)}</g>'


@functools.cache
def _plain_regions(view: str, language: str, interactive: bool) -> dict[str, str]:
    """The view's regions without class or title, in catalogue order: most of every map."""
    regions = catalog().regions.values()
    return {region.id: _region_markup(region, view, language, "", "", interactive) for region in regions if region.shapes[view]}


@functools.cache
def _order(view: str) -> dict[str, int]:
    """The place of each of the view's regions in the catalogue."""
    return {region_id: i for i, region_id in enumerate(_plain_regions(view, "en", False))}


def draw(
    *,
    classes: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    interactive: bool = False,
    over_outline: bool = False,
) -> list[DrawnView]:
    """Both views, each region with its accessible name, CSS class and colour.

    Built as plain strings: the chart draws a body map on every view, and a template loop
    over 120 regions cost more than the rest of the page. The regions a map leaves plain are
    drawn once per view and language; only the marked ones are drawn for each map. With
    ``over_outline`` (a map to look at, not to click) only the marked regions are drawn, over
    the outline image: the page then carries 5 kB of regions, not 60 kB. Paths come from the
    validated data files; labels and titles are escaped.
    """
    classes = classes or {}
    titles = titles or {}
    language = get_language() or "en"
    regions = catalog().regions
    views = []
    marked = classes.keys() | titles.keys()
    for view in VIEWS:
        plain = _plain_regions(view, language, interactive)

        def drawn(region_id: str, view: str = view) -> str:
            return _region_markup(regions[region_id], view, language, classes.get(region_id, ""), titles.get(region_id, ""), interactive)

        if over_outline:  # the marked regions only, in catalogue order
            order = _order(view)
            markup = "".join(drawn(region_id) for region_id in sorted(marked & order.keys(), key=order.__getitem__))
        else:
            markup = "".join(drawn(region_id) if region_id in marked else region for region_id, region in plain.items())
        outline = f"{object_url('bodymap_outline', view)}?v={outline_version()}" if over_outline else ""
        views.append(DrawnView(view, mark_safe(markup), outline))  # noqa: S308 - escaped above, paths validated at load
    return views


@functools.cache
def outline_svg(view: str) -> str:
    """The view's regions, plain, as an SVG image: it never changes, so browsers keep it."""
    paths = "".join(_paths(region.id, view) for region in catalog().regions.values() if region.shapes[view])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 480">'
        f'<g fill="{PLAIN_FILL}" stroke="{STROKE}" stroke-width="0.6" stroke-linejoin="round">{paths}</g></svg>'
    )


@functools.cache
def outline_version() -> str:
    """Changes with the catalogue's shapes, so that the outline's URL does too."""
    return hashlib.sha256("".join(outline_svg(view) for view in VIEWS).encode()).hexdigest()[:12]


def pain_classes(marks: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    return {region: f"level-{int(mark['intensity'])}" for region, mark in marks.items()}


def pattern_classes(*, lies_in: list[str], essential: list[str], spillover: list[str]) -> dict[str, str]:
    classes = dict.fromkeys(lies_in, "lies-in")
    classes.update(dict.fromkeys(spillover, "spillover"))
    classes.update(dict.fromkeys(essential, "essential"))
    return classes
