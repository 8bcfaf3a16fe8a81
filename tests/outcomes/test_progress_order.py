"""Every measure is ordered by when it was taken, not by when its visit was booked (issue 13).

The clinic day that found it: a visit booked for the afternoon was seen and signed in the
morning, NPRS 7 recorded at it; the patient answered the follow-up questions at noon with 4.
Dated by the booked start, the 7 came after the 4, and a drop from 7 to 4 read "Not yet a
responder".
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from needlechart.analytics.models import EpisodeOutcome
from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.needling import services as needling
from needlechart.outcomes.models import Measurement, visit_measure_taken_at
from needlechart.outcomes.progress import episode_progress
from tests.outcomes.conftest import answers, link_for, nprs, psfs, sign, visit

MIGRATION = importlib.import_module("needlechart.outcomes.migrations.0002_visit_measures_taken_when_entered")


def _nprs(episode):
    return next(s for s in episode_progress(episode) if s.key == "nprs")


@pytest.fixture
def seen_early(front_desk, episode, practitioner):
    """A visit booked two hours from now, seen now: NPRS 7 (and a PSFS) recorded, the note signed."""
    booked = (timezone.now() + dt.timedelta(hours=2)).replace(microsecond=0)
    encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=booked)
    nprs(practitioner, encounter, 7)
    psfs(practitioner, encounter)
    sign(practitioner, encounter)
    return encounter


def test_a_drop_from_7_to_4_answered_before_the_booked_time_is_a_response(client, client_for, practitioner, episode, seen_early):
    _link, path = link_for(seen_early)
    assert client.post(path, answers(**{"nprs.pain": "4"})).status_code == 200  # the patient answers before the booked time

    answer = Measurement.objects.get(instrument="nprs", source="follow_up")
    assert answer.taken_at < seen_early.starts_at  # sent before the visit's booked start
    series = _nprs(episode)
    assert [(p.value, p.by_patient) for p in series.points] == [(7, False), (4, True)]
    assert (series.baseline, series.latest, series.improvement, series.responder) == (7, 4, 3, True)
    page = client_for(practitioner).get(reverse("episode_progress", args=[episode.pk])).content.decode()
    nprs_block = page[page.index("NPRS") :]
    assert "Not yet a responder" not in page and ">Responder<" in nprs_block
    outcome = EpisodeOutcome.objects.get(episode=episode)  # analytics orders by the same time
    assert (outcome.baseline_nprs, outcome.latest_nprs, outcome.responder) == (7, 4, True)


def test_a_measure_entered_at_the_visit_is_dated_when_entered(practitioner, seen_early):
    measure = Measurement.objects.get(instrument="nprs")
    signed_at = Note.objects.get(encounter=seen_early).signed_at
    assert measure.taken_at <= signed_at < seen_early.starts_at


def test_a_measure_written_up_on_a_later_day_keeps_the_booked_start(practitioner, front_desk, episode):
    encounter = visit(front_desk, episode, practitioner, 3)
    assert nprs(practitioner, encounter, 6).taken_at == encounter.starts_at


def test_a_measure_entered_after_signing_is_dated_no_later_than_the_signing(practitioner, seen_early):
    late = nprs(practitioner, seen_early, 5)  # added to the signed visit afterwards
    assert late.taken_at == Note.objects.get(encounter=seen_early).signed_at


def test_needling_measures_of_a_visit_signed_before_its_booked_time_are_dated_by_the_signing(practitioner, front_desk, episode):
    earlier = visit(front_desk, episode, practitioner, 7)
    needling.pressure_pain_record(actor=practitioner, encounter=earlier, muscle_id="upper_trapezius", side="r", trials_kpa=[250])
    today = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now() + dt.timedelta(hours=3)
    )
    needling.pressure_pain_record(actor=practitioner, encounter=today, muscle_id="upper_trapezius", side="r", trials_kpa=[300])
    signed_at = sign(practitioner, today).signed_at
    series = next(s for s in episode_progress(episode) if s.key == "ppt:upper_trapezius:r")
    assert [(p.when, p.value) for p in series.points] == [(earlier.starts_at, 250), (signed_at, 300)]


@pytest.mark.parametrize(
    ("recorded", "signed", "expected"),
    [
        ("10:05", None, "10:05"),  # seen early, not signed yet
        ("10:05", "10:30", "10:05"),  # seen early and signed
        ("16:10", "16:40", "16:10"),  # seen late
        ("11:00", "10:30", "10:30"),  # entered after the signing
        ("next day 09:00", None, "15:00"),  # written up the next day: the booked start
        ("next day 09:00", "10:30", "10:30"),  # ... but no later than the signing
        (None, None, "15:00"),  # entry time unknown
    ],
)
def test_the_rule(recorded, signed, expected):
    day = dt.date(2026, 3, 2)

    def at(text):
        if text is None:
            return None
        when = day + dt.timedelta(days=1) if text.startswith("next day") else day
        return timezone.make_aware(dt.datetime.combine(when, dt.time.fromisoformat(text.removeprefix("next day "))))

    assert visit_measure_taken_at(booked_start=at("15:00"), signed_at=at(signed), recorded_at=at(recorded)) == at(expected)
    assert MIGRATION._taken_at(at("15:00"), at(signed), at(recorded)) == at(expected)  # the migration's copy of it


# --- the data migration: rows stored before, dated by the booked start ---------------------------


def _as_stored_before(*measures: Measurement) -> None:
    for measure in measures:
        Measurement.objects.filter(pk=measure.pk).update(taken_at=measure.encounter.starts_at)


def test_the_migration_dates_stored_visit_measures_by_their_entry(client, practitioner, front_desk, episode, seen_early):
    _link, path = link_for(seen_early)
    assert client.post(path, answers(**{"nprs.pain": "4"})).status_code == 200
    written_up = visit(front_desk, episode, practitioner, 10)
    old = nprs(practitioner, written_up, 8)
    at_visit = Measurement.objects.get(instrument="nprs", encounter=seen_early, source="clinic")
    answered = Measurement.objects.get(instrument="nprs", source="follow_up")
    expected = {m.pk: m.taken_at for m in Measurement.objects.all()}
    _as_stored_before(at_visit, old, *Measurement.objects.filter(encounter=seen_early, source="clinic"))
    assert [p.value for p in _nprs(episode).points] == [8, 4, 7]  # the bug, as stored

    MIGRATION.date_by_entry(django_apps, None)

    migrated = {m.pk: m.taken_at for m in Measurement.objects.all()}
    assert migrated.keys() == expected.keys()  # the audit entry is written a moment after the row:
    assert all(dt.timedelta(0) <= migrated[pk] - expected[pk] < dt.timedelta(seconds=1) for pk in expected)
    assert migrated[old.pk] == written_up.starts_at
    assert [p.value for p in _nprs(episode).points] == [8, 7, 4]
    assert Measurement.objects.get(pk=answered.pk).taken_at == answered.taken_at  # follow-up answers untouched

    MIGRATION.date_by_booked_start(django_apps, None)  # backwards: as before
    assert Measurement.objects.get(pk=at_visit.pk).taken_at == seen_early.starts_at
    assert Measurement.objects.get(pk=answered.pk).taken_at == answered.taken_at


def test_the_migration_without_an_entry_in_the_audit_log_uses_the_signing(practitioner, seen_early):
    """Rows written without the service (imported, or the benchmark's synthetic data) have no audit entry."""
    measure = Measurement.objects.get(instrument="nprs")
    Measurement.objects.filter(pk=measure.pk).update(taken_at=seen_early.starts_at)
    assert AuditEvent.objects.filter(object_type="measurement", object_id=str(measure.pk)).exists()
    imported = Measurement.objects.create(
        clinic_id=measure.clinic_id,
        patient_id=measure.patient_id,
        episode_id=measure.episode_id,
        encounter=seen_early,
        instrument="groc",
        score=3,
        answers={"change": 3},
        source="clinic",
        taken_at=seen_early.starts_at,
    )
    MIGRATION.date_by_entry(django_apps, None)
    signed_at = Note.objects.get(encounter=seen_early).signed_at
    assert Measurement.objects.get(pk=imported.pk).taken_at == signed_at
    assert Measurement.objects.get(pk=measure.pk).taken_at < signed_at  # from its audit entry
