"""Drawing the body map: front and back views of the catalogue's regions as inline SVG.

Regions carry CSS classes only (no inline styles, so the Content-Security-Policy stays
strict): ``level-N`` for a pain intensity N, or ``essential``/``spillover``/``lies-in``
when a muscle's pattern is shown.

Built in Python rather than a template (a template loop over 120 regions cost more than the
rest of a chart), but only with ``markupsafe.Markup``: every label, title, class and URL goes
in through ``Markup.format`` or Markup's ``%``, which escape it, so nothing is inserted unescaped.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from markupsafe import Markup

from needlechart.core.formatting import url
from needlechart.knowledge.atlas_records import Region
from needlechart.knowledge.catalog import catalog

VIEWS = ("front", "back")
# The plain regions' colours (the figures' group and the outline image).
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
    markup: Markup  # the regions as SVG, built escaped
    outline: str = ""  # the URL of the view's plain regions, drawn under ``markup``, if they are not in it


# Markup's ``%`` escapes each value as ``format`` does, in a third of the time: a map draws its
# marked regions on every page.
_PATH = Markup('<path d="%s"/>')
_REGION = Markup('<g class="region %s" data-region="%s"%s%s><title>%s</title>%s</g>')
_FILL = Markup(' fill="%s"')
_FOCUS = Markup(' tabindex="0" role="button" aria-label="%s"')
_NOTHING = Markup("")


def _joined(pieces: Iterable[Markup]) -> Markup:
    """Markup pieces one after the other, as ``Markup("").join`` gives them, without copying each
    through ``escape`` again (a view joins 120 regions: that doubled the time of a body map).
    Only Markup is taken (built escaped above); anything else is refused, never inserted."""
    pieces = list(pieces)
    for piece in pieces:
        if type(piece) is not Markup:
            raise TypeError(f"not Markup: {type(piece).__name__}")
    return Markup("".join(pieces))  # noqa: S704 - every piece is Markup, checked above


@functools.cache
def _paths(region_id: str, view: str) -> Markup:
    return _joined(_PATH % d for d in catalog().regions[region_id].shapes[view])


def _region_markup(region: Region, view: str, language: str, css: str, title: str, interactive: bool) -> Markup:
    label = region.label(language) + (f": {title}" if title else "")
    fill = _FILL % FILLS[css] if css in FILLS else _NOTHING
    focus = _FOCUS % label if interactive else _NOTHING
    return _REGION % (css, region.id, fill, focus, label, _paths(region.id, view))


@functools.lru_cache(maxsize=4096)
def _marked_region(region_id: str, view: str, language: str, css: str, title: str, interactive: bool) -> Markup:
    """A region with its class and title: maps mark the same few regions, with the same few titles."""
    return _region_markup(catalog().regions[region_id], view, language, css, title, interactive)


@functools.cache
def _plain_regions(view: str, language: str, interactive: bool) -> dict[str, Markup]:
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

    Built in Python: the chart draws a body map on every view, and a template loop over 120
    regions cost more than the rest of the page. The regions a map leaves plain are drawn once
    per view and language; only the marked ones are drawn for each map. With ``over_outline``
    (a map to look at, not to click) only the marked regions are drawn, over the outline image:
    the page then carries 5 kB of regions, not 60 kB. Paths come from the validated data files;
    they, the labels and the titles are escaped by Markup.
    """
    classes = classes or {}
    titles = titles or {}
    language = get_language() or "en"
    views = []
    marked = classes.keys() | titles.keys()
    for view in VIEWS:
        plain = _plain_regions(view, language, interactive)

        def drawn(region_id: str, view: str = view) -> Markup:
            return _marked_region(region_id, view, language, classes.get(region_id, ""), titles.get(region_id, ""), interactive)

        if over_outline:  # the marked regions only, in catalogue order
            order = _order(view)
            markup = _joined(drawn(region_id) for region_id in sorted(marked & order.keys(), key=order.__getitem__))
        else:
            markup = _joined(drawn(region_id) if region_id in marked else region for region_id, region in plain.items())
        outline = f"{url('bodymap_outline', view)}?v={outline_version()}" if over_outline else ""
        views.append(DrawnView(view, markup, outline))
    return views


@functools.lru_cache(maxsize=8)
def _view_words(language: str | None) -> dict[str, tuple[str, str]]:
    """Each view's accessible name and caption in the active language (``language``)."""
    return {
        "front": (gettext("Body, front view"), gettext("Front")),
        "back": (gettext("Body, back view"), gettext("Back")),
    }


# A view's figure around its regions: drawn once per view, language, role and outline address.
_FIGURE_HEAD = Markup(
    '<figure class="bodymap-view">\n'
    '<svg viewBox="0 0 200 480" role="{role}" aria-label="{name}" focusable="false">\n'
    '{outline}<g fill="{fill}" stroke="{stroke}" stroke-width="0.6" stroke-linejoin="round">\n'
)
_FIGURE_TAIL = Markup("\n</g>\n</svg>\n<figcaption>{caption}</figcaption>\n</figure>\n")
_OUTLINE = Markup('<image href="{}" width="200" height="480"/>\n')
_BODYMAP = Markup('<div class="bodymap{interactive}" data-testid="bodymap">\n{figures}</div>\n')


@functools.lru_cache(maxsize=64)
def _figure(view: str, language: str | None, interactive: bool, outline: str) -> tuple[Markup, Markup]:
    """The figure of ``view`` before and after its regions, in the active language (``language``)."""
    name, caption = _view_words(language)[view]
    head = _FIGURE_HEAD.format(
        role="group" if interactive else "img",
        name=name,
        outline=_OUTLINE.format(outline) if outline else _NOTHING,
        fill=PLAIN_FILL,
        stroke=STROKE,
    )
    return head, _FIGURE_TAIL.format(caption=caption)


def figures(views: Iterable[DrawnView], interactive: bool = False) -> Markup:
    """The body map: its views as draw() made them, each a captioned figure (the template global
    ``bodymap(views, interactive=False)``); with ``interactive``, its regions are buttons."""
    language = get_language()
    pieces = []
    for view in views:
        head, tail = _figure(view.name, language, interactive, view.outline)
        pieces += [head, view.markup, tail]
    return _BODYMAP.format(interactive=" interactive" if interactive else "", figures=_joined(pieces))


@functools.cache
def outline_svg(view: str) -> Markup:
    """The view's regions, plain, as an SVG image: it never changes, so browsers keep it."""
    paths = _joined(_paths(region.id, view) for region in catalog().regions.values() if region.shapes[view])
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 480">'
        '<g fill="{}" stroke="{}" stroke-width="0.6" stroke-linejoin="round">{}</g></svg>'
    ).format(PLAIN_FILL, STROKE, paths)


@functools.cache
def outline_version() -> str:
    """Changes with the catalogue's shapes, so that the outline's URL does too."""
    return hashlib.sha256("".join(outline_svg(view) for view in VIEWS).encode()).hexdigest()[:12]


def pain_classes(marks: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {region: f"level-{int(mark['intensity'])}" for region, mark in marks.items()}


def pattern_classes(*, lies_in: list[str], essential: list[str], spillover: list[str]) -> dict[str, str]:
    classes = dict.fromkeys(lies_in, "lies-in")
    classes.update(dict.fromkeys(spillover, "spillover"))
    classes.update(dict.fromkeys(essential, "essential"))
    return classes
