"""Trigger-point suggestions: which muscles' referral patterns best explain a pain map.

Referral areas vary between people (Delphi consensus 2018), so this ranks candidates for
the clinician to palpate; it never diagnoses. For each referral pattern on each side (a
muscle with several patterns, such as the two parts of gluteus minimus, is scored per pattern):

* every painful region it refers to contributes its intensity, fully for the essential
  zone and half for spillover (contralateral zones count like essential ones, on the
  opposite side);
* ``explained`` is the share of the whole pain map's intensity that the pattern accounts for;
* ``fit`` is the share of the pattern's essential zone that actually hurts, so a pattern whose
  large zone merely brushes the painful area ranks below one that matches it;
* the score is ``explained * (0.6 + 0.4 * fit)``.

A muscle is listed once per side, with its best pattern. Equal scores are ordered by the
pattern's clinical weight (how often its trigger points are found: ``prevalence`` in
muscles.yaml), then by muscle id so that the order is stable. Muscles that physiotherapists do
not needle (levator ani) stay in the atlas but are not suggested.

Each suggestion lists which painful regions it explains and which it leaves unexplained.
Gunn's IMS adds the paraspinal muscles at the spinal segments that supply the painful
regions (segmental treatment of the nerve root): the skin's segments (the region's
dermatomes) and the nerve roots of the muscles that lie in the region (their myotomes), so
that pain down the back of the leg points at L4-S1 even where the skin's map says S2.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from needlechart.knowledge.atlas_records import Catalog, Muscle, ReferralPattern
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.catalog_fields import segment_index

ESSENTIAL_WEIGHT = 1.0
SPILLOVER_WEIGHT = 0.5
SCORE_DECIMALS = 4  # scores equal to this many decimals are a tie


@dataclass(frozen=True)
class Suggestion:
    muscle: Muscle
    side: str
    score: float
    explained: tuple[str, ...]  # painful region ids this muscle's pattern covers
    unexplained: tuple[str, ...]  # painful region ids it does not
    pattern: ReferralPattern | None = None  # the pattern that matched (named when the muscle has several)


@dataclass(frozen=True)
class SegmentalSuggestion:
    """Gunn IMS: a paraspinal muscle at the segments supplying the painful regions."""

    muscle: Muscle
    side: str
    segments: tuple[str, ...]
    regions: tuple[str, ...]
    myotomal: tuple[str, ...] = ()  # the segments found only through the muscles' nerve roots, not the skin's


@dataclass(frozen=True)
class _Pattern:
    muscle_id: str
    pattern: ReferralPattern
    side: str
    weights: dict[str, float]  # region id -> weight
    essential_count: int


@dataclass(frozen=True)
class _Index:
    by_region: dict[str, list[tuple[int, float]]]  # region id -> [(pattern number, weight)]
    patterns: list[_Pattern]
    # Gunn: region id -> [(paraspinal muscle id, segment, from the skin?)]
    segmental: dict[str, list[tuple[str, str, bool]]]
    # per pattern number: its place in the tie-break order (clinical weight, then muscle id, side,
    # pattern), the number of its muscle-and-side (listed once), and 1 / the size of its essential zone
    rank: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    per_essential: list[float] = field(default_factory=list)


@functools.cache
def _index() -> _Index:
    """Built once from the shipped catalogue."""
    return _build_index(catalog())


def _build_index(cat: Catalog) -> _Index:
    patterns: list[_Pattern] = []
    by_region: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for muscle in cat.muscles.values():
        if not muscle.needled_by_physiotherapists:
            continue
        for pattern in muscle.patterns:
            for side in ("r", "l"):
                weights: dict[str, float] = {}
                for region in cat.regions_on_side(pattern.spillover, side):
                    weights[region] = SPILLOVER_WEIGHT
                for region in cat.regions_on_side(pattern.contralateral, side, opposite=True):
                    weights[region] = ESSENTIAL_WEIGHT
                for region in cat.regions_on_side(pattern.essential, side):
                    weights[region] = ESSENTIAL_WEIGHT
                essential = len(set(cat.regions_on_side(pattern.essential, side)))
                patterns.append(_Pattern(muscle.id, pattern, side, weights, essential))
                for region, weight in weights.items():
                    by_region[region].append((len(patterns) - 1, weight))
    order = sorted(
        range(len(patterns)), key=lambda n: (-patterns[n].pattern.weight, patterns[n].muscle_id, patterns[n].side, patterns[n].pattern.id)
    )
    rank = [0] * len(patterns)
    for place, number in enumerate(order):
        rank[number] = place
    groups: dict[tuple[str, str], int] = {}
    group = [groups.setdefault((p.muscle_id, p.side), len(groups)) for p in patterns]
    per_essential = [1 / p.essential_count if p.essential_count else 0.0 for p in patterns]
    return _Index(dict(by_region), patterns, _segmental_index(cat), rank, group, per_essential)


def _segmental_index(cat: Catalog) -> dict[str, list[tuple[str, str, bool]]]:
    """Each region's segments, from its dermatomes and from the myotomes of the muscles lying in it
    (the paraspinals themselves excepted: they span the whole column), matched to the paraspinals."""
    paraspinals = [m for m in cat.muscles.values() if m.segmental_paraspinal]
    myotomes: dict[str, set[str]] = defaultdict(set)
    for muscle in cat.muscles.values():
        if not muscle.segmental_paraspinal:
            for base in muscle.lies_in:
                myotomes[base].update(muscle.segments)
    index: dict[str, list[tuple[str, str, bool]]] = {}
    for region in cat.regions.values():
        skin = set(region.segments)
        index[region.id] = [
            (muscle.id, segment, segment in skin)
            for segment in sorted(skin | myotomes[region.base], key=segment_index)
            for muscle in paraspinals
            if segment in muscle.segments
        ]
    return index


def suggest_muscles(pain: Mapping[str, int], *, limit: int = 10, cat: Catalog | None = None) -> list[Suggestion]:
    """Rank muscle-and-side candidates for a pain map of region id -> intensity 0-10."""
    cat = cat or catalog()
    index = _index() if cat is catalog() else _build_index(cat)
    patterns = index.patterns
    painful = {region: level for region, level in pain.items() if level > 0 and region in cat.regions}
    total = sum(painful.values())
    if not total:
        return []
    covered: dict[int, float] = defaultdict(float)
    essential_hits: dict[int, int] = defaultdict(int)
    for region, level in painful.items():
        for number, weight in index.by_region.get(region, ()):
            covered[number] += weight * level
            if weight == ESSENTIAL_WEIGHT:
                essential_hits[number] += 1
    # Scores quantised to SCORE_DECIMALS, so that equal scores tie exactly and the rank decides.
    scale = 10**SCORE_DECIMALS / total
    rank, per_essential = index.rank, index.per_essential
    ranked = sorted(
        (-int(weighted * scale * (0.6 + 0.4 * min(essential_hits[number] * per_essential[number], 1.0)) + 0.5), rank[number], number)
        for number, weighted in covered.items()
    )
    chosen: list[tuple[float, int]] = []
    listed: set[int] = set()
    for quantised, _rank, number in ranked:  # a muscle-and-side once, with its best pattern (the first in order)
        if index.group[number] not in listed:
            listed.add(index.group[number])
            chosen.append((-quantised / 10**SCORE_DECIMALS, number))
            if len(chosen) == limit:
                break
    suggestions = []
    for score, number in chosen:
        pattern = patterns[number]
        explained = tuple(r for r in painful if r in pattern.weights)
        unexplained = tuple(r for r in painful if r not in pattern.weights)
        muscle = cat.muscles[pattern.muscle_id]
        named = pattern.pattern if len(muscle.patterns) > 1 else None
        suggestions.append(Suggestion(muscle, pattern.side, score, explained, unexplained, named))
    return suggestions


def suggest_paraspinals(pain: Mapping[str, int], *, cat: Catalog | None = None) -> list[SegmentalSuggestion]:
    """Gunn IMS: paraspinal muscles at the segments that supply the painful regions, by side."""
    cat = cat or catalog()
    segmental = (_index() if cat is catalog() else _build_index(cat)).segmental
    wanted: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    from_skin: dict[tuple[str, str], set[str]] = defaultdict(set)
    for region_id, level in pain.items():
        region = cat.regions.get(region_id)
        if region is None or level <= 0:
            continue
        sides = (region.side,) if region.side else ("r", "l")
        for muscle_id, segment, skin in segmental[region_id]:
            for side in sides:
                wanted[(muscle_id, side)][segment].add(region_id)
                if skin:
                    from_skin[(muscle_id, side)].add(segment)
    result = []
    for (muscle_id, side), segments in wanted.items():
        ordered = tuple(sorted(segments, key=segment_index))
        regions = tuple(sorted({r for rs in segments.values() for r in rs}))
        myotomal = tuple(s for s in ordered if s not in from_skin[(muscle_id, side)])
        result.append(SegmentalSuggestion(cat.muscles[muscle_id], side, ordered, regions, myotomal))
    result.sort(key=lambda s: (segment_index(s.segments[0]), s.side))
    return result
