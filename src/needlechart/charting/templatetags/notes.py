"""A note with its addenda, as the visit page and the chart show it.

Drawn with format strings rather than a template: the chart shows its newest notes in full,
and as template markup each cost about 0.1 ms of translations and lookups, one by one.
"""

from __future__ import annotations

import datetime as dt
import functools
from html import escape
from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext

from needlechart.charting.models import Note
from needlechart.core.csrf import csrf_input
from needlechart.core.dates import date_format

if TYPE_CHECKING:
    from needlechart.patients.visits import NoteOnChart

register = template.Library()

_SECTIONS = ("subjective", "objective", "assessment", "plan")


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    """The note's words in the active language (``language``), escaped. (Plain gettext calls:
    makemessages does not find them inside f-strings.)"""
    words = {
        "subjective": gettext("Subjective"),
        "objective": gettext("Objective"),
        "assessment": gettext("Assessment"),
        "plan": gettext("Plan"),
        "addendum": gettext("Addendum"),
        "reason": gettext("Reason"),
        "sign_addendum": gettext("Sign addendum"),
    }
    labels = {key: escape(word) for key, word in words.items()}
    labels["signed"] = f'<span class="badge ok">{escape(gettext("Signed"))}</span>'
    labels["draft"] = f'<span class="badge warn">{escape(gettext("Draft"))}</span>'
    return labels


def _when(value: dt.datetime) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT")


def note_html(note: Note | NoteOnChart, *, compact: bool = False, context: template.Context | None = None) -> SafeString:
    """The note; a draft addendum of the reader (``context["user"]``) gets its sign button unless ``compact``."""
    labels = _labels(get_language())
    badge = labels["signed"] if note.is_signed else labels["draft"]
    who = f"{escape(note.signed_by.display_name)}, {_when(note.signed_at)}" if note.is_signed else escape(note.author.display_name)
    parts = [f'<article class="note {"signed" if note.is_signed else "draft"}" data-testid="note">\n<header>{badge} {who}</header>\n']
    for name in _SECTIONS:
        if text := getattr(note, name):
            parts.append(f'<h4>{labels[name]}</h4><p class="pre">{escape(text)}</p>\n')
    if note.is_signed:
        parts.append(f'<p class="digest">SHA-256 <code>{escape(note.digest)}</code></p>\n')
    reader = context.get("user") if context is not None else None
    for addendum in getattr(note, "addenda_list", ()):
        parts.append(
            f'<aside class="addendum {"signed" if addendum.is_signed else "draft"}" data-testid="addendum">\n'
            f"<p><strong>{labels['addendum']}</strong> · {escape(addendum.author.display_name)} · "
            f"{_when(addendum.created_at)} {labels['signed'] if addendum.is_signed else labels['draft']}</p>\n"
            f"<p><em>{labels['reason']}:</em> {escape(addendum.reason)}</p>\n"
            f'<p class="pre">{escape(addendum.text)}</p>\n'
        )
        if addendum.is_signed:
            parts.append(f'<p class="digest">SHA-256 <code>{escape(addendum.digest)}</code></p>\n')
        elif not compact and context is not None and reader is not None and addendum.author_id == reader.pk:
            parts.append(
                f'<form method="post" action="{reverse("addendum_sign", args=[addendum.pk])}">{csrf_input(context)}'
                f'<button type="submit" class="small primary">{labels["sign_addendum"]}</button></form>\n'
            )
        parts.append("</aside>\n")
    parts.append("</article>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


@register.simple_tag(name="note", takes_context=True)
def note_tag(context: template.Context, note: Note, compact: bool = False) -> SafeString:
    return note_html(note, compact=compact, context=context)
