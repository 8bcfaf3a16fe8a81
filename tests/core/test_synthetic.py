"""``needlechart synthetic``: a needling clinic whose signed notes, outcomes and reporting rows are what the app would make.

The command lives in the dev-only app bench/needlechart_bench (on the path through pytest's ``pythonpath``), which the
test settings do not install: the tests run its Command directly.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from needlechart.analytics import summaries
from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.charting.models import Encounter, Note
from needlechart.charting.services import signed_record_verify
from needlechart.charting.signing import note_content_at_signing, signing_states
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.knowledge.catalog import catalog
from needlechart.needling.models import AdverseEvent
from needlechart.needling.session import session_state
from needlechart.needling.signing import SIGNING
from needlechart.outcomes.models import Measurement
from needlechart_bench.management.commands.synthetic import Command as SyntheticCommand

CLINIC = "Synthetic test clinic"


def _synthetic(*args: str) -> str:
    out = io.StringIO()
    call_command(SyntheticCommand(), "--clinic", CLINIC, "--password", "synthetic-password", "--jobs", "1", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def synthetic_clinic(db):
    _synthetic("--patients", "30", "--encounters", "300", "--seed", "7")
    return Note.objects.filter(clinic__name=CLINIC, signed_at__isnull=False).select_related("encounter__practitioner")


def _rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def test_every_signed_visit_is_a_needling_session_signed_as_the_app_would_sign_it(synthetic_clinic):
    muscles = catalog().muscles
    assert synthetic_clinic.count() > 200
    for note in synthetic_clinic:
        state = session_state(note.encounter)
        assert state.entries and all(entry.muscle_id in muscles and 1 <= entry.needle_count <= 3 for entry in state.entries)
        assert state.record.needles_out == state.needles_in and state.consent is not None
        assert state.signing_problems() == []
        states = {**signing_states(note.encounter), SIGNING.key: state}  # every contributor's (no home programme here)
        assert note.canonical == canonical_json(note_content_at_signing(note, states))  # facts and judgements alike
        assert note.digest == sha256_hex(note.canonical) and signed_record_verify(note)


def test_pain_is_measured_at_every_visit_and_function_at_the_first(synthetic_clinic):
    attended = Encounter.objects.filter(clinic__name=CLINIC, note__isnull=False)
    nprs = Measurement.objects.filter(instrument="nprs", source="clinic")
    assert nprs.count() == attended.count() == nprs.values("encounter").distinct().count()
    assert all(0 <= m.score <= 10 and m.answers == {"pain": int(m.score)} for m in nprs)
    assert all(m.taken_at == m.encounter.starts_at and m.recorded_by_id == m.encounter.practitioner_id for m in nprs)
    first_visits = set(Measurement.objects.filter(instrument="psfs").values_list("encounter__reason", flat=True))
    assert first_visits == {"First visit"}
    baselines = list(EpisodeOutcome.objects.values_list("baseline_nprs", flat=True))
    assert baselines and all(baseline is not None and 4 <= baseline <= 9 for baseline in baselines)
    assert EpisodeOutcome.objects.filter(responder=True).exists() and EpisodeOutcome.objects.filter(responder=False).exists()


def test_adverse_events_are_mostly_mild_and_recorded_by_the_practitioner(synthetic_clinic):
    events = AdverseEvent.objects.select_related("encounter")
    sessions = SessionFact.objects.count()
    assert 0.08 * sessions < events.filter(severity="mild").count() < 0.3 * sessions
    for event in events:
        assert event.recorded_by_id == event.encounter.practitioner_id and event.patient_id == event.encounter.patient_id
        assert event.encounter.starts_at < event.onset <= event.recorded_at <= timezone.now()


def test_the_reporting_rows_are_what_a_rebuild_from_the_records_makes(synthetic_clinic):
    facts, outcomes = _rows(SessionFact), _rows(EpisodeOutcome)
    assert len(facts) == synthetic_clinic.count() and len(outcomes) > 20
    assert summaries.rebuild() == (len(facts), len(outcomes))
    assert _rows(SessionFact) == facts
    assert _rows(EpisodeOutcome) == outcomes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--patients", "0"), "--patients must be between"),
        (("--patients", "10", "--encounters", "5"), "--encounters must be between"),
        (("--patients", "10", "--encounters", "1001"), "--encounters must be between"),
        (("--patients", "10", "--encounters", "20", "--password", "short"), "--password must be at least"),
    ],
)
def test_bad_options_are_refused(db, args, message):
    with pytest.raises(CommandError, match=message):
        _synthetic(*args)


def test_a_second_run_into_the_same_database_is_refused(db):
    _synthetic("--patients", "2", "--encounters", "4")
    with pytest.raises(CommandError, match="already exists"):
        _synthetic("--patients", "2", "--encounters", "4")
