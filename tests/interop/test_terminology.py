"""The terminology file is checked as it loads, and says which codes are unverified; UCUM's grammar."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from needlechart.content import ContentError
from needlechart.interop.terminology import DATA_DIR, load_terminology, terminology
from needlechart.interop.ucum import is_ucum


def test_the_shipped_terminology_loads_and_codes_every_shipped_instrument():
    codes = terminology()
    assert set(codes.measures) == {"nprs", "vas", "psfs", "groc", "ppt", "rom"}
    assert codes.measures["nprs"].codes[0] == ("loinc", "72514-3")
    assert codes.url("fnr") == "urn:oid:2.16.578.1.12.4.1.4.1" and codes.url("d-number") == "urn:oid:2.16.578.1.12.4.1.4.2"
    assert codes.url("hpr") == "urn:oid:2.16.578.1.12.4.1.4.4"


def test_codes_not_checked_against_a_primary_source_are_listed_as_unverified():
    unverified = {(system, code) for system, code, _source in terminology().unverified_codes()}
    assert {("loinc", "11506-3"), ("loinc", "59284-0"), ("uberon", ""), ("audit-event-type", "")} <= unverified
    for checked in (("loinc", "72514-3"), ("snomed", ""), ("fnr", ""), ("d-number", ""), ("hpr", ""), ("muscle", "")):
        assert checked not in unverified


@pytest.fixture
def data_copy(tmp_path) -> Path:
    for name in ("terminology.yaml", "observations.yaml", "sources_fhir.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("terminology.yaml", '"72514-3"', '"72514-4"', "72514-4 is not a LOINC code (wrong form or check digit)"),
        ("terminology.yaml", '"24028007"', '"24028008"', "24028008 is not a SNOMED CT concept id"),
        ("terminology.yaml", '{code: "kPa"', '{code: "kpa"', "kpa is not a UCUM unit"),
        ("terminology.yaml", "source: hl7-norway-basis-changelog", "source: a-blog", "source 'a-blog' is not in sources_fhir.yaml"),
        ("terminology.yaml", "catalogue: muscles", "catalogue: muscle_list", "catalogue must be one of"),
        ("observations.yaml", '"instrument|groc"', '"instrument|grok"', "grok is not a code of instrument"),
        ("observations.yaml", 'unit: "kPa"', 'unit: "N"', "unit must be one of"),
        (
            "observations.yaml",
            '["loinc|38214-3", "instrument|vas"]',
            '["instrument|vas"]',
            "LOINC [] disagrees with the instrument's own (38214-3)",
        ),
    ],
)
def test_a_broken_terminology_stops_the_load_with_the_file_and_entry(data_copy, name, old, new, message):
    _edit(data_copy, name, old, new)
    with pytest.raises(ContentError) as error:
        load_terminology(data_copy)
    assert error.value.file == name and message in error.value.message


@pytest.mark.parametrize(
    "unit", ["kPa", "mm", "deg", "{score}", "mL/min", "kg.m-2", "/min", "%", "10*3/uL", "mm[Hg]", "Cel", "kg/(m2.s)", "1"]
)
def test_ucum_units_are_accepted(unit):
    assert is_ucum(unit)


@pytest.mark.parametrize("unit", ["degrees", "kpa", "KPa", "sec", "", "m m", "mm/", "(mm", "µs", "score", "kg..m", "{a{b}}"])
def test_what_is_not_ucum_is_refused(unit):
    assert not is_ucum(unit)
