"""Online booking's short pre-check: a few of the intake's own questions, read by the screening rules.

An answer that blocks all needling (the clinic's rule settings apply) turns a needling booking into
the clinic's assessment type (``booking_make``); ``blocking_reasons`` tells the patient why, in
the words of the question and their answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from needlechart.knowledge.treatment import Question, treatment_catalog
from needlechart.screening.rules import Suitability, evaluate
from needlechart.screening.selectors import rule_adjustments

# The intake questions the pre-check asks (their texts and options as the intake has them).
PRECHECK_QUESTIONS = ("pregnant", "medications", "medical_conditions", "implants", "needle_fear", "wants_needling")
# What "None of these apply to me" answers, question by question (the form's label and hint say so).
NOTHING_TO_DECLARE: dict[str, Any] = {
    "pregnant": "no",
    "medications": ["none"],
    "medical_conditions": ["none"],
    "implants": ["none"],
    "needle_fear": "none",
    "wants_needling": "yes",
}


def precheck_questions() -> list[Question]:
    cat = treatment_catalog()
    return [cat.questions[qid] for qid in PRECHECK_QUESTIONS if qid in cat.questions]


def precheck_result(clinic_id: uuid.UUID, answers: Mapping[str, Any]) -> Suitability:
    return evaluate(answers, adjustments=rule_adjustments(clinic_id))


def blocking_reasons(result: Suitability, answers: Mapping[str, Any], language: str) -> list[str]:
    """What the patient told us that rules needling out, in their words (the question and answer)."""
    cat = treatment_catalog()
    reasons: list[str] = []
    for finding in result.findings:
        if not finding.blocks_everywhere:
            continue
        question_id = finding.rule.when.get("question") if isinstance(finding.rule.when, Mapping) else None
        question = cat.questions.get(question_id) if question_id else None
        if question is None:
            continue
        given = answers.get(question.id)
        values = given if isinstance(given, list) else [given]
        labels = [label.get(language) for v in values if (label := question.option_label(str(v)))]
        text = f"{question.label.get(language)} {', '.join(labels)}".strip()
        if text not in reasons:
            reasons.append(text)
    return reasons
