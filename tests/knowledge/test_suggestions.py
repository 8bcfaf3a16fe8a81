"""The suggestion engine against clinical vignettes written from published referral patterns."""

from __future__ import annotations

from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.suggest import suggest_muscles, suggest_paraspinals


def _rank(vignette) -> int | None:
    """The place (1-based) of the first expected muscle on the vignette's side, or None outside the top 10."""
    top = suggest_muscles(vignette.pain_map(), limit=10)
    return next((i for i, s in enumerate(top, 1) if s.muscle.id in vignette.expected and s.side == vignette.side), None)


def test_vignettes_find_the_expected_muscle_in_the_top_five_every_time():
    vignettes = list(catalog().vignettes.values())
    assert len(vignettes) >= 80
    ranks = {v.id: _rank(v) for v in vignettes}
    within = {n: sum(1 for r in ranks.values() if r is not None and r <= n) for n in (1, 3, 5)}
    misses = {v: r for v, r in ranks.items() if r is None or r > 5}
    print(
        f"\nvignette accuracy over {len(vignettes)}: "
        + ", ".join(f"top-{n} {hits}/{len(vignettes)} = {hits / len(vignettes):.1%}" for n, hits in within.items())
        + f"; outside the top 5: {misses}"
    )
    assert misses == {}


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
