"""The atlas's second edition (issue 13): the structures, patterns, regions and muscles it adds or
corrects, the body map still tiling with the new regions, and the suggestion engine's tie-break and
segmental (Gunn) list. No database is needed."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from needlechart.knowledge.atlas_records import PREVALENCE_WEIGHTS, Catalog
from needlechart.knowledge.catalog import MUSCLE_SOURCE_KEYS, catalog, unverified_facts
from needlechart.knowledge.suggest import suggest_muscles, suggest_paraspinals

C = catalog()
M = C.muscles

# --- structures at risk ---------------------------------------------------------------------------

STRUCTURES_BY_MUSCLE = {
    "scalenes": {"phrenic_nerve", "subclavian_vessels"},
    "masseter": {"parotid_duct", "facial_nerve_branches", "facial_arteries"},
    "lateral_pterygoid": {"maxillary_artery", "pterygoid_venous_plexus"},
    "serratus_anterior": {"long_thoracic_nerve"},
    "pectoralis_minor": {"axillary_vessels"},
    "iliacus": {"lateral_femoral_cutaneous_nerve"},
    "gluteus_medius": {"superior_gluteal_nerve", "superior_gluteal_vessels"},
    "gluteus_minimus": {"superior_gluteal_nerve", "superior_gluteal_vessels"},
    "piriformis": {"superior_gluteal_vessels", "inferior_gluteal_vessels", "pudendal_nerve"},
    "lumbar_multifidus": {"dura_nerve_roots"},
    "first_dorsal_interosseous": {"radial_artery"},
}


@pytest.mark.parametrize("muscle_id", STRUCTURES_BY_MUSCLE)
def test_the_structures_at_risk_that_were_missing_are_listed(muscle_id):
    assert STRUCTURES_BY_MUSCLE[muscle_id] <= set(M[muscle_id].structures_at_risk)
    # each with a source (its own or the muscle's risks source)
    assert all(r.source in C.sources for r in M[muscle_id].risks)


def test_the_pterygoid_plexus_and_the_deep_vessels_are_non_compressible_structures():
    for structure in ("pterygoid_venous_plexus", "maxillary_artery", "subclavian_vessels", "superior_gluteal_vessels"):
        assert C.structures[structure].non_compressible, structure
    for structure in ("phrenic_nerve", "parotid_duct", "long_thoracic_nerve"):
        assert not C.structures[structure].non_compressible, structure


# --- corrected patterns ----------------------------------------------------------------------------


def test_quadratus_lumborum_lies_over_the_pleura_at_rib_12_and_reaches_the_kidney_to_l3():
    ql = M["quadratus_lumborum"]
    assert ql.thorax and {"pleura_lung", "kidney"} <= set(ql.structures_at_risk)
    assert "L3" in ql.position.en and "below the level of L2" not in ql.position.en
    assert {"iliac_crest", "sacroiliac", "buttock", "hip_lateral"} <= set(ql.essential)
    assert {"abdomen_lower", "thigh_lateral"} <= set(ql.spillover)


def test_scalenes_refer_to_the_back_of_the_upper_arm():
    assert "upper_arm_back" in M["scalenes"].essential


def test_gluteus_medius_belt_line_and_sacrum_are_essential_the_upper_thigh_spillover():
    gmed = M["gluteus_medius"]
    assert {"iliac_crest", "sacrum"} <= set(gmed.essential)
    assert "thigh_back" in gmed.spillover and "thigh_back" not in gmed.essential


def test_gluteus_minimus_has_an_anterior_and_a_posterior_pattern():
    patterns = {p.id: p for p in M["gluteus_minimus"].patterns}
    assert set(patterns) == {"anterior", "posterior"}
    assert {"thigh_lateral", "leg_lateral"} <= set(patterns["anterior"].essential)
    assert {"thigh_back", "calf"} <= set(patterns["posterior"].essential)
    assert not {"thigh_back", "calf"} & set(patterns["anterior"].essential + patterns["anterior"].spillover)
    assert all(p.name and p.name.en and p.name.nb for p in patterns.values())


def test_the_engine_ranks_the_gluteus_minimus_patterns_separately():
    lateral = {"thigh_lateral_r": 6, "leg_lateral_r": 5, "knee_lateral_r": 4}
    posterior = {"thigh_back_r": 6, "calf_r": 5, "buttock_r": 5}
    first = next(s for s in suggest_muscles(lateral, limit=20) if s.muscle.id == "gluteus_minimus")
    second = next(s for s in suggest_muscles(posterior, limit=20) if s.muscle.id == "gluteus_minimus")
    assert first.pattern is not None and first.pattern.id == "anterior"
    assert second.pattern is not None and second.pattern.id == "posterior"
    # scored on its own pattern: all the lateral pain is the anterior part's, none of it the posterior part's
    assert set(first.explained) == set(lateral) and not first.unexplained
    # a muscle is listed once per side even when both its patterns match
    both = suggest_muscles({**lateral, **posterior}, limit=50)
    assert len([s for s in both if s.muscle.id == "gluteus_minimus" and s.side == "r"]) == 1


def test_gastrocnemius_medial_head_refers_mainly_to_the_instep():
    medial = next(p for p in M["gastrocnemius"].patterns if p.id == "medial_head")
    assert medial.essential == ("sole",)
    assert "calf" in medial.spillover


def test_tibialis_posterior_refers_mainly_to_the_achilles_tendon():
    assert M["tibialis_posterior"].essential == ("achilles",)
    assert "heel" in M["tibialis_posterior"].spillover


# --- new regions --------------------------------------------------------------------------------------

NEW_REGIONS = ("achilles", "ankle_front", "great_toe", "lesser_toes", "teeth_upper", "teeth_lower", "mastoid", "iliac_crest")
PATTERN_USES = {
    "achilles": ["soleus", "tibialis_posterior"],
    "ankle_front": ["tibialis_anterior", "extensor_hallucis_longus"],
    "great_toe": ["tibialis_anterior", "extensor_hallucis_longus", "flexor_hallucis_longus"],
    "lesser_toes": ["extensor_digitorum_longus", "foot_interossei"],
    "teeth_upper": ["temporalis", "masseter"],
    "teeth_lower": ["masseter", "digastric"],
    "mastoid": ["scm_clavicular", "upper_trapezius"],
    "iliac_crest": ["quadratus_lumborum", "gluteus_medius"],
}


def _points(path: str) -> list[tuple[float, float]]:
    numbers = [float(t) for t in path.split() if not t.isalpha()]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _area(path: str) -> float:
    points = _points(path)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True))) / 2


@pytest.mark.parametrize("base", NEW_REGIONS)
def test_each_new_region_exists_on_both_sides_named_and_drawn(base):
    drawn = C.base_regions[base]
    assert [r.side for r in drawn] == ["r", "l"]
    for region in drawn:
        assert region.name.en and region.name.nb and region.segments
        paths = [p for view in ("front", "back") for p in region.shapes[view]]
        assert paths and sum(_area(p) for p in paths) > 20  # a real shape, not a speck
    assert all(base in (*M[m].essential, *M[m].spillover) for m in PATTERN_USES[base]), PATTERN_USES[base]


@pytest.mark.parametrize(
    "base",
    sorted(
        {
            r
            for m in ("quadratus_lumborum", "scalenes", "gluteus_medius", "gluteus_minimus", "gastrocnemius", "tibialis_posterior")
            for r in (*M[m].essential, *M[m].spillover)
        }
    ),
)
def test_the_regions_of_the_corrected_patterns_exist_and_are_drawn(base):
    assert base in C.base_regions
    assert all(any(region.shapes[view] for view in ("front", "back")) for region in C.base_regions[base])


def _spans(polygon: list[tuple[float, float]], y: float) -> list[tuple[float, float]]:
    crossings = sorted(
        x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True)
        if (y1 > y) != (y2 > y)
    )
    return list(zip(crossings[::2], crossings[1::2], strict=True))


def _scan(cat: Catalog, view: str, step: float = 0.25) -> tuple[float, dict[tuple[str, str], float]]:
    """The area the view's regions cover together, and the area each pair of regions shares,
    by horizontal scan lines every ``step`` units."""
    polygons = [(region.id, _points(path)) for region in cat.regions.values() for path in region.shapes[view]]
    bounded = [(rid, poly, min(y for _, y in poly), max(y for _, y in poly)) for rid, poly in polygons]
    covered, shared = 0.0, defaultdict(float)
    y = step / 2
    while y < 480:
        spans = sorted((a, b, rid) for rid, poly, low, high in bounded if low < y < high for a, b in _spans(poly, y))
        end = float("-inf")
        for a, b, _rid in spans:
            if b > end:
                covered += (b - max(a, end)) * step
                end = b
        for (a1, b1, r1), (a2, b2, r2) in itertools.combinations(spans, 2):
            if r1 != r2 and min(b1, b2) > max(a1, a2):
                shared[tuple(sorted((r1, r2)))] += (min(b1, b2) - max(a1, a2)) * step
        y += step
    return covered, shared


# The figure's outline before the new regions were carved out of their neighbours (square units of
# the 200 x 480 view box, measured by the same scan): carving must keep it.
SILHOUETTE = {"front": 35310.6, "back": 35310.4}


@pytest.mark.parametrize("view", ("front", "back"))
def test_the_body_map_still_tiles_the_same_figure_without_overlaps(view):
    covered, shared = _scan(C, view)
    assert covered == pytest.approx(SILHOUETTE[view], rel=0.001)
    # neighbours share an edge drawn twice, never a surface (the largest was 2.1 before the new regions)
    assert max(shared.values()) < 2.5, sorted(shared.items(), key=lambda kv: -kv[1])[:3]
    new = {r.id for base in NEW_REGIONS for r in C.base_regions[base]}
    assert not [pair for pair, area in shared.items() if set(pair) & new and area > 0.5]


# --- new muscles ------------------------------------------------------------------------------------

NEW_MUSCLES = (
    "extensor_hallucis_longus",
    "digastric",
    "longus_colli",
    "sternalis",
    "anconeus",
    "extensor_indicis",
    "foot_interossei",
    "levator_ani",
)


@pytest.mark.parametrize("muscle_id", NEW_MUSCLES)
def test_each_new_muscle_is_complete(muscle_id):
    muscle = M[muscle_id]
    assert muscle.name.en and muscle.name.nb and muscle.latin.startswith("Muscul")
    assert muscle.lies_in and muscle.essential and muscle.nerves and muscle.segments
    assert muscle.position.en and muscle.position.nb and muscle.needle_length_mm
    assert set(muscle.sources) == set(MUSCLE_SOURCE_KEYS)
    assert muscle.prevalence in PREVALENCE_WEIGHTS


def test_levator_ani_is_in_the_atlas_but_not_needled_by_physiotherapists_nor_suggested():
    levator = M["levator_ani"]
    assert not levator.needled_by_physiotherapists
    assert levator.not_needled_reason and levator.not_needled_reason.text.en and levator.not_needled_reason.text.nb
    assert all(m.needled_by_physiotherapists for m in M.values() if m.id != "levator_ani")
    assert "levator_ani" not in {s.muscle.id for s in suggest_muscles({"coccyx": 8, "sacrum": 4}, limit=100)}


def test_the_digastric_has_a_pattern_for_each_belly_and_the_facial_nerve_among_its_segments():
    assert [p.id for p in M["digastric"].patterns] == ["anterior_belly", "posterior_belly"]
    assert set(M["digastric"].segments) == {"V3", "VII"}


# --- the suggestion engine ----------------------------------------------------------------------------


def _tied(pain):
    """The suggestions that share the best score with one other at least: (muscle id, weight)."""
    ranked = suggest_muscles(pain, limit=100)
    scores = [s.score for s in ranked]
    return [
        (s.muscle.id, (s.pattern or s.muscle.patterns[0]).weight)
        for s in ranked
        if scores.count(s.score) > 1 and s.score == ranked[0].score
    ]


def test_equal_scores_are_ordered_by_clinical_weight_not_by_name():
    # Pain at the front of the shoulder alone: infraspinatus, biceps, the pectorals, coracobrachialis and
    # subclavius all have it as half their essential zone and score the same. Infraspinatus, the most
    # prevalent (Bron 2011), comes first although biceps_brachii comes first by name.
    tied = _tied({"shoulder_front_r": 6})
    ids = [muscle for muscle, _ in tied]
    assert {"infraspinatus", "biceps_brachii", "subclavius"} <= set(ids)
    assert ids[0] == "infraspinatus" and ids != sorted(ids)
    weights = [weight for _, weight in tied]
    assert weights == sorted(weights, reverse=True)
    assert ids.index("biceps_brachii") < ids.index("subclavius")  # moderate before low


def test_a_tie_between_equal_weights_falls_back_to_the_muscle_id():
    tied = _tied({"shoulder_front_r": 6})
    for weight in {w for _, w in tied}:
        same = [muscle for muscle, w in tied if w == weight]
        assert same == sorted(same)


SCIATICA = {"buttock_r": 6, "thigh_back_r": 5, "calf_r": 5, "leg_lateral_r": 4, "sole_r": 3}


def test_sciatica_like_pain_yields_the_l4_l5_s1_paraspinals():
    segmental = {s.muscle.id: s for s in suggest_paraspinals(SCIATICA)}
    assert {"L4", "L5"} <= set(segmental["lumbar_multifidus"].segments)
    assert "S1" in segmental["sacral_multifidus"].segments
    assert all(s.side == "r" for s in segmental.values())


def test_the_muscles_nerve_roots_add_segments_the_skin_alone_does_not_give():
    # The buttock's skin is L1-L3 and S2-S3; the gluteal muscles lying in it are supplied by L4-S1.
    lumbar = next(s for s in suggest_paraspinals({"buttock_r": 6}) if s.muscle.id == "lumbar_multifidus")
    assert {"L4", "L5"} <= set(lumbar.segments)
    assert {"L4", "L5"} <= set(lumbar.myotomal)
    assert not {"L1", "L2", "L3"} & set(lumbar.myotomal)  # those come from the skin


# --- unverified facts --------------------------------------------------------------------------------


def test_every_unverified_fact_names_a_registered_source_and_a_known_fact():
    facts = unverified_facts()
    assert facts
    known = {*MUSCLE_SOURCE_KEYS, "segments", "depth_guidance", "non_compressible", "not_needled_reason"}
    assert all(f.source in C.sources and f.fact.split(":")[0] in known | {"structures_at_risk"} for f in facts)
    by_fact = defaultdict(int)
    for fact in facts:
        by_fact[fact.fact.split(":")[0]] += 1
    print(f"\nunverified facts: {len(facts)} {dict(by_fact)}")
    # the facts flagged in the data itself, not only through their source
    assert M["longus_colli"].is_unverified("referral") and M["sternalis"].is_unverified("innervation")
    assert M["pectoralis_minor"].non_compressible and M["pectoralis_minor"].non_compressible.unverified
