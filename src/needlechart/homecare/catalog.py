"""The home-care library: exercises and self-care a practitioner prescribes after a visit.

Loaded once from ``data/homecare.yaml`` (format: docs/homecare-data.md) through
``needlechart.content``, like the atlas and the treatment catalogue, and validated as it loads:
an unknown muscle, kind or dosage key, a dosage out of range, a text without its Norwegian
version, a source that is not known, a drawing that is missing or is not a plain line drawing,
or a commonly needled muscle without an item stops the load with a ``ContentError`` naming the
file and the entry. The drawings are SVG files of this app's static folder
(``static/homecare/drawings/<name>.svg``); the templates inline them (``templating.py``), so the
aftercare PDF, which fetches nothing, has them too.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only our own shipped drawings are parsed
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    check_keys,
    load_sources,
    one_of,
    read_entries,
    require_mapping,
    require_source,
    shown,
    unique_id,
    wrong_types_named,
)
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog

APP_DIR = Path(__file__).resolve().parent
DATA_DIR = APP_DIR / "data"
DRAWINGS_DIR = APP_DIR / "static" / "homecare" / "drawings"
FILE = "homecare.yaml"
SOURCES_FILE = "sources_homecare.yaml"
SOURCES_REGISTRY = "sources_homecare.yaml or the atlas's and treatment catalogue's sources files"

# What an item is; the kinds a suggestion from needled muscles takes (the rest are general advice).
KINDS = ("stretch", "exercise", "ball", "roller", "massage", "heat", "cold", "posture", "aid")
SUGGESTED_KINDS = ("stretch", "exercise", "ball", "roller", "massage")
SELF_RELEASE_KINDS = ("ball", "roller", "massage")
# General items every library must offer (an item of the kind that names no muscle).
GENERAL_KINDS = ("roller", "ball", "heat", "cold", "posture", "aid")

# Dosage: each key and its allowed range (a prescription is checked against the same ranges).
DOSAGE_RANGES: dict[str, tuple[int, int]] = {
    "hold_seconds": (1, 300),
    "minutes": (1, 60),
    "repetitions": (1, 50),
    "sets": (1, 10),
    "times_per_day": (1, 12),
    "days_per_week": (1, 7),
}
DOSAGE_KEYS = tuple(DOSAGE_RANGES)

# The muscles practitioners needle most (issue 13): each must have at least one suggested item.
COMMONLY_NEEDLED = (
    "upper_trapezius",
    "levator_scapulae",
    "suboccipitals",
    "scm_sternal",
    "scm_clavicular",
    "scalenes",
    "infraspinatus",
    "pectoralis_major",
    "pectoralis_minor",
    "rhomboids",
    "quadratus_lumborum",
    "lumbar_multifidus",
    "iliocostalis_lumborum",
    "longissimus_thoracis",
    "gluteus_medius",
    "gluteus_minimus",
    "gluteus_maximus",
    "piriformis",
    "iliacus",
    "psoas_major",
    "tensor_fasciae_latae",
    "biceps_femoris",
    "medial_hamstrings",
    "rectus_femoris",
    "vastus_lateralis",
    "vastus_medialis",
    "vastus_intermedius",
    "gastrocnemius",
    "soleus",
    "tibialis_anterior",
    "extensor_carpi_radialis",
    "extensor_carpi_ulnaris",
    "extensor_digitorum",
    "flexor_carpi_radialis",
    "flexor_carpi_ulnaris",
    "flexor_digitorum_superficialis",
    "masseter",
    "temporalis",
)

_ITEM_KEYS = ("id", "kind", "muscles", "sided", "title", "instructions", "when", "cautions", "dosage", "drawing", "source")
_DRAWING_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# A drawing is plain line art: these elements and attributes only (no script, no links, no styles).
_SVG = "{http://www.w3.org/2000/svg}"
_DRAWING_ELEMENTS = {"svg", "g", "path", "line", "polyline", "polygon", "circle", "ellipse", "rect"}
_DRAWING_ATTRIBUTES = {
    "viewBox",
    "width",
    "height",
    "aria-hidden",
    "focusable",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "d",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "points",
}
_MAX_DRAWING_BYTES = 20_000


@dataclass(frozen=True)
class Item:
    """One exercise or piece of self-care advice of the library."""

    id: str
    kind: str
    muscles: tuple[str, ...]  # atlas muscle ids; empty for general advice
    sided: bool  # done on one side (the side of the muscle needled) or on both
    title: Text
    instructions: Text
    when: Text | None  # when to use it (heat, cold)
    cautions: Text
    dosage: Mapping[str, int]  # the usual dosage, keys of DOSAGE_KEYS
    drawing: str | None  # name of static/homecare/drawings/<name>.svg
    source: str

    @property
    def general(self) -> bool:
        return not self.muscles


@dataclass(frozen=True)
class Library:
    sources: dict[str, Source]
    items: dict[str, Item]  # in the file's order
    drawings: dict[str, str]  # name -> the SVG text, checked

    def for_muscle(self, muscle_id: str) -> list[Item]:
        return [item for item in self.items.values() if muscle_id in item.muscles]

    def unverified(self, item: Item) -> bool:
        return self.sources[item.source].unverified


def check_dosage(file: str, entry: str, raw: Any, what: str = "dosage") -> dict[str, int]:
    """A dosage mapping: known keys, whole numbers within their ranges."""
    raw = require_mapping(file, entry, raw, what)
    check_keys(file, entry, raw, DOSAGE_KEYS, what)
    dosage: dict[str, int] = {}
    for key, value in raw.items():
        low, high = DOSAGE_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ContentError(file, entry, f"{what}.{key} must be a whole number from {low} to {high} (got {shown(value)})")
        dosage[key] = value
    return dosage


def check_drawing(directory: Path, name: str) -> str:
    """The SVG text of a drawing, refused unless it is a small file of plain line art."""
    file = f"drawings/{name}.svg"
    try:
        text = (directory / f"{name}.svg").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(file, "-", "file is missing") from exc
    if len(text.encode()) > _MAX_DRAWING_BYTES or "<!" in text or "<?" in text:
        raise ContentError(file, "-", "must be a small SVG file without declarations, comments or processing instructions")
    try:
        root = ET.fromstring(text)  # noqa: S314 - our own file, and no DTD (refused above)
    except ET.ParseError as exc:
        raise ContentError(file, "-", f"is not well-formed XML: {exc}") from exc
    if root.tag != f"{_SVG}svg":
        raise ContentError(file, "-", "must be an <svg> in the SVG namespace")
    for element in root.iter():
        tag = element.tag.removeprefix(_SVG)
        if tag not in _DRAWING_ELEMENTS:
            raise ContentError(file, "-", f"element <{tag}> is not allowed in a line drawing")
        unknown = sorted(set(element.attrib) - _DRAWING_ATTRIBUTES)
        if unknown:
            raise ContentError(file, "-", f"attribute(s) {', '.join(unknown)} of <{tag}> are not allowed in a line drawing")
        if (element.text or "").strip() or (element.tail or "").strip():
            raise ContentError(file, "-", f"<{tag}> holds text; a line drawing has none")
    return text


def _item(raw: Any, seen: Mapping[str, Item], sources: Mapping[str, Source], drawings: dict[str, str], directory: Path) -> Item:
    item_id = unique_id(FILE, raw, seen)
    check_keys(FILE, item_id, raw, _ITEM_KEYS, "an item")
    kind = one_of(FILE, item_id, raw.get("kind"), "kind", KINDS)
    muscles = raw.get("muscles")
    if not isinstance(muscles, list) or not all(isinstance(m, str) for m in muscles):
        raise ContentError(FILE, item_id, "muscles must be a list of atlas muscle ids ([] for general advice)")
    atlas = catalog().muscles
    unknown = [m for m in muscles if m not in atlas]
    if unknown:
        raise ContentError(FILE, item_id, f"muscles names unknown muscle id(s): {', '.join(unknown)}")
    if len(set(muscles)) != len(muscles):
        raise ContentError(FILE, item_id, "muscles names a muscle twice")
    if kind in SUGGESTED_KINDS and kind not in SELF_RELEASE_KINDS and not muscles:
        raise ContentError(FILE, item_id, f"a {kind} must name the muscles it is for")
    sided = raw.get("sided")
    if not isinstance(sided, bool):
        raise ContentError(FILE, item_id, "sided must be true or false")
    if sided and not muscles:
        raise ContentError(FILE, item_id, "only an item for named muscles can be sided")
    dosage = check_dosage(FILE, item_id, raw.get("dosage"))
    if not dosage and kind not in ("posture", "aid"):
        raise ContentError(FILE, item_id, f"a {kind} needs a dosage (hold, repetitions, minutes or times a day)")
    drawing = raw.get("drawing")
    if drawing is not None:
        if not isinstance(drawing, str) or not _DRAWING_NAME.fullmatch(drawing):
            raise ContentError(FILE, item_id, "drawing must be null or the name of a file in static/homecare/drawings (no .svg)")
        if drawing not in drawings:
            drawings[drawing] = check_drawing(directory, drawing)
    return Item(
        id=item_id,
        kind=kind,
        muscles=tuple(muscles),
        sided=sided,
        title=bilingual(FILE, item_id, raw.get("title"), "title"),
        instructions=bilingual(FILE, item_id, raw.get("instructions"), "instructions"),
        when=bilingual(FILE, item_id, raw["when"], "when") if raw.get("when") is not None else None,
        cautions=bilingual(FILE, item_id, raw.get("cautions"), "cautions"),
        dosage=dosage,
        drawing=drawing,
        source=require_source(FILE, item_id, raw.get("source"), sources, registry=SOURCES_REGISTRY),
    )


def load_library(directory: Path = DATA_DIR, drawings_dir: Path = DRAWINGS_DIR) -> Library:
    sources = load_sources(directory, (SOURCES_FILE,), treatment_catalog().sources)
    items: dict[str, Item] = {}
    drawings: dict[str, str] = {}
    for raw in read_entries(directory, FILE):
        with wrong_types_named(FILE, raw):
            item = _item(raw, items, sources, drawings, drawings_dir)
        items[item.id] = item
    for muscle_id in COMMONLY_NEEDLED:
        if not any(muscle_id in item.muscles and item.kind in SUGGESTED_KINDS for item in items.values()):
            raise ContentError(FILE, "-", f"the commonly needled muscle '{muscle_id}' has no stretch, exercise or self-release item")
    for kind in GENERAL_KINDS:
        if not any(item.kind == kind and item.general for item in items.values()):
            raise ContentError(FILE, "-", f"needs general advice of the kind '{kind}' (an item that names no muscle)")
    return Library(sources=sources, items=items, drawings=drawings)


@functools.cache
def library() -> Library:
    """The shipped library, loaded and validated once per process."""
    return load_library()
