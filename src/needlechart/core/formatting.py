"""Django's reverse(), date formatting and choice labels, remembered: for pages that draw many links and dates.

A chart links to dozens of visits and writes their dates; the same chart is opened again and
again in a clinic day. Each function asks Django the first time and remembers the answer for
the same question (the same URL name and arguments under the same URL prefix and URL conf; the
same value, format and language), so nothing here re-implements what Django does. For a URL
of one id, what is remembered is where reverse() puts the id, checked with two different ids.
The caches are bounded.

A page asks for its language, time zone and URL prefix dozens of times, and each is a lookup in
Django's context-local state that costs more than the formatting it serves: ``PageLocale`` reads
them once per page (web.context puts it in every page's context) and the template filters read it
from there (``page_locale``), or from Django when drawn without a request.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat, formats, timezone
from django.utils.translation import get_language, override
from jinja2 import pass_context
from jinja2.runtime import Context


@dataclass(frozen=True, slots=True)
class PageLocale:
    """What a page is drawn in: the active language, time zone, URL prefix and URL conf."""

    language: str
    timezone: dt.tzinfo
    script_prefix: str
    urlconf: str | None

    @classmethod
    def current(cls) -> PageLocale:
        return cls(get_language() or settings.LANGUAGE_CODE, timezone.get_current_timezone(), get_script_prefix(), get_urlconf())


def page_locale(context: Context) -> PageLocale:
    """The page's locale from the template context; Django's current one when the context has none
    (a template drawn without a request, or a macro imported without context)."""
    found = context.get("page_locale")
    return found if isinstance(found, PageLocale) else PageLocale.current()


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
    return _url(get_script_prefix(), get_urlconf(), name, args, kwargs)


@pass_context
def page_url(context: Context, name: str, *args: Any, **kwargs: Any) -> str:
    """``url()`` for templates, in the page's URL prefix and URL conf."""
    locale = page_locale(context)
    return _url(locale.script_prefix, locale.urlconf, name, args, kwargs)


def _url(prefix: str, urlconf: str | None, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
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


@functools.lru_cache(maxsize=64)
def _date_format(format_name: str, language: str | None) -> str:
    """The format string ``format_name`` names in ``language`` (a format string names itself)."""
    return str(formats.get_format(format_name, lang=language))


def _date(value: dt.date, format_name: str, language: str | None) -> str:
    """``formats.date_format(value, format_name)`` in ``language``, the active language.

    Aware datetimes that are the same moment compare equal whatever their zone, so the cache is
    also keyed by the zone and the offset: the same moment in two zones (two clinics in one
    process), or the repeated hour of the autumn clock change, each keep their own text."""
    zone = (value.tzinfo, value.utcoffset()) if isinstance(value, dt.datetime) else None
    return _cached_date(value, zone, format_name, language)


@functools.lru_cache(maxsize=16384)
def _cached_date(value: dt.date, zone: tuple[Any, Any] | None, format_name: str, language: str | None) -> str:
    return dateformat.format(value, _date_format(format_name, language))


def date(value: dt.date | dt.datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """``value`` in local time, in the active language's ``format_name`` ("SHORT_DATE_FORMAT", or
    a format string such as "l j F"); "" for no value, as Django's ``date`` filter."""
    if value is None or value == "":
        return ""
    return _date(local(value), format_name, get_language())


@pass_context
def page_date(context: Context, value: dt.date | dt.datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """The ``date`` filter: ``date()`` in the page's language and time zone."""
    if value is None or value == "":
        return ""
    locale = page_locale(context)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(locale.timezone)
    return _date(value, format_name, locale.language)


@pass_context
def local_isoformat(context: Context, value: dt.datetime) -> str:
    """An aware datetime in the page's time zone, in ISO 8601 (a <time datetime="...">)."""
    return value.astimezone(page_locale(context).timezone).isoformat()


@functools.lru_cache(maxsize=256)
def _choice_labels(model: type[models.Model], field_name: str, language: str) -> dict[Any, str]:
    """The labels of a model field's choices in ``language``, by value."""
    with override(language):
        field = model._meta.get_field(field_name)
        assert isinstance(field, models.Field)
        return {value: str(label) for value, label in field.flatchoices}


@pass_context
def choice_label(context: Context, instance: models.Model, field_name: str) -> Any:
    """``instance.get_<field_name>_display()`` in the page's language, the field's labels translated once
    per language and remembered (Django hashes and translates every choice's label at each call)."""
    value = getattr(instance, field_name)
    return _choice_labels(type(instance), field_name, page_locale(context).language).get(value, value)
