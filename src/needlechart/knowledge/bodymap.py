"""Drawing the body map: front and back views of the catalogue's regions as inline SVG.

Regions carry CSS classes only (no inline styles, so the Content-Security-Policy stays
strict): ``level-N`` for a pain intensity N, or ``essential``/``spillover``/``lies-in``
when a muscle's pattern is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from needlechart.knowledge.catalog import catalog

VIEWS = ("front", "back")
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
class DrawnRegion:
    id: str
    label: str
    paths: tuple[str, ...]
    css: str
    title: str

    @property
    def fill(self) -> str:
        """The colour as an SVG presentation attribute, for renderers without CSS (PDF)."""
        return FILLS.get(self.css, "")


@dataclass(frozen=True)
class DrawnView:
    name: str
    regions: tuple[DrawnRegion, ...]


def draw(*, classes: Mapping[str, str] | None = None, titles: Mapping[str, str] | None = None) -> list[DrawnView]:
    """Both views with each region's label, shapes and CSS class."""
    classes = classes or {}
    titles = titles or {}
    language = get_language() or "en"
    views = []
    for view in VIEWS:
        regions = tuple(
            DrawnRegion(region.id, region.label(language), region.shapes[view], classes.get(region.id, ""), titles.get(region.id, ""))
            for region in catalog().regions.values()
            if region.shapes[view]
        )
        views.append(DrawnView(view, regions))
    return views


def pain_classes(marks: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    return {region: f"level-{int(mark['intensity'])}" for region, mark in marks.items()}


def pattern_classes(*, lies_in: list[str], essential: list[str], spillover: list[str]) -> dict[str, str]:
    classes = dict.fromkeys(lies_in, "lies-in")
    classes.update(dict.fromkeys(spillover, "spillover"))
    classes.update(dict.fromkeys(essential, "essential"))
    return classes
