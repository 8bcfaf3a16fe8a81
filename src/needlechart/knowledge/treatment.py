"""The treatment catalogue: the intake questionnaire, suitability rules, consent texts,
aftercare, range-of-motion norms and adverse-event types (format: docs/treatment-data.md).

Its files sit in ``data/`` beside the atlas's and are loaded once and validated as they load,
like the atlas: a rule that refers to a question or option that does not exist, a text
without its Norwegian version, a fact without a known source, stops the load with a
``ContentError`` naming file and entry. The rules engine that applies the rules to a
patient's answers is ``needlechart.screening.rules``; the records are in ``treatment_records``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    load_sources,
    one_of,
    read_entries,
    read_mapping,
    require_source,
    unique_id,
    wrong_types_named,
)
from needlechart.knowledge.catalog import DATA_DIR, GROUPS, catalog
from needlechart.knowledge.treatment_records import (
    ADVERSE_EVENT_SEVERITIES,
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

SOURCES_FILE = "sources_treatment.yaml"
SOURCES_REGISTRY = "sources.yaml, sources_regions.yaml or sources_treatment.yaml"
QUESTION_TYPES = ("boolean", "choice", "multichoice", "number", "text")
SEVERITIES = ("absolute", "relative", "precaution")
CHECK_LEVELS = ("block", "warn", "info")
# A site: muscles lying in any of these body-map groups or base regions, or named (any combination).
_SITE_KEYS = frozenset({"groups_any", "regions_any", "muscles_any"})
_FLAG_KINDS = frozenset({"thorax", "deep", "estim", "anticoagulants", "any_needling"})
# What each kind of match may say (besides `side`).
_PLANNED_KEYS = frozenset({"thorax", "deep", "structures_any", *_SITE_KEYS})  # consent: what is planned
_CHECK_KEYS = _PLANNED_KEYS | {"areas_from", "areas_in", "estim"}  # session checks: also the patient's areas, e-stim
_TRIGGER_KEYS = _PLANNED_KEYS | {"estim", "anticoagulants", "any_needling"}  # safety-netting


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sources: dict[str, Source] = load_sources(directory, (SOURCES_FILE,), catalog().sources)
        self.questions: dict[str, Question] = {}

    def source(self, file: str, entry: str, value: Any) -> str:
        return require_source(file, entry, value, self.sources, registry=SOURCES_REGISTRY)

    def condition(self, file: str, entry: str, cond: Any) -> dict[str, Any]:
        """Check a condition's form and that it names real questions and options."""
        if not isinstance(cond, dict) or len(cond) not in (1, 2):
            raise ContentError(file, entry, f"malformed condition {cond!r}")
        if "always" in cond:
            if cond != {"always": True}:
                raise ContentError(file, entry, "'always' takes only the value true")
        elif "all" in cond or "any" in cond:
            for part in cond.get("all") or cond.get("any") or ():
                self.condition(file, entry, part)
        elif "not" in cond:
            self.condition(file, entry, cond["not"])
        else:
            question = self.questions.get(cond.get("question", ""))
            if question is None:
                raise ContentError(file, entry, f"condition names unknown question '{cond.get('question')}'")
            ((operator, operand),) = ((k, v) for k, v in cond.items() if k != "question")
            allowed = {
                "boolean": ("is",),
                "choice": ("equals", "in"),
                "multichoice": ("includes",),
                "number": ("at_least", "at_most"),
                "text": (),
            }[question.type]
            if operator not in allowed:
                raise ContentError(file, entry, f"'{operator}' does not apply to the {question.type} question '{question.id}'")
            values = [operand] if operator in ("equals", "includes") else operand if operator == "in" else []
            known = {value for value, _ in question.options}
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ContentError(file, entry, f"question '{question.id}' has no option {unknown[0]!r}")
        return cond

    def match(self, file: str, entry: str, raw: Any, keys: frozenset[str]) -> Match:
        """Check a match's form (docs/treatment-data.md) and that it names real groups, regions,
        muscles, structures and questions."""
        if not isinstance(raw, dict) or not raw:
            raise ContentError(file, entry, f"malformed match {raw!r}")
        side = raw.get("side", "")
        unknown = set(raw) - keys - {"side"}
        if unknown or side not in ("", "l", "r"):
            allowed = ", ".join(sorted(keys))
            raise ContentError(file, entry, f"a match takes {allowed} (optionally with side l or r), got {raw!r}")
        sites = [k for k in raw if k in _SITE_KEYS]
        others = [k for k in raw if k not in _SITE_KEYS and k not in ("side", "estim", "areas_in")]
        if not (sites or others or "estim" in raw):
            raise ContentError(file, entry, f"a match needs a kind, got {raw!r}")
        if (sites and others) or len(others) > 1 or ("areas_in" in raw and others != ["areas_from"]):
            raise ContentError(file, entry, f"a match is one kind (groups_any, regions_any and muscles_any combine), got {raw!r}")
        for flag in ("estim", *[k for k in others if k in _FLAG_KINDS]):
            if flag in raw and raw[flag] is not True:
                raise ContentError(file, entry, f"'{flag}' takes only the value true")
        estim = "estim" in raw and (bool(sites) or bool(others))
        if sites:
            return self._site(file, entry, raw, side, estim)
        kind = others[0] if others else "estim"
        if kind == "structures_any":
            values = self._ids(file, entry, raw, kind, set(catalog().structures))
            return Match(kind, values, side, estim=estim)
        if kind == "areas_from":
            question = self.questions.get(str(raw[kind]))
            if question is None or not question.sites:
                raise ContentError(file, entry, f"areas_from names '{raw[kind]}', which is not a body-area question of intake.yaml")
            areas = self._ids(file, entry, raw, "areas_in", {value for value, _site in question.sites}) if "areas_in" in raw else ()
            return Match(kind, (question.id,), side, areas=areas, estim=estim)
        return Match(kind, (), side, estim=estim)

    def _site(self, file: str, entry: str, raw: dict[str, Any], side: str, estim: bool) -> Match:
        groups = self._ids(file, entry, raw, "groups_any", set(GROUPS)) if "groups_any" in raw else ()
        regions = self._ids(file, entry, raw, "regions_any", set(catalog().base_regions)) if "regions_any" in raw else ()
        muscles = self._ids(file, entry, raw, "muscles_any", set(catalog().muscles)) if "muscles_any" in raw else ()
        return Match("site", groups, side, regions=regions, muscles=muscles, estim=estim)

    @staticmethod
    def _ids(file: str, entry: str, raw: dict[str, Any], key: str, known: set[str]) -> tuple[str, ...]:
        values = raw[key]
        if not isinstance(values, list) or not values or any(not isinstance(v, str) or v not in known for v in values):
            bad = [v for v in values if v not in known] if isinstance(values, list) else values
            raise ContentError(file, entry, f"{key} needs a list of known ids, got unknown {bad or 'none given'}")
        return tuple(values)

    def sections(self) -> tuple[Section, ...]:
        file, sections = "intake.yaml", list[Section]()
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                section_id = unique_id(file, raw, [s.id for s in sections], key="section")
                staff_only = bool(raw.get("staff_only", False))
                questions = []
                for q in raw["questions"]:
                    with wrong_types_named(file, q):
                        question = self.question(file, q, section_id, staff_only)
                    self.questions[question.id] = question
                    questions.append(question)
                sections.append(Section(section_id, bilingual(file, section_id, raw.get("title"), "title"), staff_only, tuple(questions)))
        return tuple(sections)

    def question(self, file: str, q: Any, section_id: str, staff_only: bool) -> Question:
        question_id = unique_id(file, q, self.questions)
        kind = one_of(file, question_id, q.get("type"), "type", QUESTION_TYPES)
        options = tuple((str(o["value"]), bilingual(file, question_id, o["label"], "option label")) for o in q.get("options") or ())
        if (kind in ("choice", "multichoice")) != bool(options):
            raise ContentError(file, question_id, "choice and multichoice questions (only) need options")
        sites = tuple(
            (str(o["value"]), self.match(file, f"{question_id} option {o['value']}", o["site"], _SITE_KEYS | {"side"}))
            for o in q.get("options") or ()
            if "site" in o
        )
        if sites and (kind != "multichoice" or len(sites) != len([v for v, _label in options if v != "none"])):
            raise ContentError(file, question_id, "a body-area question is multichoice and every option but 'none' has a site")
        return Question(
            question_id,
            section_id,
            kind,
            bilingual(file, question_id, q.get("label"), "label"),
            bilingual(file, question_id, q["help"], "help") if q.get("help") else None,
            options,
            q.get("min"),
            q.get("max"),
            bool(q.get("required", False)),
            self.condition(file, question_id, q["show_if"]) if q.get("show_if") else None,
            staff_only,
            bool(q.get("for_the_day", False)),
            sites,
        )

    def rules(self) -> dict[str, Rule]:
        file, rules = "screening_rules.yaml", dict[str, Rule]()
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                rule_id = unique_id(file, raw, rules)
                check = raw.get("session_check")
                source = self.source(file, rule_id, raw.get("source"))
                rules[rule_id] = Rule(
                    rule_id,
                    one_of(file, rule_id, raw.get("severity"), "severity", SEVERITIES),
                    self.condition(file, rule_id, raw.get("when")),
                    bilingual(file, rule_id, raw.get("message"), "message"),
                    source,
                    self.match(file, rule_id, check["match"], _CHECK_KEYS) if check else None,
                    bilingual(file, rule_id, check.get("message"), "session_check.message") if check else None,
                    one_of(file, rule_id, check["level"], "session_check.level", CHECK_LEVELS) if check and "level" in check else None,
                    self.sources[source].unverified,
                )
        return rules

    def consent(self) -> tuple[ConsentVersion, ...]:
        file, versions = "consent.yaml", []
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                entry = f"version {raw['version']}"
                risks: list[ConsentRisk] = []
                for r in raw["risks"]:
                    risk_id = unique_id(file, r, [risk.id for risk in risks])
                    risks.append(
                        ConsentRisk(
                            risk_id,
                            bool(r.get("always", False)),
                            self.match(file, risk_id, r["when_planned"], _PLANNED_KEYS) if r.get("when_planned") else None,
                            bilingual(file, risk_id, r.get("text"), "risk text"),
                        )
                    )
                if not any(r.when_planned and r.when_planned.kind == "thorax" for r in risks):
                    raise ContentError(file, entry, "must name pneumothorax for muscles over the thorax (when_planned: {thorax: true})")
                versions.append(
                    ConsentVersion(
                        int(raw["version"]),
                        raw["valid_from"],
                        bilingual(file, entry, raw.get("title"), "title"),
                        bilingual(file, entry, raw.get("body"), "body"),
                        tuple(risks),
                        self.source(file, entry, raw.get("source")),
                    )
                )
        if len({v.version for v in versions}) != len(versions) or not versions:
            raise ContentError(file, "-", "needs at least one version, each number once")
        return tuple(versions)

    def aftercare(self) -> tuple[dict[str, Advice], dict[str, SafetyNet]]:
        file = "aftercare.yaml"
        content = read_mapping(self.directory, file)
        advice: dict[str, Advice] = {}
        nets: dict[str, SafetyNet] = {}
        for raw in content.get("advice") or ():
            with wrong_types_named(file, raw):
                advice_id = unique_id(file, raw, advice)
                advice[advice_id] = Advice(
                    advice_id,
                    bool(raw.get("default")),
                    bilingual(file, advice_id, raw.get("text"), "text"),
                    self.source(file, advice_id, raw.get("source")),
                )
        for raw in content.get("safety_netting") or ():
            with wrong_types_named(file, raw):
                net_id = unique_id(file, raw, nets)
                replaces = raw.get("replaces") or []
                if not isinstance(replaces, list) or any(r not in advice for r in replaces):
                    raise ContentError(file, net_id, f"replaces names advice that does not exist: {replaces!r}")
                nets[net_id] = SafetyNet(
                    net_id,
                    self.match(file, net_id, raw.get("trigger"), _TRIGGER_KEYS),
                    bilingual(file, net_id, raw.get("text"), "text"),
                    self.source(file, net_id, raw.get("source")),
                    tuple(replaces),
                )
        return advice, nets

    def joints(self) -> dict[str, Joint]:
        file, joints = "rom.yaml", dict[str, Joint]()
        for raw in read_entries(self.directory, file):
            with wrong_types_named(file, raw):
                joint_id = unique_id(file, raw, joints, key="joint")
                movements: list[Movement] = []
                for m in raw["movements"]:
                    movement_id = unique_id(file, m, [movement.id for movement in movements])
                    movements.append(
                        Movement(
                            movement_id,
                            bilingual(file, joint_id, m.get("name"), f"movement {movement_id} name"),
                            int(m["normal_degrees"]),
                            bool(m.get("sided")),
                        )
                    )
                if any(not 0 < m.normal_degrees <= 180 for m in movements):
                    raise ContentError(file, joint_id, "normal_degrees must be between 1 and 180")
                joints[joint_id] = Joint(
                    joint_id,
                    bilingual(file, joint_id, raw.get("name"), "name"),
                    tuple(movements),
                    self.source(file, joint_id, raw.get("source")),
                )
        return joints

    def adverse_events(self) -> tuple[dict[str, AdverseEventType], dict[str, tuple[Text, Text]]]:
        file = "adverse_events.yaml"
        content = read_mapping(self.directory, file)
        types: dict[str, AdverseEventType] = {}
        severities: dict[str, tuple[Text, Text]] = {}
        for raw in content.get("types") or ():
            with wrong_types_named(file, raw):
                type_id = unique_id(file, raw, types)
                minimum = one_of(file, type_id, raw.get("minimum_severity", "mild"), "minimum_severity", ADVERSE_EVENT_SEVERITIES)
                if minimum != "mild" and not raw.get("minimum_source"):
                    raise ContentError(file, type_id, "a minimum_severity above mild needs its minimum_source")
                minimum_source = self.source(file, type_id, raw["minimum_source"]) if raw.get("minimum_source") else None
                types[type_id] = AdverseEventType(
                    type_id,
                    bilingual(file, type_id, raw.get("name"), "name"),
                    raw.get("brady_rate_percent"),
                    self.source(file, type_id, raw.get("source")),
                    minimum,
                    minimum_source,
                    bool(minimum_source and self.sources[minimum_source].unverified),
                )
        for raw in content.get("severities") or ():
            with wrong_types_named(file, raw):
                severity = unique_id(file, raw, severities)
                self.source(file, severity, raw.get("source"))
                severities[severity] = (
                    bilingual(file, severity, raw.get("name"), "name"),
                    bilingual(file, severity, raw.get("definition"), "definition"),
                )
        if set(severities) != set(ADVERSE_EVENT_SEVERITIES):
            raise ContentError(file, "severities", "must be exactly mild, significant and serious")
        return types, severities


def load_treatment_catalog(directory: Path = DATA_DIR) -> TreatmentCatalog:
    loader = _Loader(directory)
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
