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
