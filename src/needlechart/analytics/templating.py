"""The clinic dashboard's words and figures for its template: rates and means with their intervals,
the published figures beside them. Every filter returns plain text (the template escapes it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import formats
from django.utils.translation import gettext as _

from needlechart.needling.models import AdverseEventSeverity
from needlechart.outcomes.benchmarks import AdverseEventStudy, MetaAnalysisFigure
from needlechart.outcomes.instrument_loading import outcome_sources
from needlechart.outcomes.instruments import round_half_up
from needlechart.outcomes.stats import Interval, MeanInterval
from needlechart.patients.models import ConditionCategory


def _n(value: float, places: int = 1) -> str:
    """Rounded half up to ``places`` decimals; number_format alone cuts the digits off (2/3 would read 66.6%)."""
    return formats.number_format(round_half_up(value, places), decimal_pos=places)


def _range(low: str, high: str) -> str:
    """An interval in words ("-2.29 to -0.76"): a dash would read as a minus beside negative numbers."""
    return _("%(low)s to %(high)s") % {"low": low, "high": high}


def percent_ci(interval: Interval | None) -> str:
    if interval is None:
        return "–"
    return f"{_n(interval.estimate * 100)}% ({_n(interval.low * 100)}–{_n(interval.high * 100)})"


def mean_ci(value: MeanInterval | None) -> str:
    if value is None:
        return "–"
    if value.low is None or value.high is None:
        return f"{_n(value.mean)} (n = {value.n})"
    return f"{_n(value.mean)} ({_range(_n(value.low), _n(value.high))}), n = {value.n}"


def severity_label(severity: str) -> str:
    return str(dict(AdverseEventSeverity.choices).get(severity, severity))


def study_rate(study: AdverseEventStudy, severity: str) -> str:
    rate = study.rate(severity)
    if rate is None:
        return "–"
    if rate.events == 0 and rate.upper_percent is not None:
        return _("none (≤ %(upper)s%%)") % {"upper": _n(rate.upper_percent, 2)}
    return f"{_n(rate.percent, 2)}%"


def source_label(source_id: str) -> str:
    """'navarro-santana-2020' -> 'Navarro-Santana 2020'."""
    name, _sep, year = source_id.rpartition("-")
    return f"{name.title()} {year}" if year.isdigit() else source_id


def citation(source_id: str) -> str:
    """A published figure's source (outcomes' sources files) written out; its id when unknown."""
    source = outcome_sources().get(source_id)
    return source.citation if source else source_id


def condition_labels(conditions: Iterable[str]) -> str:
    labels = dict(ConditionCategory.choices)
    return ", ".join(str(labels.get(c, c)) for c in conditions)


def outcome_label(outcome: str) -> str:
    return {"pain": _("Pain"), "disability": _("Disability")}.get(outcome, outcome)


def effect_text(figure: MetaAnalysisFigure) -> str:
    if figure.measure == "grade":
        return _("Grade %(grade)s recommendation") % {"grade": figure.grade}
    kind = _("SMD") if figure.measure == "smd" else _("MD, NPRS points")
    interval = ""
    if figure.ci_low is not None and figure.ci_high is not None:
        interval = f" ({_range(_n(figure.ci_low, 2), _n(figure.ci_high, 2))})"
    return f"{kind} {_n(figure.estimate or 0, 2)}{interval}"


FILTERS = {
    "percent_ci": percent_ci,
    "mean_ci": mean_ci,
    "severity_label": severity_label,
    "study_rate": study_rate,
    "source_label": source_label,
    "citation": citation,
    "condition_labels": condition_labels,
    "outcome_label": outcome_label,
    "effect_text": effect_text,
}
