"""Trigger-point suggestions: which muscles' referral patterns best explain a pain map.

Referral areas vary between people (Delphi consensus 2018), so this ranks candidates for
the clinician to palpate; it never diagnoses. For each muscle on each side:

* every painful region it refers to contributes its intensity, fully for the essential
  zone and half for spillover (contralateral zones count like essential ones, on the
  opposite side);
* ``explained`` is the share of the whole pain map's intensity that the muscle accounts for;
* ``fit`` is the share of the muscle's essential zone that actually hurts, so a muscle whose
  large pattern merely brushes the painful area ranks below one that matches it;
* the score is ``explained * (0.6 + 0.4 * fit)``.

Each suggestion lists which painful regions it explains and which it leaves unexplained.
Gunn's IMS adds the paraspinal muscles at the spinal segments that supply the painful
regions (segmental treatment of the nerve root).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from needlechart.knowledge.catalog import Catalog, Muscle, catalog, segment_index

ESSENTIAL_WEIGHT = 1.0
SPILLOVER_WEIGHT = 0.5


@dataclass(frozen=True)
class Suggestion:
    muscle: Muscle
    side: str
    score: float
    explained: tuple[str, ...]  # painful region ids this muscle's pattern covers
    unexplained: tuple[str, ...]  # painful region ids it does not


@dataclass(frozen=True)
class SegmentalSuggestion:
    """Gunn IMS: a paraspinal muscle at the segments supplying the painful regions."""

    muscle: Muscle
    side: str
    segments: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True)
class _Pattern:
    muscle_id: str
    side: str
    weights: dict[str, float]  # region id -> weight
    essential_count: int


@functools.cache
def _index() -> tuple[dict[str, list[tuple[int, float]]], list[_Pattern]]:
    """Region id -> [(pattern number, weight)], built once from the catalogue."""
    return _build_index(catalog())


def _build_index(cat: Catalog) -> tuple[dict[str, list[tuple[int, float]]], list[_Pattern]]:
    patterns: list[_Pattern] = []
    by_region: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for muscle in cat.muscles.values():
        for side in ("r", "l"):
            weights: dict[str, float] = {}
            for region in cat.regions_on_side(muscle.spillover, side):
                weights[region] = SPILLOVER_WEIGHT
            for region in cat.regions_on_side(muscle.contralateral, side, opposite=True):
                weights[region] = ESSENTIAL_WEIGHT
            for region in cat.regions_on_side(muscle.essential, side):
                weights[region] = ESSENTIAL_WEIGHT
            essential = len(set(cat.regions_on_side(muscle.essential, side)))
            patterns.append(_Pattern(muscle.id, side, weights, essential))
            for region, weight in weights.items():
                by_region[region].append((len(patterns) - 1, weight))
    return dict(by_region), patterns


def suggest_muscles(pain: Mapping[str, int], *, limit: int = 10, cat: Catalog | None = None) -> list[Suggestion]:
    """Rank muscle-and-side candidates for a pain map of region id -> intensity 0-10."""
    cat = cat or catalog()
    by_region, patterns = _index() if cat is catalog() else _build_index(cat)
    painful = {region: level for region, level in pain.items() if level > 0 and region in cat.regions}
    total = sum(painful.values())
    if not total:
        return []
    covered: dict[int, float] = defaultdict(float)
    essential_hits: dict[int, int] = defaultdict(int)
    for region, level in painful.items():
        for number, weight in by_region.get(region, ()):
            covered[number] += weight * level
            if weight == ESSENTIAL_WEIGHT:
                essential_hits[number] += 1
    ranked = []
    for number, weighted in covered.items():
        pattern = patterns[number]
        fit = essential_hits[number] / pattern.essential_count if pattern.essential_count else 0.0
        ranked.append(((weighted / total) * (0.6 + 0.4 * min(fit, 1.0)), number))
    ranked.sort(key=lambda item: (-item[0], patterns[item[1]].muscle_id, patterns[item[1]].side))
    suggestions = []
    for score, number in ranked[:limit]:
        pattern = patterns[number]
        explained = tuple(r for r in painful if r in pattern.weights)
        unexplained = tuple(r for r in painful if r not in pattern.weights)
        suggestions.append(Suggestion(cat.muscles[pattern.muscle_id], pattern.side, round(score, 4), explained, unexplained))
    return suggestions


def suggest_paraspinals(pain: Mapping[str, int], *, cat: Catalog | None = None) -> list[SegmentalSuggestion]:
    """Gunn IMS: paraspinal muscles at the segments that supply the painful regions, by side."""
    cat = cat or catalog()
    paraspinals = [m for m in cat.muscles.values() if m.segmental_paraspinal]
    wanted: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for region_id, level in pain.items():
        region = cat.regions.get(region_id)
        if region is None or level <= 0:
            continue
        sides = (region.side,) if region.side else ("r", "l")
        for segment in region.segments:
            for muscle in paraspinals:
                if segment in muscle.segments:
                    for side in sides:
                        wanted[(muscle.id, side)][segment].add(region_id)
    result = []
    for (muscle_id, side), segments in wanted.items():
        ordered = tuple(sorted(segments, key=segment_index))
        regions = tuple(sorted({r for rs in segments.values() for r in rs}))
        result.append(SegmentalSuggestion(cat.muscles[muscle_id], side, ordered, regions))
    result.sort(key=lambda s: (segment_index(s.segments[0]), s.side))
    return result
