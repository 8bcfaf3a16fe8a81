"""The shared content package: one error format for every check, and no Django in it.

Every check fails with a ``ContentError`` worded ``"<file>: entry '<id>': <message>"``; the
cases below give the whole expected text, so a change of format shows here first.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from needlechart.content import (
    ContentError,
    Source,
    Text,
    bilingual,
    check_keys,
    load_sources,
    one_of,
    parse_text,
    read_entries,
    read_mapping,
    require_mapping,
    require_number,
    require_source,
    unique_id,
    wrong_types_named,
)

SOURCES = {"known-2020": Source("known-2020", "Known A. A study. 2020.", None, False)}


def test_the_error_names_file_and_entry():
    error = ContentError("muscles.yaml", "upper_trapezius", "has no referral pattern")
    assert str(error) == "muscles.yaml: entry 'upper_trapezius': has no referral pattern"
    assert (error.file, error.entry, error.message) == ("muscles.yaml", "upper_trapezius", "has no referral pattern")
    assert isinstance(error, ValueError)


def test_text_in_either_language():
    text = Text("Neck", "Nakke")
    assert (text.get("en"), text.get("nb"), text.get("nb-no"), text.get("de")) == ("Neck", "Nakke", "Nakke", "Neck")


def test_checks_return_the_checked_value():
    assert bilingual("f.yaml", "e", {"en": " Neck ", "nb": "Nakke"}, "name") == Text("Neck", "Nakke")
    assert require_number("f.yaml", "e", 3, "min") == 3.0
    assert require_mapping("f.yaml", "e", {"a": 1}, "x") == {"a": 1}
    assert one_of("f.yaml", "e", "mean", "scoring", ("mean", "sum")) == "mean"
    assert unique_id("f.yaml", {"id": "neck-2"}, {"neck-1"}) == "neck-2"
    assert unique_id("f.yaml", {"joint": "knee"}, (), key="joint") == "knee"
    assert require_source("f.yaml", "e", "known-2020", SOURCES) == "known-2020"
    check_keys("f.yaml", "e", {"id": 1}, {"id", "name"}, "an entry")


FAILURES: list[tuple[str, Callable[[], Any], str]] = [
    (
        "bilingual without nb",
        lambda: bilingual("f.yaml", "neck", {"en": "Neck"}, "name"),
        "f.yaml: entry 'neck': name needs non-empty 'en' and 'nb' texts",
    ),
    (
        "bilingual blank",
        lambda: bilingual("f.yaml", "neck", {"en": "Neck", "nb": " "}, "name"),
        "f.yaml: entry 'neck': name needs non-empty 'en' and 'nb' texts",
    ),
    (
        "bilingual as text",
        lambda: bilingual("f.yaml", "neck", "Neck", "label"),
        "f.yaml: entry 'neck': label needs non-empty 'en' and 'nb' texts",
    ),
    (
        "unknown key",
        lambda: check_keys("f.yaml", "nprs", {"id": 1, "mcid_points": 2}, {"id", "mcid"}, "the instrument"),
        "f.yaml: entry 'nprs': the instrument has unknown key(s) mcid_points; allowed: id, mcid",
    ),
    ("number as text", lambda: require_number("f.yaml", "nprs", "10", "max"), "f.yaml: entry 'nprs': max must be a number (got '10')"),
    ("number as bool", lambda: require_number("f.yaml", "nprs", True, "max"), "f.yaml: entry 'nprs': max must be a number (got True)"),
    (
        "number not finite",
        lambda: require_number("f.yaml", "nprs", float("nan"), "max"),
        "f.yaml: entry 'nprs': max must be a number (got nan)",
    ),
    (
        "mapping as list",
        lambda: require_mapping("f.yaml", "nprs", [1, 2], "mcid"),
        "f.yaml: entry 'nprs': mcid must be a mapping of keys and values (got [1, 2])",
    ),
    (
        "not one of",
        lambda: one_of("f.yaml", "neck", "tail", "group", ("head", "neck")),
        "f.yaml: entry 'neck': group must be one of head, neck (got 'tail')",
    ),
    (
        "id missing",
        lambda: unique_id("f.yaml", {"name": "x"}, ()),
        "f.yaml: entry 'None': needs an 'id' of lower-case letters, digits, '-' or '_'",
    ),
    (
        "id malformed",
        lambda: unique_id("f.yaml", {"id": "Neck"}, ()),
        "f.yaml: entry 'Neck': needs an 'id' of lower-case letters, digits, '-' or '_'",
    ),
    (
        "entry not a mapping",
        lambda: unique_id("f.yaml", ["neck"], ()),
        "f.yaml: entry 'None': needs an 'id' of lower-case letters, digits, '-' or '_'",
    ),
    ("id duplicate", lambda: unique_id("f.yaml", {"id": "neck"}, {"neck"}), "f.yaml: entry 'neck': duplicate id"),
    (
        "id by another key and pattern",
        lambda: unique_id("f.yaml", {"joint": "knee-1"}, (), key="joint", pattern=re.compile(r"[a-z_]+"), described="letters or '_'"),
        "f.yaml: entry 'knee-1': needs a 'joint' of letters or '_'",
    ),
    (
        "source missing",
        lambda: require_source("f.yaml", "neck", None, SOURCES),
        "f.yaml: entry 'neck': source is missing: every fact needs a source",
    ),
    (
        "source unknown",
        lambda: require_source("f.yaml", "neck", "nobody-1999", SOURCES, "sources.referral", registry="sources.yaml"),
        "f.yaml: entry 'neck': sources.referral 'nobody-1999' is not in sources.yaml",
    ),
    (
        "source not a text",
        lambda: require_source("f.yaml", "neck", ["known-2020"], SOURCES),
        "f.yaml: entry 'neck': source '['known-2020']' is not in a sources file",
    ),
]


@pytest.mark.parametrize(("check", "expected"), [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES])
def test_every_check_fails_in_the_one_format(check, expected):
    with pytest.raises(ContentError) as caught:
        check()
    assert str(caught.value) == expected


def test_a_field_of_the_wrong_type_is_named_by_its_entry():
    raw = {"id": "neck", "shapes": ["M 1 1 Z"]}
    with pytest.raises(ContentError) as caught, wrong_types_named("regions.yaml", raw):
        raw["shapes"].get("front")
    assert str(caught.value).startswith("regions.yaml: entry 'neck': has a field of the wrong type or shape (")
    assert isinstance(caught.value.__cause__, AttributeError)


def test_a_wrong_type_without_an_id_is_entry_question_mark():
    with (
        pytest.raises(ContentError, match=r"^f.yaml: entry '\?': has a field of the wrong type or shape"),
        wrong_types_named("f.yaml", ["x"]),
    ):
        _ = ["x"][3]


def test_a_content_error_inside_passes_unchanged():
    inner = ContentError("f.yaml", "neck", "duplicate id")
    with pytest.raises(ContentError) as caught, wrong_types_named("f.yaml", {"id": "other"}):
        raise inner
    assert caught.value is inner


# --- reading files ---------------------------------------------------------------------------------


def _write(directory: Path, name: str, text: str) -> Path:
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_reading_a_list_and_a_mapping(tmp_path):
    _write(tmp_path, "list.yaml", "- id: a\n- id: b\n")
    _write(tmp_path, "map.yaml", "advice: []\n")
    assert read_entries(tmp_path, "list.yaml") == [{"id": "a"}, {"id": "b"}]
    assert read_mapping(tmp_path, "map.yaml") == {"advice": []}


@pytest.mark.parametrize(
    ("reader", "text", "expected"),
    [
        (read_entries, None, "x.yaml: entry '-': file is missing"),
        (read_mapping, None, "x.yaml: entry '-': file is missing"),
        (read_entries, "a: 1\n", "x.yaml: entry '-': must be a list of entries"),
        (read_entries, "", "x.yaml: entry '-': must be a list of entries"),
        (read_mapping, "- a\n", "x.yaml: entry '-': must be a mapping"),
        (read_entries, "- id: 'unterminated\n", "x.yaml: entry '-': is not valid YAML: "),
        (read_mapping, "!!python/object/apply:os.system ['true']\n", "x.yaml: entry '-': is not valid YAML: "),
    ],
)
def test_a_file_that_cannot_be_read_fails_in_the_one_format(tmp_path, reader, text, expected):
    if text is not None:
        _write(tmp_path, "x.yaml", text)
    with pytest.raises(ContentError) as caught:
        reader(tmp_path, "x.yaml")
    assert str(caught.value).startswith(expected)


# Nine levels of nine aliases: under 700 bytes of YAML, 9**9 strings once expanded.
BILLION_LAUGHS = "a: &a [lol]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: [unclosed", "upload.yaml: entry '-': is not valid YAML: "),
        ("!!python/object/apply:os.system ['true']", "upload.yaml: entry '-': is not valid YAML: "),
        ("[" * 100_000 + "]" * 100_000, "upload.yaml: entry '-': is "),  # too deep: an error, never a crash
        (BILLION_LAUGHS, "upload.yaml: entry '-': holds more than 100,000 values once its aliases (*name) are expanded"),
        ("valid_from: 2024-02-30", "upload.yaml: entry '-': holds a value that cannot be read: "),
        ("n: " + "9" * 5000, "upload.yaml: entry '-': holds a value that cannot be read: "),
    ],
)
def test_text_from_elsewhere_is_parsed_safely(text, expected):
    with pytest.raises(ContentError) as caught:
        parse_text("upload.yaml", text)
    assert str(caught.value).startswith(expected)
    assert parse_text("upload.yaml", "id: x") == {"id": "x"}
    assert parse_text("upload.yaml", "a: &x [1, 2]\nb: *x") == {"a": [1, 2], "b": [1, 2]}  # aliases in reason are fine


# --- sources files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [10**13, -(10**13), 10**400, float("inf"), float("nan")])
def test_a_number_out_of_range_is_refused_with_a_short_message(value):
    with pytest.raises(ContentError) as caught:
        require_number("f.yaml", "e", value, "max")
    assert str(caught.value).startswith("f.yaml: entry 'e': max ")
    assert len(str(caught.value)) < 200


def test_sources_load_across_files_on_top_of_known_ones(tmp_path):
    _write(tmp_path, "a.yaml", "- {id: a-2001, citation: ' A. One. 2001. ', url: 'https://example.org'}\n")
    _write(tmp_path, "b.yaml", "- {id: b-2002, citation: B. Two. 2002., unverified: true}\n")
    sources = load_sources(tmp_path, ("a.yaml", "b.yaml"), SOURCES)
    assert sources == {
        **SOURCES,
        "a-2001": Source("a-2001", "A. One. 2001.", "https://example.org", False),
        "b-2002": Source("b-2002", "B. Two. 2002.", None, True),
    }
    assert "a-2001" not in SOURCES  # the known sources are not changed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- {id: b-2002, citation: B.}\n- {id: b-2002, citation: B.}\n", "b.yaml: entry 'b-2002': duplicate id"),
        ("- {id: a-2001, citation: Again.}\n", "b.yaml: entry 'a-2001': duplicate id"),
        (
            "- {id: known-2020, citation: Again.}\n",
            "b.yaml: entry 'known-2020': duplicate id (already a source of the catalogue this one extends)",
        ),
        ("- {id: B-2002, citation: B.}\n", "b.yaml: entry 'B-2002': needs an 'id' of lower-case letters, digits, '-' or '_'"),
        ("- {id: b-2002, citation: ' '}\n", "b.yaml: entry 'b-2002': needs a citation"),
        ("- {id: b-2002}\n", "b.yaml: entry 'b-2002': needs a citation"),
        ("- {id: b-2002, citation: B., url: [x]}\n", "b.yaml: entry 'b-2002': url must be a text or null"),
        (
            "- {id: b-2002, citation: B., doi: x}\n",
            "b.yaml: entry 'b-2002': a source has unknown key(s) doi; allowed: citation, id, unverified, url",
        ),
        ("- just a citation\n", "b.yaml: entry 'None': needs an 'id' of lower-case letters, digits, '-' or '_'"),
    ],
)
def test_a_bad_source_fails_in_the_one_format(tmp_path, text, expected):
    _write(tmp_path, "a.yaml", "- {id: a-2001, citation: A. One. 2001.}\n")
    _write(tmp_path, "b.yaml", text)
    with pytest.raises(ContentError) as caught:
        load_sources(tmp_path, ("a.yaml", "b.yaml"), SOURCES)
    assert str(caught.value) == expected


# --- no Django -------------------------------------------------------------------------------------


def test_the_package_imports_neither_django_nor_the_rest_of_needlechart():
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys\n"
        "import needlechart.content, needlechart.content.checks, needlechart.content.errors\n"
        "import needlechart.content.files, needlechart.content.records, needlechart.content.sources\n"
        "needlechart.content.parse_text('x.yaml', 'id: x')\n"
        "outside = sorted(m for m in sys.modules if m.split('.')[0] == 'django'"
        " or (m.startswith('needlechart.') and not m.startswith('needlechart.content')))\n"
        "assert not outside, outside\n"
    )
    environment = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
