"""Published figures shown next to a clinic's own numbers, for context (``data/benchmarks.yaml``).

Adverse-event rates per treatment session from the large prospective surveys, and pooled
effects of dry needling from meta-analyses. Loaded once and validated like the other data
files: a figure without a known source, a confidence interval that does not contain its
estimate, an unknown condition, stops the load with a ``ContentError`` naming file and entry.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    check_keys,
    one_of,
    read_mapping,
    require_mapping,
    require_number,
    unique_id,
    wrong_types_named,
)
from needlechart.outcomes.instrument_loading import CONDITIONS, DATA_DIR, load_sources

FILE = "benchmarks.yaml"
SEVERITIES = ("mild", "significant", "serious")  # as in knowledge/data/adverse_events.yaml
OUTCOMES = ("pain", "disability")
MEASURES = ("smd", "md_nprs", "grade")  # standardised mean difference, mean difference in NPRS points, recommendation grade
_ID = re.compile(r"[a-z][a-z0-9_]*")
_STUDY_KEYS = {"id", "source", "sessions", "population", "rates", "note"}
_RATE_KEYS = {"severity", "events", "percent", "upper_percent"}
_FIGURE_KEYS = {
    "id",
    "source",
    "conditions",
    "outcome",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "grade",
    "trials",
    "time_point",
    "comparison",
    "note",
}


@dataclass(frozen=True)
class SeverityRate:
    severity: str
    events: int | None  # when the study gave a count
    percent: float  # per session; computed from events when the study gave only a count
    upper_percent: float | None  # the study's upper bound when it saw no event


@dataclass(frozen=True)
class AdverseEventStudy:
    id: str
    sessions: int
    population: Text
    rates: tuple[SeverityRate, ...]
    note: Text | None
    source: str

    def rate(self, severity: str) -> SeverityRate | None:
        return next((rate for rate in self.rates if rate.severity == severity), None)


@dataclass(frozen=True)
class MetaAnalysisFigure:
    id: str
    conditions: tuple[str, ...]
    outcome: str
    measure: str
    estimate: float | None  # None for a grade
    ci_low: float | None
    ci_high: float | None
    grade: str | None
    trials: int | None
    time_point: Text
    comparison: Text
    note: Text
    source: str


@dataclass(frozen=True)
class Benchmarks:
    adverse_events: tuple[AdverseEventStudy, ...]
    meta_analyses: tuple[MetaAnalysisFigure, ...]

    def for_condition(self, condition: str) -> tuple[MetaAnalysisFigure, ...]:
        return tuple(figure for figure in self.meta_analyses if condition in figure.conditions)


class _Loader:
    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self.ids: set[str] = set()

    def start(self, raw: Any, keys: set[str], what: str) -> tuple[dict[str, Any], str]:
        raw = require_mapping(FILE, "?", raw, what)
        entry = unique_id(FILE, raw, self.ids, pattern=_ID, described="lower-case letters, digits or '_'")
        self.ids.add(entry)
        check_keys(FILE, entry, raw, keys, what)
        if raw.get("source") not in self.sources:
            raise ContentError(
                FILE, entry, f"source '{raw.get('source')}' is missing or not in a sources file: every figure needs a source"
            )
        return raw, entry

    def optional_number(self, entry: str, raw: Mapping[str, Any], key: str) -> float | None:
        return require_number(FILE, entry, raw[key], key) if raw.get(key) is not None else None

    def whole(self, entry: str, value: Any, what: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ContentError(FILE, entry, f"{what} must be a whole number of at least {minimum}")
        return value

    def study(self, raw: Any) -> AdverseEventStudy:
        raw, entry = self.start(raw, _STUDY_KEYS, "an adverse-event study")
        sessions = self.whole(entry, raw.get("sessions"), "sessions", 1)
        rates = tuple(self.rate(entry, require_mapping(FILE, entry, r, "each rate"), sessions) for r in raw.get("rates") or ())
        severities = [rate.severity for rate in rates]
        if not rates or len(set(severities)) != len(severities):
            raise ContentError(FILE, entry, "needs rates, each severity once")
        note = bilingual(FILE, entry, raw["note"], "note") if raw.get("note") is not None else None
        return AdverseEventStudy(entry, sessions, bilingual(FILE, entry, raw.get("population"), "population"), rates, note, raw["source"])

    def rate(self, entry: str, raw: Mapping[str, Any], sessions: int) -> SeverityRate:
        check_keys(FILE, entry, raw, _RATE_KEYS, "a rate")
        severity = one_of(FILE, entry, raw.get("severity"), "severity", SEVERITIES)
        events = self.whole(entry, raw["events"], f"{severity} events", 0) if raw.get("events") is not None else None
        percent, upper = self.optional_number(entry, raw, "percent"), self.optional_number(entry, raw, "upper_percent")
        if events is None and percent is None:
            raise ContentError(FILE, entry, f"{severity}: needs events, percent or both")
        if events is not None and events > sessions:
            raise ContentError(FILE, entry, f"{severity}: more events than sessions")
        counted = None if events is None else 100 * events / sessions
        if percent is not None and counted is not None and not math.isclose(percent, counted, abs_tol=0.05):
            raise ContentError(FILE, entry, f"{severity}: percent {percent} does not match {events} of {sessions} sessions")
        percent = percent if percent is not None else counted
        assert percent is not None  # one of the two is given, checked above
        if not 0 <= percent <= 100 or (upper is not None and not percent <= upper <= 100):
            raise ContentError(FILE, entry, f"{severity}: percent must be 0-100 and upper_percent at least percent")
        return SeverityRate(severity, events, percent, upper)

    def figure(self, raw: Any) -> MetaAnalysisFigure:
        raw, entry = self.start(raw, _FIGURE_KEYS, "a meta-analysis figure")
        conditions = tuple(raw.get("conditions") or ())
        if not conditions or any(c not in CONDITIONS for c in conditions):
            raise ContentError(FILE, entry, f"conditions must list condition ids ({', '.join(CONDITIONS)})")
        for key, allowed in (("outcome", OUTCOMES), ("measure", MEASURES)):
            one_of(FILE, entry, raw.get(key), key, allowed)
        estimate, low, high = (self.optional_number(entry, raw, key) for key in ("estimate", "ci_low", "ci_high"))
        grade = raw.get("grade")
        if raw["measure"] == "grade":
            if not isinstance(grade, str) or not grade.strip() or estimate is not None or low is not None or high is not None:
                raise ContentError(FILE, entry, "a grade figure needs grade and no estimate or confidence interval")
        elif grade is not None or estimate is None:
            raise ContentError(FILE, entry, f"a {raw['measure']} figure needs an estimate and no grade")
        elif (low is None) != (high is None) or (low is not None and high is not None and not low <= estimate <= high):
            raise ContentError(FILE, entry, "ci_low and ci_high go together and must contain the estimate")
        trials = self.whole(entry, raw["trials"], "trials", 1) if raw.get("trials") is not None else None
        return MetaAnalysisFigure(
            id=entry,
            conditions=conditions,
            outcome=raw["outcome"],
            measure=raw["measure"],
            estimate=estimate,
            ci_low=low,
            ci_high=high,
            grade=grade,
            trials=trials,
            time_point=bilingual(FILE, entry, raw.get("time_point"), "time_point"),
            comparison=bilingual(FILE, entry, raw.get("comparison"), "comparison"),
            note=bilingual(FILE, entry, raw.get("note"), "note"),
            source=raw["source"],
        )


def load_benchmarks(directory: Path = DATA_DIR) -> Benchmarks:
    content = read_mapping(directory, FILE)
    check_keys(FILE, "-", content, {"adverse_events", "meta_analyses"}, "the file")
    loader = _Loader(load_sources(directory))
    studies, figures = [], []
    for raw in content.get("adverse_events") or ():
        with wrong_types_named(FILE, raw):
            studies.append(loader.study(raw))
    for raw in content.get("meta_analyses") or ():
        with wrong_types_named(FILE, raw):
            figures.append(loader.figure(raw))
    return Benchmarks(tuple(studies), tuple(figures))


@functools.cache
def published_benchmarks() -> Benchmarks:
    """The shipped benchmarks, loaded and validated once per process."""
    return load_benchmarks()
