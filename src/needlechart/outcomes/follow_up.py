"""The follow-up questionnaire's side effects and impacts, loaded from data/follow_up.yaml and validated."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from needlechart.content import ContentError, Text, bilingual, read_mapping, require_source, wrong_types_named
from needlechart.knowledge.treatment import SOURCES_REGISTRY, treatment_catalog

DATA_DIR = Path(__file__).resolve().parent / "data"
FILE = "follow_up.yaml"
SEVERITIES = ("mild", "significant", "serious")


@dataclass(frozen=True)
class SideEffect:
    id: str
    adverse_event: str
    text: Text
    urgent: bool
    source: str


@dataclass(frozen=True)
class Impact:
    id: str
    severity: str
    text: Text


@dataclass(frozen=True)
class FollowUpForm:
    alert_soreness_at: int
    side_effects: dict[str, SideEffect]
    impacts: dict[str, Impact]
    urgent_advice: Text


def _source(entry: str, value: Any) -> str:
    return require_source(FILE, entry, value, treatment_catalog().sources, registry=SOURCES_REGISTRY)


def load_follow_up_form(directory: Path = DATA_DIR) -> FollowUpForm:
    raw = read_mapping(directory, FILE)
    event_types = treatment_catalog().adverse_event_types
    with wrong_types_named(FILE, raw):
        soreness = raw["alert_soreness_at"]
        if not isinstance(soreness, int) or not 0 < soreness <= 10:
            raise ContentError(FILE, "alert_soreness_at", "must be a whole number from 1 to 10")
        effects: dict[str, SideEffect] = {}
        for item in raw["side_effects"]:
            entry = str(item.get("id"))
            if entry in effects or not entry.isidentifier():
                raise ContentError(FILE, entry, "needs a unique id of letters, digits and '_'")
            if item.get("adverse_event") not in event_types:
                raise ContentError(FILE, entry, f"adverse_event '{item.get('adverse_event')}' is not in adverse_events.yaml")
            text = bilingual(FILE, entry, item.get("text"), "text")
            effects[entry] = SideEffect(
                entry, item["adverse_event"], text, bool(item.get("urgent", False)), _source(entry, item.get("source"))
            )
        impacts: dict[str, Impact] = {}
        for item in raw["impacts"]:
            entry = str(item.get("id"))
            if item.get("severity") not in SEVERITIES or entry in impacts:
                raise ContentError(FILE, entry, f"needs a unique id and a severity of {', '.join(SEVERITIES)}")
            impacts[entry] = Impact(entry, item["severity"], bilingual(FILE, entry, item.get("text"), "text"))
        if not effects or set(SEVERITIES) - {impact.severity for impact in impacts.values()}:
            raise ContentError(FILE, "-", "needs side effects and an impact for every severity")
        advice = bilingual(FILE, "urgent_advice", raw["urgent_advice"], "urgent_advice")
        _source("urgent_advice", raw.get("urgent_advice_source"))
    return FollowUpForm(soreness, effects, impacts, advice)


@cache
def follow_up_form() -> FollowUpForm:
    return load_follow_up_form()
