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


def test_the_same_moment_in_two_zones_is_written_in_each_zone():
    """Aware datetimes of one moment are equal whatever their zone: a remembered text of one zone
    must not answer for another (two clinics' zones in one process)."""
    moment = dt.datetime(2026, 6, 1, 7, 30, tzinfo=dt.UTC)
    with timezone.override(OSLO):
        oslo = formatting.date(moment, "H:i O")
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        new_york = formatting.date(moment, "H:i O")
    assert (oslo, new_york) == ("09:30 +0200", "03:30 -0400")


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
                kind = type(converters.get(params[0])).__name__  # a regular expression's group has no converter
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


def _render(source: str, **context):
    from django.template import engines

    return engines["jinja2"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_remembered_translation_is_in_the_language_of_the_page(language):
    """``_()`` remembers a text's translation per language: drawing in English first must not
    give the next Norwegian page English words, nor the other way round."""
    for first in ("en", "nb"):
        with translation.override(first):
            _render('{{ _("Sign out") }}')
    with translation.override(language):
        expected = translation.gettext("Sign out")
        locale = formatting.PageLocale.current()
        assert _render('{{ _("Sign out") }}') == expected  # without a page locale: Django's language
        assert _render('{{ _("Sign out") }}', page_locale=locale) == expected


def test_translations_with_variables_escape_them_and_texts_keep_their_percent_signs():
    out = _render('{{ _("Pain %(n)s/10 %(who)s", n=7, who=x) }}', x="<b>Ann</b>")
    assert out == "Pain 7/10 &lt;b&gt;Ann&lt;/b&gt;"
    assert _render('{{ _("100%% done") }}') == "100% done"  # new style: always a format string


def test_the_page_locale_decides_language_time_zone_and_prefix_of_what_templates_write():
    """A page drawn with a PageLocale (as web.context gives every page) writes dates and times in
    its language and time zone, whatever Django's current state is when the template asks."""
    moment = dt.datetime(2024, 3, 8, 11, 30, tzinfo=dt.UTC)  # 12:30 in Oslo
    locale = formatting.PageLocale("nb", OSLO, "/", None)
    with translation.override("en"), timezone.override(dt.UTC):
        out = _render(
            '{{ when|date("SHORT_DATETIME_FORMAT") }}|{{ when|local_isoformat }}|{{ url("today") }}|{{ language_code() }}',
            when=moment,
            page_locale=locale,
        )
    with translation.override("nb"), timezone.override(OSLO):
        written = formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    assert out == f"{written}|2024-03-08T12:30:00+01:00|/|nb"


def test_template_links_follow_the_script_prefix_of_the_page():
    from django.urls import set_script_prefix

    set_script_prefix("/clinic/")
    try:
        assert _render('{{ url("today") }}', page_locale=formatting.PageLocale.current()) == "/clinic/"
    finally:
        set_script_prefix("/")
    assert _render('{{ url("today") }}', page_locale=formatting.PageLocale.current()) == "/"
