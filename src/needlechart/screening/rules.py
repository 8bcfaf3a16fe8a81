"""The suitability rules engine: intake answers in, a clear suitability result out.

Pure functions over the treatment catalogue (``knowledge.treatment``), so the same engine serves the intake pages,
the chart banner, the session safety checks and the API. Severity semantics
(docs/treatment-data.md): ``absolute`` blocks needling (only the matched muscles when the
rule names a site), ``relative`` needs the practitioner's written reasoning before a session
is signed, ``precaution`` is shown. A rule's session check warns at the level its severity gives
(block, warn, info) unless the shipped rule sets another level and the clinic kept its severity.
Where a check takes the patient's body areas (``areas_from``), the finding carries the sites the
patient ticked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from needlechart.knowledge.treatment import Match, Question, Rule, TreatmentCatalog, treatment_catalog

Answers = Mapping[str, Any]
SEVERITY_ORDER = {"absolute": 0, "relative": 1, "precaution": 2}
LEVEL_OF_SEVERITY = {"absolute": "block", "relative": "warn", "precaution": "info"}


def condition_holds(condition: Mapping[str, Any], answers: Answers) -> bool:
    if "always" in condition:
        return True
    if "all" in condition:
        return all(condition_holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, answers) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], answers)
    value = answers.get(condition["question"])
    if value is None or value == "" or value == []:
        return False
    if "is" in condition:
        return value is condition["is"]
    if "equals" in condition:
        return bool(value == condition["equals"])
    if "in" in condition:
        return value in condition["in"]
    if "includes" in condition:
        return condition["includes"] in value
    if "at_least" in condition:
        return bool(float(value) >= condition["at_least"])
    return bool(float(value) <= condition["at_most"])


def is_visible(question: Question, answers: Answers, *, staff: bool) -> bool:
    if question.staff_only and not staff:
        return False
    return question.show_if is None or condition_holds(question.show_if, answers)


class AnswerError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _clean(question: Question, raw: Any) -> Any:
    """One submitted value (strings or lists of strings from a form or JSON) as a typed answer."""
    if question.type == "multichoice":
        items = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
        values = [str(v) for v in items if str(v)]
        unknown = [v for v in values if question.option_label(v) is None]
        if unknown:
            raise ValueError(_("Choose from the options given."))
        if "none" in values and len(values) > 1:
            raise ValueError(_("“None of these” cannot be combined with other answers."))
        return sorted(set(values))
    if raw is None or raw == "" or raw == []:
        return None
    if question.type == "boolean":
        if raw in (True, "true", "yes", "1", "on"):
            return True
        if raw in (False, "false", "no", "0", "off"):
            return False
        raise ValueError(_("Answer yes or no."))
    if question.type == "choice":
        if question.option_label(str(raw)) is None:
            raise ValueError(_("Choose one of the options given."))
        return str(raw)
    if question.type == "number":
        try:
            number = float(str(raw).replace(",", "."))
        except ValueError as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not math.isfinite(number):
            raise ValueError(_("Enter a number."))
        if (question.minimum is not None and number < question.minimum) or (question.maximum is not None and number > question.maximum):
            raise ValueError(_("Enter a number from %(min)s to %(max)s.") % {"min": question.minimum, "max": question.maximum})
        return int(number) if number.is_integer() else number
    text = str(raw).strip()
    if len(text) > 2000:
        raise ValueError(_("Keep the answer under 2,000 characters."))
    return text


def clean_answers(raw: Mapping[str, Any], *, staff: bool, cat: TreatmentCatalog | None = None) -> dict[str, Any]:
    """Validate submitted answers; hidden questions are dropped, required visible ones enforced."""
    cat = cat or treatment_catalog()
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for section in cat.sections:
        for question in section.questions:
            if not is_visible(question, answers, staff=staff):
                continue
            try:
                value = _clean(question, raw.get(question.id))
            except ValueError as exc:
                errors[question.id] = str(exc)
                continue
            if value in (None, "", []):
                if question.required:
                    errors[question.id] = _("This question needs an answer.")
                continue
            answers[question.id] = value
    if errors:
        raise AnswerError(errors)
    return answers


@dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: str  # after the clinic's adjustment
    # Where the rule's session check applies: its own match, or the body areas the patient ticked
    # (``areas_from``); empty when the rule has no session check or the patient gave no area.
    sites: tuple[Match, ...] = ()

    @property
    def level(self) -> str:
        """The level of the session check's warnings: as shipped, or from the clinic's severity."""
        if self.rule.session_level and self.severity == self.rule.severity:
            return self.rule.session_level
        return LEVEL_OF_SEVERITY[self.severity]

    @property
    def blocks_everywhere(self) -> bool:
        """Absolute with no site to limit it (a site-scoped rule whose site was not given counts too)."""
        return self.severity == "absolute" and not self.sites

    @property
    def site_unknown(self) -> bool:
        """The rule checks the patient's body areas, but none were given (an older intake)."""
        match = self.rule.session_match
        return match is not None and match.kind == "areas_from" and not self.sites


@dataclass(frozen=True)
class Suitability:
    """The screening result shown at the top of the chart."""

    findings: tuple[Finding, ...]

    @property
    def blocks_all_needling(self) -> bool:
        return any(f.blocks_everywhere for f in self.findings)

    @property
    def needs_reasoning(self) -> bool:
        return any(f.severity == "relative" for f in self.findings)

    @property
    def status(self) -> str:
        if self.blocks_all_needling:
            return "blocked"
        if any(f.sites and f.level == "block" for f in self.findings):
            return "restricted"
        if self.needs_reasoning:
            return "relative"
        return "precautions" if self.findings else "suitable"

    def of(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]


def _sites(rule: Rule, answers: Answers, cat: TreatmentCatalog) -> tuple[Match, ...]:
    match = rule.session_match
    if match is None:
        return ()
    if match.kind != "areas_from":
        return (match,)
    question = cat.questions[match.values[0]]
    chosen = answers.get(question.id) or []
    sites = []
    for value in chosen if isinstance(chosen, list) else [chosen]:
        site = question.site_of(str(value))
        if site is not None and (not match.areas or value in match.areas):
            sites.append(dataclasses.replace(site, estim=match.estim) if match.estim else site)
    return tuple(sites)


def answers_for_the_day(answers: Answers, *, answered_on: dt.date, on: dt.date, cat: TreatmentCatalog | None = None) -> dict[str, Any]:
    """The answers that still hold on ``on``: those to ``for_the_day`` questions only on the day they were given."""
    cat = cat or treatment_catalog()
    if answered_on == on:
        return dict(answers)
    return {k: v for k, v in answers.items() if not (k in cat.questions and cat.questions[k].for_the_day)}


def evaluate(
    answers: Answers,
    *,
    adjustments: Mapping[str, str | None] | None = None,
    cat: TreatmentCatalog | None = None,
    answered_on: dt.date | None = None,
    on: dt.date | None = None,
) -> Suitability:
    """Apply every rule; ``adjustments`` maps rule id to a clinic's severity or None (switched off).

    With ``answered_on`` (the intake's date) and ``on`` (the day judged), answers that hold for
    their day only (intoxication) count only when the two are the same day.
    """
    cat = cat or treatment_catalog()
    adjustments = adjustments or {}
    if answered_on is not None and on is not None:
        answers = answers_for_the_day(answers, answered_on=answered_on, on=on, cat=cat)
    findings = []
    for rule in cat.rules.values():
        severity = adjustments.get(rule.id, rule.severity)
        if severity is None or not condition_holds(rule.when, answers):
            continue
        findings.append(Finding(rule, severity, _sites(rule, answers, cat)))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.rule.id))
    return Suitability(tuple(findings))


def answered_questions(answers: Answers, *, cat: TreatmentCatalog | None = None) -> Iterable[tuple[Question, Any]]:
    """The answers in questionnaire order, for display."""
    cat = cat or treatment_catalog()
    for section in cat.sections:
        for question in section.questions:
            if question.id in answers:
                yield question, answers[question.id]
