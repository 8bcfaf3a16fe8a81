"""How often the patient did each home programme, beside the outcome they reported with it.

A visit's home programme (homecare) is asked about on that visit's follow-up questions
(``FollowUpResponse.home_programme_adherence``); the same answers carry the outcome measures the
patient gave then (NPRS, GROC...). The progress page, its PDF and the chart's progress panel show
the two side by side, one row per visit that had a programme.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Count

from needlechart.homecare.models import Adherence, ProgrammeItem
from needlechart.outcomes.models import FollowUpResponse, Measurement
from needlechart.outcomes.registry import instrument_for_clinic
from needlechart.patients.models import Episode


@dataclass(frozen=True)
class Outcome:
    label: str  # the instrument's abbreviation
    score: float


@dataclass
class AdherenceRow:
    """One visit's programme: how many items, what the patient answered and the outcome beside it."""

    visit: dt.datetime
    items: int
    answered: dt.datetime | None = None  # when the follow-up was answered (None: not yet)
    adherence: str = ""  # Adherence value; empty when not answered
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def adherence_label(self) -> str:
        return str(Adherence(self.adherence).label) if self.adherence in Adherence.values else ""


def episode_adherence(episode: Episode) -> list[AdherenceRow]:
    """The episode's visits with a home programme, oldest first."""
    programmes = (
        ProgrammeItem.objects.filter(encounter__episode=episode, clinic_id=episode.clinic_id)
        .values("encounter_id", "encounter__starts_at")
        .annotate(items=Count("id"))
        .order_by("encounter__starts_at")
    )
    rows = {p["encounter_id"]: AdherenceRow(p["encounter__starts_at"], p["items"]) for p in programmes}
    if not rows:
        return []
    responses = FollowUpResponse.objects.filter(encounter_id__in=rows, clinic_id=episode.clinic_id).order_by("submitted_at")
    answered: dict[uuid.UUID, FollowUpResponse] = {}
    for response in responses.only("id", "encounter_id", "submitted_at", "home_programme_adherence"):
        answered[response.encounter_id] = response  # the latest answer of each visit
    measures = Measurement.objects.filter(follow_up__in=list(answered.values()), retracted_at__isnull=True).order_by("instrument")
    by_response: dict[uuid.UUID | None, list[Measurement]] = {}
    for measurement in measures.only("follow_up_id", "instrument", "score"):
        by_response.setdefault(measurement.follow_up_id, []).append(measurement)
    for encounter_id, response in answered.items():
        row = rows[encounter_id]
        row.answered, row.adherence = response.submitted_at, response.home_programme_adherence
        for measurement in by_response.get(response.pk, []):
            instrument = instrument_for_clinic(episode.clinic_id, measurement.instrument)
            if instrument is not None:
                row.outcomes.append(Outcome(instrument.abbreviation, measurement.score))
    return list(rows.values())
