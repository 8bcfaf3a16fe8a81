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
    for_the_day: bool = False  # the answer holds on the day it is given only (e.g. intoxication)
    sites: tuple[tuple[str, Match], ...] = ()  # a body-area question: the site each option stands for

    def option_label(self, value: str) -> Text | None:
        return next((label for option, label in self.options if option == value), None)

    def site_of(self, value: str) -> Match | None:
        return next((site for option, site in self.sites if option == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    staff_only: bool
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Match:
    """Which planned muscles a check or a safety-netting item concerns (docs/treatment-data.md).

    ``kind`` is ``thorax``, ``deep``, ``structures_any`` (``values``: structure ids), ``site`` (muscles
    lying in any of the body-map groups in ``values`` or the base regions in ``regions``, or named in
    ``muscles``), ``areas_from`` (``values``: a body-area question; resolved into sites from the
    patient's answer, limited to ``areas`` when given), ``estim`` (a needling entry with electrical
    stimulation), or, for safety-netting only, ``anticoagulants`` and ``any_needling``. ``side``
    limits a match to one side; ``estim`` (the flag) limits any match to entries with electrical
    stimulation.
    """

    kind: str
    values: tuple[str, ...] = ()
    side: str = ""
    regions: tuple[str, ...] = ()
    muscles: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    estim: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    when: dict[str, Any]
    message: Text
    source: str
    session_match: Match | None
    session_message: Text | None
    session_level: str | None = None  # the check's level as shipped (block|warn|info); None: from the severity
    unverified: bool = False  # its source is not checked against a primary source: labelled in the UI


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
    replaces: tuple[str, ...] = ()  # advice ids this automatic advice stands in for (they would contradict it)


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


ADVERSE_EVENT_SEVERITIES = ("mild", "significant", "serious")  # White et al. 2001, mildest first


@dataclass(frozen=True)
class AdverseEventType:
    id: str
    name: Text
    brady_rate_percent: float | None
    source: str
    minimum_severity: str = "mild"  # an event of this type is never graded below this
    minimum_source: str | None = None
    minimum_unverified: bool = False

    def allows(self, severity: str) -> bool:
        """Whether ``severity`` is at or above this type's minimum."""
        order = ADVERSE_EVENT_SEVERITIES
        return severity in order and order.index(severity) >= order.index(self.minimum_severity)

    def at_least_minimum(self, severity: str) -> str:
        return severity if self.allows(severity) else self.minimum_severity


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
