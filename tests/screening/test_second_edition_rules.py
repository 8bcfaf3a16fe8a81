"""The second edition of the screening rules (issue 13): each new or regraded rule fires for the
answers that meet it, stays quiet for a well patient, and has the grading and site it should."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from needlechart.knowledge.treatment import treatment_catalog
from needlechart.screening.rules import clean_answers, evaluate
from tests.screening.test_intake_pages import healthy_answers

WELL = {**healthy_answers(), "able_to_consent": "yes"}


def well_patient(**changes: Any) -> dict[str, Any]:
    """A well patient's answers, validated like a staff intake, with some answers changed."""
    return clean_answers({**WELL, **changes}, staff=True)


def finding(answers: dict[str, Any], rule_id: str):
    return next((f for f in evaluate(answers).findings if f.rule.id == rule_id), None)


# rule id -> (answers that meet it, severity, level of its session check or None)
CASES: dict[str, tuple[dict[str, Any], str, str | None]] = {
    "intoxicated": ({"intoxicated": "yes"}, "absolute", None),
    "recent_surgery": (
        {"recent_surgery": "yes", "surgery_details": "New knee", "surgery_when": "weeks_6_to_12", "surgery_areas": ["left_thigh_knee"]},
        "relative",
        "warn",
    ),
    "recent_trunk_surgery": (
        {"recent_surgery": "yes", "surgery_details": "Gallbladder", "surgery_when": "within_6_weeks", "surgery_areas": ["abdomen"]},
        "absolute",
        "block",
    ),
    "pregnancy": ({"sex_at_birth": "female", "pregnant": "yes", "pregnancy_trimester": "second"}, "relative", "block"),
    "pregnancy_first_trimester": ({"sex_at_birth": "female", "pregnant": "yes", "pregnancy_trimester": "first"}, "relative", "block"),
    "pregnancy_estim": ({"sex_at_birth": "female", "pregnant": "yes", "pregnancy_trimester": "third"}, "precaution", "warn"),
    "limb_at_risk_left_arm": ({"lymph_nodes_treated": ["left_armpit"]}, "relative", "warn"),
    "limb_at_risk_right_arm": ({"lymph_nodes_treated": ["right_armpit"]}, "relative", "warn"),
    "limb_at_risk_left_leg": ({"lymph_nodes_treated": ["left_groin"]}, "relative", "warn"),
    "limb_at_risk_right_leg": ({"lymph_nodes_treated": ["right_groin"]}, "relative", "warn"),
    "lymphoedema_left_arm": ({"medical_conditions": ["lymphoedema"], "lymphoedema_limbs": ["left_arm"]}, "absolute", "block"),
    "lymphoedema_elsewhere": (
        {"medical_conditions": ["lymphoedema"], "lymphoedema_limbs": ["elsewhere"], "lymphoedema_areas": ["chest_right"]},
        "absolute",
        "block",
    ),
    "pacemaker_estim": ({"implants": ["pacemaker"]}, "absolute", "block"),
    "electronic_implant_estim": ({"implants": ["other_electronic"], "implant_areas": ["low_back_left"]}, "precaution", "warn"),
    "metal_implant_estim": ({"implants": ["joint_replacement"], "implant_areas": ["right_hip"]}, "precaution", "warn"),
    "skin_infection": ({"skin_at_site": ["skin_infection"], "skin_infection_areas": ["left_arm"]}, "absolute", "block"),
    "skin_condition": ({"skin_at_site": ["skin_condition"], "skin_condition_areas": ["upper_back_right"]}, "absolute", "block"),
    "recent_wound": ({"skin_at_site": ["wound"], "wound_areas": ["abdomen"]}, "absolute", "block"),
    "varicose_veins": ({"skin_at_site": ["varicose_veins"], "varicose_vein_areas": ["left_lower_leg"]}, "absolute", "block"),
}


@pytest.mark.parametrize("rule_id", CASES)
def test_each_new_or_regraded_rule_fires_with_its_grading(rule_id):
    changes, severity, level = CASES[rule_id]
    found = finding(well_patient(**changes), rule_id)
    assert found is not None, rule_id
    assert found.severity == severity
    if level is None:
        assert found.rule.session_match is None and found.blocks_everywhere
    else:
        assert found.sites and found.level == level


@pytest.mark.parametrize("rule_id", CASES)
def test_each_new_or_regraded_rule_stays_quiet_for_a_well_patient(rule_id):
    assert finding(well_patient(), rule_id) is None
    assert finding(well_patient(sex_at_birth="female", pregnant="no"), rule_id) is None


def test_a_well_patient_is_suitable_apart_from_the_never_needle_sites():
    result = evaluate(well_patient())
    assert result.status == "precautions"
    assert {f.severity for f in result.findings} == {"precaution"}
    assert all("always" in f.rule.when for f in result.findings)


def test_the_retired_electrical_implant_rule_is_split_by_device():
    rules = treatment_catalog().rules
    assert "electrical_implant" not in rules
    assert finding(well_patient(implants=["pacemaker"]), "electronic_implant_estim") is None
    assert finding(well_patient(implants=["other_electronic"], implant_areas=["abdomen"]), "pacemaker_estim") is None


def test_the_first_trimester_rule_also_covers_a_possible_pregnancy_but_not_later_ones():
    assert finding(well_patient(sex_at_birth="female", pregnant="possibly"), "pregnancy_first_trimester") is not None
    assert finding(well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="second"), "pregnancy_first_trimester") is None


def test_a_pregnancy_restricts_needling_instead_of_only_asking_for_reasoning():
    result = evaluate(well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="second"))
    assert result.status == "restricted" and result.needs_reasoning and not result.blocks_all_needling


def test_lymph_node_treatment_with_lymphoedema_in_that_arm_is_absolute_not_relative():
    answers = well_patient(medical_conditions=["lymphoedema"], lymphoedema_limbs=["left_arm"], lymph_nodes_treated=["left_armpit"])
    assert finding(answers, "lymphoedema_left_arm") is not None
    assert finding(answers, "limb_at_risk_left_arm") is None


def test_trunk_surgery_is_absolute_only_in_the_first_six_weeks_and_only_at_the_trunk():
    early = {"recent_surgery": "yes", "surgery_details": "x", "surgery_when": "within_6_weeks"}
    assert finding(well_patient(**early, surgery_areas=["left_thigh_knee"]), "recent_trunk_surgery") is None
    assert finding(well_patient(**{**early, "surgery_when": "weeks_6_to_12"}, surgery_areas=["abdomen"]), "recent_trunk_surgery") is None
    both = finding(well_patient(**early, surgery_areas=["abdomen", "left_thigh_knee"]), "recent_trunk_surgery")
    assert both is not None and [s.values for s in both.sites] == [("abdomen",)]  # the knee is relative, not blocked


def test_site_scoped_rules_carry_the_areas_the_patient_ticked():
    found = finding(well_patient(skin_at_site=["wound"], wound_areas=["left_arm", "right_thigh_knee"]), "recent_wound")
    assert found is not None
    assert {(s.values, s.side) for s in found.sites} == {(("shoulder", "arm", "hand"), "l"), (("thigh", "knee"), "r")}
    assert evaluate(well_patient(skin_at_site=["wound"], wound_areas=["left_arm"])).status == "restricted"


def test_a_site_scoped_absolute_rule_without_its_area_blocks_all_needling():
    """An intake from before the area questions: we do not know where, so nowhere is safe."""
    result = evaluate({"skin_at_site": ["skin_infection"]})
    found = next(f for f in result.findings if f.rule.id == "skin_infection")
    assert found.site_unknown and found.blocks_everywhere and result.status == "blocked"


def test_the_metal_implant_check_concerns_electrical_stimulation_in_the_implant_area_only():
    found = finding(well_patient(implants=["joint_replacement"], implant_areas=["right_hip"]), "metal_implant_estim")
    assert found is not None and all(s.estim for s in found.sites)


def test_intoxication_holds_for_the_day_it_was_answered_only():
    answers = well_patient(intoxicated="yes")
    today = dt.date(2026, 3, 2)
    assert evaluate(answers, answered_on=today, on=today).status == "blocked"
    assert finding(answers, "intoxicated") is not None  # without dates: as answered
    assert "intoxicated" not in {f.rule.id for f in evaluate(answers, answered_on=today, on=today + dt.timedelta(days=1)).findings}
    assert treatment_catalog().questions["intoxicated"].for_the_day and treatment_catalog().questions["intoxicated"].staff_only


def test_a_clinic_that_regrades_a_blocking_pregnancy_check_gets_the_level_of_its_own_severity():
    answers = well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="second")
    relaxed = next(f for f in evaluate(answers, adjustments={"pregnancy": "precaution"}).findings if f.rule.id == "pregnancy")
    assert relaxed.level == "info"


def test_rules_on_unverified_sources_are_marked_and_hard_verified_rules_are_not():
    rules = treatment_catalog().rules
    assert rules["limb_at_risk_left_arm"].unverified and rules["recent_trunk_surgery"].unverified
    assert rules["pregnancy_first_trimester"].unverified
    assert not rules["pacemaker_estim"].unverified and not rules["lymphoedema_left_arm"].unverified
