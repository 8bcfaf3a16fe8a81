"""Django's reverse() and date formatting, remembered: for pages that draw many links and dates.

A chart links to dozens of visits and writes their dates; the same chart is opened again and
again in a clinic day. Each function asks Django the first time and remembers the answer for
the same question (the same URL name and arguments under the same URL prefix and URL conf; the
same value, format and language), so nothing here re-implements what Django does. For a URL
of one id, what is remembered is where reverse() puts the id, checked with two different ids.
The caches are bounded.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language


@functools.lru_cache(maxsize=16384)
def _reverse(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...], prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


# Two stand-ins of each kind of id a URL takes: reverse() answers for both, and only if its answers
# differ in nothing but the id is the answer kept as a pattern that any id of that kind fills in.
_STAND_INS: dict[str, tuple[Any, Any]] = {
    "UUID": (uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF), uuid.UUID(int=0xFEDCBA9876543210FEDCBA9876543210)),
    "int": (987654321012345678, 123456789098765432),
}
_KINDS = {uuid.UUID: "UUID", int: "int"}


@functools.lru_cache(maxsize=512)
def _id_pattern(name: str, kind: str, prefix: str, urlconf: str | None) -> tuple[str, str] | None:
    """reverse()'s answer for URL ``name`` with one id of ``kind``, as the text before and after the
    id (``kind``: "UUID" or "int"); None when Django's answer is not the id put in verbatim (then every id asks reverse())."""
    first, second = _STAND_INS[kind]
    answer = reverse(name, urlconf=urlconf, args=[first])
    before, found, after = answer.partition(str(first))
    if not found or f"{before}{second}{after}" != reverse(name, urlconf=urlconf, args=[second]):
        return None
    return before, after


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse(name, args=args, kwargs=kwargs)``. A URL of one uuid or whole-number id (a chart
    links to dozens of visits, search results to 50 patients) is reversed once per URL name and
    the id put where reverse() put it; anything else is remembered per name and arguments."""
    prefix, urlconf = get_script_prefix(), get_urlconf()
    kind = _KINDS.get(type(args[0])) if len(args) == 1 and not kwargs else None
    if kind is not None:
        pattern = _id_pattern(name, kind, prefix, urlconf)
        if pattern is not None:
            return f"{pattern[0]}{args[0]}{pattern[1]}"
    return _reverse(name, args, tuple(sorted(kwargs.items())), prefix, urlconf)


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
