"""Loading the muscles of the atlas (``muscles*.yaml``): each muscle's referral patterns, risks,
reasons and needling facts, checked against the regions, structures and sources already loaded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from needlechart.content import (
    ID_DESCRIBED,
    ID_PATTERN,
    ContentError,
    bilingual,
    check_keys,
    one_of,
    read_entries,
    unique_id,
    wrong_types_named,
)
from needlechart.knowledge.atlas_records import (
    PREVALENCE_WEIGHTS,
    Catalog,
    CitedText,
    Muscle,
    ReferralPattern,
    RiskFact,
)
from needlechart.knowledge.catalog_fields import (
    FACT_KEYS,
    MUSCLE_KEYS,
    MUSCLE_SOURCE_KEYS,
    PATTERN_KEYS,
    SEGMENT,
    atlas_source,
    optional_flag,
    optional_mapping,
    unverified_keys,
)


def region_list(file: str, entry: str, value: Any, catalog: Catalog, what: str) -> tuple[str, ...]:
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
        referral = optional_mapping(file, muscle_id, raw.get("referral"), "referral")
        check_keys(file, muscle_id, referral, PATTERN_KEYS, "referral")
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
            check_keys(file, muscle_id, pattern, (*PATTERN_KEYS, "id", "name", "prevalence"), where)
            pattern_id = pattern.get("id")
            if not isinstance(pattern_id, str) or not ID_PATTERN.fullmatch(pattern_id) or pattern_id == "main":
                raise ContentError(file, muscle_id, f"{where} needs an 'id' of {ID_DESCRIBED} (not 'main')")
            if any(p.id == pattern_id for p in patterns):
                raise ContentError(file, muscle_id, f"{where}: duplicate pattern id")
        essential = region_list(file, muscle_id, pattern.get("essential"), catalog, f"{where}.essential")
        if not essential:
            raise ContentError(file, muscle_id, f"has no referral pattern ({where}.essential is empty)")
        patterns.append(
            ReferralPattern(
                id=str(pattern["id"]),
                name=bilingual(file, muscle_id, pattern.get("name"), f"{where}.name") if named else None,
                essential=essential,
                spillover=region_list(file, muscle_id, pattern.get("spillover"), catalog, f"{where}.spillover"),
                contralateral=region_list(file, muscle_id, pattern.get("contralateral"), catalog, f"{where}.contralateral"),
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
    check_keys(file, entry, value, FACT_KEYS, what)
    source = atlas_source(file, entry, value.get("source"), catalog.sources, f"{what}.source")
    unverified = optional_flag(file, entry, value.get("unverified"), f"{what}.unverified") or catalog.sources[source].unverified
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
                atlas_source(file, muscle_id, item.get("source"), catalog.sources, "structures_at_risk.source"),
            )
            unverified = (
                optional_flag(file, muscle_id, item.get("unverified"), "structures_at_risk.unverified")
                or catalog.sources[source].unverified
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
    check_keys(file, muscle_id, raw, MUSCLE_KEYS, "a muscle")
    sources = optional_mapping(file, muscle_id, raw.get("sources"), "sources")
    check_keys(file, muscle_id, sources, MUSCLE_SOURCE_KEYS, "sources")
    for key in MUSCLE_SOURCE_KEYS:
        atlas_source(file, muscle_id, sources.get(key), catalog.sources, f"sources.{key}")
    unverified = unverified_keys(file, muscle_id, raw.get("unverified"), MUSCLE_SOURCE_KEYS) | {
        key for key in MUSCLE_SOURCE_KEYS if catalog.sources[sources[key]].unverified
    }
    prevalence = _prevalence(file, muscle_id, raw.get("prevalence"))
    patterns = _patterns(raw, catalog, prevalence)
    names = raw.get("name") or {}
    innervation = optional_mapping(file, muscle_id, raw.get("innervation"), "innervation")
    check_keys(file, muscle_id, innervation, ("nerves", "segments"), "innervation")
    segments = tuple(innervation.get("segments") or ())
    if not segments or any(not SEGMENT.match(str(s)) for s in segments):
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
        lies_in=region_list(file, muscle_id, raw.get("lies_in"), catalog, "lies_in"),
        patterns=patterns,
        nerves=tuple(bilingual(file, muscle_id, n, "innervation.nerves") for n in innervation.get("nerves") or ()),
        segments=segments,
        thorax=optional_flag(file, muscle_id, raw.get("thorax"), "thorax"),
        risks=_risks(raw, catalog, sources["risks"], "risks" in unverified),
        position=bilingual(file, muscle_id, raw.get("position"), "position"),
        segmental_paraspinal=optional_flag(file, muscle_id, raw.get("segmental_paraspinal"), "segmental_paraspinal"),
        needle_length_mm=lengths,
        depth_guidance=guidance,
        sources=dict(sources),
        prevalence=prevalence,
        non_compressible=None if non_compressible is None else _reason(file, muscle_id, non_compressible, catalog, "non_compressible"),
        needled_by_physiotherapists=needled,
        not_needled_reason=None if needled else _reason(file, muscle_id, raw["not_needled_reason"], catalog, "not_needled_reason"),
        unverified=unverified,
    )


def load_muscles(directory: Path, catalog: Catalog) -> None:
    file = "muscles.yaml"
    for raw in read_entries(directory, file):
        with wrong_types_named(file, raw):
            muscle_id = unique_id(file, raw, catalog.muscles)
            catalog.muscles[muscle_id] = _muscle(raw, catalog)
    referred = {r for m in catalog.muscles.values() for r in (*m.essential, *m.spillover, *m.contralateral)}
    for base, drawn in catalog.base_regions.items():
        if drawn[0].referral_target and base not in referred:
            raise ContentError("regions.yaml", base, "no muscle refers pain here: add a pattern or mark referral_target: false")
