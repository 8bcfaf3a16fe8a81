"""The suggestion engine against clinical vignettes written from published referral patterns."""

from __future__ import annotations

from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.suggest import suggest_muscles, suggest_paraspinals


def test_vignettes_find_the_expected_muscle_in_the_top_five_at_least_90_percent_of_the_time():
    vignettes = list(catalog().vignettes.values())
    assert len(vignettes) >= 30
    hits, misses = 0, []
    for vignette in vignettes:
        top = suggest_muscles(vignette.pain_map(), limit=5)
        if any(s.muscle.id in vignette.expected and s.side == vignette.side for s in top):
            hits += 1
        else:
            misses.append((vignette.id, vignette.expected, [(s.muscle.id, s.side) for s in top]))
    accuracy = hits / len(vignettes)
    print(f"\ntop-5 vignette accuracy: {hits}/{len(vignettes)} = {accuracy:.1%}; misses: {misses}")
    assert accuracy >= 0.9, misses


def test_essential_zones_outweigh_spillover_and_intensity_counts():
    # upper trapezius: temple is essential; eye is spillover for it
    essential = suggest_muscles({"temple_r": 6}, limit=50)
    spill = suggest_muscles({"eye_r": 6}, limit=50)
    score = {(s.muscle.id, s.side): s.score for s in essential}
    spill_score = {(s.muscle.id, s.side): s.score for s in spill}
    assert score[("upper_trapezius", "r")] > spill_score[("upper_trapezius", "r")]
    louder = suggest_muscles({"temple_r": 9, "lumbar_r": 2}, limit=50)
    quieter = suggest_muscles({"temple_r": 2, "lumbar_r": 9}, limit=50)
    rank = lambda result, m: [s.muscle.id for s in result].index(m)  # noqa: E731
    assert rank(louder, "temporalis") < rank(quieter, "temporalis")


def test_each_suggestion_says_what_it_explains_and_what_it_leaves_unexplained():
    pain = {"temple_r": 7, "neck_back_r": 5, "heel_l": 4}
    best = suggest_muscles(pain, limit=1)[0]
    assert best.muscle.id == "upper_trapezius" and best.side == "r"
    assert set(best.explained) == {"temple_r", "neck_back_r"}
    assert best.unexplained == ("heel_l",)


def test_sides_follow_the_painful_side_and_midline_regions_count_for_both():
    assert suggest_muscles({"buttock_l": 6, "sacroiliac_l": 4}, limit=1)[0].side == "l"
    both_sides = {s.side for s in suggest_muscles({"sacrum": 6}, limit=10)}
    assert both_sides == {"l", "r"}


def test_an_empty_or_unknown_pain_map_suggests_nothing():
    assert suggest_muscles({}) == []
    assert suggest_muscles({"temple_r": 0}) == []
    assert suggest_muscles({"no_such_region": 5}) == []


def test_gunn_ims_adds_the_paraspinals_at_the_segments_supplying_the_pain():
    segmental = suggest_paraspinals({"lumbar_r": 6, "thigh_front_r": 4})
    lumbar = next(s for s in segmental if s.muscle.id == "lumbar_multifidus")
    assert lumbar.side == "r"
    assert {"L2", "L3"} & set(lumbar.segments)
    assert all(s.side == "r" for s in segmental)
    neck = suggest_paraspinals({"occiput_l": 5})
    assert [(s.muscle.id, s.side) for s in neck] == [("cervical_multifidus", "l")]
