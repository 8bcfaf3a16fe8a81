"""core.formatting answers as Django does, in every language, however often it is asked."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from needlechart.core import formatting

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("name", "args"),
    [("today", ()), ("patient_chart", (uuid.uuid4(),)), ("staff_detail", (42,)), ("muscle_detail", ("trapezius-upper",))],
)
def test_url_is_what_reverse_gives(name, args):
    assert formatting.url(name, *args) == reverse(name, args=args)
    assert formatting.url(name, *args) == reverse(name, args=args)  # remembered


def test_url_follows_the_script_prefix():
    from django.urls import set_script_prefix

    assert formatting.url("today") == "/"
    set_script_prefix("/clinic/")
    try:
        assert formatting.url("today") == "/clinic/"
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize("format_name", ["SHORT_DATE_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "l j F"])
def test_dates_are_what_django_writes(language, format_name):
    moment = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # 02:30 in Oslo, after the change to summer time
    with translation.override(language), timezone.override(OSLO):
        expected = formats.date_format(timezone.localtime(moment), format_name)
        assert formatting.date(moment, format_name) == expected
        assert formatting.date(moment.date(), "SHORT_DATE_FORMAT") == formats.date_format(moment.date(), "SHORT_DATE_FORMAT")


def test_a_remembered_date_is_written_in_the_language_of_the_moment():
    day = dt.date(2026, 5, 17)
    with translation.override("en"):
        english = formatting.date(day, "DATE_FORMAT")
    with translation.override("nb"):
        norwegian = formatting.date(day, "DATE_FORMAT")
    assert "May" in english and "mai" in norwegian


def test_no_value_is_written_as_nothing():
    assert formatting.date(None) == "" and formatting.date("") == ""  # type: ignore[arg-type]


def test_every_url_of_one_id_is_what_reverse_gives():
    """Every URL pattern of the project that takes one uuid or number, with ids of every shape."""
    from django.urls import get_resolver

    checked = 0
    for name, entries in get_resolver().reverse_dict.lists():
        if not isinstance(name, str):
            continue
        for possibility, _pattern, _defaults, converters in entries:
            for _result, params in possibility:
                if len(params) != 1:
                    continue
                kind = type(converters[params[0]]).__name__
                ids = {"UUIDConverter": [uuid.uuid4(), uuid.UUID(int=0)], "IntConverter": [0, 7, 10**12]}.get(kind, [])
                for value in ids:
                    assert formatting.url(name, value) == reverse(name, args=[value])
                    checked += 1
    assert checked > 40


def test_a_url_whose_id_is_not_put_in_verbatim_asks_reverse(monkeypatch):
    """Only an answer that is the id put in verbatim is kept as a pattern."""
    formatting._id_pattern.cache_clear()
    monkeypatch.setattr(formatting, "reverse", lambda name, urlconf=None, args=None, kwargs=None: f"/x/{str(args[0]).upper()}/")
    value = uuid.uuid4()
    assert formatting._id_pattern("patient_chart", "UUID", "/", None) is None
    assert formatting.url("patient_chart", value) == f"/x/{str(value).upper()}/"
    formatting._id_pattern.cache_clear()
    formatting._reverse.cache_clear()
