"""The clinical knowledge catalogue: body-map regions, muscles, structures and sources.

Loaded once from the YAML files in ``data/`` and validated as it loads: an unknown region
id, a missing source, a duplicate id or a muscle without a referral pattern stops the
load with a ``ContentError`` naming the file and the entry. Everything downstream
(body map, atlas, suggestions, charting) reads this one vocabulary. Reading the files and
the checks shared with the treatment and outcome data are in ``needlechart.content``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    load_sources,
    one_of,
    read_entries,
    require_source,
    unique_id,
    wrong_types_named,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES_FILES = ("sources.yaml", "sources_regions.yaml")
SIDES = ("r", "l")
GROUPS = ("head", "neck", "shoulder", "upper_back", "arm", "hand", "chest", "abdomen", "low_back", "hip", "thigh", "knee", "leg", "foot")
_SEGMENT = re.compile(r"^(C[1-8]|T(1[0-2]|[1-9])|L[1-5]|S[1-5]|Co1|V[1-3])$")
_PATH = re.compile(r"^M [0-9. LCQZ-]+Z$")
_SEGMENT_ORDER = (
    ["V1", "V2", "V3"]
    + [f"C{i}" for i in range(1, 9)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + [f"S{i}" for i in range(1, 6)]
    + ["Co1"]
)
MUSCLE_SOURCE_KEYS = ("names", "lies_in", "referral", "innervation", "risks", "needling")
VIEW_BOX_WIDTH = 200


@dataclass(frozen=True)
class Region:
    """One region of the body map as drawn: a base region on one side (or the midline)."""

    id: str  # e.g. temple_r, sternum
    base: str  # e.g. temple
    side: str  # r, l or "" for midline
    group: str
    name: Text
    segments: tuple[str, ...]
    referral_target: bool
    shapes: dict[str, tuple[str, ...]]  # view -> path data

    def label(self, language: str) -> str:
        if not self.side:
            return self.name.get(language)
        sides = {("r", "en"): "right", ("l", "en"): "left", ("r", "nb"): "høyre", ("l", "nb"): "venstre"}
        return f"{self.name.get(language)}, {sides[(self.side, 'nb' if language.startswith('nb') else 'en')]}"


@dataclass(frozen=True)
class Structure:
    id: str
    name: Text
    source: str
    non_compressible: bool = False


@dataclass(frozen=True)
class DepthGuidance:
    text: Text
    source: str


@dataclass(frozen=True)
class Muscle:
    id: str
    name: Text
    latin: str
    uberon: str | None
    lies_in: tuple[str, ...]
    essential: tuple[str, ...]
    spillover: tuple[str, ...]
    contralateral: tuple[str, ...]
    nerves: tuple[Text, ...]
    segments: tuple[str, ...]
    thorax: bool
    structures_at_risk: tuple[str, ...]
    position: Text
    segmental_paraspinal: bool
    needle_length_mm: tuple[int, ...]
    depth_guidance: tuple[DepthGuidance, ...]
    sources: dict[str, str]


@dataclass(frozen=True)
class Vignette:
    id: str
    side: str
    pain: dict[str, int]
    expected: tuple[str, ...]
    source: str

    def pain_map(self) -> dict[str, int]:
        """The vignette's pain as drawn region ids (midline regions keep their id)."""
        return {f"{base}_{self.side}" if f"{base}_{self.side}" in catalog().regions else base: level for base, level in self.pain.items()}


@dataclass
class Catalog:
    sources: dict[str, Source] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    base_regions: dict[str, list[Region]] = field(default_factory=dict)
    structures: dict[str, Structure] = field(default_factory=dict)
    muscles: dict[str, Muscle] = field(default_factory=dict)
    vignettes: dict[str, Vignette] = field(default_factory=dict)

    def region_on_side(self, base: str, side: str) -> Region:
        """The drawn region for a base id on a side; midline regions ignore the side."""
        return self.regions.get(f"{base}_{side}") or self.regions[base]

    def regions_on_side(self, bases: Iterable[str], side: str, *, opposite: bool = False) -> list[str]:
        """Drawn region ids for base regions on a side (or the opposite one); midline stays."""
        target = {"r": "l", "l": "r"}[side] if opposite else side
        return [self.region_on_side(base, target).id for base in bases]


def segment_index(segment: str) -> int:
    return _SEGMENT_ORDER.index(segment)


def _require_source(file: str, entry: str, source_id: Any, sources: dict[str, Source], what: str = "source") -> str:
    return require_source(file, entry, source_id, sources, what, registry="sources.yaml")


def _mirror(path: str) -> str:
    """Reflect path data across the figure's vertical midline (x -> 200 - x)."""
    tokens = path.split()
    out, expect_x = [], True
    for token in tokens:
        if token.isalpha():
            out.append(token)
            expect_x = True
            continue
        if expect_x:
            out.append(f"{VIEW_BOX_WIDTH - float(token):.1f}")
        else:
            out.append(token)
        expect_x = not expect_x
    return " ".join(out)


def _load_regions(directory: Path, catalog: Catalog) -> None:
    file = "regions.yaml"
    seen: set[str] = set()
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            base = unique_id(file, raw, seen)
            seen.add(base)
            one_of(file, base, raw.get("group"), "group", GROUPS)
            segments = tuple(raw.get("segments") or ())
            bad = [s for s in segments if not isinstance(s, str) or not _SEGMENT.match(s)]
            if not segments or bad:
                raise ContentError(file, base, f"segments must be spinal segments such as C5 or L4 (got {bad or 'none'})")
            _require_source(file, base, raw.get("segments_source"), catalog.sources, "segments_source")
            shapes = {view: tuple(raw.get("shapes", {}).get(view) or ()) for view in ("front", "back")}
            if not any(shapes.values()):
                raise ContentError(file, base, "needs at least one shape in the front or back view")
            for path in (p for paths in shapes.values() for p in paths):
                if not isinstance(path, str) or not _PATH.match(path):
                    raise ContentError(file, base, f"shape is not a closed 'M ... Z' path: {str(path)[:40]}")
            if raw.get("referral_target") is False and not str(raw.get("note", "")).strip():
                raise ContentError(file, base, "referral_target: false needs a 'note' saying why no muscle refers here")
            name = bilingual(file, base, raw.get("name"), "name")
            common = {
                "base": base,
                "group": raw["group"],
                "name": name,
                "segments": segments,
                "referral_target": bool(raw.get("referral_target", True)),
            }
            if raw.get("sided"):
                mirrored = {view: tuple(_mirror(p) for p in paths) for view, paths in shapes.items()}
                drawn = [
                    Region(id=f"{base}_r", side="r", shapes=shapes, **common),
                    Region(id=f"{base}_l", side="l", shapes=mirrored, **common),
                ]
            else:
                drawn = [Region(id=base, side="", shapes=shapes, **common)]
            catalog.base_regions[base] = drawn
            for region in drawn:
                catalog.regions[region.id] = region


def _load_structures(directory: Path, catalog: Catalog) -> None:
    file = "structures.yaml"
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            structure_id = unique_id(file, raw, catalog.structures)
            catalog.structures[structure_id] = Structure(
                structure_id,
                bilingual(file, structure_id, raw.get("name"), "name"),
                _require_source(file, structure_id, raw.get("source"), catalog.sources),
                bool(raw.get("non_compressible", False)),
            )


def _region_list(file: str, entry: str, value: Any, catalog: Catalog, what: str) -> tuple[str, ...]:
    items = tuple(value or ())
    unknown = [r for r in items if r not in catalog.base_regions]
    if unknown:
        raise ContentError(file, entry, f"{what} names unknown region id(s): {', '.join(map(str, unknown))}")
    return items


def _muscle(raw: dict[str, Any], catalog: Catalog) -> Muscle:
    file, muscle_id = "muscles.yaml", raw["id"]
    sources = raw.get("sources") or {}
    for key in MUSCLE_SOURCE_KEYS:
        _require_source(file, muscle_id, sources.get(key), catalog.sources, f"sources.{key}")
    referral = raw.get("referral") or {}
    essential = _region_list(file, muscle_id, referral.get("essential"), catalog, "referral.essential")
    if not essential:
        raise ContentError(file, muscle_id, "has no referral pattern (referral.essential is empty)")
    names = raw.get("name") or {}
    at_risk = tuple(raw.get("structures_at_risk") or ())
    unknown = [s for s in at_risk if s not in catalog.structures]
    if unknown:
        raise ContentError(file, muscle_id, f"structures_at_risk names unknown structure(s): {', '.join(unknown)}")
    innervation = raw.get("innervation") or {}
    segments = tuple(innervation.get("segments") or ())
    if not segments or any(not _SEGMENT.match(str(s)) for s in segments):
        raise ContentError(file, muscle_id, "innervation.segments must list spinal segments such as C5")
    lengths = tuple(raw.get("needle_length_mm") or ())
    if not lengths or any(not isinstance(n, int) or not 7 <= n <= 125 for n in lengths):
        raise ContentError(file, muscle_id, "needle_length_mm must list lengths between 7 and 125 mm")
    guidance = tuple(
        DepthGuidance(
            bilingual(file, muscle_id, g, "depth_guidance"),
            _require_source(file, muscle_id, g.get("source"), catalog.sources, "depth_guidance.source"),
        )
        for g in raw.get("depth_guidance") or ()
    )
    return Muscle(
        id=muscle_id,
        name=bilingual(file, muscle_id, names, "name"),
        latin=str(names.get("la", "")),
        uberon=raw.get("uberon") or None,
        lies_in=_region_list(file, muscle_id, raw.get("lies_in"), catalog, "lies_in"),
        essential=essential,
        spillover=_region_list(file, muscle_id, referral.get("spillover"), catalog, "referral.spillover"),
        contralateral=_region_list(file, muscle_id, referral.get("contralateral"), catalog, "referral.contralateral"),
        nerves=tuple(bilingual(file, muscle_id, n, "innervation.nerves") for n in innervation.get("nerves") or ()),
        segments=segments,
        thorax=bool(raw.get("thorax", False)),
        structures_at_risk=at_risk,
        position=bilingual(file, muscle_id, raw.get("position"), "position"),
        segmental_paraspinal=bool(raw.get("segmental_paraspinal", False)),
        needle_length_mm=lengths,
        depth_guidance=guidance,
        sources=dict(sources),
    )


def _load_muscles(directory: Path, catalog: Catalog) -> None:
    file = "muscles.yaml"
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            muscle_id = unique_id(file, raw, catalog.muscles)
            catalog.muscles[muscle_id] = _muscle(raw, catalog)
    referred = {r for m in catalog.muscles.values() for r in (*m.essential, *m.spillover, *m.contralateral)}
    for base, drawn in catalog.base_regions.items():
        if drawn[0].referral_target and base not in referred:
            raise ContentError("regions.yaml", base, "no muscle refers pain here: add a pattern or mark referral_target: false")


def _load_vignettes(directory: Path, catalog: Catalog) -> None:
    file = "vignettes.yaml"
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            vignette_id = unique_id(file, raw, catalog.vignettes)
            pain = raw.get("pain") or {}
            _region_list(file, vignette_id, list(pain), catalog, "pain")
            if raw.get("side") not in SIDES or not pain or any(not isinstance(v, int) or not 0 <= v <= 10 for v in pain.values()):
                raise ContentError(file, vignette_id, "needs side r or l and pain intensities 0-10")
            expected = tuple(raw.get("expected") or ())
            if not expected or any(m not in catalog.muscles for m in expected):
                raise ContentError(file, vignette_id, "expected must name muscles of the atlas")
            catalog.vignettes[vignette_id] = Vignette(
                vignette_id, raw["side"], dict(pain), expected, _require_source(file, vignette_id, raw.get("source"), catalog.sources)
            )


def load_catalog(directory: Path = DATA_DIR) -> Catalog:
    catalog = Catalog(sources=load_sources(directory, SOURCES_FILES))
    _load_regions(directory, catalog)
    _load_structures(directory, catalog)
    _load_muscles(directory, catalog)
    _load_vignettes(directory, catalog)
    return catalog


@functools.cache
def catalog() -> Catalog:
    """The shipped catalogue, loaded and validated once per process."""
    return load_catalog()
