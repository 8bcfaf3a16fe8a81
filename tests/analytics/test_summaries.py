"""The reporting rows behind the dashboard: kept in step by signals, and rebuilt to the same values from the records."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from needlechart.analytics import summaries
from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.charting import services as charting
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from tests.outcomes.conftest import link_for, needle, needled_and_signed, nprs, sign, visit

PAIN = (8, 7, 5, 6)  # a neck-pain course: 1 point (not yet), 3 points (a response), 2 points (still one, for neck pain)
DAYS_AGO = (21, 14, 7, 0)


def _facts() -> list[dict]:
    return list(SessionFact.objects.order_by("encounter_id").values())


def _outcomes() -> list[dict]:
    return list(EpisodeOutcome.objects.order_by("episode_id").values())


def _follow_up_answers(**extra) -> dict:
    """Follow-up answers for an episode without a PSFS baseline: the patient names the activities."""
    named = {f"psfs.activity_{n}_name": name for n, name in enumerate(("Stairs", "Desk work", "Driving"))}
    return {"soreness": "2", "nprs.pain": "5", "groc.change": "2", **named, **{f"psfs.activity_{n}": "5" for n in range(3)}, **extra}


@pytest.fixture
def course(practitioner, front_desk, episode, screened):
    """Four needling sessions a week apart, each with its NPRS taken before the note was signed."""
    sessions = []
    for days_ago, pain in zip(DAYS_AGO, PAIN, strict=True):
        encounter = visit(front_desk, episode, practitioner, days_ago)
        nprs(practitioner, encounter, pain)
        sessions.append(needled_and_signed(practitioner, encounter))
    return sessions


def test_signing_a_needling_note_adds_the_session(practitioner, ready_session, episode, patient):
    assert not SessionFact.objects.exists()
    sign(practitioner, ready_session)
    fact = SessionFact.objects.get()
    assert fact.encounter_id == ready_session.pk
    assert (fact.clinic_id, fact.patient_id, fact.episode_id, fact.practitioner_id) == (
        ready_session.clinic_id,
        patient.pk,
        episode.pk,
        practitioner.pk,
    )
    assert fact.condition == "neck" and fact.day == timezone.localdate(ready_session.starts_at)
    assert (fact.ae_mild, fact.ae_significant, fact.ae_serious) == (False, False, False)
    outcome = EpisodeOutcome.objects.get()
    assert (outcome.episode_id, outcome.sessions, outcome.first_session, outcome.practitioner_id) == (
        episode.pk,
        1,
        fact.day,
        practitioner.pk,
    )
    assert (outcome.baseline_nprs, outcome.responder, outcome.sessions_to_response) == (None, None, None)


def test_a_visit_without_needling_or_not_signed_adds_no_session(practitioner, front_desk, episode, signed_note, screened):
    assert not SessionFact.objects.exists() and not EpisodeOutcome.objects.exists()
    unsigned = visit(front_desk, episode, practitioner, 1)
    needle(practitioner, unsigned)
    assert not SessionFact.objects.exists()
    summaries.refresh_session(signed_note.encounter_id)  # asked directly, it still finds nothing to count
    summaries.refresh_session(unsigned.pk)
    assert not SessionFact.objects.exists()


def test_an_adverse_event_recorded_later_sets_the_sessions_flags(practitioner, ready_session):
    sign(practitioner, ready_session)
    needling.adverse_event_record(
        actor=practitioner, encounter=ready_session, event_type="bruising", severity="mild", onset=ready_session.starts_at
    )
    fact = SessionFact.objects.get()
    assert (fact.ae_mild, fact.ae_significant, fact.ae_serious) == (True, False, False)
    needling.adverse_event_record(
        actor=practitioner, encounter=ready_session, event_type="syncope", severity="serious", onset=ready_session.starts_at
    )
    fact.refresh_from_db()
    assert (fact.ae_mild, fact.ae_significant, fact.ae_serious) == (True, False, True)


def test_an_adverse_event_recorded_before_signing_is_counted_at_signing(practitioner, ready_session):
    needling.adverse_event_record(
        actor=practitioner, encounter=ready_session, event_type="bleeding", severity="significant", onset=ready_session.starts_at
    )
    assert not SessionFact.objects.exists()
    sign(practitioner, ready_session)
    fact = SessionFact.objects.get()
    assert (fact.ae_mild, fact.ae_significant, fact.ae_serious) == (False, True, False)


def test_an_adverse_event_on_a_visit_without_needling_adds_no_session(practitioner, signed_note):
    needling.adverse_event_record(
        actor=practitioner, encounter=signed_note.encounter, event_type="bruising", severity="mild", onset=signed_note.encounter.starts_at
    )
    assert not SessionFact.objects.exists()


def test_a_side_effect_reported_on_follow_up_sets_the_flags(client, practitioner, ready_session):
    sign(practitioner, ready_session)
    _link, path = link_for(ready_session)
    answers = _follow_up_answers(effects=["headache"], impact_headache="significant")
    assert client.post(path, answers).status_code == 200
    fact = SessionFact.objects.get()
    assert (fact.ae_mild, fact.ae_significant, fact.ae_serious) == (False, True, False)
    outcome = EpisodeOutcome.objects.get()
    assert (outcome.baseline_nprs, outcome.latest_nprs) == (5, 5)  # the follow-up's NPRS is the episode's first


def test_the_episode_row_follows_a_worked_example(practitioner, front_desk, episode, course):
    outcome = EpisodeOutcome.objects.get(episode=episode)
    first_day = timezone.localdate(course[0].starts_at)
    assert outcome.clinic_id == episode.clinic_id and outcome.condition == "neck" and outcome.practitioner_id == practitioner.pk
    assert (outcome.first_session, outcome.sessions) == (first_day, 4)
    assert (outcome.baseline_nprs, outcome.latest_nprs) == (8, 6)
    assert outcome.nprs_improvement == 2  # 8 - 6
    assert outcome.responder is True  # 2 >= 1.3 points for neck pain
    # 8 -> 7 (1 point, 12.5%) is not a response; 8 -> 5 at the third session is
    assert outcome.sessions_to_response == 3
    assert [f.day for f in SessionFact.objects.order_by("day")] == [timezone.localdate(e.starts_at) for e in course]


def test_the_episode_row_as_the_course_goes_on(practitioner, front_desk, episode, screened):
    expected = [  # after each session: sessions, latest, improvement, responder, sessions to response
        (1, 8, None, None, None),
        (2, 7, 1, False, None),
        (3, 5, 3, True, 3),
        (4, 6, 2, True, 3),
    ]
    for days_ago, pain, row in zip(DAYS_AGO, PAIN, expected, strict=True):
        encounter = visit(front_desk, episode, practitioner, days_ago)
        needled_and_signed(practitioner, encounter)
        nprs(practitioner, encounter, pain)  # measured after signing this time
        outcome = EpisodeOutcome.objects.get(episode=episode)
        assert (outcome.sessions, outcome.latest_nprs, outcome.nprs_improvement, outcome.responder, outcome.sessions_to_response) == row
        assert outcome.baseline_nprs == 8


def test_a_response_before_any_session_counts_no_sessions_yet(practitioner, front_desk, episode):
    """Measures at visits without needling: the episode has scores but no sessions."""
    nprs(practitioner, visit(front_desk, episode, practitioner, 7), 6)
    nprs(practitioner, visit(front_desk, episode, practitioner, 0), 2)
    outcome = EpisodeOutcome.objects.get(episode=episode)
    assert (outcome.sessions, outcome.first_session, outcome.practitioner_id) == (0, None, None)
    assert (outcome.responder, outcome.sessions_to_response) == (True, 0)


def test_a_retracted_score_leaves_the_episode_row(practitioner, episode, course):
    last = course[-1].measurements.get()
    outcomes.measurement_retract(actor=practitioner, measurement=last, reason="Wrong patient")
    outcome = EpisodeOutcome.objects.get(episode=episode)
    assert (outcome.latest_nprs, outcome.nprs_improvement, outcome.responder, outcome.sessions_to_response) == (5, 3, True, 3)
    first = course[0].measurements.get()
    outcomes.measurement_retract(actor=practitioner, measurement=first, reason="Wrong scale")
    outcome.refresh_from_db()
    assert (outcome.baseline_nprs, outcome.latest_nprs, outcome.nprs_improvement, outcome.responder) == (7, 5, 2, True)
    assert outcome.sessions_to_response == 3  # 7 -> 5 is 2 points at the third session


def test_a_change_of_condition_reaches_both_tables(practitioner, episode, course):
    episode.condition = "low_back"
    episode.save()
    assert set(SessionFact.objects.values_list("condition", flat=True)) == {"low_back"}
    outcome = EpisodeOutcome.objects.get(episode=episode)
    assert outcome.condition == "low_back"
    # the low-back MCID is 2.2 points: 8 -> 6 (2 points, 25%) is no longer a response; 8 -> 5 still was one
    assert (outcome.responder, outcome.sessions_to_response, outcome.nprs_improvement) == (False, 3, 2)
    before = (_facts(), _outcomes())
    summaries.rebuild()
    assert (_facts(), _outcomes()) == before


def test_closing_an_episode_changes_nothing_in_the_rows(front_desk, practitioner, episode, course):
    before = (_facts(), _outcomes())
    patients.episode_close(actor=front_desk, episode=episode, ended_on=timezone.localdate())
    assert (_facts(), _outcomes()) == before


@pytest.fixture
def records(client, practitioner, front_desk, patient, episode, course, signed_note, other_admin, other_practitioner):
    """A mixed record: the worked example, adverse events before and after signing, a follow-up with a side effect,
    a retraction, an episode with scores but no needling, a signed visit without needling, and another clinic's patient."""
    needling.adverse_event_record(
        actor=practitioner, encounter=course[1], event_type="bruising", severity="mild", onset=course[1].starts_at
    )
    _link, path = link_for(course[2])
    assert (
        client.post(path, _follow_up_answers(effects=["aggravation"], impact_aggravation="significant", **{"nprs.pain": "4"})).status_code
        == 200
    )
    outcomes.measurement_retract(actor=practitioner, measurement=course[3].measurements.get(), reason="Wrong patient")
    back = patients.episode_create(
        actor=front_desk, patient=patient, complaint="Back", condition="low_back", started_on=timezone.localdate()
    )
    nprs(practitioner, visit(front_desk, back, practitioner, 3), 6)
    nprs(practitioner, visit(front_desk, back, practitioner, 1), 3)
    theirs = patients.patient_create(
        actor=other_admin, data={"given_name": "Per", "family_name": "Berg", "birth_date": dt.date(1990, 1, 1)}
    )
    their_episode = patients.episode_create(
        actor=other_admin, patient=theirs, complaint="Neck", condition="neck", started_on=timezone.localdate()
    )
    their_visit = charting.encounter_create(
        actor=other_admin, episode=their_episode, practitioner=other_practitioner, starts_at=timezone.now()
    )
    nprs(other_practitioner, their_visit, 5)
    return {"other_episode": their_episode, "other_visit": their_visit}


def test_a_rebuild_reproduces_the_rows_kept_by_the_signals(records, course, episode):
    facts, episodes = _facts(), _outcomes()
    assert len(facts) == 4 and len(episodes) == 3
    by_encounter = {f["encounter_id"]: f for f in facts}
    assert by_encounter[course[1].pk]["ae_mild"] and by_encounter[course[2].pk]["ae_significant"]
    assert EpisodeOutcome.objects.get(episode=episode).latest_nprs == 4  # the follow-up's score, the last one retracted
    assert summaries.rebuild() == (4, 3)
    assert _facts() == facts
    assert _outcomes() == episodes


def test_a_rebuild_removes_rows_no_record_backs_and_restores_lost_ones(records, course, clinic):
    facts, episodes = _facts(), _outcomes()
    SessionFact.objects.filter(encounter=course[0]).delete()
    EpisodeOutcome.objects.filter(clinic=clinic).update(responder=None, sessions=99)
    stray = SessionFact.objects.create(
        encounter=records["other_visit"],
        clinic_id=records["other_visit"].clinic_id,
        patient_id=records["other_visit"].patient_id,
        episode=records["other_episode"],
        practitioner_id=records["other_visit"].practitioner_id,
        condition="neck",
        day=timezone.localdate(),
    )
    summaries.rebuild(clinic.pk)  # this clinic only: the other clinic's row stays
    assert SessionFact.objects.filter(pk=stray.pk).exists()
    assert [f for f in _facts() if f["clinic_id"] == clinic.pk] == facts
    assert [o for o in _outcomes() if o["clinic_id"] == clinic.pk] == [o for o in episodes if o["clinic_id"] == clinic.pk]
    summaries.rebuild()
    assert _facts() == facts and _outcomes() == episodes


def test_the_refresh_command_rebuilds_every_row(records):
    facts, episodes = _facts(), _outcomes()
    SessionFact.objects.all().delete()
    EpisodeOutcome.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_analytics", stdout=out)
    assert re.search(r"\b4 sessions and 3 episodes summarised in [\d.]+ s\.", out.getvalue()), out.getvalue()
    assert _facts() == facts and _outcomes() == episodes


def test_the_refresh_command_for_one_clinic(records, clinic, other_clinic):
    facts, episodes = _facts(), _outcomes()
    EpisodeOutcome.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_analytics", "--clinic", str(clinic.pk), stdout=out)
    assert "4 sessions and 2 episodes summarised" in out.getvalue()
    assert _facts() == facts
    assert _outcomes() == [o for o in episodes if o["clinic_id"] == clinic.pk]
    call_command("refresh_analytics", "--clinic", str(other_clinic.pk), stdout=io.StringIO())
    assert _outcomes() == episodes


@pytest.mark.parametrize("value", ["nonsense", "", "12", "7fe5fc63-fd2c-4152-8396-46bcfa40b17a"])  # the last: no such clinic
def test_the_refresh_command_names_a_bad_clinic(db, value):
    with pytest.raises(CommandError, match="clinic") as error:
        call_command("refresh_analytics", "--clinic", value, stdout=io.StringIO())
    assert value in str(error.value)


def test_the_rows_never_change_the_record(practitioner, ready_session):
    """Deleting every reporting row loses nothing: they are derived."""
    sign(practitioner, ready_session)
    SessionFact.objects.all().delete()
    EpisodeOutcome.objects.all().delete()
    assert summaries.rebuild() == (1, 1)
    assert SessionFact.objects.get().encounter_id == ready_session.pk
