"""Outcome instruments: every shipped instrument scores, validates answers and judges responders
as documented, a clinic's licensed questionnaire loads from its definition, and every kind of bad
definition (shipped or clinic) fails with a message naming the file, the entry and the problem.
No database is needed.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import QueryDict
from django.utils import translation

from needlechart.cli import main as cli_main
from needlechart.content import ContentError as KnowledgeDataError
from needlechart.outcomes.instrument_loading import (
    DATA_DIR,
    InstrumentDefinitionError,
    load_instruments,
    outcome_sources,
    parse_instrument_definition,
    shipped_instruments,
)
from needlechart.outcomes.instruments import AnswerError, Instrument

EXAMPLE_CITATION = "Example A, Sample B. The Example Disability Index: development and scoring. J Example Rehabil 2019;1(1):1-10."
MCID_CITATION = "Sample B. Responsiveness of the Example Disability Index. J Example Rehabil 2020;2(1):11-19."


def _choices() -> list[dict[str, Any]]:
    labels = ["No difficulty", "Slight", "Moderate", "Marked", "Severe", "Unable"]
    return [{"value": value, "label": {"en": label, "nb": f"{label} (nb)"}} for value, label in enumerate(labels)]


EXAMPLE: dict[str, Any] = {
    "id": "example_disability_index",
    "name": {"en": "Example Disability Index", "nb": "Eksempel funksjonsindeks"},
    "abbreviation": "EDI",
    "description": {"en": "Four questions about daily life.", "nb": "Fire spørsmål om dagliglivet."},
    "unit": {"en": "% (0-100)", "nb": "% (0–100)"},
    "better": "lower",
    "score_min": 0,
    "score_max": 100,
    "scoring": "sum",
    "multiplier": 5,
    "decimals": 0,
    "items": [{"id": f"q{n}", "text": {"en": f"Question {n}", "nb": f"Spørsmål {n}"}, "choices": _choices()} for n in range(1, 5)],
    "mcid": {"points": 10, "source": MCID_CITATION},
    "responder": "improvement",
    "respondent": "patient",
    "follow_up": True,
    "licence": "clinic",
    "licence_note": {
        "en": "Licensed to Test Clinic by Example Press until 2030.",
        "nb": "Lisensiert til Test Clinic av Example Press til 2030.",
    },
    "sources": {"definition": EXAMPLE_CITATION},
}


def _yaml(raw: Any) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def shipped() -> dict[str, Instrument]:
    return shipped_instruments()


# --- the shipped set ---------------------------------------------------------------------------


def test_shipped_instruments_are_the_free_ones(shipped):
    assert list(shipped) == ["nprs", "vas", "psfs", "groc", "ppt", "rom"]
    assert {i.id for i in shipped.values() if i.follow_up} == {"nprs", "psfs", "groc"}
    assert {i.id for i in shipped.values() if i.respondent == "clinician"} == {"ppt", "rom"}
    assert all(i.licence == "free" and i.licence_note is None for i in shipped.values())
    assert shipped["nprs"].loinc == "72514-3"
    assert shipped["psfs"].loinc is None
    assert shipped_instruments() is shipped  # loaded once


def test_every_source_of_a_shipped_instrument_is_cited(shipped):
    sources = outcome_sources()
    for instrument in shipped.values():
        assert instrument.sources, instrument.id
        for source in instrument.sources:
            assert sources[source].citation, (instrument.id, source)
    assert shipped["nprs"].sources == ("hawker-2011", "ostelo-2008", "cleland-2008", "childs-2005", "loinc")
    assert shipped["groc"].sources == ("jaeschke-1989", "wang-2011")


def test_shipped_texts_are_bilingual_and_patient_scales_have_both_ends_explained(shipped):
    for instrument in shipped.values():
        assert instrument.name.en and instrument.name.nb and instrument.description.nb and instrument.unit.nb
        scales = [instrument.activities.scale] if instrument.activities else instrument.items
        for item in scales:
            assert item.text.en and item.text.nb
            if instrument.respondent == "patient":
                assert {item.min, item.max} <= set(item.anchors), (instrument.id, item.id)


def test_mcid_facts(shipped):
    nprs, vas, psfs = shipped["nprs"].mcid, shipped["vas"].mcid, shipped["psfs"].mcid
    assert (nprs.points, nprs.percent, nprs.source) == (2, 30, "ostelo-2008")
    assert nprs.by_condition == {"neck": (1.3, "cleland-2008"), "low_back": (2.2, "childs-2005")}
    assert (vas.points, vas.percent, vas.source) == (15, 30, "ostelo-2008")
    assert (psfs.points, psfs.percent, psfs.source) == (2, None, "abbott-schmitt-2014")
    assert all(size in psfs.note.en for size in ("1.3", "2.3", "2.7"))
    assert all(shipped[i].mcid is None for i in ("groc", "ppt", "rom"))
    assert (shipped["groc"].responder, shipped["groc"].responder_threshold) == ("threshold", 3)


# --- scoring every shipped instrument -----------------------------------------------------------

TYPICAL: dict[str, tuple[dict[str, Any], float, dict[str, Any]]] = {
    "nprs": ({"pain": "7"}, 7, {"pain": 7}),
    "vas": ({"pain": "43"}, 43, {"pain": 43}),
    "psfs": (
        {
            "activities": [
                {"name": " Climbing stairs ", "score": "3"},
                {"name": "Lifting a child", "score": 4},
                {"name": "Running", "score": "4"},
            ]
        },
        3.7,
        {"activities": [{"name": "Climbing stairs", "score": 3}, {"name": "Lifting a child", "score": 4}, {"name": "Running", "score": 4}]},
    ),
    "groc": ({"change": "+3"}, 3, {"change": 3}),
    "ppt": ({"trial_1": "300.1", "trial_2": 310, "trial_3": "305.5"}, 305.2, {"trial_1": 300.1, "trial_2": 310, "trial_3": 305.5}),
    "rom": ({"degrees": "65"}, 65, {"degrees": 65}),
}


def test_every_shipped_instrument_has_a_typical_case(shipped):
    assert set(TYPICAL) == set(shipped)


@pytest.mark.parametrize("instrument_id", TYPICAL)
def test_typical_answers_score(shipped, instrument_id):
    answers, score, cleaned = TYPICAL[instrument_id]
    scored = shipped[instrument_id].score(answers)
    assert scored.value == score
    assert scored.answers == cleaned
    assert json.loads(json.dumps(scored.answers)) == cleaned


@pytest.mark.parametrize(
    ("instrument_id", "answers", "score"),
    [
        ("nprs", {"pain": 0}, 0),
        ("nprs", {"pain": "10"}, 10),
        ("nprs", {"pain": 7.0}, 7),
        ("vas", {"pain": "0"}, 0),
        ("vas", {"pain": 100}, 100),
        ("groc", {"change": "-7"}, -7),
        ("groc", {"change": "7"}, 7),
        ("groc", {"change": "0"}, 0),
        ("ppt", {"trial_1": "0", "trial_2": "0", "trial_3": "0"}, 0),
        ("ppt", {"trial_1": "2000", "trial_2": "2000", "trial_3": 2000}, 2000),
        ("ppt", {"trial_1": "100", "trial_2": "100", "trial_3": "100.1"}, 100.0),  # 100.033 to one decimal
        ("rom", {"degrees": 0}, 0),
        ("rom", {"degrees": "180"}, 180),
    ],
)
def test_boundary_answers_score(shipped, instrument_id, answers, score):
    assert shipped[instrument_id].score(answers).value == score


def test_mean_is_rounded_half_up_not_to_even(shipped):
    rated = [{"name": name, "score": score} for name, score in (("Walk", 6), ("Sit", 6), ("Lift", 6), ("Run", 7))]
    assert shipped["psfs"].score({"activities": rated}).value == 6.3  # 6.25: Python's round() gives 6.2
    assert shipped["ppt"].score({"trial_1": "100.1", "trial_2": "100.2", "trial_3": "100"}).value == 100.1


def test_answers_from_a_form_and_extra_fields_are_ignored(shipped):
    scored = shipped["nprs"].score(QueryDict("pain=4&csrfmiddlewaretoken=abc"))
    assert (scored.value, scored.answers) == (4, {"pain": 4})


@pytest.mark.parametrize(
    ("instrument_id", "answers", "key", "message"),
    [
        ("nprs", {"pain": ""}, "pain", "This question needs an answer."),
        ("nprs", {"pain": "   "}, "pain", "This question needs an answer."),
        ("nprs", {}, "pain", "This question needs an answer."),
        ("nprs", {"pain": None}, "pain", "This question needs an answer."),
        ("nprs", {"pain": "abc"}, "pain", "Enter a number."),
        ("nprs", {"pain": "1e1"}, "pain", "Enter a number."),
        ("nprs", {"pain": "nan"}, "pain", "Enter a number."),
        ("nprs", {"pain": True}, "pain", "Enter a number."),
        ("nprs", {"pain": float("inf")}, "pain", "Enter a number."),
        ("nprs", {"pain": "11"}, "pain", "Enter a number from 0 to 10."),
        ("nprs", {"pain": -1}, "pain", "Enter a number from 0 to 10."),
        ("nprs", {"pain": "7.5"}, "pain", "Enter a number in steps of 1."),
        ("vas", {"pain": "101"}, "pain", "Enter a number from 0 to 100."),
        ("vas", {"pain": "55.5"}, "pain", "Enter a number in steps of 1."),
        ("groc", {"change": "8"}, "change", "Enter a number from -7 to 7."),
        ("groc", {"change": "0.5"}, "change", "Enter a number in steps of 1."),
        ("ppt", {"trial_1": "-1", "trial_2": "300", "trial_3": "300"}, "trial_1", "Enter a number from 0 to 2000."),
        ("ppt", {"trial_1": "300", "trial_2": "2000.1", "trial_3": "300"}, "trial_2", "Enter a number from 0 to 2000."),
        ("ppt", {"trial_1": "300", "trial_2": "300", "trial_3": "300.25"}, "trial_3", "Enter a number in steps of 0.1."),
        ("rom", {"degrees": "181"}, "degrees", "Enter a number from 0 to 180."),
    ],
)
def test_invalid_item_answers(shipped, instrument_id, answers, key, message):
    with pytest.raises(AnswerError) as caught:
        shipped[instrument_id].score(answers)
    assert caught.value.errors == {key: message}


def test_every_item_with_a_problem_is_reported(shipped):
    with pytest.raises(AnswerError) as caught:
        shipped["ppt"].score({"trial_1": "abc", "trial_2": "300"})
    assert caught.value.errors == {"trial_1": "Enter a number.", "trial_3": "This question needs an answer."}


def _activities(*rows: tuple[Any, Any]) -> dict[str, Any]:
    return {"activities": [{"name": name, "score": score} for name, score in rows]}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (_activities(("Walk", 3), ("Sit", 4)), "Name and rate from 3 to 5 activities."),
        (_activities(*((f"Activity {n}", 5) for n in range(6))), "Name and rate from 3 to 5 activities."),
        ({"activities": "Walk"}, "Name and rate from 3 to 5 activities."),
        ({}, "Name and rate from 3 to 5 activities."),
        (_activities(("Walk", 3), ("  ", 4), ("Run", 5)), "Give activity 2 a name."),
        (_activities(("Walk", 3), ("Sit", 4), (None, 5)), "Give activity 3 a name."),
        (_activities(("x" * 101, 3), ("Sit", 4), ("Run", 5)), "Shorten the name of activity 1 to 100 characters or fewer."),
        (_activities(("Walk", 3), ("walk ", 4), ("Run", 5)), "Activity 2 is already on the list."),
        (_activities(("Walk", 3), ("Sit", "11"), ("Run", 5)), "Activity 2: Enter a number from 0 to 10."),
        (_activities(("Walk", 3), ("Sit", ""), ("Run", 5)), "Activity 2: This question needs an answer."),
        (_activities(("Walk", 3), ("Sit", "2.5"), ("Run", 5)), "Activity 2: Enter a number in steps of 1."),
        (_activities(("Walk", 3), ("Sit", "many"), ("Run", 5)), "Activity 2: Enter a number."),
        ({"activities": [{"name": "Walk", "score": 3}, "Sit", {"name": "Run", "score": 5}]}, "Give activity 2 a name."),
    ],
)
def test_invalid_psfs_answers(shipped, answers, message):
    with pytest.raises(AnswerError) as caught:
        shipped["psfs"].score(answers)
    assert caught.value.errors == {"activities": message}


def test_psfs_takes_five_activities_and_a_name_of_exactly_100_characters(shipped):
    scored = shipped["psfs"].score(_activities(("x" * 100, 0), ("b", 10), ("c", 10), ("d", 10), ("e", 10)))
    assert scored.value == 8
    assert len(scored.answers["activities"]) == 5


# --- change, MCID and responder status ----------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument_id", "baseline", "current", "improvement"),
    [
        ("nprs", 7, 3, 4),
        ("nprs", 3, 5, -2),
        ("vas", 60, 45, 15),
        ("psfs", 3, 5, 2),
        ("psfs", 5, 3, -2),
        ("psfs", 3.3, 5.3, 2),
        ("rom", 40, 65, 25),
    ],
)
def test_improvement_is_positive_when_better(shipped, instrument_id, baseline, current, improvement):
    assert shipped[instrument_id].improvement(baseline, current) == improvement


@pytest.mark.parametrize(
    ("instrument_id", "condition", "points"),
    [
        ("nprs", None, 2),
        ("nprs", "neck", 1.3),
        ("nprs", "low_back", 2.2),
        ("nprs", "headache", 2),
        ("nprs", "no_such_condition", 2),
        ("vas", "neck", 15),
        ("psfs", "low_back", 2),
        ("groc", None, None),
        ("ppt", "neck", None),
        ("rom", None, None),
    ],
)
def test_mcid_points(shipped, instrument_id, condition, points):
    assert shipped[instrument_id].mcid_points(condition) == points


@pytest.mark.parametrize(
    ("instrument_id", "baseline", "current", "condition", "responder"),
    [
        ("nprs", 6, 4, None, True),  # 2 points
        ("nprs", 6, 5, None, False),  # 1 point, 17%
        ("nprs", 3, 2, None, True),  # 1 point but 33% of baseline
        ("nprs", 10, 7, None, True),  # exactly 30% (and 3 points)
        ("nprs", 10, 9, None, False),  # 10%
        ("nprs", 5, 6, None, False),  # worse
        ("nprs", 0, 0, None, False),  # no pain to lose; the percent rule does not apply to a baseline of 0
        ("nprs", 8, 6.5, "neck", True),  # 1.5 >= 1.3 for neck pain
        ("nprs", 8, 6.5, None, False),  # 1.5 < 2 and 19% < 30%
        ("nprs", 9, 7, "low_back", False),  # 2 < 2.2 and 22% < 30%
        ("nprs", 9, 7, None, True),  # 2 points
        ("nprs", 9, 6.8, "low_back", True),  # 2.2 exactly
        ("nprs", None, 3, None, None),  # no baseline
        ("vas", 60, 45, None, True),  # 15 mm
        ("vas", 60, 46, None, False),  # 14 mm, 23%
        ("vas", 40, 28, None, True),  # 12 mm but exactly 30%
        ("vas", 40, 29, None, False),  # 11 mm, 27.5%
        ("psfs", 3, 5, None, True),  # 2 points
        ("psfs", 3.3, 5.3, None, True),  # 2 points despite floating-point noise
        ("psfs", 3, 4.9, None, False),
        ("psfs", 1, 2, None, False),  # 100% of baseline, but the PSFS has no percent rule
        ("groc", None, 3, None, True),  # the threshold needs no baseline
        ("groc", 5, 3, None, True),
        ("groc", None, 2, None, False),
        ("groc", None, -7, None, False),
        ("ppt", 300, 500, None, None),  # no rule
        ("rom", 40, 90, None, None),
    ],
)
def test_responder_status(shipped, instrument_id, baseline, current, condition, responder):
    assert shipped[instrument_id].responder_status(baseline, current, condition) is responder


# --- a clinic's licensed questionnaire ----------------------------------------------------------


def test_clinic_definition_loads_and_scores():
    instrument = parse_instrument_definition(_yaml(EXAMPLE), name="edi.yaml")
    assert (instrument.id, instrument.abbreviation, instrument.licence, instrument.scoring) == (
        "example_disability_index",
        "EDI",
        "clinic",
        "sum",
    )
    assert instrument.licence_note.nb.startswith("Lisensiert")
    assert instrument.sources == (EXAMPLE_CITATION, MCID_CITATION)
    first = instrument.items[0]
    assert (first.min, first.max, first.step, len(first.choices)) == (0, 5, 1, 6)
    assert first.choices[5].label.en == "Unable"
    scored = instrument.score({"q1": "2", "q2": 2, "q3": "2", "q4": "2"})
    assert (scored.value, scored.answers) == (40, {"q1": 2, "q2": 2, "q3": 2, "q4": 2})
    assert instrument.score({f"q{n}": 5 for n in range(1, 5)}).value == 100
    assert instrument.score({f"q{n}": 0 for n in range(1, 5)}).value == 0
    assert instrument.responder_status(60, 50) is True
    assert instrument.responder_status(60, 55) is False  # no percent rule
    assert instrument.improvement(60, 50) == 10


def test_messages_write_numbers_the_norwegian_way(shipped):
    with translation.override("nb"), pytest.raises(AnswerError) as caught:
        shipped["ppt"].score({"trial_1": "300", "trial_2": "300", "trial_3": "300.25"})
    assert "0,1" in caught.value.errors["trial_3"]


def test_the_documented_worked_example_is_valid():
    text = (Path(__file__).resolve().parents[2] / "docs" / "outcomes-data.md").read_text(encoding="utf-8")
    example = text.split("### Worked example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    instrument = parse_instrument_definition(example)
    assert instrument.score({"dressing": 2, "lifting": 3, "sleeping": 1, "working": 2}).value == 40
    assert (instrument.responder_status(60, 50), instrument.mcid_points("neck")) == (True, 8)


def test_clinic_definition_answers_must_be_choices():
    instrument = parse_instrument_definition(_yaml(EXAMPLE))
    with pytest.raises(AnswerError) as caught:
        instrument.score({"q1": "6", "q2": "2.5", "q3": "x"})
    assert caught.value.errors == {
        "q1": "Choose one of the answers.",
        "q2": "Choose one of the answers.",
        "q3": "Choose one of the answers.",
        "q4": "This question needs an answer.",
    }


def test_clinic_definition_with_activities_and_a_known_source_id():
    raw = copy.deepcopy(EXAMPLE) | {
        "id": "own_activities",
        "scoring": "mean",
        "multiplier": 1,
        "decimals": 1,
        "score_max": 10,
        "better": "higher",
    }
    del raw["items"]
    scale = {
        "text": {"en": "How well?", "nb": "Hvor godt?"},
        "min": 0,
        "max": 10,
        "step": 0.5,
        "anchors": {0: {"en": "Not", "nb": "Ikke"}, 10: {"en": "Fully", "nb": "Helt"}},
    }
    raw["activities"] = {"min_count": 1, "max_count": 2, "scale": scale}
    raw["mcid"] = {"points": 2, "source": "abbott-schmitt-2014"}
    instrument = parse_instrument_definition(_yaml(raw))
    assert instrument.sources == (EXAMPLE_CITATION, "abbott-schmitt-2014")
    assert instrument.score(_activities(("Knit", "7.5"))).value == 7.5


def _mutated(mutate: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    raw = copy.deepcopy(EXAMPLE)
    mutate(raw)
    return raw


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = raw
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = raw
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return mutate


NUMERIC_ITEM = {"id": "q1", "text": {"en": "Pain", "nb": "Smerte"}, "min": 0, "max": 10, "step": 1}
ANCHORS = {0: {"en": "None", "nb": "Ingen"}, 10: {"en": "Worst", "nb": "Verst"}}

BAD_DEFINITIONS = [
    ("shipped id", _set("id", "nprs"), "nprs", "belongs to an instrument needlechart ships"),
    ("bad id", _set("id", "Bad-Id"), "Bad-Id", "needs an 'id' of up to 40 lower-case letters"),
    ("free licence", _set("licence", "free"), None, "licence must be 'clinic'"),
    ("no licence note", _delete("licence_note"), None, "needs a licence_note"),
    ("unknown key", _set("mcid_points", 3), None, "unknown key(s) mcid_points"),
    ("missing name", _delete("name"), None, "is missing name"),
    ("name without nb", _set("name", {"en": "Example"}), None, "name needs non-empty 'en' and 'nb' texts"),
    ("name as text", _set("name", "Example"), None, "name needs non-empty 'en' and 'nb' texts"),
    ("long abbreviation", _set("abbreviation", "X" * 21), None, "abbreviation must be a short text"),
    ("better", _set("better", "down"), None, "better must be one of lower, higher"),
    ("scoring", _set("scoring", "median"), None, "scoring must be one of single, mean, sum"),
    ("respondent", _set("respondent", "nurse"), None, "respondent must be one of patient, clinician"),
    (
        "score range",
        _set("score_max", 80),
        None,
        "score_min..score_max is 0..80, but sum scoring of the items with multiplier 5 gives 0..100",
    ),
    ("score range as text", _set("score_max", "100"), None, "score_max must be a number"),
    ("multiplier", _set("multiplier", 0), None, "multiplier must be above 0"),
    ("decimals", _set("decimals", 7), None, "decimals must be a whole number from 0 to 4"),
    ("single with 4 items", _set("scoring", "single"), None, "scoring: single needs exactly one item (found 4)"),
    ("items and activities", _set("activities", {"min_count": 1, "max_count": 2}), None, "needs either 'items'"),
    ("neither items nor activities", _delete("items"), None, "needs either 'items'"),
    ("items not a list", _set("items", {"q1": 1}), None, "items must be a list of 1 to 100 questions"),
    ("item not a mapping", _set("items.0", "q1"), None, "each item must be a mapping"),
    ("duplicate item", _set("items.1.id", "q1"), None, "item id(s) used twice: q1"),
    ("item id", _set("items.0.id", "Q 1"), None, "item id 'Q 1' must be lower-case letters"),
    ("item key", _set("items.0.help", "x"), None, "item 'q1' has unknown key(s) help"),
    ("choices and min", _set("items.0.min", 0), None, "item 'q1': an item with choices takes its range from them"),
    ("one choice", _set("items.0.choices", [{"value": 0, "label": {"en": "A", "nb": "A"}}]), None, "choices must be a list of 2 to 20"),
    ("same choice twice", _set("items.0.choices.1.value", 0), None, "item 'q1': two choices have the same value"),
    ("choice label", _set("items.0.choices.1.label", {"en": "Slight", "nb": ""}), None, "item 'q1' choice 1 label needs non-empty"),
    ("choice value", _set("items.0.choices.1.value", "one"), None, "item 'q1' choice value must be a number (got 'one')"),
    ("no anchors", _set("items.0", NUMERIC_ITEM), None, "item 'q1': a patient needs anchors saying what 0 and 10 mean"),
    ("uneven step", _set("items.0", NUMERIC_ITEM | {"step": 3, "anchors": ANCHORS}), None, "positive step that divides max - min"),
    ("min above max", _set("items.0", NUMERIC_ITEM | {"min": 10, "max": 0, "anchors": ANCHORS}), None, "needs min below max"),
    (
        "anchor off scale",
        _set("items.0", NUMERIC_ITEM | {"anchors": ANCHORS | {11: {"en": "x", "nb": "x"}}}),
        None,
        "anchor 11 is not a point",
    ),
    ("mcid without source", _delete("mcid.source"), None, "mcid.source must be a full citation"),
    ("mcid source typo", _set("mcid.source", "ostelo-2009"), None, "mcid.source must be a full citation"),
    ("mcid empty", _set("mcid", {"source": MCID_CITATION}), None, "mcid needs points, percent or both"),
    ("mcid too big", _set("mcid.points", 100), None, "mcid.points must be above 0 and below the score span (100)"),
    ("mcid percent", _set("mcid.percent", 130), None, "mcid.percent must be above 0 and at most 100"),
    ("condition", _set("mcid.by_condition", {"knee": {"points": 8, "source": MCID_CITATION}}), None, "unknown condition 'knee'"),
    ("condition source", _set("mcid.by_condition", {"neck": {"points": 8}}), None, "mcid.by_condition.neck.source must be a full citation"),
    ("improvement without mcid", _delete("mcid"), None, "responder: improvement needs an mcid"),
    ("unknown responder", _set("responder", "always"), None, "responder must be one of improvement, threshold"),
    ("threshold alone", _set("responder", "threshold"), None, "responder: threshold and responder_threshold go together"),
    (
        "threshold out of range",
        lambda raw: raw.update(
            responder="threshold", responder_threshold=120, sources={"definition": EXAMPLE_CITATION, "responder": EXAMPLE_CITATION}
        ),
        None,
        "responder_threshold must be above score_min",
    ),  # fmt: skip
    (
        "threshold without source",
        lambda raw: raw.update(responder="threshold", responder_threshold=20),
        None,
        "sources.responder is missing",
    ),
    ("responder source not expected", _set("sources.responder", EXAMPLE_CITATION), None, "sources.responder is not expected here"),
    ("follow-up by clinician", _set("respondent", "clinician"), None, "follow_up: true needs respondent: patient"),
    ("follow-up not boolean", _set("follow_up", "yes"), None, "follow_up must be true or false"),
    (
        "loinc check digit",
        lambda raw: raw.update(loinc="72514-4", sources={"definition": EXAMPLE_CITATION, "loinc": "loinc"}),
        None,
        "not a valid LOINC code",
    ),  # fmt: skip
    ("loinc without source", _set("loinc", "72514-3"), None, "sources.loinc is missing"),
    ("no sources", _delete("sources"), None, "is missing sources"),
    ("sources as text", _set("sources", EXAMPLE_CITATION), None, "sources must be a mapping"),
    ("definition source", _set("sources.definition", "manual"), None, "sources.definition must be a full citation"),
    (
        "activities sum",
        lambda raw: raw.update(activities={"min_count": 1, "max_count": 3, "scale": {}}) or raw.pop("items"),
        None,
        "activities are scored as their mean",
    ),  # fmt: skip
    (
        "activities counts",
        lambda raw: raw.update(activities={"min_count": 4, "max_count": 3}, scoring="mean") or raw.pop("items"),
        None,
        "1 <= min_count <= max_count <= 10",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("mutate", "entry", "message"), [case[1:] for case in BAD_DEFINITIONS], ids=[case[0] for case in BAD_DEFINITIONS])
def test_bad_clinic_definition(mutate, entry, message):
    with pytest.raises(InstrumentDefinitionError) as caught:
        parse_instrument_definition(_yaml(_mutated(mutate)), name="edi.yaml")
    assert f"edi.yaml: entry '{entry or EXAMPLE['id']}': " in str(caught.value)
    assert message in str(caught.value)


def test_the_example_itself_is_valid():
    # The table above starts from EXAMPLE: were it invalid, every case would fail for the wrong reason.
    assert parse_instrument_definition(_yaml(EXAMPLE)).id == EXAMPLE["id"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "definition: entry '-': is not valid YAML"),
        ("- id: one\n- id: two\n", "must be one instrument written as a YAML mapping"),
        ("", "must be one instrument written as a YAML mapping"),
        ("just text", "must be one instrument written as a YAML mapping"),
        ("id: x\n" + "# padding\n" * 25_000, "is larger than 200 KB"),
        ("[" * 5000 + "]" * 5000, "definition: entry '-': is"),  # too deep for the parser: YAML error or recursion, never a crash
        ("!!python/object/apply:os.system ['true']", "is not valid YAML"),
    ],
)
def test_definition_text_that_is_not_an_instrument(text, message):
    with pytest.raises(InstrumentDefinitionError) as caught:
        parse_instrument_definition(text)
    assert message in str(caught.value)


def test_aliases_cannot_blow_up_a_definition():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    with pytest.raises(InstrumentDefinitionError) as caught:
        parse_instrument_definition("\n".join(lines))
    assert "values once its aliases (*name) are expanded" in str(caught.value)  # refused before anything walks it
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    ("line", "message"),
    [("valid_from: 2024-02-30", "holds a value that cannot be read"), ("max: " + "9" * 5000, "holds a value that cannot be read")],
)
def test_a_definition_with_an_impossible_date_or_a_huge_number_is_refused(line, message):
    with pytest.raises(InstrumentDefinitionError) as caught:
        parse_instrument_definition(f"id: x\n{line}\n")
    assert message in str(caught.value)


# --- the shipped files fail loudly when broken ------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _edit(directory: Path, file: str, mutate: Callable[[list[dict[str, Any]]], None]) -> None:
    entries = yaml.safe_load((directory / file).read_text(encoding="utf-8"))
    mutate(entries)
    (directory / file).write_text(_yaml(entries), encoding="utf-8")


SHIPPED_BREAKAGES = [
    (
        "instruments.yaml",
        lambda e: e[0]["mcid"].update(source="no-such-source"),
        "instruments.yaml: entry 'nprs'",
        "mcid.source 'no-such-source' is missing",
    ),
    (
        "instruments.yaml",
        lambda e: e[0]["sources"].update(definition="Someone. A book. 2020."),
        "instruments.yaml: entry 'nprs'",
        "sources.definition",
    ),
    ("instruments.yaml", lambda e: e[1].update(licence="clinic"), "instruments.yaml: entry 'vas'", "licence must be 'free'"),
    ("instruments.yaml", lambda e: e.append(copy.deepcopy(e[0])), "instruments.yaml: entry 'nprs'", "duplicate id"),
    ("instruments.yaml", lambda e: e[2]["activities"]["scale"].update(step=3), "instruments.yaml: entry 'psfs'", "divides max - min"),
    (
        "instruments.yaml",
        lambda e: e[3]["items"][0]["anchors"].pop(-7),
        "instruments.yaml: entry 'groc'",
        "anchors saying what -7 and 7 mean",
    ),
    ("instruments.yaml", lambda e: e[4].update(score_max=1000), "instruments.yaml: entry 'ppt'", "mean scoring of the items"),
    ("instruments.yaml", lambda e: e[5].update(items="degrees"), "instruments.yaml: entry 'rom'", "items must be a list"),
    ("instruments.yaml", lambda e: e[0]["items"].__setitem__(0, ["pain"]), "instruments.yaml: entry 'nprs'", "each item must be a mapping"),
    (
        "sources_outcomes.yaml",
        lambda e: e.append({"id": "brady-2014", "citation": "Again."}),
        "sources_outcomes.yaml: entry 'brady-2014'",
        "duplicate id",
    ),
    ("sources_outcomes.yaml", lambda e: e.append(copy.deepcopy(e[0])), "sources_outcomes.yaml: entry 'hawker-2011'", "duplicate id"),
    ("sources_outcomes.yaml", lambda e: e[0].update(citation=" "), "sources_outcomes.yaml: entry 'hawker-2011'", "needs a citation"),
]


@pytest.mark.parametrize(("file", "mutate", "where", "message"), SHIPPED_BREAKAGES)
def test_broken_shipped_file_names_file_and_entry(data_dir, file, mutate, where, message):
    _edit(data_dir, file, mutate)
    with pytest.raises(KnowledgeDataError) as caught:
        load_instruments(data_dir)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_missing_shipped_file(data_dir):
    (data_dir / "instruments.yaml").unlink()
    with pytest.raises(KnowledgeDataError, match="instruments.yaml: entry '-': file is missing"):
        load_instruments(data_dir)


def test_copied_shipped_data_loads_unchanged(data_dir):
    assert load_instruments(data_dir) == shipped_instruments()


# --- needlechart check-instrument -------------------------------------------------------------------


def test_check_instrument_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "edi.yaml"
    path.write_text(_yaml(EXAMPLE), encoding="utf-8")
    call_command("check_instrument", str(path))
    out = capsys.readouterr().out
    assert "edi.yaml: valid" in out
    assert "example_disability_index: Example Disability Index (EDI) / Eksempel funksjonsindeks" in out
    assert "score: sum of 4 item(s) x 5, 0 to 100 % (0-100), lower is better" in out
    assert "q1: Question 1 [choices 0 = No difficulty" in out
    assert "MCID: 10 points" in out
    assert "licence: Licensed to Test Clinic by Example Press until 2030." in out


def test_check_instrument_reports_what_to_fix(tmp_path):
    path = tmp_path / "edi.yaml"
    path.write_text(_yaml(_mutated(_set("licence", "free"))), encoding="utf-8")
    with pytest.raises(CommandError, match=r"invalid: edi.yaml: entry 'example_disability_index': licence must be 'clinic'"):
        call_command("check_instrument", str(path))


def test_check_instrument_on_a_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="notes.yaml: entry '-': is not valid YAML"):
        call_command("check_instrument", str(path))


def test_check_instrument_on_a_missing_path(tmp_path):
    with pytest.raises(CommandError, match="no-such.yaml: no such file"):
        call_command("check_instrument", str(tmp_path / "no-such.yaml"))


def test_check_instrument_exits_non_zero_from_the_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        cli_main(["needlechart", "check-instrument", str(tmp_path / "no-such.yaml")])
    assert caught.value.code == 1
    assert "no such file" in capsys.readouterr().err
