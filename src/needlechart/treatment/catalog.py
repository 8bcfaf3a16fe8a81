"""Treatment data: the intake questionnaire, suitability rules, consent texts, aftercare,
range-of-motion norms and adverse-event types (format: docs/treatment-data.md).

Loaded once and validated as it loads, like the knowledge catalogue: a rule that refers to
a question or option that does not exist, a text without its Norwegian version, a fact
without a known source, stops the load with a ``KnowledgeDataError`` naming file and entry.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from needlechart.knowledge.catalog import (
    GROUPS,
    KnowledgeDataError,
    Source,
    Text,
    bilingual,
    catalog,
    read_entries,
    read_mapping,
    wrong_types_named,
)
from needlechart.treatment.records import (
    AdverseEventType,
    Advice,
    ConsentRisk,
    ConsentVersion,
    Joint,
    Match,
    Movement,
    Question,
    Rule,
    SafetyNet,
    Section,
    TreatmentCatalog,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTION_TYPES = ("boolean", "choice", "multichoice", "number", "text")
SEVERITIES = ("absolute", "relative", "precaution")
_MATCH_KEYS = ("thorax", "deep", "groups_any", "structures_any")
_TRIGGER_KEYS = (*_MATCH_KEYS, "estim", "anticoagulants", "any_needling")


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sources: dict[str, Source] = dict(catalog().sources)
        self.questions: dict[str, Question] = {}

    def source(self, file: str, entry: str, value: Any) -> str:
        if not value or value not in self.sources:
            raise KnowledgeDataError(file, entry, f"source '{value}' is missing or not in a sources file")
        return value

    def load_sources(self) -> None:
        file = "sources_treatment.yaml"
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                if raw["id"] in self.sources:
                    raise KnowledgeDataError(file, raw["id"], "duplicate id (already a knowledge source)")
                if not str(raw.get("citation", "")).strip():
                    raise KnowledgeDataError(file, raw["id"], "needs a citation")
                self.sources[raw["id"]] = Source(raw["id"], raw["citation"].strip(), raw.get("url"), bool(raw.get("unverified", False)))

    def condition(self, file: str, entry: str, cond: Any) -> dict[str, Any]:
        """Check a condition's form and that it names real questions and options."""
        if not isinstance(cond, dict) or len(cond) not in (1, 2):
            raise KnowledgeDataError(file, entry, f"malformed condition {cond!r}")
        if "always" in cond:
            if cond != {"always": True}:
                raise KnowledgeDataError(file, entry, "'always' takes only the value true")
        elif "all" in cond or "any" in cond:
            for part in cond.get("all") or cond.get("any") or ():
                self.condition(file, entry, part)
        elif "not" in cond:
            self.condition(file, entry, cond["not"])
        else:
            question = self.questions.get(cond.get("question", ""))
            if question is None:
                raise KnowledgeDataError(file, entry, f"condition names unknown question '{cond.get('question')}'")
            ((operator, operand),) = ((k, v) for k, v in cond.items() if k != "question")
            allowed = {
                "boolean": ("is",),
                "choice": ("equals", "in"),
                "multichoice": ("includes",),
                "number": ("at_least", "at_most"),
                "text": (),
            }[question.type]
            if operator not in allowed:
                raise KnowledgeDataError(file, entry, f"'{operator}' does not apply to the {question.type} question '{question.id}'")
            values = [operand] if operator in ("equals", "includes") else operand if operator == "in" else []
            known = {value for value, _ in question.options}
            unknown = [v for v in values if v not in known]
            if unknown:
                raise KnowledgeDataError(file, entry, f"question '{question.id}' has no option {unknown[0]!r}")
        return cond

    def match(self, file: str, entry: str, raw: Any, keys: tuple[str, ...]) -> Match:
        if not isinstance(raw, dict):
            raise KnowledgeDataError(file, entry, f"malformed match {raw!r}")
        side = raw.get("side", "")
        kinds = [k for k in raw if k != "side"]
        if len(kinds) != 1 or kinds[0] not in keys or side not in ("", "l", "r"):
            raise KnowledgeDataError(file, entry, f"a match is one of {', '.join(keys)} (optionally with side l or r), got {raw!r}")
        kind = kinds[0]
        values = tuple(raw[kind]) if kind in ("groups_any", "structures_any") else ()
        known = set(GROUPS) if kind == "groups_any" else set(catalog().structures) if kind == "structures_any" else set()
        if kind in ("groups_any", "structures_any") and (not values or any(v not in known for v in values)):
            raise KnowledgeDataError(file, entry, f"{kind} names unknown ids: {[v for v in values if v not in known] or 'none given'}")
        if kind not in ("groups_any", "structures_any") and raw[kind] is not True:
            raise KnowledgeDataError(file, entry, f"'{kind}' takes only the value true")
        return Match(kind, values, side)

    def sections(self) -> tuple[Section, ...]:
        file, sections = "intake.yaml", []
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                section_id = raw["section"]
                staff_only = bool(raw.get("staff_only", False))
                questions = []
                for q in raw["questions"]:
                    if q["id"] in self.questions:
                        raise KnowledgeDataError(file, q["id"], "duplicate question id")
                    if q.get("type") not in QUESTION_TYPES:
                        raise KnowledgeDataError(file, q["id"], f"type must be one of {', '.join(QUESTION_TYPES)}")
                    options = tuple((str(o["value"]), bilingual(file, q["id"], o["label"], "option label")) for o in q.get("options") or ())
                    if (q["type"] in ("choice", "multichoice")) != bool(options):
                        raise KnowledgeDataError(file, q["id"], "choice and multichoice questions (only) need options")
                    show_if = self.condition(file, q["id"], q["show_if"]) if q.get("show_if") else None
                    question = Question(
                        q["id"],
                        section_id,
                        q["type"],
                        bilingual(file, q["id"], q.get("label"), "label"),
                        bilingual(file, q["id"], q["help"], "help") if q.get("help") else None,
                        options,
                        q.get("min"),
                        q.get("max"),
                        bool(q.get("required", False)),
                        show_if,
                        staff_only,
                    )
                    self.questions[question.id] = question
                    questions.append(question)
                sections.append(Section(section_id, bilingual(file, section_id, raw.get("title"), "title"), staff_only, tuple(questions)))
        return tuple(sections)

    def rules(self) -> dict[str, Rule]:
        file, rules = "screening_rules.yaml", {}
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                rule_id = raw["id"]
                if rule_id in rules:
                    raise KnowledgeDataError(file, rule_id, "duplicate id")
                if raw.get("severity") not in SEVERITIES:
                    raise KnowledgeDataError(file, rule_id, f"severity must be one of {', '.join(SEVERITIES)}")
                check = raw.get("session_check")
                rules[rule_id] = Rule(
                    rule_id,
                    raw["severity"],
                    self.condition(file, rule_id, raw.get("when")),
                    bilingual(file, rule_id, raw.get("message"), "message"),
                    self.source(file, rule_id, raw.get("source")),
                    self.match(file, rule_id, check["match"], _MATCH_KEYS) if check else None,
                    bilingual(file, rule_id, check.get("message"), "session_check.message") if check else None,
                )
        return rules

    def consent(self) -> tuple[ConsentVersion, ...]:
        file, versions = "consent.yaml", []
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                entry = f"version {raw['version']}"
                risks = tuple(
                    ConsentRisk(
                        r["id"],
                        bool(r.get("always", False)),
                        self.match(file, r["id"], r["when_planned"], _MATCH_KEYS) if r.get("when_planned") else None,
                        bilingual(file, r["id"], r.get("text"), "risk text"),
                    )
                    for r in raw["risks"]
                )
                if not any(r.when_planned and r.when_planned.kind == "thorax" for r in risks):
                    raise KnowledgeDataError(
                        file, entry, "must name pneumothorax for muscles over the thorax (when_planned: {thorax: true})"
                    )
                versions.append(
                    ConsentVersion(
                        int(raw["version"]),
                        raw["valid_from"],
                        bilingual(file, entry, raw.get("title"), "title"),
                        bilingual(file, entry, raw.get("body"), "body"),
                        risks,
                        self.source(file, entry, raw.get("source")),
                    )
                )
        if len({v.version for v in versions}) != len(versions) or not versions:
            raise KnowledgeDataError(file, "-", "needs at least one version, each number once")
        return tuple(versions)

    def aftercare(self) -> tuple[dict[str, Advice], dict[str, SafetyNet]]:
        file = "aftercare.yaml"
        content = read_mapping(self.directory, file)
        advice, nets = {}, {}
        for raw in content.get("advice") or ():
            with wrong_types_named(file, raw):
                advice[raw["id"]] = Advice(
                    raw["id"],
                    bool(raw.get("default")),
                    bilingual(file, raw["id"], raw.get("text"), "text"),
                    self.source(file, raw["id"], raw.get("source")),
                )
        for raw in content.get("safety_netting") or ():
            with wrong_types_named(file, raw):
                nets[raw["id"]] = SafetyNet(
                    raw["id"],
                    self.match(file, raw["id"], raw.get("trigger"), _TRIGGER_KEYS),
                    bilingual(file, raw["id"], raw.get("text"), "text"),
                    self.source(file, raw["id"], raw.get("source")),
                )
        return advice, nets

    def joints(self) -> dict[str, Joint]:
        file, joints = "rom.yaml", {}
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                movements = tuple(
                    Movement(
                        m["id"],
                        bilingual(file, raw["joint"], m.get("name"), "movement name"),
                        int(m["normal_degrees"]),
                        bool(m.get("sided")),
                    )
                    for m in raw["movements"]
                )
                if any(not 0 < m.normal_degrees <= 180 for m in movements):
                    raise KnowledgeDataError(file, raw["joint"], "normal_degrees must be between 1 and 180")
                joints[raw["joint"]] = Joint(
                    raw["joint"],
                    bilingual(file, raw["joint"], raw.get("name"), "name"),
                    movements,
                    self.source(file, raw["joint"], raw.get("source")),
                )
        return joints

    def adverse_events(self) -> tuple[dict[str, AdverseEventType], dict[str, tuple[Text, Text]]]:
        file = "adverse_events.yaml"
        content = read_mapping(self.directory, file)
        types = {
            t["id"]: AdverseEventType(
                t["id"],
                bilingual(file, t["id"], t.get("name"), "name"),
                t.get("brady_rate_percent"),
                self.source(file, t["id"], t.get("source")),
            )
            for t in content["types"]
        }
        severities = {
            s["id"]: (bilingual(file, s["id"], s.get("name"), "name"), bilingual(file, s["id"], s.get("definition"), "definition"))
            for s in content["severities"]
        }
        if set(severities) != {"mild", "significant", "serious"}:
            raise KnowledgeDataError(file, "severities", "must be exactly mild, significant and serious")
        return types, severities


def load_treatment_catalog(directory: Path = DATA_DIR) -> TreatmentCatalog:
    loader = _Loader(directory)
    loader.load_sources()
    sections = loader.sections()
    rules = loader.rules()
    advice, nets = loader.aftercare()
    types, severities = loader.adverse_events()
    return TreatmentCatalog(
        sources=loader.sources,
        sections=sections,
        questions=loader.questions,
        rules=rules,
        consent_versions=loader.consent(),
        advice=advice,
        safety_nets=nets,
        joints=loader.joints(),
        adverse_event_types=types,
        severities=severities,
    )


@functools.cache
def treatment_catalog() -> TreatmentCatalog:
    return load_treatment_catalog()
