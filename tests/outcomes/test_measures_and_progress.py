"""Measures taken at the visit, retraction, a clinic's own questionnaire, and progress (series, chart, page, panel, PDF, e-mail)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from needlechart.analytics.models import EpisodeOutcome
from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.charts import HEIGHT, LEFT, RIGHT, WIDTH, describe, series_svg
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.outcomes.models import ClinicInstrument, Measurement
from needlechart.outcomes.progress import Point, Series, episode_progress
from needlechart.outcomes.registry import instruments_for_clinic
from needlechart.patients import services as patients
from tests.outcomes.conftest import answers, link_for, nprs, psfs, record, visit

HTMX = {"HTTP_HX_REQUEST": "true"}
TOP, BOTTOM = 14, 34  # the chart's plot margins (outcomes.charts)

EDI_DEFINITION = """\
id: example_disability_index
name: {en: Example Disability Index, nb: Eksempel funksjonsindeks}
abbreviation: EDI
description:
  en: Four questions about how the problem affects daily life.
  nb: Fire spørsmål om hvordan plagene påvirker dagliglivet.
unit: {en: "% (0-100)", nb: "% (0–100)"}
better: lower
score_min: 0
score_max: 100
scoring: sum
multiplier: 5
decimals: 0
items:
  - id: dressing
    text: {en: Getting dressed, nb: Påkledning}
    choices: &statements
      - {value: 0, label: {en: No difficulty, nb: Ingen vansker}}
      - {value: 1, label: {en: Slight difficulty, nb: Litt vansker}}
      - {value: 2, label: {en: Moderate difficulty, nb: Middels vansker}}
      - {value: 3, label: {en: Marked difficulty, nb: Store vansker}}
      - {value: 4, label: {en: Only with help, nb: Bare med hjelp}}
      - {value: 5, label: {en: Unable, nb: Klarer ikke}}
  - id: lifting
    text: {en: Lifting a bag of shopping, nb: Løfte en handlepose}
    choices: *statements
  - id: sleeping
    text: {en: Sleeping through the night, nb: Sove gjennom natten}
    choices: *statements
  - id: working
    text: {en: Doing your usual work, nb: Gjøre det vanlige arbeidet ditt}
    choices: *statements
mcid:
  points: 10
  source: "Sample B. Responsiveness of the Example Disability Index. J Example Rehabil 2020;2(1):11-19."
  by_condition:
    neck: {points: 8, source: "Sample B. The Example Disability Index in neck pain. J Example Rehabil 2021;3(2):20-28."}
responder: improvement
respondent: patient
follow_up: false
licence: clinic
licence_note:
  en: Licensed to Test Clinic by Example Press for use with its own patients until 2030.
  nb: Lisensiert til Test Clinic av Example Press for bruk med egne pasienter til 2030.
sources:
  definition: "Example A, Sample B. The Example Disability Index: development and scoring. J Example Rehabil 2019;1(1):1-10."
"""
EDI_ANSWERS = {"dressing": "2", "lifting": "3", "sleeping": "1", "working": "2"}  # (2 + 3 + 1 + 2) x 5 = 40


def _post(instrument: str, values: dict) -> dict:
    return {"instrument": instrument, **{f"{instrument}.{key}": value for key, value in values.items()}}


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _series(episode, key: str) -> Series:
    return next(s for s in episode_progress(episode) if s.key == key)


# --- measures at the visit ----------------------------------------------------------------------


def test_a_plain_post_records_the_measure_and_returns_to_the_visit(client_for, practitioner, encounter):
    response = client_for(practitioner).post(reverse("measurement_save", args=[encounter.pk]), _post("nprs", {"pain": "6"}))
    assert response.status_code == 302 and response["Location"] == reverse("encounter_detail", args=[encounter.pk])
    m = Measurement.objects.get()
    assert (m.instrument, m.score, m.answers, m.source) == ("nprs", 6, {"pain": 6}, "clinic")
    assert (m.patient_id, m.episode_id, m.encounter_id, m.recorded_by) == (
        encounter.patient_id,
        encounter.episode_id,
        encounter.pk,
        practitioner,
    )
    assert encounter.starts_at <= m.taken_at <= timezone.now() and m.retracted_at is None  # when entered, at the visit
    assert AuditEvent.objects.filter(object_type="measurement", object_id=str(m.pk), action="create", actor_id=practitioner.pk).exists()


def test_over_htmx_the_panel_comes_back_with_the_new_measure(client_for, practitioner, encounter):
    response = client_for(practitioner).post(
        reverse("measurement_save", args=[encounter.pk]),
        _post(
            "psfs",
            {
                "activity_0_name": "Lifting",
                "activity_0": "4",
                "activity_1_name": "Reading",
                "activity_1": "5",
                "activity_2_name": "Driving",
                "activity_2": "7",
            },
        ),
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="outcome-measures"' in page and "<strong>PSFS</strong> 5.3" in page and "baseline" in page
    psfs_row = Measurement.objects.get()
    assert psfs_row.score == 5.3 and [a["name"] for a in psfs_row.answers["activities"]] == ["Lifting", "Reading", "Driving"]


def test_at_a_later_visit_the_psfs_rerates_the_baseline_activities(client_for, practitioner, front_desk, episode, encounter):
    psfs(practitioner, encounter, (2, 3, 4))
    later = visit(front_desk, episode, practitioner, -1)
    staff = client_for(practitioner)
    form = staff.get(reverse("encounter_detail", args=[later.pk])).content.decode()
    assert "Climbing stairs" in form and 'name="psfs.activity_0_name"' not in form
    response = staff.post(
        reverse("measurement_save", args=[later.pk]), _post("psfs", {"activity_0": "6", "activity_1": "6", "activity_2": "9"})
    )
    assert response.status_code == 302
    rerated = Measurement.objects.get(encounter=later)
    assert [a["name"] for a in rerated.answers["activities"]] == ["Climbing stairs", "Sitting at a desk", "Turning my head when driving"]
    assert rerated.score == 7.0


@pytest.mark.parametrize(
    ("instrument", "values", "message"),
    [
        ("nprs", {"pain": "11"}, "Enter a number from 0 to 10."),
        ("nprs", {"pain": "-1"}, "Enter a number from 0 to 10."),
        ("nprs", {"pain": "abc"}, "Enter a number."),
        ("nprs", {"pain": "1e1"}, "Enter a number."),
        ("nprs", {"pain": ""}, "This question needs an answer."),
        ("nprs", {"pain": "6.5"}, "Enter a number in steps of 1."),
        ("vas", {"pain": "101"}, "Enter a number from 0 to 100."),
        ("psfs", {"activity_0_name": "Lifting", "activity_0": "4"}, "Name and rate from 3 to 5 activities."),
        (
            "psfs",
            {
                "activity_0_name": "Lifting",
                "activity_0": "4",
                "activity_1_name": "lifting",
                "activity_1": "4",
                "activity_2_name": "Reading",
                "activity_2": "4",
            },
            "Activity 2 is already on the list.",
        ),
        ("ppt", {"trial_1": "250", "trial_2": "250", "trial_3": "260"}, "recorded in the Needling section"),  # per muscle, elsewhere
        ("groc", {"change": "8"}, "Enter a number from -7 to 7."),  # not offered at the first visit either
    ],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_bad_values_are_refused_with_400_and_the_message(client_for, practitioner, encounter, instrument, values, message, htmx):
    response = client_for(practitioner).post(
        reverse("measurement_save", args=[encounter.pk]), _post(instrument, values), **(HTMX if htmx else {})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    if instrument not in ("ppt", "groc"):  # offered as a form on this panel (PPT: a clinician's; GROC: not at the first visit)
        assert f'<details class="measure-form" open data-testid="measure-{instrument}">' in response.content.decode()  # stays open
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("code", ["", "odi", "nprs.pain", "example_disability_index"])
def test_an_unknown_instrument_is_refused_with_400(client_for, practitioner, encounter, code):
    response = client_for(practitioner).post(reverse("measurement_save", args=[encounter.pk]), {"instrument": code, f"{code}.pain": "4"})
    assert response.status_code == 400 and "Unknown outcome measure." in response.content.decode()
    assert not Measurement.objects.exists()


def test_the_services_refuse_an_unknown_instrument_and_wrong_answers(practitioner, encounter):
    with pytest.raises(Exception, match="Unknown outcome measure"):
        record(practitioner, encounter, "odi", {"pain": "4"})
    with pytest.raises(outcomes.AnswerError) as error:
        record(practitioner, encounter, "groc", {"change": "8"})
    assert error.value.errors == {"change": "Enter a number from -7 to 7."}


# --- retraction ---------------------------------------------------------------------------------


@pytest.fixture
def two_visits(practitioner, front_desk, episode):
    """NPRS 7 a week ago and 3 today, in a neck-pain episode."""
    first = visit(front_desk, episode, practitioner, 7)
    second = visit(front_desk, episode, practitioner, 0)
    return nprs(practitioner, first, 7), nprs(practitioner, second, 3)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_retraction_needs_a_reason(client_for, practitioner, two_visits, reason):
    _first, wrong = two_visits
    response = client_for(practitioner).post(reverse("measurement_retract", args=[wrong.pk]), {"reason": reason}, **HTMX)
    assert response.status_code == 400 and "Give a reason for retracting the measurement." in response.content.decode()
    wrong.refresh_from_db()
    assert wrong.retracted_at is None


def test_a_retracted_measure_is_kept_but_leaves_progress_and_analytics(client_for, practitioner, episode, two_visits):
    first, wrong = two_visits
    outcome = EpisodeOutcome.objects.get(episode=episode)
    assert (outcome.baseline_nprs, outcome.latest_nprs, outcome.nprs_improvement, outcome.responder) == (7, 3, 4, True)
    assert [p.value for p in _series(episode, "nprs").points] == [7, 3]

    staff = client_for(practitioner)
    response = staff.post(reverse("measurement_retract", args=[wrong.pk]), {"reason": "Entered for the wrong patient"})
    assert response.status_code == 302 and response["Location"] == reverse("encounter_detail", args=[wrong.encounter_id])
    wrong.refresh_from_db()
    assert Measurement.objects.filter(pk=wrong.pk).exists() and wrong.score == 3  # the row stays on record
    assert wrong.retracted_by == practitioner and wrong.retraction_reason == "Entered for the wrong patient" and wrong.retracted_at
    assert [p.value for p in _series(episode, "nprs").points] == [7]
    outcome.refresh_from_db()
    assert (outcome.baseline_nprs, outcome.latest_nprs, outcome.nprs_improvement, outcome.responder) == (7, 7, None, None)
    assert AuditEvent.objects.filter(object_type="measurement", object_id=str(wrong.pk), action="update").exists()
    page = staff.get(reverse("encounter_detail", args=[wrong.encounter_id])).content.decode()
    assert "retracted: Entered for the wrong patient" in page

    again = staff.post(reverse("measurement_retract", args=[wrong.pk]), {"reason": "Again"}, **HTMX)
    assert again.status_code == 400 and "already been retracted" in again.content.decode()
    wrong.refresh_from_db()
    assert wrong.retraction_reason == "Entered for the wrong patient"


def test_retracting_every_measure_empties_the_series(practitioner, episode, two_visits):
    for m in two_visits:
        outcomes.measurement_retract(actor=practitioner, measurement=m, reason="Wrong scale")
    assert [s.key for s in episode_progress(episode)] == []
    outcome = EpisodeOutcome.objects.get(episode=episode)
    assert (outcome.baseline_nprs, outcome.latest_nprs, outcome.responder) == (None, None, None)


# --- a clinic's own questionnaire ---------------------------------------------------------------


def test_a_clinic_adds_a_questionnaire_and_records_it(client_for, clinic_admin, practitioner, encounter, clinic):
    admin = client_for(clinic_admin)
    response = admin.post(reverse("clinic_instruments"), {"definition": EDI_DEFINITION})
    assert response.status_code == 302 and response["Location"] == reverse("clinic_instruments")
    row = ClinicInstrument.objects.get()
    assert (row.clinic_id, row.instrument_id, row.active, row.added_by) == (clinic.pk, "example_disability_index", True, clinic_admin)
    listing = admin.get(reverse("clinic_instruments")).content.decode()
    assert "Example Disability Index" in listing and "Licensed to Test Clinic by Example Press" in listing
    assert AuditEvent.objects.filter(object_type="clinic_instrument", object_id=str(row.pk), action="create").exists()

    staff = client_for(practitioner)
    visit_page = staff.get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    assert 'data-testid="measure-example_disability_index"' in visit_page and "Moderate difficulty" in visit_page
    saved = staff.post(reverse("measurement_save", args=[encounter.pk]), _post("example_disability_index", EDI_ANSWERS))
    assert saved.status_code == 302
    m = Measurement.objects.get()
    assert m.instrument == "example_disability_index" and m.score == 40
    assert m.answers == {"dressing": 2, "lifting": 3, "sleeping": 1, "working": 2}
    refused = staff.post(
        reverse("measurement_save", args=[encounter.pk]), _post("example_disability_index", {**EDI_ANSWERS, "working": "6"})
    )
    assert refused.status_code == 400 and "Choose one of the answers." in refused.content.decode()
    series = _series(encounter.episode, "example_disability_index")
    assert series.label == "EDI" and [p.value for p in series.points] == [40]


def test_a_definition_can_be_uploaded_as_a_file(client_for, clinic_admin):
    upload = SimpleUploadedFile("edi.yaml", EDI_DEFINITION.encode(), content_type="text/yaml")
    assert client_for(clinic_admin).post(reverse("clinic_instruments"), {"file": upload}).status_code == 302
    assert ClinicInstrument.objects.get().instrument_id == "example_disability_index"


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (EDI_DEFINITION.replace("licence: clinic", "licence: free"), "licence must be 'clinic'"),
        (EDI_DEFINITION.replace("score_max: 100", "score_max: 90"), "score_max"),
        (EDI_DEFINITION.replace("multiplier: 5", "multiplier: 5\nmcid_point: 3"), "unknown key(s) mcid_point"),
        (EDI_DEFINITION.replace("id: example_disability_index", "id: nprs"), "this id belongs to an instrument needlechart ships"),
        (EDI_DEFINITION.replace('source: "Sample B. Responsiveness', 'source: "ostelo-2009" #'), "mcid.source"),
        ("id: [unclosed", "is not valid YAML"),
        ("- just\n- a list\n", "must be one instrument written as a YAML mapping"),
        ("", "must be one instrument written as a YAML mapping"),
    ],
)
def test_a_bad_definition_is_refused_with_400_and_the_message(client_for, clinic_admin, definition, message):
    response = client_for(clinic_admin).post(reverse("clinic_instruments"), {"definition": definition})
    assert response.status_code == 400
    error = re.search(r'data-testid="definition-error">(.*?)</p>', response.content.decode(), re.S)
    assert error and message in error.group(1).replace("&#39;", "'"), error and error.group(1)
    assert not ClinicInstrument.objects.exists()


def test_a_file_that_is_not_utf8_or_too_large_is_refused(client_for, clinic_admin):
    admin = client_for(clinic_admin)
    latin1 = SimpleUploadedFile("edi.yaml", EDI_DEFINITION.replace("–", "-").encode("latin-1"), content_type="text/yaml")
    response = admin.post(reverse("clinic_instruments"), {"file": latin1})
    assert response.status_code == 400 and "The file is not UTF-8 text." in response.content.decode()
    huge = SimpleUploadedFile("edi.yaml", b"#" * 200_001, content_type="text/yaml")
    response = admin.post(reverse("clinic_instruments"), {"file": huge})
    assert response.status_code == 400 and "The file is too large" in response.content.decode()
    assert not ClinicInstrument.objects.exists()


def test_only_the_clinic_that_added_a_questionnaire_sees_it(
    client_for, clinic_admin, other_admin, other_practitioner, other_clinic, encounter, practitioner
):
    outcomes.clinic_instrument_add(actor=clinic_admin, definition=EDI_DEFINITION)
    assert "example_disability_index" in instruments_for_clinic(encounter.clinic_id)
    assert "example_disability_index" not in instruments_for_clinic(other_clinic.pk)
    assert "Example Disability Index" not in client_for(other_admin).get(reverse("clinic_instruments")).content.decode()
    patient = patients.patient_create(
        actor=other_admin, data={"given_name": "Per", "family_name": "Berg", "birth_date": dt.date(1990, 1, 1)}
    )
    episode = patients.episode_create(
        actor=other_admin, patient=patient, complaint="Neck", condition="neck", started_on=timezone.localdate()
    )
    theirs = charting.encounter_create(actor=other_admin, episode=episode, practitioner=other_practitioner, starts_at=timezone.now())
    outsider = client_for(other_practitioner)
    assert 'measure-example_disability_index"' not in outsider.get(reverse("encounter_detail", args=[theirs.pk])).content.decode()
    refused = outsider.post(reverse("measurement_save", args=[theirs.pk]), _post("example_disability_index", EDI_ANSWERS))
    assert refused.status_code == 400 and "Unknown outcome measure." in refused.content.decode()
    assert not Measurement.objects.exists()
    # and another clinic may add its own questionnaire under the same id
    outcomes.clinic_instrument_add(actor=other_admin, definition=EDI_DEFINITION.replace("abbreviation: EDI", "abbreviation: EDI-O"))
    assert ClinicInstrument.objects.count() == 2
    assert instruments_for_clinic(encounter.clinic_id)["example_disability_index"].abbreviation == "EDI"


def test_stopping_and_resuming_a_questionnaire(client_for, clinic_admin, practitioner, encounter):
    row = outcomes.clinic_instrument_add(actor=clinic_admin, definition=EDI_DEFINITION)
    record(practitioner, encounter, "example_disability_index", EDI_ANSWERS)
    admin = client_for(clinic_admin)
    response = admin.post(reverse("clinic_instrument_toggle", args=[row.pk]), {"active": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("clinic_instruments")
    row.refresh_from_db()
    assert row.active is False
    assert "Not in use: use again" in admin.get(reverse("clinic_instruments")).content.decode()
    assert "example_disability_index" not in instruments_for_clinic(encounter.clinic_id)
    staff = client_for(practitioner)
    refused = staff.post(reverse("measurement_save", args=[encounter.pk]), _post("example_disability_index", EDI_ANSWERS))
    assert refused.status_code == 400
    assert [p.value for p in _series(encounter.episode, "example_disability_index").points] == [40]  # what was recorded stays readable

    admin = client_for(clinic_admin)
    admin.post(reverse("clinic_instrument_toggle", args=[row.pk]), {"active": "1"})
    row.refresh_from_db()
    assert row.active is True
    staff = client_for(practitioner)
    assert staff.post(reverse("measurement_save", args=[encounter.pk]), _post("example_disability_index", EDI_ANSWERS)).status_code == 302
    assert AuditEvent.objects.filter(object_type="clinic_instrument", action="update", object_id=str(row.pk)).count() == 2


def test_replacing_a_definition_keeps_one_row(client_for, clinic_admin):
    admin = client_for(clinic_admin)
    admin.post(reverse("clinic_instruments"), {"definition": EDI_DEFINITION})
    admin.post(reverse("clinic_instruments"), {"definition": EDI_DEFINITION.replace("abbreviation: EDI", "abbreviation: EDI2")})
    assert ClinicInstrument.objects.count() == 1
    assert "abbreviation: EDI2" in ClinicInstrument.objects.get().definition


# --- progress: the series -----------------------------------------------------------------------


def _episode(patient, front_desk, condition: str):
    return patients.episode_create(
        actor=front_desk,
        patient=patient,
        complaint=f"{condition} pain",
        condition=condition,
        started_on=timezone.localdate() - dt.timedelta(days=60),
    )


def _pain_course(practitioner, front_desk, episode, scores):
    """One NPRS a week, the last today."""
    for weeks_ago, score in zip(range(len(scores) - 1, -1, -1), scores, strict=True):
        nprs(practitioner, visit(front_desk, episode, practitioner, 7 * weeks_ago), score)


@pytest.mark.parametrize(
    ("condition", "scores", "improvement", "responder", "line"),
    [
        ("other", [6, 5, 4], 2, True, 4.2),  # 2 points; the line is the nearer of 2 points and 30% (1.8)
        ("other", [6, 5], 1, False, 4.2),  # 1 point, 17%
        ("other", [3, 2], 1, True, 2.1),  # 1 point is 33% of 3: a responder by the percentage (30% of 3 is 0.9)
        ("other", [8, 6], 2, True, 6.0),
        ("low_back", [8, 6], 2, False, 5.8),  # low back needs 2.2 points (or 30%)
        ("low_back", [8, 5], 3, True, 5.8),
        ("neck", [8, 7], 1, False, 6.7),  # neck needs 1.3 points (or 30%)
        ("neck", [8, 9, 6], 2, True, 6.7),
        ("other", [4, 6], -2, False, 2.8),  # worse
    ],
)
def test_nprs_baseline_latest_improvement_and_responder(practitioner, front_desk, patient, condition, scores, improvement, responder, line):
    episode = _episode(patient, front_desk, condition)
    _pain_course(practitioner, front_desk, episode, scores)
    series = _series(episode, "nprs")
    assert [p.value for p in series.points] == scores
    assert [p.by_patient for p in series.points] == [False] * len(scores)
    assert series.points == sorted(series.points, key=lambda p: p.when)
    assert (series.baseline, series.latest, series.improvement, series.responder) == (scores[0], scores[-1], improvement, responder)
    assert series.responder_line == pytest.approx(line)
    assert series.condition == condition and series.label == "NPRS"


@pytest.mark.parametrize(
    ("condition", "text"),
    [("neck", "1.3 points (0-10) or 30%"), ("low_back", "2.2 points (0-10) or 30%"), ("other", "2 points (0-10) or 30%")],
)
def test_the_rule_in_words_follows_the_condition(practitioner, front_desk, patient, condition, text):
    episode = _episode(patient, front_desk, condition)
    _pain_course(practitioner, front_desk, episode, [6])
    series = _series(episode, "nprs")
    assert series.mcid_text == text
    assert series.responder is None and series.improvement is None  # one value: nothing to compare yet


@pytest.mark.parametrize(("change", "responder"), [(3, True), (7, True), (2, False), (-3, False)])
def test_groc_is_a_responder_at_three_or_more_from_the_first_value(practitioner, front_desk, episode, change, responder):
    record(practitioner, visit(front_desk, episode, practitioner, 0), "groc", {"change": str(change)})
    series = _series(episode, "groc")
    assert series.responder is responder and series.responder_line == 3 and series.mcid_text == "at least +3"
    assert series.improvement is None  # a single rating of change


def test_follow_up_answers_are_points_reported_by_the_patient(client, practitioner, front_desk, episode, encounter, signed_note):
    nprs(practitioner, encounter, 7)
    psfs(practitioner, encounter)
    _link, path = link_for(encounter)
    assert client.post(path, answers(**{"nprs.pain": "2"})).status_code == 200
    series = _series(episode, "nprs")
    assert [(p.value, p.by_patient) for p in series.points] == [(7, False), (2, True)]
    assert series.responder is True
    assert [s.key for s in episode_progress(episode)] == ["nprs", "psfs", "groc"]  # the shipped order


def test_pressure_thresholds_and_range_of_motion_come_from_the_needling_rows(practitioner, front_desk, episode):
    first, second = visit(front_desk, episode, practitioner, 7), visit(front_desk, episode, practitioner, 0)
    needling.pressure_pain_record(actor=practitioner, encounter=first, muscle_id="upper_trapezius", side="r", trials_kpa=[250, 260, 271])
    needling.pressure_pain_record(actor=practitioner, encounter=second, muscle_id="upper_trapezius", side="r", trials_kpa=[300, 310])
    needling.pressure_pain_record(actor=practitioner, encounter=second, muscle_id="upper_trapezius", side="l", trials_kpa=[200])
    needling.range_of_motion_record(actor=practitioner, encounter=first, joint="cervical_spine", movement="rotation", side="l", degrees=50)
    needling.range_of_motion_record(actor=practitioner, encounter=second, joint="cervical_spine", movement="rotation", side="l", degrees=65)
    needling.range_of_motion_record(actor=practitioner, encounter=second, joint="cervical_spine", movement="flexion", side="", degrees=40)
    nprs(practitioner, first, 6)
    series = {s.key: s for s in episode_progress(episode)}
    assert list(series) == [
        "nprs",
        "ppt:upper_trapezius:l",
        "ppt:upper_trapezius:r",
        "rom:cervical_spine:flexion:",
        "rom:cervical_spine:rotation:l",
    ]
    right = series["ppt:upper_trapezius:r"]
    assert [p.value for p in right.points] == [260.3, 305.0] and [p.when for p in right.points] == [first.starts_at, second.starts_at]
    assert right.label == "PPT: Upper trapezius (right)" and series["ppt:upper_trapezius:l"].label == "PPT: Upper trapezius (left)"
    assert right.improvement == pytest.approx(44.7) and right.responder is None and right.responder_line is None
    rotation = series["rom:cervical_spine:rotation:l"]
    assert [p.value for p in rotation.points] == [50.0, 65.0] and rotation.improvement == 15
    assert rotation.label == "ROM: Neck (cervical spine), Rotation (left)"
    assert series["rom:cervical_spine:flexion:"].label == "ROM: Neck (cervical spine), Flexion"


# --- progress: the chart ------------------------------------------------------------------------


def _made_up_series(label: str = "NPRS", values=(6, 3), by_patient=(False, True)) -> Series:
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    points = [Point(start + dt.timedelta(days=7 * n), v, p) for n, (v, p) in enumerate(zip(values, by_patient, strict=True))]
    return Series("nprs", shipped_instruments()["nprs"], label, "other", points)


def test_the_chart_draws_every_point_and_the_responder_line():
    series = _made_up_series(values=(6, 5, 3), by_patient=(False, False, True))
    svg = str(series_svg(series, "chart-1"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value):  # NPRS is drawn on its own 0-10 scale
        return TOP + plot_h - value / 10 * plot_h

    xs = [LEFT, LEFT + plot_w / 2, LEFT + plot_w]
    expected = [f"{x:.1f},{y(v):.1f}" for x, v in zip(xs, (6, 5, 3), strict=True)]
    assert f'<polyline points="{" ".join(expected)}"' in svg
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="(#[0-9a-f]+)">', svg)
    assert [(float(cx), float(cy)) for cx, cy, _fill in circles] == [
        (round(x, 1), round(y(v), 1)) for x, v in zip(xs, (6, 5, 3), strict=True)
    ]
    assert [fill for *_xy, fill in circles] == ["#2f6f8f", "#2f6f8f", "#b5651d"]  # the patient's own answer in another colour
    line = 6 - min(2, 0.3 * 6)  # 4.2
    assert series.responder_line == pytest.approx(line)
    assert f'y1="{y(line):.1f}" y2="{y(line):.1f}"' in svg and 'stroke-dasharray="5 3"' in svg and "response 4.2</text>" in svg
    assert '<title id="chart-1-t">NPRS</title>' in svg
    assert '<desc id="chart-1-d">3 measurements; first 6, latest 3 points (0-10). Meaningful improvement reached.</desc>' in svg
    assert 'role="img" aria-labelledby="chart-1-t chart-1-d"' in svg
    assert re.findall(r"<title>([^<]*)</title></circle>", svg) == ["02/03/2026: 6", "09/03/2026: 5", "16/03/2026: 3"]
    assert ">02/03/2026</text>" in svg and ">16/03/2026</text>" in svg  # first and last date on the axis, day first


def test_the_chart_escapes_labels():
    svg = str(series_svg(_made_up_series(label='<script>alert("x")</script> & co'), "c"))
    assert "<script>" not in svg and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in svg


def test_a_chart_without_points_says_so():
    series = Series("nprs", shipped_instruments()["nprs"], "NPRS", "neck", [])
    svg = str(series_svg(series, "empty"))
    assert "<circle" not in svg and "<polyline" not in svg and "No measurements yet." in svg
    assert describe(series) == "No measurements yet."


def test_open_ended_measures_are_scaled_to_their_values():
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    series = Series(
        "ppt:x:r", shipped_instruments()["ppt"], "PPT", "neck", [Point(start, 200, False), Point(start + dt.timedelta(days=7), 400, False)]
    )
    svg = str(series_svg(series, "ppt"))
    # 200..400 with a 15% margin: 170..430, so 200 and 400 sit inside the plot and not at 0..2000's bottom
    low, high = 170, 430
    plot_h = HEIGHT - TOP - BOTTOM
    for value in (200, 400):
        assert f'cy="{TOP + plot_h - (value - low) / (high - low) * plot_h:.1f}"' in svg
    assert "response" not in svg  # no responder rule


# --- progress: page, panel, PDF, e-mail ---------------------------------------------------------


@pytest.fixture
def progress(client, practitioner, front_desk, episode, encounter, signed_note):
    """Neck pain 7 at the first visit, then 4 reported on the follow-up; PSFS and GROC as well."""
    nprs(practitioner, encounter, 7)
    psfs(practitioner, encounter)
    _link, path = link_for(encounter)
    assert client.post(path, answers(**{"nprs.pain": "4", "groc.change": "5"})).status_code == 200
    return episode


def test_the_progress_page_shows_every_measure_with_its_status(client_for, practitioner, progress):
    response = client_for(practitioner).get(reverse("episode_progress", args=[progress.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for testid in ("progress-nprs", "progress-psfs", "progress-groc", "progress-table", "progress-pdf"):
        assert f'data-testid="{testid}"' in page, testid
    assert page.count("<svg") == 3 and "Kari Nordmann" in page and "Neck pain from desk work" in page
    assert "Meaningful change: 1.3 points (0-10) or 30%." in page
    assert page.count('data-testid="responder-status">Responder<') == 3  # NPRS 7 -> 4, PSFS 3 -> 6, GROC +5
    assert "patient (follow-up)" in page
    assert AuditEvent.objects.filter(object_type="progress", object_id=str(progress.pk), action="view", actor_id=practitioner.pk).exists()


def test_the_progress_page_without_measures(client_for, practitioner, episode):
    page = client_for(practitioner).get(reverse("episode_progress", args=[episode.pk])).content.decode()
    assert "No outcome measures recorded in this episode yet." in page and "<svg" not in page


def test_the_chart_panel_shows_the_patients_own_measures_of_open_episodes(
    client_for, practitioner, front_desk, patient, progress, encounter
):
    needling.pressure_pain_record(
        actor=practitioner, encounter=visit(front_desk, progress, practitioner, -1), muscle_id="upper_trapezius", side="r", trials_kpa=[250]
    )
    response = client_for(practitioner).get(reverse("progress_panel", args=[patient.pk]), **HTMX)
    assert response.status_code == 200
    panel = response.content.decode()
    assert 'id="progress-panel"' in panel and "Neck pain from desk work" in panel
    assert reverse("episode_progress", args=[progress.pk]) in panel
    assert panel.count("<svg") == 2 and "PPT" not in panel  # the first two patient-reported measures only
    assert AuditEvent.objects.filter(object_type="progress", object_id=str(patient.pk), detail__panel=True).exists()
    patients.episode_close(actor=front_desk, episode=progress, ended_on=timezone.localdate())
    assert "No open episode." in client_for(practitioner).get(reverse("progress_panel", args=[patient.pk]), **HTMX).content.decode()


def test_the_progress_report_pdf(client_for, practitioner, progress):
    response = client_for(practitioner).get(reverse("episode_progress_pdf", args=[progress.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"progress-{timezone.localdate():%Y-%m-%d}.pdf" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = _pdf_text(content)
    for expected in (
        "Progress report",
        "Kari Nordmann",
        "Neck pain from desk work",
        "Neck pain",
        "NPRS",
        "PSFS",
        "GROC",
        "Responder",
        "patient (follow-up)",
        "1.3 points (0-10) or 30%",
        "2 measurements; first 7, latest 4",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(object_type="progress", object_id=str(progress.pk), action="download").exists()


def test_the_report_is_emailed_as_a_pdf(client_for, practitioner, progress, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(practitioner).post(
            reverse("episode_progress_send", args=[progress.pk]),
            {"email": "gp@example.invalid", "message": "Dear colleague, see attached."},
        )
    assert response.status_code == 302 and response["Location"] == reverse("episode_progress", args=[progress.pk])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gp@example.invalid"] and message.subject == "Progress report: Kari Nordmann"
    assert message.body == "Dear colleague, see attached."
    [(filename, content, mimetype)] = message.attachments
    assert filename == f"progress-{timezone.localdate():%Y-%m-%d}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF") and "Progress report" in _pdf_text(content)
    exported = AuditEvent.objects.get(object_type="progress", action="export")
    assert exported.detail == {"sent_to": "gp@example.invalid"} and exported.object_id == str(progress.pk)


def test_without_a_message_the_report_email_has_a_default_text(client_for, practitioner, progress, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(practitioner).post(reverse("episode_progress_send", args=[progress.pk]), {"email": "gp@example.invalid"})
    assert mail.outbox[0].body == "Please find the progress report attached."


@pytest.mark.parametrize("address", ["", "not-an-address", "gp@", "a@b@example.invalid"])
def test_an_invalid_address_is_refused_with_400(client_for, practitioner, progress, address, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(practitioner).post(reverse("episode_progress_send", args=[progress.pk]), {"email": address})
    assert response.status_code == 400 and "Enter a valid e-mail address." in response.content.decode()
    assert not mail.outbox
    assert not AuditEvent.objects.filter(object_type="progress", action="export").exists()


def test_a_line_break_in_a_stored_name_neither_fails_the_email_nor_is_logged_as_sent_before_it(
    client_for, practitioner, progress, django_capture_on_commit_callbacks
):
    """A name with a line break (stored before names were checked) broke the e-mail's subject after
    the audit log already said the report was sent."""
    type(progress.patient).objects.filter(pk=progress.patient_id).update(family_name="Nord\nmann")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(practitioner).post(reverse("episode_progress_send", args=[progress.pk]), {"email": "gp@example.invalid"})
    assert response.status_code == 302
    assert mail.outbox[0].subject == "Progress report: Kari Nord mann"
    assert AuditEvent.objects.filter(object_type="progress", action="export").count() == 1
