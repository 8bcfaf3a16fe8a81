"""Loading outcome instruments: the shipped file, its sources, and a clinic's own definitions.

Every definition goes through the same checks, as the knowledge and treatment catalogues do: a
scale whose step does not divide it, a score range the items cannot produce, an MCID without a
source, stops the load with a ``ContentError`` naming the file and the entry. A clinic's
own definition has a few checks of its own and fails with an ``InstrumentDefinitionError`` a
clinic admin can act on. What an instrument is and how it scores is in ``instruments``; reading
YAML, sources and the checks every content file shares are in ``needlechart.content``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from needlechart import content
from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    check_keys,
    one_of,
    parse_text,
    read_entries,
    require_mapping,
    require_number,
    shown,
    wrong_types_named,
)
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.outcomes.instruments import (
    ID_PATTERN,
    TOLERANCE,
    ActivitySpec,
    Choice,
    Instrument,
    Item,
    Licence,
    Mcid,
    Responder,
    on_step,
    plain,
)
from needlechart.patients.models import ConditionCategory

DATA_DIR = Path(__file__).resolve().parent / "data"
INSTRUMENTS_FILE = "instruments.yaml"
SOURCES_FILE = "sources_outcomes.yaml"
CONDITIONS: tuple[str, ...] = tuple(ConditionCategory.values)
MAX_DEFINITION_BYTES = 200 * 1024
MAX_ITEMS = 100
MAX_CHOICES = 20
_LOINC = re.compile(r"(\d{1,7})-(\d)")


_INSTRUMENT_KEYS = {
    "id", "name", "abbreviation", "description", "unit", "better", "score_min", "score_max", "scoring", "multiplier", "decimals",
    "items", "activities", "mcid", "responder", "responder_threshold", "respondent", "follow_up", "licence", "licence_note", "loinc",
    "sources",
}  # fmt: skip
_REQUIRED_KEYS = (
    "id",
    "name",
    "abbreviation",
    "description",
    "unit",
    "better",
    "score_min",
    "score_max",
    "scoring",
    "respondent",
    "licence",
    "sources",
)
_ITEM_KEYS = {"id", "text", "min", "max", "step", "anchors", "choices"}
_ACTIVITY_KEYS = {"min_count", "max_count", "scale"}
_MCID_KEYS = {"points", "percent", "source", "note", "by_condition"}
_SOURCE_KEYS = {"definition", "responder", "loinc"}


class InstrumentDefinitionError(ContentError):
    """A clinic's instrument definition that cannot be used; the message says what to fix."""


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit for the part before the dash."""
    digits = number[::-1]
    doubled = str(int(digits[0::2][::-1]) * 2)
    others = digits[1::2][::-1]
    return -sum(int(d) for d in others + doubled) % 10


# --- loading -----------------------------------------------------------------------------------


class _Parser:
    """Reads one instrument definition. ``clinic`` switches on the rules for a clinic's own file:
    licence 'clinic' with a licence note, and citations written out where a source id would go."""

    def __init__(self, file: str, sources: Mapping[str, Source], *, clinic: bool) -> None:
        self.file, self.sources, self.clinic = file, sources, clinic

    def fail(self, entry: str, message: str) -> NoReturn:
        raise ContentError(self.file, entry, message)

    def number(self, entry: str, value: Any, what: str) -> float:
        return require_number(self.file, entry, value, what)

    def mapping(self, entry: str, value: Any, what: str) -> Mapping[str, Any]:
        return require_mapping(self.file, entry, value, what)

    def one_of(self, entry: str, value: Any, what: str, allowed: tuple[str, ...]) -> Any:
        return one_of(self.file, entry, value, what, allowed)

    def source(self, entry: str, value: Any, what: str) -> str:
        if isinstance(value, str) and value in self.sources:
            return value
        if not self.clinic:
            self.fail(entry, f"{what} '{value}' is missing or not in a sources file: every fact needs a source")
        text = value.strip() if isinstance(value, str) else ""
        if not 20 <= len(text) <= 1000 or " " not in text:
            self.fail(entry, f"{what} must be a full citation (authors, title, journal or publisher, year) or a known source id")
        return text

    def instrument(self, raw: Any) -> Instrument:
        raw = self.mapping("?", raw, "an instrument")
        entry = raw.get("id")
        if not isinstance(entry, str) or not ID_PATTERN.fullmatch(entry):
            self.fail(str(entry), "needs an 'id' of up to 40 lower-case letters, digits or '_', starting with a letter")
        check_keys(self.file, entry, raw, _INSTRUMENT_KEYS, "the instrument")
        missing = [key for key in _REQUIRED_KEYS if key not in raw]
        if missing:
            self.fail(entry, f"is missing {', '.join(missing)}")
        abbreviation = raw["abbreviation"]
        if not isinstance(abbreviation, str) or not 0 < len(abbreviation.strip()) <= 20:
            self.fail(entry, "abbreviation must be a short text (at most 20 characters)")
        scoring = self.one_of(entry, raw["scoring"], "scoring", ("single", "mean", "sum"))
        respondent = self.one_of(entry, raw["respondent"], "respondent", ("patient", "clinician"))
        items, activities = self.questions(entry, raw, scoring, respondent)
        multiplier = self.number(entry, raw.get("multiplier", 1), "multiplier")
        decimals = raw.get("decimals", 1)
        if multiplier <= 0:
            self.fail(entry, "multiplier must be above 0")
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 4:
            self.fail(entry, "decimals must be a whole number from 0 to 4")
        score_min, score_max = self.score_range(entry, raw, items, activities, scoring, multiplier)
        mcid = self.mcid(entry, raw.get("mcid"), score_max - score_min)
        responder, threshold = self.responder(entry, raw, mcid, score_min, score_max)
        follow_up = raw.get("follow_up", False)
        if not isinstance(follow_up, bool):
            self.fail(entry, "follow_up must be true or false")
        if follow_up and respondent != "patient":
            self.fail(entry, "follow_up: true needs respondent: patient (the follow-up questionnaire is answered by the patient)")
        licence, licence_note = self.licence(entry, raw)
        loinc = self.loinc(entry, raw.get("loinc"))
        return Instrument(
            id=entry,
            name=bilingual(self.file, entry, raw["name"], "name"),
            abbreviation=abbreviation.strip(),
            description=bilingual(self.file, entry, raw["description"], "description"),
            unit=bilingual(self.file, entry, raw["unit"], "unit"),
            better=self.one_of(entry, raw["better"], "better", ("lower", "higher")),
            score_min=score_min,
            score_max=score_max,
            items=items,
            scoring=scoring,
            multiplier=multiplier,
            decimals=decimals,
            activities=activities,
            mcid=mcid,
            responder=responder,
            responder_threshold=threshold,
            respondent=respondent,
            follow_up=follow_up,
            licence=licence,
            licence_note=licence_note,
            loinc=loinc,
            sources=self.sources_of(entry, raw, mcid, responder, loinc),
        )

    def questions(self, entry: str, raw: Mapping[str, Any], scoring: str, respondent: str) -> tuple[tuple[Item, ...], ActivitySpec | None]:
        patient = respondent == "patient"
        if ("items" in raw) == ("activities" in raw):
            self.fail(entry, "needs either 'items' (fixed questions) or 'activities' (activities the patient names), not both")
        if "activities" in raw:
            spec = self.mapping(entry, raw["activities"], "activities")
            check_keys(self.file, entry, spec, _ACTIVITY_KEYS, "activities")
            low, high = (n if isinstance(n, int) and not isinstance(n, bool) else 0 for n in (spec.get("min_count"), spec.get("max_count")))
            if not 1 <= low <= high <= 10:
                self.fail(entry, "activities needs whole numbers 1 <= min_count <= max_count <= 10")
            if scoring != "mean":
                self.fail(entry, "activities are scored as their mean: use scoring: mean")
            scale = self.item(entry, {"id": "activity", **self.mapping(entry, spec.get("scale"), "activities.scale")}, patient)
            return (), ActivitySpec(low, high, scale)
        listed = raw["items"]
        if not isinstance(listed, list) or not 1 <= len(listed) <= MAX_ITEMS:
            self.fail(entry, f"items must be a list of 1 to {MAX_ITEMS} questions")
        items = tuple(self.item(entry, self.mapping(entry, item, "each item"), patient) for item in listed)
        ids = [item.id for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            self.fail(entry, f"item id(s) used twice: {', '.join(duplicates)}")
        if scoring == "single" and len(items) != 1:
            self.fail(entry, f"scoring: single needs exactly one item (found {len(items)}); use mean or sum")
        return items, None

    def item(self, entry: str, raw: Mapping[str, Any], patient: bool) -> Item:
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not ID_PATTERN.fullmatch(item_id):
            self.fail(entry, f"item id {shown(item_id)} must be lower-case letters, digits or '_', starting with a letter")
        where = f"item '{item_id}'"
        check_keys(self.file, entry, raw, _ITEM_KEYS, where)
        text = bilingual(self.file, entry, raw.get("text"), f"{where} text")
        if "choices" in raw:
            return self.choice_item(entry, raw, item_id, text, where)
        low, high, step = (self.number(entry, raw.get(key), f"{where} {key}") for key in ("min", "max", "step"))
        if low >= high or step <= 0 or not on_step(high, low, step):
            self.fail(entry, f"{where}: needs min below max and a positive step that divides max - min evenly")
        anchors: dict[float, Text] = {}
        for value, label in self.mapping(entry, raw.get("anchors", {}), f"{where} anchors").items():
            point = self.number(entry, value, f"{where} anchor")
            if not low <= point <= high or not on_step(point, low, step):
                self.fail(entry, f"{where}: anchor {plain(point)} is not a point of the scale {plain(low)}..{plain(high)}")
            anchors[point] = bilingual(self.file, entry, label, f"{where} anchor {plain(point)}")
        if patient and not {low, high} <= set(anchors):
            self.fail(entry, f"{where}: a patient needs anchors saying what {plain(low)} and {plain(high)} mean")
        return Item(item_id, text, low, high, step, anchors)

    def choice_item(self, entry: str, raw: Mapping[str, Any], item_id: str, text: Text, where: str) -> Item:
        if {"min", "max", "step", "anchors"} & set(raw):
            self.fail(entry, f"{where}: an item with choices takes its range from them; remove min, max, step and anchors")
        listed = raw["choices"]
        if not isinstance(listed, list) or not 2 <= len(listed) <= MAX_CHOICES:
            self.fail(entry, f"{where}: choices must be a list of 2 to {MAX_CHOICES} answers")
        choices = []
        for choice in listed:
            choice = self.mapping(entry, choice, f"{where} choice")
            check_keys(self.file, entry, choice, {"value", "label"}, f"{where} choice")
            value = self.number(entry, choice.get("value"), f"{where} choice value")
            choices.append(Choice(value, bilingual(self.file, entry, choice.get("label"), f"{where} choice {plain(value)} label")))
        values = sorted(choice.value for choice in choices)
        if len(set(values)) != len(values):
            self.fail(entry, f"{where}: two choices have the same value")
        step = min(b - a for a, b in zip(values, values[1:], strict=False))
        return Item(item_id, text, values[0], values[-1], step, {}, tuple(choices))

    def score_range(
        self, entry: str, raw: Mapping[str, Any], items: tuple[Item, ...], activities: ActivitySpec | None, scoring: str, multiplier: float
    ) -> tuple[float, float]:
        declared = (self.number(entry, raw["score_min"], "score_min"), self.number(entry, raw["score_max"], "score_max"))
        scales = [activities.scale] if activities else list(items)
        lows, highs = [s.min for s in scales], [s.max for s in scales]
        if scoring == "sum":
            reachable = (math.fsum(lows) * multiplier, math.fsum(highs) * multiplier)
        else:  # the mean of one or more scales (single is one item)
            reachable = (math.fsum(lows) / len(lows) * multiplier, math.fsum(highs) / len(highs) * multiplier)
        if not all(math.isclose(d, r, abs_tol=TOLERANCE) for d, r in zip(declared, reachable, strict=True)):
            self.fail(
                entry,
                f"score_min..score_max is {plain(declared[0])}..{plain(declared[1])}, but {scoring} scoring of the items"
                f" with multiplier {plain(multiplier)} gives {plain(reachable[0])}..{plain(reachable[1])}",
            )
        return declared

    def mcid(self, entry: str, raw: Any, span: float) -> Mcid | None:
        if raw is None:
            return None
        raw = self.mapping(entry, raw, "mcid")
        check_keys(self.file, entry, raw, _MCID_KEYS, "mcid")
        points = self.number(entry, raw["points"], "mcid.points") if raw.get("points") is not None else None
        percent = self.number(entry, raw["percent"], "mcid.percent") if raw.get("percent") is not None else None
        if points is None and percent is None:
            self.fail(entry, "mcid needs points, percent or both")
        if points is not None and not 0 < points < span:
            self.fail(entry, f"mcid.points must be above 0 and below the score span ({plain(span)})")
        if percent is not None and not 0 < percent <= 100:
            self.fail(entry, "mcid.percent must be above 0 and at most 100")
        by_condition = {}
        for condition, value in self.mapping(entry, raw.get("by_condition", {}), "mcid.by_condition").items():
            if condition not in CONDITIONS:
                self.fail(entry, f"mcid.by_condition names unknown condition '{condition}' (known: {', '.join(CONDITIONS)})")
            value = self.mapping(entry, value, f"mcid.by_condition.{condition}")
            check_keys(self.file, entry, value, {"points", "source"}, f"mcid.by_condition.{condition}")
            condition_points = self.number(entry, value.get("points"), f"mcid.by_condition.{condition}.points")
            if not 0 < condition_points < span:
                self.fail(entry, f"mcid.by_condition.{condition}.points must be above 0 and below the score span ({plain(span)})")
            by_condition[condition] = (condition_points, self.source(entry, value.get("source"), f"mcid.by_condition.{condition}.source"))
        note = bilingual(self.file, entry, raw["note"], "mcid.note") if raw.get("note") is not None else None
        return Mcid(points, percent, self.source(entry, raw.get("source"), "mcid.source"), note, by_condition)

    def responder(
        self, entry: str, raw: Mapping[str, Any], mcid: Mcid | None, score_min: float, score_max: float
    ) -> tuple[Responder | None, float | None]:
        rule = raw.get("responder")
        if rule is not None:
            self.one_of(entry, rule, "responder", ("improvement", "threshold"))
        if rule == "improvement" and mcid is None:
            self.fail(entry, "responder: improvement needs an mcid to measure the improvement against")
        if (rule == "threshold") != ("responder_threshold" in raw):
            self.fail(entry, "responder: threshold and responder_threshold go together")
        if rule != "threshold":
            return rule, None
        threshold = self.number(entry, raw["responder_threshold"], "responder_threshold")
        if not score_min < threshold <= score_max:
            self.fail(entry, f"responder_threshold must be above score_min and at most score_max ({plain(score_min)}..{plain(score_max)})")
        return rule, threshold

    def licence(self, entry: str, raw: Mapping[str, Any]) -> tuple[Licence, Text | None]:
        expected: Licence = "clinic" if self.clinic else "free"
        if raw.get("licence") != expected:
            why = (
                "a clinic's own definition is for a questionnaire the clinic holds the rights to"
                if self.clinic
                else "needlechart ships free instruments only"
            )
            self.fail(entry, f"licence must be '{expected}': {why}")
        if self.clinic and raw.get("licence_note") is None:
            self.fail(entry, "needs a licence_note saying who holds the licence and on what terms")
        note = bilingual(self.file, entry, raw["licence_note"], "licence_note") if raw.get("licence_note") is not None else None
        return expected, note

    def loinc(self, entry: str, value: Any) -> str | None:
        if value is None:
            return None
        match = _LOINC.fullmatch(value) if isinstance(value, str) else None
        if match is None or loinc_check_digit(match[1]) != int(match[2]):
            self.fail(entry, f"loinc {shown(value)} is not a valid LOINC code (digits, a dash and the check digit, e.g. 72514-3)")
        return value

    def sources_of(
        self, entry: str, raw: Mapping[str, Any], mcid: Mcid | None, responder: str | None, loinc: str | None
    ) -> tuple[str, ...]:
        given = self.mapping(entry, raw.get("sources"), "sources")
        check_keys(self.file, entry, given, _SOURCE_KEYS, "sources")
        for key, needed in (("definition", True), ("responder", responder == "threshold"), ("loinc", loinc is not None)):
            if needed != (key in given):
                self.fail(entry, f"sources.{key} is {'missing' if needed else 'not expected here'}")
        cited = [self.source(entry, given[key], f"sources.{key}") for key in ("definition", "responder", "loinc") if key in given]
        if mcid:
            cited[1:1] = [mcid.source, *(source for _points, source in mcid.by_condition.values())]
        return tuple(dict.fromkeys(cited))


def load_sources(directory: Path) -> dict[str, Source]:
    """The knowledge and treatment sources plus ``sources_outcomes.yaml`` of ``directory`` (ids unique across all)."""
    return content.load_sources(directory, (SOURCES_FILE,), treatment_catalog().sources)


def load_instruments(directory: Path = DATA_DIR) -> dict[str, Instrument]:
    parser = _Parser(INSTRUMENTS_FILE, load_sources(directory), clinic=False)
    instruments: dict[str, Instrument] = {}
    for raw in read_entries(directory, INSTRUMENTS_FILE):
        with wrong_types_named(INSTRUMENTS_FILE, raw):
            instrument = parser.instrument(raw)
        if instrument.id in instruments:
            raise ContentError(INSTRUMENTS_FILE, instrument.id, "duplicate id")
        instruments[instrument.id] = instrument
    return instruments


@functools.cache
def outcome_sources() -> dict[str, Source]:
    """Every source an outcome fact may cite: knowledge, treatment and outcome sources."""
    return load_sources(DATA_DIR)


@functools.cache
def shipped_instruments() -> dict[str, Instrument]:
    """The free instruments shipped with needlechart, loaded and validated once per process."""
    return load_instruments(DATA_DIR)


def parse_instrument_definition(text: str, name: str = "definition") -> Instrument:
    """One instrument from a clinic's YAML definition (format: docs/outcomes-data.md)."""
    if len(text.encode("utf-8")) > MAX_DEFINITION_BYTES:
        raise InstrumentDefinitionError(name, "-", f"is larger than {MAX_DEFINITION_BYTES // 1024} KB; a definition is a few KB of YAML")
    try:
        raw = parse_text(name, text)
        if not isinstance(raw, dict):
            raise InstrumentDefinitionError(name, "-", "must be one instrument written as a YAML mapping (id: ..., name: ..., items: ...)")
        with wrong_types_named(name, raw):
            instrument = _Parser(name, outcome_sources(), clinic=True).instrument(raw)
    except InstrumentDefinitionError:
        raise
    except ContentError as exc:
        raise InstrumentDefinitionError(exc.file, exc.entry, exc.message) from None
    if instrument.id in shipped_instruments():
        raise InstrumentDefinitionError(name, instrument.id, "this id belongs to an instrument needlechart ships; choose another id")
    return instrument
