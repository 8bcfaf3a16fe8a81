"""Dates and times written as Django's ``date`` filter writes them, faster for lists.

Django interprets the format again for every value (about 20 microseconds). Search results
and the chart write dozens of dates per page, so the formats made of numbers and month names
(and the 12-hour time with a.m./p.m. of English) are turned into a list of pieces once per
language, with the month names translated; any other format is left to Django. tests/core/test_dates.py holds both to the same output.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.utils.dateformat import TimeFormat
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_AP
from django.utils.formats import date_format as django_date_format
from django.utils.formats import get_format
from django.utils.translation import get_language

# Pieces take a date, or a datetime for the time of day.
Piece = str | Callable[[Any], str]
# Django's own list of format characters (django.utils.dateformat.re_formatchars)
_FORMAT_CHARS = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")
_ESCAPED = re.compile(r"\\(.)")
_NUMBERS: dict[str, Callable[[Any], str]] = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "y": lambda v: f"{v.year % 100:02d}",
    "G": lambda v: str(v.hour),
    "H": lambda v: f"{v.hour:02d}",
    "i": lambda v: f"{v.minute:02d}",
    "s": lambda v: f"{v.second:02d}",
}


# Django's month names by format character: (names, whether Django writes them in title case)
_MONTH_NAMES = {"F": (MONTHS, False), "N": (MONTHS_AP, False), "b": (MONTHS_3, False), "M": (MONTHS_3, True)}


def _month_name(names: dict[int, Any], title: bool) -> Callable[[Any], str]:
    """A month name in the active language, from Django's own (lazily translated) names."""
    words = {month: str(name).title() if title else str(name) for month, name in names.items()}
    return lambda value: words[value.month]


def _twelve_hour(am: str, pm: str, midnight: str, noon: str) -> Callable[[dt.datetime], str]:
    """Django's "P": '1 a.m.', '1:30 p.m.', 'midnight', 'noon'."""

    def piece(value: dt.datetime) -> str:
        hour, minute = value.hour, value.minute
        if minute == 0 and hour in (0, 12):
            return midnight if hour == 0 else noon
        clock = f"{hour % 12 or 12}:{minute:02d}" if minute else str(hour % 12 or 12)
        return f"{clock} {pm if hour > 11 else am}"

    return piece


@functools.lru_cache(maxsize=32)
def _pieces(language: str | None, format_name: str) -> tuple[Piece, ...] | None:
    """The format of the active language (``language``) as pieces, or None when Django must write it."""
    pieces: list[Piece] = []
    for i, part in enumerate(_FORMAT_CHARS.split(str(get_format(format_name)))):
        if not i % 2:
            if part:
                pieces.append(_ESCAPED.sub(r"\1", part))
        elif part in _NUMBERS:
            pieces.append(_NUMBERS[part])
        elif part in _MONTH_NAMES:
            pieces.append(_month_name(*_MONTH_NAMES[part]))
        elif part == "P":  # with Django's own words for a.m., p.m., midnight and noon, in the active language
            am, pm = str(TimeFormat(dt.time(1)).a()), str(TimeFormat(dt.time(13)).a())
            pieces.append(_twelve_hour(am, pm, str(TimeFormat(dt.time(0)).P()), str(TimeFormat(dt.time(12)).P())))
        else:
            return None
    return tuple(pieces)


def date_format(value: dt.date, format_name: str) -> str:
    """``value`` (already in local time) in the active language's ``format_name``, e.g. "SHORT_DATE_FORMAT"."""
    return date_formatter(format_name)(value)


def date_formatter(format_name: str) -> Callable[[dt.date], str]:
    """date_format(value, format_name) for many values: the active language looked up once."""
    pieces = _pieces(get_language(), format_name)
    if pieces is None:
        return lambda value: django_date_format(value, format_name)
    return lambda value: "".join(piece if isinstance(piece, str) else piece(value) for piece in pieces)
