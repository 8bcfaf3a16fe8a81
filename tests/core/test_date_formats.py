"""Dates in the clinic's way (issue 13): English day first with 24-hour time, as the clinic writes Norwegian.

Django's own English is American ("Feb. 23, 2000", "03/08/2024 12:30 p.m."); needlechart.formats.en
replaces it. Its formats never end in a full stop, so "Intake of %(when)s." ends in one.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import formats, timezone, translation

from needlechart.core.formatting import date
from tests.needling.conftest import screened  # noqa: F401 - shared fixture

FORMAT_NAMES = ("DATE_FORMAT", "TIME_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT")
FORMAT_NAMES += ("YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT")
MOMENTS = [
    dt.datetime(2024, month, day, hour, minute, tzinfo=dt.UTC)
    for month, day, hour, minute in ((3, 8, 12, 30), (5, 10, 15, 0), (9, 1, 0, 0))
]


@pytest.mark.parametrize(
    ("format_name", "expected"),
    [
        ("DATE_FORMAT", "23 Feb 2000"),
        ("SHORT_DATE_FORMAT", "23/02/2000"),
        ("SHORT_DATETIME_FORMAT", "23/02/2000 14:30"),
        ("DATETIME_FORMAT", "23 Feb 2000 14:30"),
        ("TIME_FORMAT", "14:30"),
        ("MONTH_DAY_FORMAT", "23 February"),
    ],
)
def test_english_is_day_first_with_24_hour_time(format_name, expected):
    with translation.override("en"):
        assert formats.date_format(dt.datetime(2000, 2, 23, 14, 30, tzinfo=dt.UTC), format_name) == expected
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


def test_the_issue_s_dates():
    with translation.override("en"):
        assert formats.date_format(dt.datetime(2024, 3, 8, 12, 30, tzinfo=dt.UTC), "SHORT_DATETIME_FORMAT") == "08/03/2024 12:30"
        assert formats.date_format(dt.datetime(2024, 10, 5, 15, 0, tzinfo=dt.UTC), "SHORT_DATETIME_FORMAT") == "05/10/2024 15:00"
    with translation.override("nb"):
        assert formats.date_format(dt.datetime(2024, 3, 8, 12, 30, tzinfo=dt.UTC), "SHORT_DATETIME_FORMAT") == "08.03.2024 12:30"
        assert formats.date_format(dt.date(2000, 2, 23)) == "23. februar 2000"


@pytest.mark.parametrize("language", ["en", "nb"])
def test_no_date_or_time_ends_in_a_full_stop(language):
    with translation.override(language):
        shown = {f"{name} {moment}": formats.date_format(moment, name) for name in FORMAT_NAMES for moment in MOMENTS}
    assert not [f"{key}: {text!r}" for key, text in shown.items() if text.endswith(".")]


class _Born(forms.Form):
    born = forms.DateField()


@pytest.mark.parametrize(
    ("typed", "meant"), [("08/03/2024", dt.date(2024, 3, 8)), ("08.03.2024", dt.date(2024, 3, 8)), ("2024-03-08", dt.date(2024, 3, 8))]
)
def test_a_typed_english_date_is_read_day_first(typed, meant):
    with translation.override("en"):
        form = _Born({"born": typed})
        assert form.is_valid() and form.cleaned_data["born"] == meant


def test_a_month_first_date_is_not_read():
    with translation.override("en"):
        assert not _Born({"born": "03/25/2024"}).is_valid()


def test_the_chart_ends_its_dated_sentences_with_one_full_stop(client_for, practitioner, patient, encounter, screened):  # noqa: F811
    from needlechart.charting.pain_maps import pain_map_mark

    pain_map_mark(actor=practitioner, encounter=encounter, region="temple_r", intensity=6)
    html = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    submitted = timezone.localtime(screened.submitted_at)
    assert f"Intake of {submitted:%d/%m/%Y %H:%M}." in html
    assert f"Pain map from the visit on {timezone.localtime(encounter.starts_at):%d/%m/%Y %H:%M}." in html
    text = re.sub(r"<[^>]*>", " ", html).replace("...", "")
    assert not re.search(r"\w\.\.", text), "a doubled full stop"
    assert " a.m." not in html and " p.m." not in html


def test_the_cached_date_follows_the_language():
    day = dt.date(2000, 2, 23)
    with translation.override("en"):
        assert date(day) == "23 Feb 2000"
    with translation.override("nb"):
        assert date(day) == "23. februar 2000"
