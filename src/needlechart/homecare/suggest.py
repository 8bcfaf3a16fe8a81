"""A home programme suggested from the muscles needled at the visit.

For each muscle needled (in the order they were recorded) the suggestion takes the library's
first stretch or exercise for it and its first self-release (ball, roller or self-massage), in
the file's order, up to ``MAX_ITEMS`` items in all. A sided item is done on the side (or sides)
needled: needles in the right and the left upper trapezius make one side-neck stretch on both
sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from needlechart.homecare.catalog import SELF_RELEASE_KINDS, SUGGESTED_KINDS, Item, library
from needlechart.homecare.models import ProgrammeSide

MAX_ITEMS = 6


@dataclass(frozen=True)
class Suggestion:
    item: Item
    side: str  # ProgrammeSide value, or "" for an item without a side
    muscles: tuple[str, ...]  # the needled muscles that led to it


def _sides(sides: set[str]) -> str:
    if sides >= {"l", "r"}:
        return ProgrammeSide.BOTH
    return next(iter(sides)) if sides else ProgrammeSide.BOTH


def suggest(needled: Iterable[tuple[str, str]], *, exclude: Iterable[str] = ()) -> list[Suggestion]:
    """Items for the needled ``(muscle id, side)`` pairs, leaving out the item ids in ``exclude``."""
    needled = list(needled)
    excluded = set(exclude)
    chosen: dict[str, Item] = {}
    for muscle_id, _side in needled:
        candidates = [item for item in library().for_muscle(muscle_id) if item.kind in SUGGESTED_KINDS]
        first_stretch = next((item for item in candidates if item.kind not in SELF_RELEASE_KINDS), None)
        first_release = next((item for item in candidates if item.kind in SELF_RELEASE_KINDS), None)
        for item in (first_stretch, first_release):
            if item is not None and item.id not in excluded and item.id not in chosen and len(chosen) < MAX_ITEMS:
                chosen[item.id] = item
    suggestions = []
    for item in chosen.values():
        by = [(muscle_id, side) for muscle_id, side in needled if muscle_id in item.muscles]
        sides = {side for _muscle, side in by if side in ("l", "r")}
        suggestions.append(
            Suggestion(item, _sides(sides) if item.sided else "", tuple(dict.fromkeys(muscle_id for muscle_id, _side in by)))
        )
    return suggestions
