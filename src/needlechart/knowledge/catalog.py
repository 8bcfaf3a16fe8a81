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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from needlechart.content import (
    ID_DESCRIBED,
    ID_PATTERN,
    SOURCE_KEYS,
    ContentError,
    Source,
    bilingual,
    check_keys,
    one_of,
    read_entries,
    require_source,
    unique_id,
    wrong_types_named,
)
from needlechart.knowledge.atlas_records import (
    PREVALENCE_WEIGHTS,
    Catalog,
    CitedSource,
    CitedText,
    Muscle,
    ReferralPattern,
    Region,
    RiskFact,
    Structure,
    Vignette,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES_FILES = ("sources.yaml", "sources_regions.yaml")
SIDES = ("r", "l")
GROUPS = ("head", "neck", "shoulder", "upper_back", "arm", "hand", "chest", "abdomen", "low_back", "hip", "thigh", "knee", "leg", "foot")
# Spinal segments, the trigeminal divisions (face) and the facial nerve (VII: posterior digastric).
_SEGMENT = re.compile(r"^(C[1-8]|T(1[0-2]|[1-9])|L[1-5]|S[1-5]|Co1|V[1-3]|VII)$")
_PATH = re.compile(r"^M [0-9. LCQZ-]+Z$")
_SEGMENT_ORDER = (
    ["V1", "V2", "V3", "VII"]
    + [f"C{i}" for i in range(1, 9)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + [f"S{i}" for i in range(1, 6)]
    + ["Co1"]
)
MUSCLE_SOURCE_KEYS = ("names", "lies_in", "referral", "innervation", "risks", "needling", "prevalence")
VIEW_BOX_WIDTH = 200

# What kind of publication a source is. Every kind but peer_reviewed is shown where the source is
# cited; a preprint, course material or the editors' own text is unverified by definition.
SOURCE_KINDS = ("peer_reviewed", "preprint", "editorial", "course", "textbook", "guideline", "website", "standard")
UNVERIFIED_KINDS = ("preprint", "editorial", "course")
# How often a pattern's trigger points are found in patients with pain in its zones: the suggestion
# engine's tie-break (a larger weight first).
_MUSCLE_KEYS = (
    "id",
    "name",
    "uberon",
    "lies_in",
    "referral",
    "patterns",
    "prevalence",
    "innervation",
    "thorax",
    "segmental_paraspinal",
    "structures_at_risk",
    "non_compressible",
    "needled_by_physiotherapists",
    "not_needled_reason",
    "position",
    "needle_length_mm",
    "depth_guidance",
    "sources",
    "unverified",
)
_PATTERN_KEYS = ("essential", "spillover", "contralateral")
_REGION_KEYS = ("id", "sided", "group", "name", "segments", "segments_source", "referral_target", "note", "shapes", "unverified")
_FACT_KEYS = ("en", "nb", "source", "unverified")


def segment_index(segment: str) -> int:
    return _SEGMENT_ORDER.index(segment)


def _require_source(file: str, entry: str, source_id: Any, sources: dict[str, Source], what: str = "source") -> str:
    return require_source(file, entry, source_id, sources, what, registry="sources.yaml")


def _mapping(file: str, entry: str, value: Any, what: str) -> Mapping[str, Any]:
    """An optional mapping (absent is empty); a list or a text in its place is a named error."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ContentError(file, entry, f"{what} has the wrong type: it must be a mapping (got {type(value).__name__})")
    return value


def _flag(file: str, entry: str, value: Any, what: str) -> bool:
    """An optional true/false flag (``unverified: true``); anything else is a named error."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ContentError(file, entry, f"{what} must be true or false (got {value!r})")
    return value


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
                unverified = _flag(file, source_id, raw.get("unverified"), "unverified")
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


def _unverified_keys(file: str, entry: str, value: Any, allowed: Iterable[str]) -> frozenset[str]:
    """An entry's ``unverified:`` list: the keys of its facts not checked against a primary source."""
    allowed = tuple(allowed)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or any(key not in allowed for key in value):
        raise ContentError(file, entry, f"unverified must list fact keys among {', '.join(allowed)} (got {value!r})")
    return frozenset(value)


def _load_regions(directory: Path, catalog: Catalog) -> None:
    file = "regions.yaml"
    seen: set[str] = set()
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            base = unique_id(file, raw, seen)
            seen.add(base)
            check_keys(file, base, raw, _REGION_KEYS, "a region")
            one_of(file, base, raw.get("group"), "group", GROUPS)
            segments = tuple(raw.get("segments") or ())
            bad = [s for s in segments if not isinstance(s, str) or not _SEGMENT.match(s)]
            if not segments or bad:
                raise ContentError(file, base, f"segments must be spinal segments such as C5 or L4 (got {bad or 'none'})")
            source = _require_source(file, base, raw.get("segments_source"), catalog.sources, "segments_source")
            unverified = _unverified_keys(file, base, raw.get("unverified"), ("segments",))
            raw_shapes = _mapping(file, base, raw.get("shapes"), "shapes")
            check_keys(file, base, raw_shapes, ("front", "back"), "shapes")
            shapes = {view: tuple(raw_shapes.get(view) or ()) for view in ("front", "back")}
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
                _require_source(file, structure_id, raw.get("source"), catalog.sources),
                _flag(file, structure_id, raw.get("non_compressible"), "non_compressible"),
            )


def _region_list(file: str, entry: str, value: Any, catalog: Catalog, what: str) -> tuple[str, ...]:
    if value is not None and not isinstance(value, list):
        raise ContentError(file, entry, f"{what} must be a list of region ids")
    items = tuple(value or ())
    unknown = [r for r in items if r not in catalog.base_regions]
    if unknown:
        raise ContentError(file, entry, f"{what} names unknown region id(s): {', '.join(map(str, unknown))}")
    return items


def _prevalence(file: str, entry: str, value: Any, what: str = "prevalence") -> str:
    return str(one_of(file, entry, value, what, tuple(PREVALENCE_WEIGHTS)))


def _patterns(raw: Mapping[str, Any], catalog: Catalog, prevalence: str) -> tuple[ReferralPattern, ...]:
    """The muscle's referral: one ``referral`` mapping, or several named ``patterns`` (never both)."""
    file, muscle_id = "muscles.yaml", raw["id"]
    if raw.get("patterns") is not None and raw.get("referral") is not None:
        raise ContentError(file, muscle_id, "has both referral and patterns: give one referral, or several patterns")
    if raw.get("patterns") is None:
        referral = _mapping(file, muscle_id, raw.get("referral"), "referral")
        check_keys(file, muscle_id, referral, _PATTERN_KEYS, "referral")
        items = [({**referral, "id": "main"}, "referral")]
    else:
        listed = raw["patterns"]
        if not isinstance(listed, list) or len(listed) < 2:
            raise ContentError(file, muscle_id, "patterns must list two or more named patterns (one pattern is a referral)")
        items = [(p, f"patterns.{p.get('id', '?') if isinstance(p, Mapping) else '?'}") for p in listed]
    patterns: list[ReferralPattern] = []
    for pattern, where in items:
        if not isinstance(pattern, Mapping):
            raise ContentError(file, muscle_id, f"{where} must be a mapping")
        named = where != "referral"
        if named:
            check_keys(file, muscle_id, pattern, (*_PATTERN_KEYS, "id", "name", "prevalence"), where)
            pattern_id = pattern.get("id")
            if not isinstance(pattern_id, str) or not ID_PATTERN.fullmatch(pattern_id) or pattern_id == "main":
                raise ContentError(file, muscle_id, f"{where} needs an 'id' of {ID_DESCRIBED} (not 'main')")
            if any(p.id == pattern_id for p in patterns):
                raise ContentError(file, muscle_id, f"{where}: duplicate pattern id")
        essential = _region_list(file, muscle_id, pattern.get("essential"), catalog, f"{where}.essential")
        if not essential:
            raise ContentError(file, muscle_id, f"has no referral pattern ({where}.essential is empty)")
        patterns.append(
            ReferralPattern(
                id=str(pattern["id"]),
                name=bilingual(file, muscle_id, pattern.get("name"), f"{where}.name") if named else None,
                essential=essential,
                spillover=_region_list(file, muscle_id, pattern.get("spillover"), catalog, f"{where}.spillover"),
                contralateral=_region_list(file, muscle_id, pattern.get("contralateral"), catalog, f"{where}.contralateral"),
                prevalence=_prevalence(file, muscle_id, pattern["prevalence"], f"{where}.prevalence")
                if named and "prevalence" in pattern
                else prevalence,
            )
        )
    return tuple(patterns)


def _reason(file: str, entry: str, value: Any, catalog: Catalog, what: str) -> CitedText:
    """``{en, nb, source, unverified}``: a sourced statement, unverified if flagged or its source is."""
    if not isinstance(value, Mapping):
        raise ContentError(file, entry, f"{what} must be a mapping of en, nb, source (and unverified)")
    check_keys(file, entry, value, _FACT_KEYS, what)
    source = _require_source(file, entry, value.get("source"), catalog.sources, f"{what}.source")
    unverified = _flag(file, entry, value.get("unverified"), f"{what}.unverified") or catalog.sources[source].unverified
    return CitedText(bilingual(file, entry, value, what), source, unverified)


def _risks(raw: Mapping[str, Any], catalog: Catalog, risks_source: str, risks_unverified: bool) -> tuple[RiskFact, ...]:
    """``structures_at_risk``: ids (sourced by ``sources.risks``) or ``{id, source, unverified}``."""
    file, muscle_id = "muscles.yaml", raw["id"]
    facts: list[RiskFact] = []
    for item in raw.get("structures_at_risk") or ():
        if isinstance(item, Mapping):
            check_keys(file, muscle_id, item, ("id", "source", "unverified"), "a structure at risk")
            structure, source = (
                item.get("id"),
                _require_source(file, muscle_id, item.get("source"), catalog.sources, "structures_at_risk.source"),
            )
            unverified = (
                _flag(file, muscle_id, item.get("unverified"), "structures_at_risk.unverified") or catalog.sources[source].unverified
            )
        else:
            structure, source, unverified = item, risks_source, risks_unverified
        if structure not in catalog.structures:
            raise ContentError(file, muscle_id, f"structures_at_risk names unknown structure(s): {structure}")
        if any(f.structure == structure for f in facts):
            raise ContentError(file, muscle_id, f"structures_at_risk names {structure} twice")
        facts.append(RiskFact(str(structure), source, unverified))
    return tuple(facts)


def _muscle(raw: dict[str, Any], catalog: Catalog) -> Muscle:
    file, muscle_id = "muscles.yaml", raw["id"]
    check_keys(file, muscle_id, raw, _MUSCLE_KEYS, "a muscle")
    sources = _mapping(file, muscle_id, raw.get("sources"), "sources")
    check_keys(file, muscle_id, sources, MUSCLE_SOURCE_KEYS, "sources")
    for key in MUSCLE_SOURCE_KEYS:
        _require_source(file, muscle_id, sources.get(key), catalog.sources, f"sources.{key}")
    unverified = _unverified_keys(file, muscle_id, raw.get("unverified"), MUSCLE_SOURCE_KEYS) | {
        key for key in MUSCLE_SOURCE_KEYS if catalog.sources[sources[key]].unverified
    }
    prevalence = _prevalence(file, muscle_id, raw.get("prevalence"))
    patterns = _patterns(raw, catalog, prevalence)
    names = raw.get("name") or {}
    innervation = _mapping(file, muscle_id, raw.get("innervation"), "innervation")
    check_keys(file, muscle_id, innervation, ("nerves", "segments"), "innervation")
    segments = tuple(innervation.get("segments") or ())
    if not segments or any(not _SEGMENT.match(str(s)) for s in segments):
        raise ContentError(file, muscle_id, "innervation.segments must list spinal segments such as C5")
    lengths = tuple(raw.get("needle_length_mm") or ())
    if not lengths or any(not isinstance(n, int) or isinstance(n, bool) or not 7 <= n <= 125 for n in lengths):
        raise ContentError(file, muscle_id, "needle_length_mm must list lengths between 7 and 125 mm")
    guidance = tuple(_reason(file, muscle_id, g, catalog, "depth_guidance") for g in raw.get("depth_guidance") or ())
    needled = raw.get("needled_by_physiotherapists", True)
    if not isinstance(needled, bool):
        raise ContentError(file, muscle_id, "needled_by_physiotherapists must be true or false")
    if needled == (raw.get("not_needled_reason") is not None):
        raise ContentError(file, muscle_id, "needled_by_physiotherapists: false needs a not_needled_reason (and only then)")
    non_compressible = raw.get("non_compressible")
    return Muscle(
        id=muscle_id,
        name=bilingual(file, muscle_id, names, "name"),
        latin=str(names.get("la", "")),
        uberon=raw.get("uberon") or None,
        lies_in=_region_list(file, muscle_id, raw.get("lies_in"), catalog, "lies_in"),
        patterns=patterns,
        nerves=tuple(bilingual(file, muscle_id, n, "innervation.nerves") for n in innervation.get("nerves") or ()),
        segments=segments,
        thorax=_flag(file, muscle_id, raw.get("thorax"), "thorax"),
        risks=_risks(raw, catalog, sources["risks"], "risks" in unverified),
        position=bilingual(file, muscle_id, raw.get("position"), "position"),
        segmental_paraspinal=_flag(file, muscle_id, raw.get("segmental_paraspinal"), "segmental_paraspinal"),
        needle_length_mm=lengths,
        depth_guidance=guidance,
        sources=dict(sources),
        prevalence=prevalence,
        non_compressible=None if non_compressible is None else _reason(file, muscle_id, non_compressible, catalog, "non_compressible"),
        needled_by_physiotherapists=needled,
        not_needled_reason=None if needled else _reason(file, muscle_id, raw["not_needled_reason"], catalog, "not_needled_reason"),
        unverified=unverified,
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
    catalog = Catalog(sources=_load_sources(directory))
    _load_regions(directory, catalog)
    _load_structures(directory, catalog)
    _load_muscles(directory, catalog)
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
