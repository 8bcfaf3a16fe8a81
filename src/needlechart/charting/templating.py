"""What the charting app's templates draw from (registered by web.templating: GLOBALS).

The note (charting/_note.html) and the pain map panel (charting/_pain_map.html) are drawn on the
chart on every view: the chart shows its three newest notes in full and the latest pain map with
up to eight suggestions. Their words are translated once per language here (plain text, escaped
once) rather than once per use: a translation costs the template about as much as drawing a
visit row (bench/bench_render.py).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.utils.translation import gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import escape

from needlechart.core.formatting import page_locale


def _escaped(**words: str) -> SimpleNamespace:
    return SimpleNamespace(**{name: escape(word) for name, word in words.items()})


@functools.lru_cache(maxsize=8)
def _note_words(language: str | None) -> SimpleNamespace:
    return _escaped(
        subjective=gettext("Subjective"),
        objective=gettext("Objective"),
        assessment=gettext("Assessment"),
        plan=gettext("Plan"),
        addendum=gettext("Addendum"),
        reason=gettext("Reason"),
        sign_addendum=gettext("Sign addendum"),
        signed=gettext("Signed"),
        draft=gettext("Draft"),
    )


@pass_context
def note_words(context: Context) -> SimpleNamespace:
    """The note's words in the active language, escaped (``w.subjective``, ``w.signed``, ...)."""
    return _note_words(page_locale(context).language)


@functools.lru_cache(maxsize=8)
def _pain_map_words(language: str | None) -> SimpleNamespace:
    return _escaped(
        title=gettext("Pain map"),
        legend=gettext("Legend"),
        scale=gettext("Intensity 1 (mild) to 10 (worst imaginable). Front view: the patient's right is on your left."),
        brush_help=gettext("Choose intensity and quality, then click or press Enter on a region. Intensity 0 clears it."),
        intensity=gettext("Intensity"),
        quality=gettext("Quality"),
        region=gettext("Region"),
        mark=gettext("Mark region"),
        marked=gettext("Marked"),
        suggested=gettext("Muscles that may explain this pain"),
        none_marked=gettext("Mark painful regions to see suggestions."),
        match=gettext("Match"),
        thorax=gettext("Thorax: lung"),
        plan=gettext("Plan needling"),
        explains=gettext("Explains"),
        not_explained=gettext("Not explained"),
        paraspinals=gettext("Segmental paraspinals (Gunn IMS)"),
        caution=gettext("Referral patterns vary between people: these are candidates to palpate, ranked, not a diagnosis."),
        r=gettext("right"),
        l=gettext("left"),
    )


@pass_context
def pain_map_words(context: Context) -> SimpleNamespace:
    """The pain map panel's words in the active language, escaped (``w.title``, ``w.r`` and ``w.l`` for the sides, ...)."""
    return _pain_map_words(page_locale(context).language)


GLOBALS = {"note_words": note_words, "pain_map_words": pain_map_words}
