"""The loader checks the second edition's new data forms (issue 13): sites, body areas, check
levels and day-only questions, failing with the file and entry named."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlechart.content import ContentError
from needlechart.knowledge.catalog import DATA_DIR
from needlechart.knowledge.treatment import load_treatment_catalog


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _rule(rules: list[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    return next(r for r in rules if r["id"] == rule_id)


def _question(sections: list[dict[str, Any]], question_id: str) -> dict[str, Any]:
    return next(q for s in sections for q in s["questions"] if q["id"] == question_id)


BREAKAGES: list[tuple[str, Callable[[Any], None], str]] = [
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "lymphoedema_left_arm")["session_check"]["match"]["muscles_any"].append("armpit_muscle"),
        "screening_rules.yaml: entry 'lymphoedema_left_arm': muscles_any needs a list of known ids, got unknown ['armpit_muscle']",
    ),
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "pregnancy")["session_check"]["match"].update(regions_any=["pelvis"]),
        "screening_rules.yaml: entry 'pregnancy': regions_any needs a list of known ids, got unknown ['pelvis']",
    ),
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "pregnancy")["session_check"].update(level="stop"),
        "screening_rules.yaml: entry 'pregnancy': session_check.level must be one of block, warn, info",
    ),
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "recent_wound")["session_check"]["match"].update(areas_from="main_complaint"),
        "screening_rules.yaml: entry 'recent_wound': areas_from names 'main_complaint', which is not a body-area question",
    ),
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "recent_trunk_surgery")["session_check"]["match"].update(areas_in=["tail"]),
        "screening_rules.yaml: entry 'recent_trunk_surgery': areas_in needs a list of known ids, got unknown ['tail']",
    ),
    (
        "screening_rules.yaml",
        lambda r: _rule(r, "pacemaker_estim")["session_check"]["match"].update(thorax=True, deep=True),
        "screening_rules.yaml: entry 'pacemaker_estim': a match is one kind",
    ),
    (
        "consent.yaml",
        lambda c: c[0]["risks"][-1].update(when_planned={"areas_from": "wound_areas"}),
        "consent.yaml: entry '",
    ),
    # the areas are one list shared by every body-area question: the first to use it is named
    (
        "intake.yaml",
        lambda s: _question(s, "wound_areas")["options"][0].pop("site"),
        "intake.yaml: entry 'lymphoedema_areas': a body-area question is multichoice and every option but 'none' has a site",
    ),
    (
        "intake.yaml",
        lambda s: _question(s, "wound_areas")["options"][0]["site"].update(groups_any=["tail"]),
        "intake.yaml: entry 'lymphoedema_areas option head_neck': groups_any needs a list of known ids",
    ),
]


@pytest.mark.parametrize(("file", "mutate", "expected"), BREAKAGES, ids=[b[2][:60] for b in BREAKAGES])
def test_broken_second_edition_data_fails_with_file_and_entry(data_dir, file, mutate, expected):
    path = data_dir / file
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_treatment_catalog(data_dir)
    assert str(caught.value).startswith(expected)


def test_the_shipped_body_area_questions_share_one_list_of_areas():
    questions = load_treatment_catalog().questions
    area_questions = [q for q in questions.values() if q.sites]
    assert {q.id for q in area_questions} >= {"surgery_areas", "wound_areas", "implant_areas", "lymphoedema_areas"}
    first = [value for value, _site in area_questions[0].sites]
    assert len(first) == 16 and all([value for value, _site in q.sites] == first for q in area_questions)
