"""The treatment catalogue's loader fails in the shared format on bad data, and the shipped data passes.

Each case copies ``knowledge/data`` into a temporary directory, breaks one treatment file and
checks the whole ``"<file>: entry '<id>': ..."`` start of the message. No database is needed.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlechart.content import ContentError
from needlechart.knowledge.catalog import DATA_DIR
from needlechart.knowledge.treatment import load_treatment_catalog, treatment_catalog


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _edit(directory: Path, file: str, mutate: Callable[[Any], None]) -> None:
    content = yaml.safe_load((directory / file).read_text(encoding="utf-8"))
    mutate(content)
    (directory / file).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


BREAKAGES = [
    ("screening_rules.yaml", lambda e: e.append(copy.deepcopy(e[0])), "screening_rules.yaml: entry 'needle_phobia': duplicate id"),
    (
        "screening_rules.yaml",
        lambda e: e[0].update(severity="fatal"),
        "screening_rules.yaml: entry 'needle_phobia': severity must be one of absolute, relative, precaution",
    ),
    (
        "screening_rules.yaml",
        lambda e: e[0].update(source="nobody-1999"),
        "screening_rules.yaml: entry 'needle_phobia': source 'nobody-1999' is not in sources.yaml, sources_regions.yaml or",
    ),
    ("screening_rules.yaml", lambda e: e[0].pop("source"), "screening_rules.yaml: entry 'needle_phobia': source is missing"),
    ("screening_rules.yaml", lambda e: e[0]["message"].pop("nb"), "screening_rules.yaml: entry 'needle_phobia': message needs non-empty"),
    ("intake.yaml", lambda s: s[0]["questions"].append(copy.deepcopy(s[0]["questions"][0])), "intake.yaml: entry 'age': duplicate id"),
    ("intake.yaml", lambda s: s[0]["questions"][0].update(type="date"), "intake.yaml: entry 'age': type must be one of boolean,"),
    ("intake.yaml", lambda s: s[0]["questions"][0].pop("label"), "intake.yaml: entry 'age': label needs non-empty 'en' and 'nb'"),
    ("intake.yaml", lambda s: s.append(copy.deepcopy(s[0])), "intake.yaml: entry 'about_you': duplicate id"),
    ("rom.yaml", lambda j: j[0].update(source=None), "rom.yaml: entry 'cervical_spine': source is missing"),
    ("rom.yaml", lambda j: j[0]["movements"][0].update(normal_degrees=400), "rom.yaml: entry 'cervical_spine': normal_degrees must be"),
    ("aftercare.yaml", lambda a: a["advice"].append(copy.deepcopy(a["advice"][0])), "aftercare.yaml: entry '"),
    ("adverse_events.yaml", lambda a: a["severities"][0].pop("source"), "adverse_events.yaml: entry 'mild': source is missing"),
    ("adverse_events.yaml", lambda a: a["types"][0].update(name="Bruising"), "adverse_events.yaml: entry 'bruising': name needs non-empty"),
    (
        "sources_treatment.yaml",
        lambda e: e.append({"id": "brady-2014", "citation": "Again."}),
        "sources_treatment.yaml: entry 'brady-2014': duplicate id (already a source of the catalogue this one extends)",
    ),
    ("sources_treatment.yaml", lambda e: e[0].update(citation=""), "sources_treatment.yaml: entry 'iscp-2012': needs a citation"),
]


@pytest.mark.parametrize(("file", "mutate", "expected"), BREAKAGES)
def test_broken_treatment_file_fails_in_the_shared_format(data_dir, file, mutate, expected):
    _edit(data_dir, file, mutate)
    with pytest.raises(ContentError) as caught:
        load_treatment_catalog(data_dir)
    assert str(caught.value).startswith(expected)


def test_a_missing_treatment_file_fails_loudly(data_dir):
    (data_dir / "consent.yaml").unlink()
    with pytest.raises(ContentError, match="^consent.yaml: entry '-': file is missing$"):
        load_treatment_catalog(data_dir)


def test_copied_treatment_data_loads_unchanged(data_dir):
    assert load_treatment_catalog(data_dir) == treatment_catalog()
