"""What the pages app's templates draw from (registered by web.templating: GLOBALS).

The chart's timeline (pages/_timeline.html) repeats its words for every episode and visit; they
are translated once per language here (plain text, escaped once) rather than once per use: a
translation costs the template about as much as a visit row's other words (bench/bench_render.py).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.utils.translation import gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import escape

from needlechart.core.formatting import page_locale
from needlechart.pages.visit_reads import status_labels


@functools.lru_cache(maxsize=8)
def _timeline_words(language: str | None) -> SimpleNamespace:
    words = {
        "visit": gettext("Visit"),
        "open": gettext("Open"),
        "signed": gettext("Signed"),
        "draft": gettext("Draft"),
        "older": gettext("Show older visits"),
        "book": gettext("Book visit"),
        "end_date": gettext("End date"),
        "close": gettext("Close episode"),
        "no_visits": gettext("No visits yet."),
        "ongoing": gettext("ongoing"),
        "referred_by": gettext("Referred by"),
        "no_episodes": gettext("No episodes of care yet."),
    }
    statuses = {value: escape(label) for value, label in status_labels().items()}  # as Visit.get_status_display()
    return SimpleNamespace(**{name: escape(word) for name, word in words.items()}, statuses=statuses)


@pass_context
def timeline_words(context: Context) -> SimpleNamespace:
    """The timeline's words in the active language, escaped (``w.open``, ``w.signed``, ...; ``w.statuses``:
    each visit status's label): translated once per language, not once per use (a translation costs
    the template about as much as a row)."""
    return _timeline_words(page_locale(context).language)


GLOBALS = {"timeline_words": timeline_words}
