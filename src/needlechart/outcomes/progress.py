"""Every measure of one episode over time, with its baseline, latest value, MCID and responder status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import F, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.outcomes.instruments import Instrument
from needlechart.outcomes.models import Measurement, MeasurementSource, visit_measure_taken_at
from needlechart.outcomes.registry import instrument_for_clinic
from needlechart.patients.models import Episode


@dataclass(frozen=True)
class Point:
    when: dt.datetime
    value: float
    by_patient: bool


@dataclass
class Series:
    key: str
    instrument: Instrument
    label: str
    condition: str
    points: list[Point] = field(default_factory=list)

    @property
    def baseline(self) -> float | None:
        return self.points[0].value if self.points else None

    @property
    def latest(self) -> float | None:
        return self.points[-1].value if self.points else None

    @property
    def improvement(self) -> float | None:
        if len(self.points) < 2 or self.baseline is None or self.latest is None:
            return None
        return self.instrument.improvement(self.baseline, self.latest)

    @property
    def responder(self) -> bool | None:
        """None until there is a value after the baseline (threshold rules need only one value)."""
        if not self.points or (self.instrument.responder == "improvement" and len(self.points) < 2):
            return None
        return self.instrument.responder_status(self.baseline, self.points[-1].value, self.condition)

    @property
    def mcid_text(self) -> str:
        """The responder rule in words, e.g. '2 points or 30%' or 'at least +3'."""
        instrument = self.instrument
        if instrument.responder == "threshold" and instrument.responder_threshold is not None:
            return _("at least %(value)s") % {"value": f"{instrument.responder_threshold:+g}"}
        points = instrument.mcid_points(self.condition)
        percent = instrument.mcid.percent if instrument.mcid else None
        parts = [f"{points:g} {instrument.unit.get(translation.get_language() or 'en')}"] if points is not None else []
        parts += [f"{percent:g}%"] if percent else []
        return _(" or ").join(parts)

    @property
    def responder_line(self) -> float | None:
        """The value the latest measure must reach to count as a response (drawn on the chart)."""
        instrument = self.instrument
        if instrument.responder == "threshold":
            return instrument.responder_threshold
        if instrument.responder != "improvement" or self.baseline is None:
            return None
        steps = [instrument.mcid_points(self.condition)]
        if instrument.mcid and instrument.mcid.percent and self.baseline:
            steps.append(abs(self.baseline) * instrument.mcid.percent / 100)
        step = min((s for s in steps if s is not None), default=None)
        if step is None:
            return None
        return self.baseline - step if instrument.better == "lower" else self.baseline + step


def _side(side: str) -> str:
    """The side of a needling row (needling.models.Side: "l" or "r") in words."""
    return {"l": _("left"), "r": _("right")}.get(side.lower(), "")


_Row = TypeVar("_Row", PressurePainThreshold, RangeOfMotion)


def _by_visit_time(rows: QuerySet[_Row]) -> list[tuple[_Row, dt.datetime]]:
    """Needling measures (annotated with their note's ``signed_at``) with when they were taken, oldest first.

    They are stored without a time of their own: their visit's booked start, or its signing if
    that came first (visit_measure_taken_at), so they stand on the same time line as the measures.
    """
    timed = [
        (row, visit_measure_taken_at(booked_start=row.encounter.starts_at, signed_at=getattr(row, "signed_at", None), recorded_at=None))
        for row in rows
    ]
    return sorted(timed, key=lambda pair: pair[1])


def episode_progress(episode: Episode) -> list[Series]:
    """Patient-reported and clinic measures first (in instrument order), then pressure thresholds and range of motion.

    Every series is in the order its values were taken (``Measurement.taken_at``): a follow-up
    answer sent between two visits falls between them, whatever time the visits were booked for.
    """
    language = translation.get_language() or "en"
    series: dict[str, Series] = {}
    measurements = Measurement.objects.filter(episode=episode, retracted_at__isnull=True).order_by("taken_at", "source")
    for m in measurements.only("instrument", "score", "taken_at", "source"):
        if m.instrument not in series:
            instrument = instrument_for_clinic(episode.clinic_id, m.instrument)
            if instrument is None:
                continue
            series[m.instrument] = Series(m.instrument, instrument, instrument.abbreviation, episode.condition)
        series[m.instrument].points.append(Point(m.taken_at, m.score, m.source == MeasurementSource.FOLLOW_UP))
    muscles, joints, shipped = catalog().muscles, treatment_catalog().joints, shipped_instruments()
    order = {code: number for number, code in enumerate(shipped)}
    ordered = sorted(series.values(), key=lambda s: (order.get(s.key, len(order)), s.key))
    extra: dict[str, Series] = {}
    thresholds = PressurePainThreshold.objects.filter(encounter__episode=episode).select_related("encounter")
    for ppt, when in _by_visit_time(thresholds.annotate(signed_at=F("encounter__note__signed_at"))):
        key = f"ppt:{ppt.muscle_id}:{ppt.side}"
        if key not in extra:
            muscle = muscles.get(ppt.muscle_id)
            label = f"{shipped['ppt'].abbreviation}: {muscle.name.get(language) if muscle else ppt.muscle_id} ({_side(ppt.side)})"
            extra[key] = Series(key, shipped["ppt"], label, episode.condition)
        extra[key].points.append(Point(when, round(ppt.mean_kpa, 1), False))
    movements = RangeOfMotion.objects.filter(encounter__episode=episode).select_related("encounter")
    for rom, when in _by_visit_time(movements.annotate(signed_at=F("encounter__note__signed_at"))):
        key = f"rom:{rom.joint}:{rom.movement}:{rom.side}"
        if key not in extra:
            joint = joints.get(rom.joint)
            movement = next((mv for mv in joint.movements if mv.id == rom.movement), None) if joint else None
            name = f"{joint.name.get(language)}, {movement.name.get(language)}" if joint and movement else f"{rom.joint} {rom.movement}"
            label = f"{shipped['rom'].abbreviation}: {name}" + (f" ({_side(rom.side)})" if rom.side else "")
            extra[key] = Series(key, shipped["rom"], label, episode.condition)
        extra[key].points.append(Point(when, float(rom.degrees), False))
    return ordered + sorted(extra.values(), key=lambda s: s.key)
