"""A note with its addenda, as the visit page and the chart show it.

Drawn with format strings rather than a template: the chart shows its newest notes in full,
and as template markup each cost about 0.1 ms of translations and lookups, one by one.
"""

from __future__ import annotations

from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Addendum, Note
from needlechart.core.dates import date_format

register = template.Library()

_SECTIONS = (("subjective", _("Subjective")), ("objective", _("Objective")), ("assessment", _("Assessment")), ("plan", _("Plan")))


def _when(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT")


def _badge(record: Note | Addendum) -> str:
    return (
        f'<span class="badge ok">{escape(gettext("Signed"))}</span>'
        if record.is_signed
        else f'<span class="badge warn">{escape(gettext("Draft"))}</span>'
    )


def note_html(note: Note, *, compact: bool = False, context: template.Context | None = None) -> SafeString:
    """The note; a draft addendum of the reader (``context["user"]``) gets its sign button unless ``compact``."""
    who = f"{escape(note.signed_by.display_name)}, {_when(note.signed_at)}" if note.is_signed else escape(note.author.display_name)
    parts = [
        f'<article class="note {"signed" if note.is_signed else "draft"}" data-testid="note">\n<header>{_badge(note)} {who}</header>\n'
    ]
    for name, label in _SECTIONS:
        if text := getattr(note, name):
            parts.append(f'<h4>{escape(str(label))}</h4><p class="pre">{escape(text)}</p>\n')
    if note.is_signed:
        parts.append(f'<p class="digest">SHA-256 <code>{escape(note.digest)}</code></p>\n')
    reader = context.get("user") if context is not None else None
    for addendum in getattr(note, "addenda_list", ()):
        parts.append(
            f'<aside class="addendum {"signed" if addendum.is_signed else "draft"}" data-testid="addendum">\n'
            f"<p><strong>{escape(gettext('Addendum'))}</strong> · {escape(addendum.author.display_name)} · "
            f"{_when(addendum.created_at)} {_badge(addendum)}</p>\n"
            f"<p><em>{escape(gettext('Reason'))}:</em> {escape(addendum.reason)}</p>\n"
            f'<p class="pre">{escape(addendum.text)}</p>\n'
        )
        if addendum.is_signed:
            parts.append(f'<p class="digest">SHA-256 <code>{escape(addendum.digest)}</code></p>\n')
        elif not compact and context is not None and reader is not None and addendum.author_id == reader.pk:
            parts.append(
                f'<form method="post" action="{reverse("addendum_sign", args=[addendum.pk])}">{CsrfTokenNode().render(context)}'
                f'<button type="submit" class="small primary">{escape(gettext("Sign addendum"))}</button></form>\n'
            )
        parts.append("</aside>\n")
    parts.append("</article>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag(name="note", takes_context=True)
def note_tag(context: template.Context, note: Note, compact: bool = False) -> SafeString:
    return note_html(note, compact=compact, context=context)
