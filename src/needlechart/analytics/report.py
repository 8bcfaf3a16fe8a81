"""The clinic dashboard's figures: a handful of indexed aggregates over the reporting tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.clinics.models import User
from needlechart.core.access import Role
from needlechart.outcomes.stats import Interval, MeanInterval, Quartiles, mean_interval, median_and_quartiles_from_counts, wilson_interval
from needlechart.patients.models import ConditionCategory

SEVERITIES = ("mild", "significant", "serious")
MAX_DAYS = 20 * 366


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    practitioner_id: int | None = None
    condition: str | None = None

    def query(self) -> dict[str, str]:
        """As URL parameters, for the CSV link."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.practitioner_id:
            params["practitioner"] = str(self.practitioner_id)
        if self.condition:
            params["condition"] = self.condition
        return params


class FilterError(ValueError):
    pass


def practitioners(clinic_id) -> list[User]:
    return list(User.objects.filter(clinic_id=clinic_id, role=Role.PRACTITIONER).order_by("first_name", "last_name"))


def parse_filters(params, clinic_id) -> Filters:
    """Filters from the query string; the default period is the last twelve months. FilterError names a bad value."""
    today = timezone.localdate()
    try:
        end = dt.date.fromisoformat(params.get("end") or today.isoformat())
        start = dt.date.fromisoformat(params.get("start") or (end - dt.timedelta(days=365)).isoformat())
    except ValueError as exc:
        raise FilterError(_("Dates must be given as YYYY-MM-DD.")) from exc
    except OverflowError as exc:  # an end in year 1 leaves no room for the default start
        raise FilterError(_("The period must start before it ends and cover at most 20 years.")) from exc
    if start > end or (end - start).days > MAX_DAYS:
        raise FilterError(_("The period must start before it ends and cover at most 20 years."))
    practitioner = params.get("practitioner") or None
    if practitioner is not None:
        number = practitioner.isascii() and practitioner.isdigit()  # not "²", which str.isdigit() accepts and int() refuses
        if not number or not User.objects.filter(pk=int(practitioner), clinic_id=clinic_id, role=Role.PRACTITIONER).exists():
            raise FilterError(_("Unknown practitioner."))
        practitioner = int(practitioner)
    condition = params.get("condition") or None
    if condition is not None and condition not in ConditionCategory.values:
        raise FilterError(_("Unknown condition category."))
    return Filters(start, end, practitioner, condition)


@dataclass
class ConditionOutcome:
    condition: str
    label: str
    episodes: int
    with_follow_up: int
    responders: int
    responder_rate: Interval | None
    change: MeanInterval | None


@dataclass
class Report:
    filters: Filters
    months: list[tuple[dt.date, int, int]] = field(default_factory=list)  # month, sessions, patients
    sessions: int = 0
    patients: int = 0
    adverse: dict[str, tuple[int, Interval | None]] = field(default_factory=dict)  # severity -> (sessions with one, rate)
    outcomes: list[ConditionOutcome] = field(default_factory=list)  # per condition, then all together
    to_response: tuple[int, Quartiles] | None = None  # responding episodes, and sessions until their response


def _sessions(clinic_id, f: Filters):
    qs = SessionFact.objects.filter(clinic_id=clinic_id, day__gte=f.start, day__lte=f.end)
    if f.practitioner_id:
        qs = qs.filter(practitioner_id=f.practitioner_id)
    if f.condition:
        qs = qs.filter(condition=f.condition)
    return qs


def _episodes(clinic_id, f: Filters):
    qs = EpisodeOutcome.objects.filter(clinic_id=clinic_id, first_session__gte=f.start, first_session__lte=f.end)
    if f.practitioner_id:
        qs = qs.filter(practitioner_id=f.practitioner_id)
    if f.condition:
        qs = qs.filter(condition=f.condition)
    return qs


def _condition_outcome(condition: str, label: str, row: dict) -> ConditionOutcome:
    return ConditionOutcome(
        condition=condition,
        label=label,
        episodes=row["episodes"],
        with_follow_up=row["with_follow_up"],
        responders=row["responders"],
        responder_rate=wilson_interval(row["responders"], row["with_follow_up"]),
        change=mean_interval(row["changes"], row["total"] or 0.0, row["squares"] or 0.0) if row["changes"] else None,
    )


def _rows(**where) -> Count:
    """Rows counted by their clinic, which every row has and every index holds (the primary key would be read from the table)."""
    return Count("clinic", filter=Q(**where) if where else None)


def clinic_report(clinic_id, f: Filters) -> Report:
    """Four queries, each of which an index of the reporting tables answers without their rows (see analytics.models)."""
    report = Report(f)
    sessions = _sessions(clinic_id, f)
    in_months = sessions.filter(month__gte=f.start.replace(day=1), month__lte=f.end.replace(day=1))  # the same rows: a range of the index
    by_month = in_months.values("month").annotate(
        n=_rows(),
        patients=Count("patient_id", distinct=True),
        **{severity: _rows(**{f"ae_{severity}": True}) for severity in SEVERITIES},
    )
    months = list(by_month.order_by("month"))
    report.months = [(row["month"], row["n"], row["patients"]) for row in months]
    report.sessions = sum(row["n"] for row in months)
    report.patients = sessions.values("patient_id").distinct().count()
    for severity in SEVERITIES:
        count = sum(row[severity] for row in months)
        report.adverse[severity] = (count, wilson_interval(count, report.sessions))
    aggregates = {
        "episodes": _rows(),
        "with_follow_up": _rows(responder__isnull=False),
        "responders": _rows(responder=True),
        "changes": Count("nprs_improvement"),
        "total": Sum("nprs_improvement"),
        "squares": Sum(F("nprs_improvement") * F("nprs_improvement")),
    }
    episodes = _episodes(clinic_id, f)
    rows = {row["condition"]: row for row in episodes.values("condition").annotate(**aggregates)}
    labels = dict(ConditionCategory.choices)
    report.outcomes = [_condition_outcome(c, str(labels[c]), rows[c]) for c in ConditionCategory.values if c in rows]
    if rows:
        overall = {key: sum((row[key] or 0) for row in rows.values()) for key in aggregates}
        report.outcomes.append(_condition_outcome("all", _("All conditions"), overall))
    counts = episodes.filter(sessions_to_response__isnull=False).values("sessions_to_response").annotate(n=_rows())
    histogram = {row["sessions_to_response"]: row["n"] for row in counts}
    quartiles = median_and_quartiles_from_counts(histogram)
    if quartiles is not None:
        report.to_response = (sum(histogram.values()), quartiles)
    return report
