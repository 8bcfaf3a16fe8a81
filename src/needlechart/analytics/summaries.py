"""Recompute the reporting rows of one session or one episode, or rebuild them all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.charting.models import Encounter, Note
from needlechart.needling.models import AdverseEvent, NeedlingEntry
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode

PAIN_INSTRUMENT = "nprs"  # responder status on the dashboard follows the NPRS, as most published series do


def session_fact(encounter: Encounter, condition: str, severities: Collection[str]) -> SessionFact:
    """The row of a signed needling session: its episode's condition and the severities of its adverse events."""
    return SessionFact(
        encounter_id=encounter.pk,
        clinic_id=encounter.clinic_id,
        patient_id=encounter.patient_id,
        episode_id=encounter.episode_id,
        practitioner_id=encounter.practitioner_id,
        condition=condition,
        day=timezone.localdate(encounter.starts_at),
        ae_mild="mild" in severities,
        ae_significant="significant" in severities,
        ae_serious="serious" in severities,
    )


_Row = TypeVar("_Row", SessionFact, EpisodeOutcome)


def _store(row: _Row) -> None:
    """Insert the row, or update every column of the one stored under its key: one statement
    (``save()`` sends an UPDATE and then, for a new row, an INSERT)."""
    model = type(row)
    columns = [f.name for f in model._meta.concrete_fields if not (f.primary_key or f.generated)]
    model._default_manager.bulk_create([row], update_conflicts=True, unique_fields=["pk"], update_fields=columns)


def refresh_session(encounter_id) -> None:
    """A signed visit with needling has one SessionFact; anything else has none."""
    encounter = Encounter.objects.select_related("episode").get(pk=encounter_id)
    signed = Note.objects.filter(encounter_id=encounter_id, signed_at__isnull=False).exists()
    if not (signed and NeedlingEntry.objects.filter(encounter_id=encounter_id).exists()):
        SessionFact.objects.filter(encounter_id=encounter_id).delete()
        return
    session_signed(encounter)


def session_signed(encounter: Encounter) -> None:
    """The SessionFact of a visit whose note is signed and which has needling (the caller knows
    both: it signed the note), from the encounter with its episode as read for the signing."""
    severities = set(AdverseEvent.objects.filter(encounter_id=encounter.pk).order_by().values_list("severity", flat=True))
    _store(session_fact(encounter, encounter.episode.condition, severities))


def episode_outcome(
    episode: Episode, sessions: Iterable[tuple[dt.date, Any, Any]], scores: Iterable[tuple[dt.datetime, Any, float]]
) -> EpisodeOutcome:
    """The row of an episode from its sessions, as (day, encounter id, practitioner id), and its NPRS scores not
    retracted, as (taken at, measurement id, score). Sessions on one day, or scores taken at one time, go by id."""
    sessions, scores = sorted(sessions), sorted(scores)
    outcome = EpisodeOutcome(
        episode_id=episode.pk,
        clinic_id=episode.clinic_id,
        condition=episode.condition,
        practitioner_id=sessions[0][2] if sessions else None,
        first_session=sessions[0][0] if sessions else None,
        sessions=len(sessions),
    )
    if scores:
        outcome.baseline_nprs, outcome.latest_nprs = scores[0][2], scores[-1][2]
    if len(scores) >= 2:
        nprs = shipped_instruments()[PAIN_INSTRUMENT]
        baseline = scores[0][2]
        outcome.nprs_improvement = nprs.improvement(baseline, scores[-1][2])
        outcome.responder = nprs.responder_status(baseline, scores[-1][2], episode.condition)
        first_response = next((taken for taken, _, score in scores[1:] if nprs.responder_status(baseline, score, episode.condition)), None)
        if first_response is not None:
            outcome.sessions_to_response = sum(1 for day, _, _ in sessions if day <= timezone.localdate(first_response))
    return outcome


def refresh_episode(episode_id, episode: Episode | None = None) -> EpisodeOutcome:
    """The episode's EpisodeOutcome from its sessions and scores (``episode``: its row, when the
    caller has read it in the same transaction)."""
    sessions = SessionFact.objects.filter(episode_id=episode_id).values_list("day", "encounter_id", "practitioner_id")
    scores = Measurement.objects.filter(episode_id=episode_id, instrument=PAIN_INSTRUMENT, retracted_at__isnull=True)
    if episode is None or episode.pk != episode_id:
        episode = Episode.objects.get(pk=episode_id)
    outcome = episode_outcome(episode, sessions, scores.values_list("taken_at", "id", "score"))
    _store(outcome)
    return outcome


@transaction.atomic
def rebuild(clinic_id=None) -> tuple[int, int]:
    """Recompute every row (or one clinic's) from the records; returns (sessions, episodes)."""
    facts = SessionFact.objects.all() if clinic_id is None else SessionFact.objects.filter(clinic_id=clinic_id)
    outcomes = EpisodeOutcome.objects.all() if clinic_id is None else EpisodeOutcome.objects.filter(clinic_id=clinic_id)
    facts.delete()
    outcomes.delete()
    notes = Note.objects.filter(signed_at__isnull=False, encounter__needling_entries__isnull=False)
    if clinic_id is not None:
        notes = notes.filter(clinic_id=clinic_id)
    for encounter_id in notes.values_list("encounter_id", flat=True).distinct().iterator():
        refresh_session(encounter_id)
    episodes = Episode.objects.all() if clinic_id is None else Episode.objects.filter(clinic_id=clinic_id)
    episode_ids = set(SessionFact.objects.filter(episode__in=episodes).values_list("episode_id", flat=True))
    episode_ids |= set(Measurement.objects.filter(episode__in=episodes).values_list("episode_id", flat=True))
    for episode_id in episode_ids:
        refresh_episode(episode_id)
    return len(set(notes.values_list("encounter_id", flat=True))), len(episode_ids)
