"""Every shipped suitability rule fires for answers that meet it, and only then."""

from __future__ import annotations

from typing import Any

import pytest

from needlechart.knowledge.treatment import treatment_catalog
from needlechart.screening.rules import AnswerError, clean_answers, condition_holds, evaluate

RULES = list(treatment_catalog().rules.values())


def _satisfying(condition: dict[str, Any]) -> dict[str, Any]:
    """Answers that make a condition true (first branch of any/all, built from the condition itself)."""
    if "always" in condition:
        return {}
    if "all" in condition:
        answers: dict[str, Any] = {}
        for part in condition["all"]:
            for key, value in _satisfying(part).items():
                answers[key] = sorted({*answers.get(key, []), *value}) if isinstance(value, list) else value
        return answers
    if "any" in condition:
        return _satisfying(condition["any"][0])
    if "not" in condition:
        return {}
    question = condition["question"]
    if "is" in condition:
        return {question: condition["is"]}
    if "equals" in condition:
        return {question: condition["equals"]}
    if "in" in condition:
        return {question: condition["in"][0]}
    if "includes" in condition:
        return {question: [condition["includes"]]}
    if "at_least" in condition:
        return {question: condition["at_least"]}
    return {question: condition["at_most"]}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_fires_when_its_condition_is_met(rule):
    answers = _satisfying(rule.when)
    assert condition_holds(rule.when, answers), answers
    finding = next(f for f in evaluate(answers).findings if f.rule.id == rule.id)
    assert finding.severity == rule.severity
    assert rule.message.en and rule.message.nb and rule.source


@pytest.mark.parametrize("rule", [r for r in RULES if "always" not in r.when], ids=[r.id for r in RULES if "always" not in r.when])
def test_each_rule_stays_quiet_for_a_healthy_patient(rule):
    healthy = {
        "age": 40,
        "sex_at_birth": "male",
        "unwell_today": False,
        "red_flags": ["none"],
        "medical_conditions": ["none"],
        "medications": ["none"],
        "allergies": ["none"],
        "wants_needling": "yes",
        "needle_fear": "none",
        "able_to_consent": True,
    }
    healthy = {k: v for k, v in healthy.items() if k in treatment_catalog().questions}
    assert rule.id not in {f.rule.id for f in evaluate(healthy).findings}


def test_an_absolute_rule_without_a_body_area_blocks_all_needling():
    result = evaluate({"needle_fear": "severe"})
    assert result.status == "blocked" and result.blocks_all_needling


def test_lymphoedema_blocks_only_the_affected_limb():
    result = evaluate({"lymphoedema_limbs": ["left_arm"]})
    assert result.status == "restricted" and not result.blocks_all_needling
    finding = next(f for f in result.findings if f.rule.id == "lymphoedema_left_arm")
    assert finding.rule.session_match.side == "l" and "arm" in finding.rule.session_match.values


def test_anticoagulants_are_relative_and_warn_about_deep_sites():
    finding = next(f for f in evaluate({"medications": ["warfarin"]}).findings if f.rule.id == "anticoagulants")
    assert finding.severity == "relative" and finding.rule.session_match.kind == "deep"


def test_a_clinic_can_change_a_severity_or_switch_a_rule_off():
    assert evaluate({"medications": ["warfarin"]}, adjustments={"anticoagulants": "precaution"}).status in ("precautions", "relative")
    assert "anticoagulants" not in {
        f.rule.id for f in evaluate({"medications": ["warfarin"]}, adjustments={"anticoagulants": None}).findings
    }


def test_answers_are_validated_and_hidden_questions_dropped():
    with pytest.raises(AnswerError) as error:
        clean_answers({"age": "abc", "needle_fear": "terrified", "red_flags": ["none", "fever"]}, staff=False)
    assert {"age", "needle_fear", "red_flags", "main_complaint"} <= set(error.value.errors)
    filled = minimal_valid_answers()
    filled["sex_at_birth"] = "male"
    filled["pregnant"] = "yes"  # hidden for this patient: must be dropped
    answers = clean_answers(filled, staff=False)
    assert "pregnant" not in answers and answers["age"] == 40
    assert not any(q.staff_only for q in treatment_catalog().questions.values() if q.id in answers)


def minimal_valid_answers() -> dict[str, Any]:
    """Form-style answers to every required question, the mildest option each."""
    raw: dict[str, Any] = {}
    for question in treatment_catalog().questions.values():
        if question.type == "boolean":
            raw[question.id] = "no"
        elif question.type == "choice":
            values = [v for v, _ in question.options]
            raw[question.id] = next((v for v in ("none", "no", "yes", "male") if v in values), values[0])
        elif question.type == "multichoice":
            raw[question.id] = ["none"] if question.option_label("none") else []
        elif question.type == "number":
            raw[question.id] = "40"
        else:
            raw[question.id] = "Neck pain for three weeks"
    return raw


@pytest.mark.parametrize("age", ["-1", "121", "nan", "1e9"])
def test_numbers_out_of_range_are_refused(age):
    with pytest.raises(AnswerError) as error:
        clean_answers({"age": age}, staff=False)
    assert "age" in error.value.errors
