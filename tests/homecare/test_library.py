"""The home-care library: the shipped file is complete and sourced; a bad file fails by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from needlechart.content import ContentError
from needlechart.homecare.catalog import (
    COMMONLY_NEEDLED,
    DATA_DIR,
    DRAWINGS_DIR,
    GENERAL_KINDS,
    SUGGESTED_KINDS,
    check_drawing,
    library,
    load_library,
)
from needlechart.knowledge.catalog import catalog


def test_every_commonly_needled_muscle_has_a_stretch_or_self_release():
    for muscle_id in COMMONLY_NEEDLED:
        assert muscle_id in catalog().muscles
        assert any(item.kind in SUGGESTED_KINDS for item in library().for_muscle(muscle_id)), muscle_id


def test_the_library_has_general_foam_roller_ball_heat_cold_posture_and_aids():
    general = {item.kind for item in library().items.values() if item.general}
    assert set(GENERAL_KINDS) <= general
    heat, cold = library().items["heat"], library().items["cold"]
    assert heat.when and cold.when and heat.dosage["minutes"] and cold.dosage["minutes"] <= 20


def test_every_item_has_both_languages_a_known_source_and_a_checked_drawing_or_none():
    lib = library()
    for item in lib.items.values():
        assert item.title.en and item.title.nb and item.instructions.nb and item.cautions.nb
        assert item.source in lib.sources
        if item.drawing:
            assert item.drawing in lib.drawings and "<svg" in lib.drawings[item.drawing]
    assert sum(1 for item in lib.items.values() if item.drawing) >= 20
    # Nothing here was checked against the original: every source the library cites says so.
    assert all(lib.sources[item.source].unverified for item in lib.items.values())


@pytest.fixture
def data(tmp_path):
    """A copy of the shipped files to spoil: (directory, drawings directory, the items as loaded YAML)."""
    directory, drawings = tmp_path / "data", tmp_path / "drawings"
    shutil.copytree(DATA_DIR, directory)
    shutil.copytree(DRAWINGS_DIR, drawings)
    items = yaml.safe_load((directory / "homecare.yaml").read_text(encoding="utf-8"))

    def load(changed=None):
        (directory / "homecare.yaml").write_text(yaml.safe_dump(changed if changed is not None else items, allow_unicode=True), "utf-8")
        return load_library(directory, drawings)

    return directory, drawings, items, load


def _item(items, item_id):
    return next(i for i in items if i["id"] == item_id)


def test_the_copy_loads_as_shipped(data):
    *_rest, load = data
    assert set(load().items) == set(library().items)


@pytest.mark.parametrize(
    ("change", "entry", "message"),
    [
        (lambda i: i.update(muscles=["upper_trapezius", "no_such"]), "upper_trapezius_stretch", "unknown muscle id(s): no_such"),
        (lambda i: i.update(kind="yoga"), "upper_trapezius_stretch", "kind must be one of"),
        (lambda i: i["dosage"].update(hold_seconds=900), "upper_trapezius_stretch", "hold_seconds must be a whole number from 1 to 300"),
        (lambda i: i["dosage"].update(times_per_day="2"), "upper_trapezius_stretch", "dosage.times_per_day must be a whole number"),
        (lambda i: i["dosage"].update(weeks=3), "upper_trapezius_stretch", "unknown key(s) weeks"),
        (lambda i: i.update(dosage={}), "upper_trapezius_stretch", "needs a dosage"),
        (lambda i: i["title"].pop("nb"), "upper_trapezius_stretch", "title needs non-empty 'en' and 'nb' texts"),
        (lambda i: i["cautions"].update(nb=" "), "upper_trapezius_stretch", "cautions needs non-empty"),
        (lambda i: i.pop("source"), "upper_trapezius_stretch", "source is missing"),
        (lambda i: i.update(source="my-blog"), "upper_trapezius_stretch", "source 'my-blog' is not in"),
        (lambda i: i.update(sided="yes"), "upper_trapezius_stretch", "sided must be true or false"),
        (lambda i: i.update(sided=True), "heat", "only an item for named muscles can be sided"),
        (lambda i: i.update(muscles=[]), "upper_trapezius_stretch", "a stretch must name the muscles"),
        (lambda i: i.update(drawing="../../settings"), "upper_trapezius_stretch", "drawing must be null or the name"),
        (lambda i: i.update(drawing="no-such-drawing"), "-", "file is missing"),
        (lambda i: i.update(video="x"), "upper_trapezius_stretch", "unknown key(s) video"),
    ],
)
def test_a_bad_item_stops_the_load_naming_file_and_entry(data, change, entry, message):
    *_rest, items, load = data
    target = _item(items, "heat" if "heat" in message or "named muscles" in message else "upper_trapezius_stretch")
    change(target)
    with pytest.raises(ContentError) as error:
        load()
    assert message in str(error.value)
    assert error.value.entry == entry
    assert error.value.file in ("homecare.yaml", "drawings/no-such-drawing.svg")


def test_a_duplicate_id_stops_the_load(data):
    *_rest, items, load = data
    with pytest.raises(ContentError, match="homecare.yaml: entry 'heat': duplicate id"):
        load([*items, dict(_item(items, "heat"))])


def test_a_commonly_needled_muscle_without_an_item_stops_the_load(data):
    *_rest, items, load = data
    kept = [i for i in items if "masseter" not in i["muscles"]]
    with pytest.raises(ContentError, match="the commonly needled muscle 'masseter' has no stretch"):
        load(kept)


def test_a_library_without_general_cold_advice_stops_the_load(data):
    *_rest, items, load = data
    with pytest.raises(ContentError, match="needs general advice of the kind 'cold'"):
        load([i for i in items if i["kind"] != "cold"])


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "element <script> is not allowed"),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><line x1="0"/></svg>', "attribute(s) onload of <svg>"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><a href="https://example.org"><line/></a></svg>', "element <a> is not allowed"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0" style="fill:red"/></svg>', "attribute(s) style of <path>"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><g>Hello</g></svg>', "holds text"),
        ('<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>', "without declarations"),
        ("<svg><line/></svg>", "in the SVG namespace"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><line', "not well-formed XML"),
    ],
)
def test_a_drawing_that_is_not_plain_line_art_is_refused(tmp_path: Path, svg, message):
    (tmp_path / "bad.svg").write_text(svg, encoding="utf-8")
    with pytest.raises(ContentError, match="drawings/bad.svg") as error:
        check_drawing(tmp_path, "bad")
    assert message in str(error.value)


def test_every_shipped_drawing_passes_the_check():
    for path in DRAWINGS_DIR.glob("*.svg"):
        assert check_drawing(DRAWINGS_DIR, path.stem)
