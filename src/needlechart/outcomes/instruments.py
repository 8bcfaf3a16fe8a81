"""Outcome instruments: the free ones needlechart ships and the licensed ones a clinic defines.

Instruments are data (``data/instruments.yaml``; format in docs/outcomes-data.md), loaded and
validated by ``instrument_loading``. Scoring, change and responder status live on ``Instrument``
here, so every page, export and dashboard gets the same answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from needlechart.content import Text

MAX_ACTIVITY_NAME = 100
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")  # also used in form field names ('<instrument>.<item>'): no dots
_ANSWER_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
TOLERANCE = 1e-9
Better = Literal["lower", "higher"]
Scoring = Literal["single", "mean", "sum"]
Responder = Literal["improvement", "threshold"]
Respondent = Literal["patient", "clinician"]
Licence = Literal["free", "clinic"]


class AnswerError(ValueError):
    """Answers that cannot be scored: ``errors`` maps an item id (or "activities") to a message for the person answering."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Choice:
    value: float
    label: Text


@dataclass(frozen=True)
class Item:
    """One question or measurement. With ``choices`` an answer must be one of their values and
    min/max/step are taken from them; otherwise it is a number on the min..max scale in steps."""

    id: str
    text: Text
    min: float
    max: float
    step: float
    anchors: dict[float, Text]
    choices: tuple[Choice, ...] = ()

    def clean(self, raw: Any) -> float:
        """The answer as a number; ValueError with a message for the person answering."""
        value = _read_answer(raw)
        if value is None:
            raise ValueError(_("This question needs an answer."))
        if self.choices:
            if value not in {choice.value for choice in self.choices}:
                raise ValueError(_("Choose one of the answers."))
        elif math.isnan(value):
            raise ValueError(_("Enter a number."))
        elif not self.min <= value <= self.max:
            raise ValueError(_("Enter a number from %(min)s to %(max)s.") % {"min": _local(self.min), "max": _local(self.max)})
        elif not on_step(value, self.min, self.step):
            raise ValueError(_("Enter a number in steps of %(step)s.") % {"step": _local(self.step)})
        return value


@dataclass(frozen=True)
class ActivitySpec:
    """Activities the patient names and rates (PSFS): how many, and the scale each is rated on."""

    min_count: int
    max_count: int
    scale: Item


@dataclass(frozen=True)
class Mcid:
    """Minimal clinically important difference: ``points`` of change, or ``percent`` of the baseline."""

    points: float | None
    percent: float | None
    source: str
    note: Text | None
    by_condition: dict[str, tuple[float, str]]  # condition id -> (points, source)


@dataclass(frozen=True)
class Scored:
    value: float
    answers: dict[str, Any]  # cleaned, JSON-serialisable


@dataclass(frozen=True)
class Instrument:
    id: str
    name: Text
    abbreviation: str
    description: Text
    unit: Text
    better: Better
    score_min: float
    score_max: float
    items: tuple[Item, ...]
    scoring: Scoring
    multiplier: float
    decimals: int
    activities: ActivitySpec | None
    mcid: Mcid | None
    responder: Responder | None
    responder_threshold: float | None
    respondent: Respondent
    follow_up: bool
    licence: Licence
    licence_note: Text | None
    loinc: str | None
    sources: tuple[str, ...]  # source ids; a clinic's definition may give a citation text instead

    def score(self, answers: Mapping[str, Any]) -> Scored:
        """Check and score answers: ``{item_id: value}``, or ``{"activities": [{"name", "score"}, ...]}``."""
        if self.activities is not None:
            try:
                rated = _clean_activities(self.activities, answers.get("activities"))
            except ValueError as problem:
                raise AnswerError({"activities": str(problem)}) from None
            return Scored(self._combine([row["score"] for row in rated]), {"activities": rated})
        cleaned, errors = {}, {}
        for item in self.items:
            try:
                cleaned[item.id] = plain_number(item.clean(answers.get(item.id)))
            except ValueError as problem:
                errors[item.id] = str(problem)
        if errors:
            raise AnswerError(errors)
        return Scored(self._combine(list(cleaned.values())), cleaned)

    def _combine(self, values: list[float]) -> float:
        total = math.fsum(values)
        raw = {"single": values[0], "mean": total / len(values), "sum": total}[self.scoring]
        return round_half_up(raw * self.multiplier, self.decimals)

    def improvement(self, baseline: float, current: float) -> float:
        """Change from baseline, positive when the patient is better (a fall in pain, a rise in function)."""
        change = current - baseline if self.better == "higher" else baseline - current
        return round(change, 10)  # drops float noise (5.3 - 3.3 = 1.9999999999999996) without rounding real decimals

    def mcid_points(self, condition: str | None = None) -> float | None:
        if self.mcid is None:
            return None
        if condition in self.mcid.by_condition:
            return self.mcid.by_condition[condition][0]
        return self.mcid.points

    def responder_status(self, baseline: float | None, current: float, condition: str | None = None) -> bool | None:
        """Whether the current score shows a meaningful improvement; None when it cannot be told
        (no rule, or no baseline for an improvement rule)."""
        if self.responder == "threshold" and self.responder_threshold is not None:
            return current >= self.responder_threshold - TOLERANCE
        if self.responder != "improvement" or baseline is None or self.mcid is None:
            return None
        gained = self.improvement(baseline, current)
        points = self.mcid_points(condition)
        if points is not None and gained >= points - TOLERANCE:
            return True
        percent = self.mcid.percent
        return percent is not None and baseline != 0 and gained * 100 >= percent * abs(baseline) - TOLERANCE


# --- answers -----------------------------------------------------------------------------------


def _read_answer(raw: Any) -> float | None:
    """A number from an answer (a number, or form text such as '7' or '7.5'); None when empty, NaN when not a number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str) and _ANSWER_NUMBER.fullmatch(raw.strip()):
        value = float(raw.strip())
    else:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _clean_activities(spec: ActivitySpec, raw: Any) -> list[dict[str, Any]]:
    rows = raw if isinstance(raw, (list, tuple)) else []
    cleaned: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        name = row.get("name") if isinstance(row, Mapping) else None
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            raise ValueError(_("Give activity %(number)d a name.") % {"number": number})
        if len(name) > MAX_ACTIVITY_NAME:
            raise ValueError(
                _("Shorten the name of activity %(number)d to %(max)d characters or fewer.") % {"number": number, "max": MAX_ACTIVITY_NAME}
            )
        if name.casefold() in {row["name"].casefold() for row in cleaned}:
            raise ValueError(_("Activity %(number)d is already on the list.") % {"number": number})
        try:
            score = spec.scale.clean(row.get("score"))
        except ValueError as problem:
            raise ValueError(_("Activity %(number)d: %(problem)s") % {"number": number, "problem": problem}) from None
        cleaned.append({"name": name, "score": plain_number(score)})
    if not spec.min_count <= len(cleaned) <= spec.max_count:
        raise ValueError(_("Name and rate from %(min)d to %(max)d activities.") % {"min": spec.min_count, "max": spec.max_count})
    return cleaned


# --- numbers -----------------------------------------------------------------------------------


def on_step(value: float, start: float, step: float) -> bool:
    """Whether value lies a whole number of steps from start (in decimal arithmetic: 0.1 steps work)."""
    steps = (_decimal(value) - _decimal(start)) / _decimal(step)
    return steps == steps.to_integral_value()


def round_half_up(value: float, decimals: int) -> float:
    """Round as people do on paper (2.25 -> 2.3), not to even as ``round`` does."""
    rounded = _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return float(rounded) + 0.0  # + 0.0 turns -0.0 into 0.0


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))  # the shortest repr: 0.1 stays 0.1


def plain_number(value: float) -> int | float:
    """An int when the value is whole (7, not 7.0), for stored answers and messages."""
    return int(value) if float(value).is_integer() else value


def plain(value: float) -> str:
    return str(plain_number(value))


def _local(value: float) -> str:
    """A number as the active language writes it (0.1 in English, 0,1 in Norwegian), for messages."""
    return number_format(plain_number(value))
