"""needlechart.core.dates writes dates exactly as Django's date filter does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.formats import date_format as django_date_format

from needlechart.core.dates import _pieces, date_format

TIMES = [(0, 0), (0, 5), (1, 0), (9, 30), (11, 59), (12, 0), (12, 30), (13, 0), (23, 59)]
DAYS = [dt.date(2026, 1, 2), dt.date(1985, 12, 31), dt.date(2009, 7, 14), dt.date(812, 3, 4)]


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize("format_name", ["DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_dates_and_times_read_as_with_django(language, format_name):
    with translation.override(language):
        for day in DAYS:
            values = [dt.datetime.combine(day, dt.time(h, m, 7)) for h, m in TIMES] if "TIME" in format_name else [day]
            for value in values:
                assert date_format(value, format_name) == django_date_format(value, format_name), (value, format_name)


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize("characters", ["F", "N", "b", "M", "j. F Y", "N j, Y"])
def test_month_names_read_as_with_django_in_every_month(language, characters):
    with translation.override(language):  # a format string in place of a format's name, as the date filter takes it
        for month in range(1, 13):
            value = dt.date(2026, month, 3)
            assert date_format(value, characters) == django_date_format(value, characters), (month, characters)


def test_numeric_formats_month_names_and_english_times_skip_django_others_fall_back_to_it():
    with translation.override("en"):
        assert _pieces("en", "SHORT_DATE_FORMAT") is not None and _pieces("en", "SHORT_DATETIME_FORMAT") is not None
        assert _pieces("en", "DATE_FORMAT") is not None  # "N j, Y": month names too
        assert _pieces("en", "WEEKDAY_FORMAT") is None  # "l, N j": day names are left to Django
    with translation.override("nb"):
        assert _pieces("nb", "SHORT_DATETIME_FORMAT") is not None and _pieces("nb", "DATE_FORMAT") is not None
