"""The shapes of the treatment data once loaded (see ``knowledge.treatment`` for loading and checks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from needlechart.content import Source, Text


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    type: str
    label: Text
    help: Text | None
    options: tuple[tuple[str, Text], ...]
    minimum: float | None
    maximum: float | None
    required: bool
    show_if: dict[str, Any] | None
    staff_only: bool

    def option_label(self, value: str) -> Text | None:
        return next((label for option, label in self.options if option == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    staff_only: bool
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Match:
    """Which planned muscles a check or a safety-netting item concerns."""

    kind: str
    values: tuple[str, ...] = ()
    side: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    when: dict[str, Any]
    message: Text
    source: str
    session_match: Match | None
    session_message: Text | None


@dataclass(frozen=True)
class ConsentRisk:
    id: str
    always: bool
    when_planned: Match | None
    text: Text


@dataclass(frozen=True)
class ConsentVersion:
    version: int
    valid_from: dt.date
    title: Text
    body: Text
    risks: tuple[ConsentRisk, ...]
    source: str


@dataclass(frozen=True)
class Advice:
    id: str
    default: bool
    text: Text
    source: str


@dataclass(frozen=True)
class SafetyNet:
    id: str
    trigger: Match
    text: Text
    source: str


@dataclass(frozen=True)
class Movement:
    id: str
    name: Text
    normal_degrees: int
    sided: bool


@dataclass(frozen=True)
class Joint:
    id: str
    name: Text
    movements: tuple[Movement, ...]
    source: str


@dataclass(frozen=True)
class AdverseEventType:
    id: str
    name: Text
    brady_rate_percent: float | None
    source: str


@dataclass(frozen=True)
class TreatmentCatalog:
    sources: dict[str, Source]
    sections: tuple[Section, ...]
    questions: dict[str, Question]
    rules: dict[str, Rule]
    consent_versions: tuple[ConsentVersion, ...]
    advice: dict[str, Advice]
    safety_nets: dict[str, SafetyNet]
    joints: dict[str, Joint]
    adverse_event_types: dict[str, AdverseEventType]
    severities: dict[str, tuple[Text, Text]]

    def current_consent(self, on: dt.date) -> ConsentVersion:
        valid = [c for c in self.consent_versions if c.valid_from <= on]
        return max(valid or self.consent_versions, key=lambda c: c.version)
