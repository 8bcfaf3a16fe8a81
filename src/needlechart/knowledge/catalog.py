"""The clinical knowledge catalogue: body-map regions, muscles, structures and sources.

Loaded once from the YAML files in ``data/`` and validated as it loads: an unknown region
id, a missing source, a duplicate id or a muscle without a referral pattern stops the
load with a ``ContentError`` naming the file and the entry. Everything downstream
(body map, atlas, suggestions, charting) reads this one vocabulary. Reading the files and
the checks shared with the treatment and outcome data are in ``needlechart.content``.

A fact that has not been checked against a primary source says so: its source is marked
``unverified``, or the muscle lists the fact's key under ``unverified``, or the fact (a
structure at risk, the reason a site is non-compressible) carries ``unverified: true``.
``Muscle.is_unverified(key)`` answers for a fact group; ``unverified_facts()`` lists them all.
Every atlas source says what kind of publication it is (``kind``), so a page can show where a
fact comes from a preprint, a course, a website or the editors rather than a peer-reviewed paper.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from needlechart.content import (
    SOURCE_KEYS,
    ContentError,
    Source,
    bilingual,
    check_keys,
    one_of,
    read_entries,
    unique_id,
    wrong_types_named,
)
from needlechart.knowledge.atlas_records import (
    Catalog,
    CitedSource,
    Region,
    Structure,
    Vignette,
)
from needlechart.knowledge.catalog_fields import (
    GROUPS,
    MUSCLE_SOURCE_KEYS,
    PATH,
    REGION_KEYS,
    SEGMENT,
    SIDES,
    SOURCE_KINDS,
    UNVERIFIED_KINDS,
    VIEW_BOX_WIDTH,
    atlas_source,
    optional_flag,
    optional_mapping,
    unverified_keys,
)
from needlechart.knowledge.muscle_loading import load_muscles, region_list

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES_FILES = ("sources.yaml", "sources_regions.yaml")


def _load_sources(directory: Path) -> dict[str, Source]:
    """The atlas sources: ``{id, citation, url, unverified, kind}``, ids unique across both files.

    Like ``content.load_sources`` with one more key, ``kind`` (one of SOURCE_KINDS, required);
    a preprint, course material or editorial text must also be marked ``unverified``.
    """
    sources: dict[str, Source] = {}
    for file in SOURCES_FILES:
        for raw in read_entries(directory, file):
            with wrong_types_named(file, raw):
                source_id = unique_id(file, raw, sources)
                check_keys(file, source_id, raw, (*SOURCE_KEYS, "kind"), "a source")
                citation, url = raw.get("citation"), raw.get("url")
                if not isinstance(citation, str) or not citation.strip():
                    raise ContentError(file, source_id, "needs a citation")
                if url is not None and not isinstance(url, str):
                    raise ContentError(file, source_id, "url must be a text or null")
                kind = one_of(file, source_id, raw.get("kind"), "kind", SOURCE_KINDS)
                unverified = optional_flag(file, source_id, raw.get("unverified"), "unverified")
                if kind in UNVERIFIED_KINDS and not unverified:
                    raise ContentError(
                        file, source_id, f"a source of kind {kind} is not checked against a primary source: mark it unverified: true"
                    )
                sources[source_id] = CitedSource(source_id, citation.strip(), url, unverified, kind)
    return sources


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
            check_keys(file, base, raw, REGION_KEYS, "a region")
            one_of(file, base, raw.get("group"), "group", GROUPS)
            segments = tuple(raw.get("segments") or ())
            bad = [s for s in segments if not isinstance(s, str) or not SEGMENT.match(s)]
            if not segments or bad:
                raise ContentError(file, base, f"segments must be spinal segments such as C5 or L4 (got {bad or 'none'})")
            source = atlas_source(file, base, raw.get("segments_source"), catalog.sources, "segments_source")
            unverified = unverified_keys(file, base, raw.get("unverified"), ("segments",))
            raw_shapes = optional_mapping(file, base, raw.get("shapes"), "shapes")
            check_keys(file, base, raw_shapes, ("front", "back"), "shapes")
            shapes = {view: tuple(raw_shapes.get(view) or ()) for view in ("front", "back")}
            if not any(shapes.values()):
                raise ContentError(file, base, "needs at least one shape in the front or back view")
            for path in (p for paths in shapes.values() for p in paths):
                if not isinstance(path, str) or not PATH.match(path):
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
                "segments_source": source,
                "segments_unverified": "segments" in unverified or catalog.sources[source].unverified,
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
            check_keys(file, structure_id, raw, ("id", "name", "source", "non_compressible"), "a structure")
            catalog.structures[structure_id] = Structure(
                structure_id,
                bilingual(file, structure_id, raw.get("name"), "name"),
                atlas_source(file, structure_id, raw.get("source"), catalog.sources),
                optional_flag(file, structure_id, raw.get("non_compressible"), "non_compressible"),
            )


def _load_vignettes(directory: Path, catalog: Catalog) -> None:
    file = "vignettes.yaml"
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            vignette_id = unique_id(file, raw, catalog.vignettes)
            pain = raw.get("pain") or {}
            region_list(file, vignette_id, list(pain), catalog, "pain")
            if raw.get("side") not in SIDES or not pain or any(not isinstance(v, int) or not 0 <= v <= 10 for v in pain.values()):
                raise ContentError(file, vignette_id, "needs side r or l and pain intensities 0-10")
            expected = tuple(raw.get("expected") or ())
            if not expected or any(m not in catalog.muscles for m in expected):
                raise ContentError(file, vignette_id, "expected must name muscles of the atlas")
            catalog.vignettes[vignette_id] = Vignette(
                vignette_id, raw["side"], dict(pain), expected, atlas_source(file, vignette_id, raw.get("source"), catalog.sources)
            )


def load_catalog(directory: Path = DATA_DIR) -> Catalog:
    catalog = Catalog(sources=_load_sources(directory))
    _load_regions(directory, catalog)
    _load_structures(directory, catalog)
    load_muscles(directory, catalog)
    _load_vignettes(directory, catalog)
    return catalog


@functools.cache
def catalog() -> Catalog:
    """The shipped catalogue, loaded and validated once per process."""
    return load_catalog()


@dataclass(frozen=True)
class UnverifiedFact:
    entry: str  # a muscle or region id
    fact: str  # e.g. "referral", "structures_at_risk: phrenic_nerve", "non_compressible"
    source: str  # the source id cited for it


def unverified_facts(cat: Catalog | None = None) -> list[UnverifiedFact]:
    """Every atlas fact not checked against a primary source: flagged, or citing an unverified source."""
    cat = cat or catalog()
    facts = [UnverifiedFact(r.base, "segments", r.segments_source) for r in cat.regions.values() if r.segments_unverified and r.side != "l"]
    for muscle in cat.muscles.values():
        facts += [UnverifiedFact(muscle.id, key, muscle.sources[key]) for key in MUSCLE_SOURCE_KEYS if muscle.is_unverified(key)]
        # A structure sourced by the risks group is counted with it; one with its own source, on its own.
        facts += [
            UnverifiedFact(muscle.id, f"structures_at_risk: {r.structure}", r.source)
            for r in muscle.risks
            if r.unverified and not (r.source == muscle.sources["risks"] and muscle.is_unverified("risks"))
        ]
        facts += [UnverifiedFact(muscle.id, "depth_guidance", g.source) for g in muscle.depth_guidance if g.unverified]
        for key, reason in (("non_compressible", muscle.non_compressible), ("not_needled_reason", muscle.not_needled_reason)):
            if reason is not None and reason.unverified:
                facts.append(UnverifiedFact(muscle.id, key, reason.source))
    return facts
