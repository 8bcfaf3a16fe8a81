"""The records the clinical knowledge catalogue is made of (knowledge.catalog loads and checks them):
sources, body-map regions, structures at risk, muscles with their referral patterns, vignettes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from needlechart.content import Source, Text

PREVALENCE_WEIGHTS = {"high": 3, "moderate": 2, "low": 1}


@dataclass(frozen=True)
class CitedSource(Source):
    """An atlas source: a ``Source`` that also says what kind of publication it is."""

    kind: str = "peer_reviewed"

    @property
    def peer_reviewed(self) -> bool:
        return self.kind == "peer_reviewed"


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
    segments_source: str = ""
    segments_unverified: bool = False

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
class CitedText:
    """A sourced statement about a muscle in both languages: a published depth figure, why a site is
    non-compressible, why the muscle is not needled."""

    text: Text
    source: str
    unverified: bool = False


@dataclass(frozen=True)
class RiskFact:
    """A structure at risk when needling a muscle, with the source of that fact."""

    structure: str
    source: str
    unverified: bool = False


@dataclass(frozen=True)
class ReferralPattern:
    """One referral pattern of a muscle; a muscle with several (gluteus minimus) is ranked per pattern."""

    id: str  # "main" for a muscle's only pattern
    name: Text | None  # None for a muscle's only pattern
    essential: tuple[str, ...]
    spillover: tuple[str, ...]
    contralateral: tuple[str, ...]
    prevalence: str  # a key of PREVALENCE_WEIGHTS

    @property
    def weight(self) -> int:
        return PREVALENCE_WEIGHTS[self.prevalence]


@dataclass(frozen=True)
class Muscle:
    id: str
    name: Text
    latin: str
    uberon: str | None
    lies_in: tuple[str, ...]
    patterns: tuple[ReferralPattern, ...]
    nerves: tuple[Text, ...]
    segments: tuple[str, ...]
    thorax: bool
    risks: tuple[RiskFact, ...]
    position: Text
    segmental_paraspinal: bool
    needle_length_mm: tuple[int, ...]
    depth_guidance: tuple[CitedText, ...]
    sources: dict[str, str]
    prevalence: str = "moderate"
    non_compressible: CitedText | None = None
    needled_by_physiotherapists: bool = True
    not_needled_reason: CitedText | None = None
    unverified: frozenset[str] = frozenset()  # fact keys (MUSCLE_SOURCE_KEYS) not checked: flagged, or an unverified source

    @property
    def structures_at_risk(self) -> tuple[str, ...]:
        return tuple(r.structure for r in self.risks)

    @property
    def essential(self) -> tuple[str, ...]:
        """The essential zones of all the muscle's patterns (base region ids)."""
        return _union(p.essential for p in self.patterns)

    @property
    def spillover(self) -> tuple[str, ...]:
        essential = set(self.essential)
        return tuple(r for r in _union(p.spillover for p in self.patterns) if r not in essential)

    @property
    def contralateral(self) -> tuple[str, ...]:
        return _union(p.contralateral for p in self.patterns)

    def is_unverified(self, key: str) -> bool:
        """Whether the fact group ``key`` (names, referral, risks...) is not checked against a primary source."""
        return key in self.unverified


@dataclass(frozen=True)
class Vignette:
    id: str
    side: str
    pain: dict[str, int]
    expected: tuple[str, ...]
    source: str

    def pain_map(self) -> dict[str, int]:
        """The vignette's pain as drawn region ids (midline regions keep their id)."""
        from needlechart.knowledge.catalog import catalog  # the loaded catalogue, which these records make up

        regions = catalog().regions
        return {f"{base}_{self.side}" if f"{base}_{self.side}" in regions else base: level for base, level in self.pain.items()}


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

    def source_kind(self, source_id: str) -> str:
        source = self.sources[source_id]
        return source.kind if isinstance(source, CitedSource) else "peer_reviewed"


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for group in groups for r in group))
