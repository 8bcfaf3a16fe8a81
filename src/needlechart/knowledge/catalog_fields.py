"""The atlas files' vocabulary and the small checks every loader of ``knowledge.catalog`` shares:
the keys each entry may have, the segments, the kinds of source, and optional mappings and flags
that are a named ``ContentError`` when they have the wrong type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from needlechart.content import (
    ContentError,
    Source,
    require_source,
)

SIDES = ("r", "l")
GROUPS = ("head", "neck", "shoulder", "upper_back", "arm", "hand", "chest", "abdomen", "low_back", "hip", "thigh", "knee", "leg", "foot")
# Spinal segments, the trigeminal divisions (face) and the facial nerve (VII: posterior digastric).
SEGMENT = re.compile(r"^(C[1-8]|T(1[0-2]|[1-9])|L[1-5]|S[1-5]|Co1|V[1-3]|VII)$")
PATH = re.compile(r"^M [0-9. LCQZ-]+Z$")
SEGMENT_ORDER = (
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
MUSCLE_KEYS = (
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
PATTERN_KEYS = ("essential", "spillover", "contralateral")
REGION_KEYS = ("id", "sided", "group", "name", "segments", "segments_source", "referral_target", "note", "shapes", "unverified")
FACT_KEYS = ("en", "nb", "source", "unverified")


def segment_index(segment: str) -> int:
    return SEGMENT_ORDER.index(segment)


def atlas_source(file: str, entry: str, source_id: Any, sources: dict[str, Source], what: str = "source") -> str:
    return require_source(file, entry, source_id, sources, what, registry="sources.yaml")


def optional_mapping(file: str, entry: str, value: Any, what: str) -> Mapping[str, Any]:
    """An optional mapping (absent is empty); a list or a text in its place is a named error."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ContentError(file, entry, f"{what} has the wrong type: it must be a mapping (got {type(value).__name__})")
    return value


def optional_flag(file: str, entry: str, value: Any, what: str) -> bool:
    """An optional true/false flag (``unverified: true``); anything else is a named error."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ContentError(file, entry, f"{what} must be true or false (got {value!r})")
    return value


def unverified_keys(file: str, entry: str, value: Any, allowed: Iterable[str]) -> frozenset[str]:
    """An entry's ``unverified:`` list: the keys of its facts not checked against a primary source."""
    allowed = tuple(allowed)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or any(key not in allowed for key in value):
        raise ContentError(file, entry, f"unverified must list fact keys among {', '.join(allowed)} (got {value!r})")
    return frozenset(value)
