"""The knowledge catalogue loader fails loudly on bad data, and the shipped data passes.

Every bad-file case copies the shipped data directory into a temporary directory, breaks
one file and checks that ``load_catalog`` stops with a ``KnowledgeDataError`` naming the
file and the entry. No database is needed.
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlechart.content import ContentError as KnowledgeDataError
from needlechart.knowledge.atlas_records import Catalog
from needlechart.knowledge.catalog import (
    DATA_DIR,
    MUSCLE_SOURCE_KEYS,
    VIEW_BOX_WIDTH,
    load_catalog,
)

DATA_FILES = ("sources.yaml", "sources_regions.yaml", "regions.yaml", "structures.yaml", "muscles.yaml", "vignettes.yaml")
VIEW_BOX_HEIGHT = 480
UNKNOWN_REGION = "nowhere_region"
UNKNOWN_SOURCE = "no-such-source"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Entries = list[dict[str, Any]]
Mutation = Callable[[Entries], str]  # breaks the entries in place, returns the id of the entry it broke


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _load_yaml(directory: Path, file: str) -> Entries:
    # yaml.safe_load / yaml.safe_dump, with libyaml when present (ten times faster on muscles.yaml).
    return yaml.load((directory / file).read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def _dump_yaml(directory: Path, file: str, entries: Any) -> None:
    (directory / file).write_text(yaml.dump(entries, Dumper=_SAFE_DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _edit(directory: Path, file: str, mutate: Mutation) -> str:
    entries = _load_yaml(directory, file)
    entry = mutate(entries)
    _dump_yaml(directory, file, entries)
    return entry


def _load_failure(directory: Path) -> KnowledgeDataError:
    with pytest.raises(KnowledgeDataError) as excinfo:
        load_catalog(directory)
    return excinfo.value


def _first(entries: Entries, predicate: Callable[[dict[str, Any]], bool] = lambda entry: True) -> dict[str, Any]:
    return next(entry for entry in entries if predicate(entry))


# --- mutations ------------------------------------------------------------------------------------


def _add_region_to(field: str) -> Mutation:
    """Add an unknown region id to a muscle's lies_in or one of its referral zones."""

    def mutate(muscles: Entries) -> str:
        muscle = muscles[0]
        holder = muscle if field == "lies_in" else muscle.setdefault("referral", {})
        key = field.removeprefix("referral.")
        holder[key] = [*(holder.get(key) or []), UNKNOWN_REGION]
        return muscle["id"]

    return mutate


def _drop_muscle_source(key: str) -> Mutation:
    def mutate(muscles: Entries) -> str:
        muscle = muscles[0]
        del muscle["sources"][key]
        return muscle["id"]

    return mutate


def _drop_all_muscle_sources(muscles: Entries) -> str:
    del muscles[0]["sources"]
    return muscles[0]["id"]


def _unregistered_muscle_source(muscles: Entries) -> str:
    muscles[0]["sources"]["referral"] = UNKNOWN_SOURCE
    return muscles[0]["id"]


def _depth_guidance_without_source(muscles: Entries) -> str:
    muscle = _first(muscles, lambda m: bool(m.get("depth_guidance")))
    del muscle["depth_guidance"][0]["source"]
    return muscle["id"]


def _depth_guidance_unregistered_source(muscles: Entries) -> str:
    muscle = _first(muscles, lambda m: bool(m.get("depth_guidance")))
    muscle["depth_guidance"][0]["source"] = UNKNOWN_SOURCE
    return muscle["id"]


def _duplicate(index: int = 0) -> Mutation:
    """Append a copy of an entry, so its id appears twice."""

    def mutate(entries: Entries) -> str:
        entries.append(copy.deepcopy(entries[index]))
        return entries[index]["id"]

    return mutate


def _duplicate_source_across_files(entries: Entries) -> str:
    """sources_regions.yaml re-uses an id already registered in sources.yaml."""
    registered = _load_yaml(DATA_DIR, "sources.yaml")[0]
    entries.append(copy.deepcopy(registered))
    return registered["id"]


def _set_essential(value: Any) -> Mutation:
    def mutate(muscles: Entries) -> str:
        muscles[0]["referral"]["essential"] = value
        return muscles[0]["id"]

    return mutate


def _drop_essential(muscles: Entries) -> str:
    del muscles[0]["referral"]["essential"]
    return muscles[0]["id"]


def _drop_referral(muscles: Entries) -> str:
    del muscles[0]["referral"]
    return muscles[0]["id"]


def _unknown_structure(muscles: Entries) -> str:
    muscles[0]["structures_at_risk"] = [*(muscles[0].get("structures_at_risk") or []), "spleen"]
    return muscles[0]["id"]


def _muscle_segments(value: Any) -> Mutation:
    def mutate(muscles: Entries) -> str:
        muscles[0]["innervation"]["segments"] = value
        return muscles[0]["id"]

    return mutate


def _needle_length(value: Any) -> Mutation:
    def mutate(muscles: Entries) -> str:
        muscles[0]["needle_length_mm"] = value
        return muscles[0]["id"]

    return mutate


def _drop_needle_length(muscles: Entries) -> str:
    del muscles[0]["needle_length_mm"]
    return muscles[0]["id"]


def _name_nb(value: Any) -> Mutation:
    """Remove (None) or blank out the Norwegian name of the first entry."""

    def mutate(entries: Entries) -> str:
        name = entries[0]["name"]
        if value is None:
            del name["nb"]
        else:
            name["nb"] = value
        return entries[0]["id"]

    return mutate


def _set_region(key: str, value: Any) -> Mutation:
    def mutate(regions: Entries) -> str:
        regions[0][key] = value
        return regions[0]["id"]

    return mutate


def _drop_region_key(key: str) -> Mutation:
    def mutate(regions: Entries) -> str:
        del regions[0][key]
        return regions[0]["id"]

    return mutate


def _unclose_path(regions: Entries) -> str:
    region = _first(regions, lambda r: bool(r["shapes"].get("front")))
    region["shapes"]["front"][0] = region["shapes"]["front"][0].removesuffix(" Z")
    return region["id"]


def _garbage_path(regions: Entries) -> str:
    region = _first(regions, lambda r: bool(r["shapes"].get("front")))
    region["shapes"]["front"][0] = "M 10 10 L 20 20 <script> Z"
    return region["id"]


def _orphan_region(**changes: Any) -> Mutation:
    """Add a new region that no muscle's referral pattern names."""

    def mutate(regions: Entries) -> str:
        orphan = {**copy.deepcopy(regions[0]), "id": "orphan_patch", **changes}
        regions.append(orphan)
        return orphan["id"]

    return mutate


def _drop_structure_source(structures: Entries) -> str:
    del structures[0]["source"]
    return structures[0]["id"]


def _vignette_unknown_pain_region(vignettes: Entries) -> str:
    vignettes[0]["pain"][UNKNOWN_REGION] = 4
    return vignettes[0]["id"]


def _vignette_unregistered_source(vignettes: Entries) -> str:
    vignettes[0]["source"] = UNKNOWN_SOURCE
    return vignettes[0]["id"]


def _vignette_without_source(vignettes: Entries) -> str:
    del vignettes[0]["source"]
    return vignettes[0]["id"]


# --- mutations of the second edition's fields ------------------------------------------------------


def _source(key: str, value: Any = None, *, drop: bool = False, pick: Callable[[dict[str, Any]], bool] = lambda e: True) -> Mutation:
    def mutate(sources: Entries) -> str:
        source = _first(sources, pick)
        if drop:
            del source[key]
        else:
            source[key] = value
        return source["id"]

    return mutate


def _muscle_named(muscle_id: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(muscles: Entries) -> str:
        muscle = _first(muscles, lambda m: m["id"] == muscle_id)
        change(muscle)
        return muscle_id

    return mutate


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda entry: entry.__setitem__(key, copy.deepcopy(value))


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda entry: entry.pop(key)


def _patterns_and_referral(muscle: dict[str, Any]) -> None:
    muscle["referral"] = {"essential": ["buttock"], "spillover": [], "contralateral": []}


def _pattern(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda muscle: change(muscle["patterns"])


def _non_compressible(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda muscle: change(muscle["non_compressible"])


PATTERN = {"id": "extra", "name": {"en": "Extra", "nb": "Ekstra"}, "essential": ["buttock"], "spillover": [], "contralateral": []}


UNKNOWN_REGION_MESSAGE = f"names unknown region id(s): {UNKNOWN_REGION}"
NEEDLE_LENGTH_MESSAGE = "needle_length_mm must list lengths between 7 and 125 mm"
MUSCLE_SEGMENTS_MESSAGE = "innervation.segments must list spinal segments"
NAME_MESSAGE = "name needs non-empty 'en' and 'nb' texts"

BAD_ENTRY_CASES = [
    # unknown region ids
    pytest.param("muscles.yaml", _add_region_to("lies_in"), f"lies_in {UNKNOWN_REGION_MESSAGE}", id="unknown-region-in-lies_in"),
    pytest.param(
        "muscles.yaml",
        _add_region_to("referral.essential"),
        f"referral.essential {UNKNOWN_REGION_MESSAGE}",
        id="unknown-region-in-essential",
    ),
    pytest.param(
        "muscles.yaml",
        _add_region_to("referral.spillover"),
        f"referral.spillover {UNKNOWN_REGION_MESSAGE}",
        id="unknown-region-in-spillover",
    ),
    pytest.param(
        "muscles.yaml",
        _add_region_to("referral.contralateral"),
        f"referral.contralateral {UNKNOWN_REGION_MESSAGE}",
        id="unknown-region-in-contralateral",
    ),
    pytest.param("vignettes.yaml", _vignette_unknown_pain_region, f"pain {UNKNOWN_REGION_MESSAGE}", id="unknown-region-in-vignette-pain"),
    # missing or unregistered sources
    *(
        pytest.param(
            "muscles.yaml",
            _drop_muscle_source(key),
            f"sources.{key} is missing: every fact needs a source",
            id=f"muscle-missing-source-{key}",
        )
        for key in MUSCLE_SOURCE_KEYS
    ),
    pytest.param("muscles.yaml", _drop_all_muscle_sources, "sources.names is missing", id="muscle-without-sources"),
    pytest.param(
        "muscles.yaml",
        _unregistered_muscle_source,
        f"sources.referral '{UNKNOWN_SOURCE}' is not in sources.yaml",
        id="muscle-source-not-registered",
    ),
    pytest.param("muscles.yaml", _depth_guidance_without_source, "depth_guidance.source is missing", id="depth-guidance-without-source"),
    pytest.param(
        "muscles.yaml",
        _depth_guidance_unregistered_source,
        f"depth_guidance.source '{UNKNOWN_SOURCE}' is not in sources.yaml",
        id="depth-guidance-source-not-registered",
    ),
    pytest.param("regions.yaml", _drop_region_key("segments_source"), "segments_source is missing", id="region-without-segments_source"),
    pytest.param(
        "regions.yaml",
        _set_region("segments_source", UNKNOWN_SOURCE),
        f"segments_source '{UNKNOWN_SOURCE}' is not in sources.yaml",
        id="region-segments_source-not-registered",
    ),
    pytest.param("structures.yaml", _drop_structure_source, "source is missing", id="structure-without-source"),
    pytest.param("vignettes.yaml", _vignette_without_source, "source is missing", id="vignette-without-source"),
    pytest.param(
        "vignettes.yaml",
        _vignette_unregistered_source,
        f"source '{UNKNOWN_SOURCE}' is not in sources.yaml",
        id="vignette-source-not-registered",
    ),
    # duplicate ids
    pytest.param("muscles.yaml", _duplicate(3), "duplicate id", id="duplicate-muscle"),
    pytest.param("regions.yaml", _duplicate(5), "duplicate id", id="duplicate-region"),
    pytest.param("sources.yaml", _duplicate(2), "duplicate id", id="duplicate-source"),
    pytest.param("sources_regions.yaml", _duplicate_source_across_files, "duplicate id", id="duplicate-source-across-files"),
    pytest.param("structures.yaml", _duplicate(1), "duplicate id", id="duplicate-structure"),
    pytest.param("vignettes.yaml", _duplicate(1), "duplicate id", id="duplicate-vignette"),
    # no referral pattern
    pytest.param("muscles.yaml", _set_essential([]), "has no referral pattern", id="muscle-with-empty-essential"),
    pytest.param("muscles.yaml", _drop_essential, "has no referral pattern", id="muscle-without-essential"),
    pytest.param("muscles.yaml", _drop_referral, "has no referral pattern", id="muscle-without-referral"),
    # unknown structure
    pytest.param("muscles.yaml", _unknown_structure, "structures_at_risk names unknown structure(s): spleen", id="unknown-structure"),
    # bad spinal segments
    pytest.param("muscles.yaml", _muscle_segments(["C9"]), MUSCLE_SEGMENTS_MESSAGE, id="muscle-segment-C9"),
    pytest.param("muscles.yaml", _muscle_segments(["L4", "T13"]), MUSCLE_SEGMENTS_MESSAGE, id="muscle-segment-T13"),
    pytest.param("muscles.yaml", _muscle_segments(["c5"]), MUSCLE_SEGMENTS_MESSAGE, id="muscle-segment-lower-case"),
    pytest.param("muscles.yaml", _muscle_segments([]), MUSCLE_SEGMENTS_MESSAGE, id="muscle-segments-empty"),
    pytest.param("regions.yaml", _set_region("segments", ["X1"]), "segments must be spinal segments", id="region-segment-X1"),
    pytest.param("regions.yaml", _set_region("segments", ["C5", "S6"]), "segments must be spinal segments", id="region-segment-S6"),
    pytest.param("regions.yaml", _set_region("segments", []), "segments must be spinal segments", id="region-segments-empty"),
    # bad needle lengths
    pytest.param("muscles.yaml", _needle_length([0]), NEEDLE_LENGTH_MESSAGE, id="needle-length-zero"),
    pytest.param("muscles.yaml", _needle_length([30, 150]), NEEDLE_LENGTH_MESSAGE, id="needle-length-too-long"),
    pytest.param("muscles.yaml", _needle_length([30.5]), NEEDLE_LENGTH_MESSAGE, id="needle-length-fraction"),
    pytest.param("muscles.yaml", _needle_length(["30"]), NEEDLE_LENGTH_MESSAGE, id="needle-length-text"),
    pytest.param("muscles.yaml", _needle_length([]), NEEDLE_LENGTH_MESSAGE, id="needle-length-empty"),
    pytest.param("muscles.yaml", _drop_needle_length, NEEDLE_LENGTH_MESSAGE, id="needle-length-missing"),
    # region geometry and grouping
    pytest.param("regions.yaml", _set_region("shapes", {"front": [], "back": []}), "needs at least one shape", id="region-with-no-shapes"),
    pytest.param("regions.yaml", _drop_region_key("shapes"), "needs at least one shape", id="region-without-shapes-key"),
    pytest.param("regions.yaml", _unclose_path, "shape is not a closed 'M ... Z' path", id="region-unclosed-path"),
    pytest.param("regions.yaml", _garbage_path, "shape is not a closed 'M ... Z' path", id="region-path-with-markup"),
    pytest.param("regions.yaml", _set_region("group", "tail"), "group must be one of", id="region-unknown-group"),
    pytest.param("regions.yaml", _drop_region_key("group"), "group must be one of", id="region-without-group"),
    # missing Norwegian translations of names
    pytest.param("muscles.yaml", _name_nb(None), NAME_MESSAGE, id="muscle-name-without-nb"),
    pytest.param("muscles.yaml", _name_nb("   "), NAME_MESSAGE, id="muscle-name-blank-nb"),
    pytest.param("regions.yaml", _name_nb(None), NAME_MESSAGE, id="region-name-without-nb"),
    pytest.param("structures.yaml", _name_nb(None), NAME_MESSAGE, id="structure-name-without-nb"),
    # a region nothing refers to
    pytest.param(
        "regions.yaml", _orphan_region(referral_target=True), "no muscle refers pain here", id="orphan-region-marked-referral-target"
    ),
    pytest.param("regions.yaml", _orphan_region(), "no muscle refers pain here", id="orphan-region-referral-target-by-default"),
    # --- the second edition's fields (issue 13) ---
    # sources: what kind of publication, and kinds that are unverified by definition
    pytest.param("sources.yaml", _source("kind", drop=True), "kind must be one of", id="source-without-kind"),
    pytest.param("sources.yaml", _source("kind", "blog"), "kind must be one of", id="source-unknown-kind"),
    pytest.param(
        "sources.yaml",
        _source("unverified", False, pick=lambda e: e.get("kind") == "preprint"),
        "a source of kind preprint is not checked",
        id="preprint-not-marked-unverified",
    ),
    pytest.param("sources.yaml", _source("kind", "course"), "a source of kind course is not checked", id="course-not-marked-unverified"),
    pytest.param("sources.yaml", _source("unverified", "yes"), "unverified must be true or false", id="source-unverified-text"),
    pytest.param("sources_regions.yaml", _source("reviewed", True), "unknown key(s) reviewed", id="source-unknown-key"),
    # muscles: prevalence, unverified facts, misspelt keys
    pytest.param("muscles.yaml", _muscle_named("soleus", _drop("prevalence")), "prevalence must be one of", id="muscle-without-prevalence"),
    pytest.param(
        "muscles.yaml", _muscle_named("soleus", _set("prevalence", "often")), "prevalence must be one of", id="muscle-unknown-prevalence"
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("soleus", _set("unverified", ["pattern"])),
        "unverified must list fact keys",
        id="muscle-unverified-unknown-key",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("soleus", _set("unverified", "referral")),
        "unverified must list fact keys",
        id="muscle-unverified-not-a-list",
    ),
    pytest.param(
        "muscles.yaml", _muscle_named("soleus", _set("non_compresible", {})), "unknown key(s) non_compresible", id="muscle-misspelt-key"
    ),
    pytest.param("muscles.yaml", _muscle_named("soleus", _set("thorax", "no")), "thorax must be true or false", id="muscle-thorax-text"),
    # several patterns
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _patterns_and_referral),
        "has both referral and patterns",
        id="patterns-and-referral",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps.pop())),
        "patterns must list two or more",
        id="patterns-only-one",
    ),
    pytest.param(
        "muscles.yaml", _muscle_named("gluteus_minimus", _pattern(lambda ps: ps[1].pop("id"))), "needs an 'id'", id="pattern-without-id"
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps[1].__setitem__("id", "anterior"))),
        "duplicate pattern id",
        id="pattern-duplicate-id",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps[0]["name"].pop("nb"))),
        "patterns.anterior.name needs non-empty",
        id="pattern-name-without-nb",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps[1].__setitem__("essential", []))),
        "has no referral pattern (patterns.posterior.essential",
        id="pattern-empty-essential",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps[1]["spillover"].append(UNKNOWN_REGION))),
        f"patterns.posterior.spillover {UNKNOWN_REGION_MESSAGE}",
        id="pattern-unknown-region",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps.append({**PATTERN, "prevalence": "often"}))),
        "patterns.extra.prevalence must be one of",
        id="pattern-unknown-prevalence",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("gluteus_minimus", _pattern(lambda ps: ps.append({**PATTERN, "fit": 1}))),
        "unknown key(s) fit",
        id="pattern-unknown-key",
    ),
    # structures at risk with their own source
    pytest.param(
        "muscles.yaml",
        _muscle_named("scalenes", lambda m: m["structures_at_risk"][-1].pop("source")),
        "structures_at_risk.source is missing",
        id="structure-at-risk-without-source",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("scalenes", lambda m: m["structures_at_risk"][-1].__setitem__("source", UNKNOWN_SOURCE)),
        f"structures_at_risk.source '{UNKNOWN_SOURCE}' is not in",
        id="structure-at-risk-source-not-registered",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("scalenes", lambda m: m["structures_at_risk"][-1].__setitem__("id", "spleen")),
        "unknown structure(s): spleen",
        id="structure-at-risk-unknown-id",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("scalenes", lambda m: m["structures_at_risk"][-1].__setitem__("unverified", "maybe")),
        "structures_at_risk.unverified must be true or false",
        id="structure-at-risk-unverified-text",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("scalenes", lambda m: m["structures_at_risk"].append("pleura_lung")),
        "names pleura_lung twice",
        id="structure-at-risk-twice",
    ),
    # non-compressible sites
    pytest.param(
        "muscles.yaml",
        _muscle_named("iliacus", _non_compressible(lambda n: n.pop("source"))),
        "non_compressible.source is missing",
        id="non-compressible-without-source",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("iliacus", _non_compressible(lambda n: n.pop("nb"))),
        "non_compressible needs non-empty 'en' and 'nb'",
        id="non-compressible-without-nb",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("iliacus", _set("non_compressible", "deep")),
        "non_compressible must be a mapping",
        id="non-compressible-text",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("iliacus", _non_compressible(lambda n: n.__setitem__("why", "x"))),
        "unknown key(s) why",
        id="non-compressible-unknown-key",
    ),
    # not needled by physiotherapists
    pytest.param(
        "muscles.yaml",
        _muscle_named("levator_ani", _drop("not_needled_reason")),
        "needs a not_needled_reason",
        id="not-needled-without-reason",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("levator_ani", _drop("needled_by_physiotherapists")),
        "needs a not_needled_reason (and only then)",
        id="reason-while-needled",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("levator_ani", _set("needled_by_physiotherapists", "no")),
        "needled_by_physiotherapists must be true or false",
        id="needled-flag-text",
    ),
    pytest.param(
        "muscles.yaml",
        _muscle_named("levator_ani", lambda m: m["not_needled_reason"].pop("source")),
        "not_needled_reason.source is missing",
        id="not-needled-reason-without-source",
    ),
    # regions and structures
    pytest.param(
        "regions.yaml",
        _set_region("unverified", ["shapes"]),
        "unverified must list fact keys among segments",
        id="region-unverified-unknown-key",
    ),
    pytest.param("regions.yaml", _set_region("colour", "red"), "unknown key(s) colour", id="region-unknown-key"),
    pytest.param(
        "regions.yaml", _set_region("shapes", {"front": ["M 1 1 L 2 2 Z"], "side": []}), "unknown key(s) side", id="region-unknown-view"
    ),
    pytest.param(
        "structures.yaml",
        lambda s: (s[0].__setitem__("non_compressible", "yes"), s[0]["id"])[1],
        "non_compressible must be true or false",
        id="structure-non-compressible-text",
    ),
]


@pytest.mark.parametrize(("file", "mutate", "fragment"), BAD_ENTRY_CASES)
def test_bad_entry_fails_loudly_naming_file_and_entry(data_dir: Path, file: str, mutate: Mutation, fragment: str) -> None:
    entry = _edit(data_dir, file, mutate)

    exc = _load_failure(data_dir)

    assert (exc.file, exc.entry) == (file, entry)
    assert fragment in str(exc)
    assert str(exc).startswith(f"{file}: entry '{entry}': ")


def test_orphan_region_passes_when_not_a_referral_target(data_dir: Path) -> None:
    note = "Test region: no shipped muscle refers pain here."
    _edit(data_dir, "regions.yaml", _orphan_region(referral_target=False, note=note))

    cat = load_catalog(data_dir)

    drawn = cat.base_regions["orphan_patch"]
    assert drawn and all(not region.referral_target for region in drawn)


@pytest.mark.parametrize("file", DATA_FILES)
def test_missing_file_fails_loudly(data_dir: Path, file: str) -> None:
    (data_dir / file).unlink()

    exc = _load_failure(data_dir)

    assert (exc.file, exc.entry) == (file, "-")
    assert "file is missing" in str(exc)


@pytest.mark.parametrize(
    ("file", "text"),
    [
        pytest.param("muscles.yaml", "- id: upper_trapezius\n  lies_in: [neck_back\n", id="muscles-unclosed-bracket"),
        pytest.param("regions.yaml", "- id: forehead\n\tsided: true\n", id="regions-tab-indent"),
        pytest.param("sources.yaml", "- id: a\n  citation: 'unterminated\n", id="sources-unterminated-quote"),
        pytest.param("vignettes.yaml", "- id: v\n  pain: {temple: 7\n", id="vignettes-unclosed-brace"),
    ],
)
def test_invalid_yaml_fails_loudly(data_dir: Path, file: str, text: str) -> None:
    (data_dir / file).write_text(text, encoding="utf-8")

    exc = _load_failure(data_dir)

    assert (exc.file, exc.entry) == (file, "-")
    assert "is not valid YAML" in str(exc)


@pytest.mark.parametrize(
    ("file", "content"),
    [
        pytest.param("muscles.yaml", {"id": "upper_trapezius"}, id="muscles-mapping"),
        pytest.param("regions.yaml", "forehead", id="regions-scalar"),
        pytest.param("structures.yaml", None, id="structures-empty"),
        pytest.param("sources.yaml", {"delphi-2018": {"citation": "x"}}, id="sources-mapping"),
    ],
)
def test_file_that_is_not_a_list_fails_loudly(data_dir: Path, file: str, content: Any) -> None:
    _dump_yaml(data_dir, file, content)

    exc = _load_failure(data_dir)

    assert (exc.file, exc.entry) == (file, "-")
    assert "must be a list of entries" in str(exc)


def test_round_tripped_copy_still_loads(data_dir: Path) -> None:
    """The mutation helpers re-dump YAML; an unchanged re-dump must load, so failures above are the mutation's."""
    for file in DATA_FILES:
        _edit(data_dir, file, lambda entries: "")

    cat = load_catalog(data_dir)

    assert cat.muscles.keys() == load_catalog(DATA_DIR).muscles.keys()


# --- the shipped data -----------------------------------------------------------------------------

# Muscles the reference material (section 6) requires, as ids in the shipped muscles.yaml.
REFERENCE_MUSCLES = {
    "upper trapezius": ["upper_trapezius"],
    "middle trapezius": ["middle_trapezius"],
    "lower trapezius": ["lower_trapezius"],
    "levator scapulae": ["levator_scapulae"],
    "SCM heads": ["scm_sternal", "scm_clavicular"],
    "scalenes": ["scalenes"],
    "splenius capitis": ["splenius_capitis"],
    "splenius cervicis": ["splenius_cervicis"],
    "suboccipitals": ["suboccipitals"],
    "masseter": ["masseter"],
    "temporalis": ["temporalis"],
    "supraspinatus": ["supraspinatus"],
    "infraspinatus": ["infraspinatus"],
    "deltoid": ["deltoid"],
    "pectoralis major": ["pectoralis_major"],
    "pectoralis minor": ["pectoralis_minor"],
    "rhomboids": ["rhomboids"],
    "serratus anterior": ["serratus_anterior"],
    "latissimus dorsi": ["latissimus_dorsi"],
    "biceps": ["biceps_brachii"],
    "triceps": ["triceps_brachii"],
    "wrist extensors": ["extensor_carpi_radialis", "extensor_carpi_ulnaris"],
    "iliocostalis": ["iliocostalis_thoracis", "iliocostalis_lumborum"],
    "longissimus": ["longissimus_thoracis"],
    "multifidus": ["cervical_multifidus", "thoracic_multifidus", "lumbar_multifidus"],
    "quadratus lumborum": ["quadratus_lumborum"],
    "gluteus maximus": ["gluteus_maximus"],
    "gluteus medius": ["gluteus_medius"],
    "gluteus minimus": ["gluteus_minimus"],
    "piriformis": ["piriformis"],
    "TFL": ["tensor_fasciae_latae"],
    "hamstrings": ["biceps_femoris", "medial_hamstrings"],
    "quadriceps heads": ["rectus_femoris", "vastus_lateralis", "vastus_medialis", "vastus_intermedius"],
    "adductors": ["adductor_longus_brevis", "adductor_magnus"],
    "iliopsoas": ["iliacus", "psoas_major"],
    "gastrocnemius": ["gastrocnemius"],
    "soleus": ["soleus"],
    "tibialis anterior": ["tibialis_anterior"],
    "fibularis": ["fibularis_longus_brevis"],
    "rectus abdominis": ["rectus_abdominis_upper", "rectus_abdominis_lower"],
}


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog(DATA_DIR)


def _coordinates(path: str) -> list[tuple[float, float]]:
    """The (x, y) points of an absolute 'M ... Z' path (commands M, L, C, Q take x y pairs)."""
    numbers: list[float] = []
    for token in path.split():
        if token.isalpha():
            assert len(numbers) % 2 == 0, f"odd number of coordinates before {token!r} in {path[:40]}"
            continue
        numbers.append(float(token))
    assert len(numbers) % 2 == 0, f"odd number of coordinates in {path[:40]}"
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def test_shipped_data_loads(shipped: Catalog) -> None:
    assert shipped.muscles and shipped.regions and shipped.sources and shipped.structures and shipped.vignettes


def test_shipped_atlas_and_body_map_sizes(shipped: Catalog) -> None:
    assert len(shipped.muscles) >= 60
    assert len(shipped.muscles) == 100 and len(shipped.base_regions) == 70
    assert len(shipped.regions) == 136  # 66 sided regions x 2 + 4 midline


def test_every_muscle_cites_a_registered_source_for_each_fact_group(shipped: Catalog) -> None:
    missing = {
        muscle.id: [key for key in MUSCLE_SOURCE_KEYS if muscle.sources.get(key) not in shipped.sources]
        for muscle in shipped.muscles.values()
    }
    assert {muscle: keys for muscle, keys in missing.items() if keys} == {}
    unsourced_guidance = [m.id for m in shipped.muscles.values() for g in m.depth_guidance if g.source not in shipped.sources]
    assert unsourced_guidance == []


def test_every_region_is_referred_to_or_marked_not_a_target(shipped: Catalog) -> None:
    referred = {base for m in shipped.muscles.values() for base in (*m.essential, *m.spillover, *m.contralateral)}
    uncovered = [region.id for region in shipped.regions.values() if region.referral_target and region.base not in referred]
    assert uncovered == []


def test_mirrored_left_shapes_stay_within_the_view_box(shipped: Catalog) -> None:
    outside = []
    for region in shipped.regions.values():
        if region.side != "l":
            continue
        right = shipped.regions[f"{region.base}_r"]
        for view, paths in region.shapes.items():
            assert len(paths) == len(right.shapes[view])
            for left_path, right_path in zip(paths, right.shapes[view], strict=True):
                left_points, right_points = _coordinates(left_path), _coordinates(right_path)
                assert [(round(VIEW_BOX_WIDTH - x, 1), y) for x, y in right_points] == [(round(x, 1), y) for x, y in left_points]
                outside += [(region.id, view, x, y) for x, y in left_points if not (0 <= x <= VIEW_BOX_WIDTH and 0 <= y <= VIEW_BOX_HEIGHT)]
    assert outside == []


def test_shipped_shapes_are_closed_paths(shipped: Catalog) -> None:
    pattern = re.compile(r"^M .*Z$")
    assert all(pattern.match(path) for region in shipped.regions.values() for paths in region.shapes.values() for path in paths)


@pytest.mark.parametrize("reference_name", REFERENCE_MUSCLES)
def test_reference_muscle_is_in_the_atlas(shipped: Catalog, reference_name: str) -> None:
    missing = [muscle_id for muscle_id in REFERENCE_MUSCLES[reference_name] if muscle_id not in shipped.muscles]
    assert missing == []


@pytest.mark.parametrize(
    "file, mutate, fragment",
    [
        ("muscles.yaml", lambda entries: entries[0].__setitem__("sources", ["not", "a", "mapping"]), "wrong type"),
        ("regions.yaml", lambda entries: entries[0].__setitem__("shapes", ["M 1 1 Z"]), "wrong type"),
        ("muscles.yaml", lambda entries: entries[0].__setitem__("referral", "temple"), "wrong type"),
    ],
    ids=["sources-as-list", "shapes-as-list", "referral-as-string"],
)
def test_fields_of_the_wrong_type_are_named_errors_not_crashes(tmp_path, file, mutate, fragment):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    entries = yaml.safe_load((data / file).read_text(encoding="utf-8"))
    mutate(entries)
    (data / file).write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeDataError) as error:
        load_catalog(data)
    assert error.value.file == file and error.value.entry == entries[0]["id"] and fragment in str(error.value)


def test_a_region_that_is_no_referral_target_must_say_why(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    entries = yaml.safe_load((data / "regions.yaml").read_text(encoding="utf-8"))
    entries[0]["referral_target"] = False
    entries[0].pop("note", None)
    (data / "regions.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeDataError, match="needs a 'note'"):
        load_catalog(data)
