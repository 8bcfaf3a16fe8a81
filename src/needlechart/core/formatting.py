"""Django's reverse() and date formatting, remembered: for pages that draw many links and dates.

A chart links to dozens of visits and writes their dates; the same chart is opened again and
again in a clinic day. Each function asks Django the first time and remembers the answer for
the same question (the same URL name and arguments under the same URL prefix; the same value,
format and language), so nothing here re-implements what Django does. The caches are bounded.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language


@functools.lru_cache(maxsize=16384)
def _reverse(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...], prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse(name, args=args, kwargs=kwargs)``."""
    return _reverse(name, args, tuple(sorted(kwargs.items())), get_script_prefix(), get_urlconf())


def local(value: Any) -> Any:
    """An aware datetime in the current time zone (as Django's templates show it); anything else as it is."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@functools.lru_cache(maxsize=16384)
def _date(value: dt.date, format_name: str, language: str | None) -> str:
    return formats.date_format(value, format_name)


def date(value: dt.date | dt.datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """``value`` in local time, in the active language's ``format_name`` ("SHORT_DATE_FORMAT", or
    a format string such as "l j F"); "" for no value, as Django's ``date`` filter."""
    if value is None or value == "":
        return ""
    return _date(local(value), format_name, get_language())
