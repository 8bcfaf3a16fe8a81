"""Pure safety logic: trigger-point classification, warnings, needle reconciliation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import Match
from needlechart.needling.checks import Planned, classify_trigger_point, matches, reconciliation_problem, safety_nets_for, safety_warnings
from needlechart.screening.rules import evaluate

M = catalog().muscles


def test_delphi_needs_two_of_the_essential_three_and_recognition_makes_it_active():
    assert classify_trigger_point(taut_band=True, tender_spot=True, referred_pain=False, recognised=True) == "active"
    assert classify_trigger_point(taut_band=True, tender_spot=False, referred_pain=True, recognised=False) == "latent"
    assert classify_trigger_point(taut_band=True, tender_spot=False, referred_pain=False, recognised=True) == "none"


@given(
    needles_in=st.integers(0, 200),
    needles_out=st.one_of(st.none(), st.integers(0, 200)),
    search=st.text(max_size=20),
    outcome=st.sampled_from(["", "found", "not_found"]),
)
def test_reconciliation_settles_only_when_counts_match_or_a_mismatch_is_documented(needles_in, needles_out, search, outcome):
    problem = reconciliation_problem(needles_in=needles_in, needles_out=needles_out, search=search, outcome=outcome)
    settled = needles_in == 0 or needles_out == needles_in or (needles_out is not None and bool(search.strip()) and bool(outcome))
    assert (problem is None) == settled


def test_thorax_muscles_warn_about_the_pleura_with_the_published_depth_figures():
    warnings = safety_warnings([Planned(M["rhomboids"], "r")], None)
    text = " ".join(w.message for w in warnings)
    assert "pneumothorax" in text and ("BMI" in text or "mm" in text)


def test_both_sides_of_the_thorax_in_one_session_warn():
    one = safety_warnings([Planned(M["upper_trapezius"], "r")], None)
    both = safety_warnings([Planned(M["upper_trapezius"], "r"), Planned(M["upper_trapezius"], "l")], None)
    assert not any("Both sides" in w.message for w in one)
    assert any("Both sides" in w.message for w in both)


def test_anticoagulants_warn_at_deep_sites_only():
    suitability = evaluate({"medications": ["warfarin"]})
    deep = safety_warnings([Planned(M["gluteus_maximus"], "r")], suitability)
    shallow = safety_warnings([Planned(M["first_dorsal_interosseous"], "r")], suitability)
    rule_message = next(f for f in suitability.findings if f.rule.id == "anticoagulants").rule.session_message.en
    # the warning says why, from the muscle's data: bleeding under gluteus maximus cannot be pressed
    assert any(w.level == "warn" and w.message.startswith(rule_message) and "inferior gluteal vessels" in w.message for w in deep)
    assert not any(w.message.startswith(rule_message) for w in shallow)


def test_lymphoedema_blocks_needling_of_the_affected_limb_side_only():
    suitability = evaluate({"lymphoedema_limbs": ["left_arm"]})
    arm = M["biceps_brachii"]
    assert any(w.level == "block" for w in safety_warnings([Planned(arm, "l")], suitability))
    assert not any(w.level == "block" for w in safety_warnings([Planned(arm, "r")], suitability))


def test_an_absolute_contraindication_blocks_every_muscle():
    warnings = safety_warnings([Planned(M["gluteus_medius"], "r")], evaluate({"needle_fear": "severe"}))
    assert warnings[0].level == "block"


def test_matches_respects_groups_structures_and_side():
    gmed = Planned(M["gluteus_medius"], "r")
    assert matches(Match("groups_any", ("hip",)), gmed) or matches(Match("groups_any", ("low_back",)), gmed)
    assert not matches(Match("groups_any", ("head",)), gmed)
    assert not matches(Match("thorax"), gmed)
    assert not matches(Match("groups_any", ("hip", "low_back", "thigh"), "l"), gmed)


def test_safety_netting_is_added_from_what_was_done():
    thorax = [n.id for n in safety_nets_for([Planned(M["upper_trapezius"], "r")], estim=False, anticoagulants=False)]
    leg = [n.id for n in safety_nets_for([Planned(M["gluteus_medius"], "r")], estim=True, anticoagulants=True)]
    assert "pneumothorax_signs" in thorax and "pneumothorax_signs" not in leg
    assert len(leg) > len([n for n in leg if n == "pneumothorax_signs"])
    assert safety_nets_for([], estim=False, anticoagulants=False) == []
