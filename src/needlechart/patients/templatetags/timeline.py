"""The chart's episodes and visits, drawn with format strings.

As template markup a visit row cost about 0.15 ms and an episode's heading more (a dozen
variable lookups, filters, links and translations, one by one): more than reading them from
the database. Here the labels are translated and the links resolved once per list, and each
row is one format string. The visits come as patients.chart reads them.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language, gettext, ngettext

from needlechart.charting.models import EncounterStatus
from needlechart.charting.templatetags.notes import note_html
from needlechart.core.csrf import csrf_input
from needlechart.core.dates import date_format, date_formatter
from needlechart.core.labels import choice_label, choice_labels
from needlechart.core.layout import PanelContext
from needlechart.core.links import object_url, object_urls
from needlechart.patients.chart import EpisodeSummary, EpisodeTimeline
from needlechart.patients.models import ConditionCategory, Episode
from needlechart.patients.visits import Visit

register = template.Library()

_VISIT = (
    '<li class="status-{status}">\n<div class="when"><time datetime="{iso}">{when}</time></div>\n<div class="what">\n'
    '<p><strong>{reason}</strong> · {practitioner} · <span class="badge">{status_label}</span>{link}</p>\n{note}</div>\n</li>\n'
)
_NOTE_LINE = '<p class="note-line small">{badge} {text}{addenda}</p>\n'
_OLDER = (
    '<li class="older-visits"><a class="button small" href="{url}" hx-get="{url}" hx-target="closest li" hx-swap="outerHTML"'
    ' data-testid="older-visits">{label}</a></li>\n'
)


def _first_chars(text: str, length: int = 140) -> str:
    """As the truncatechars filter; most notes' first lines are shorter and need no counting."""
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= length else Truncator(text).chars(length)


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    """The timeline's words in the active language (``language``), escaped, looked up once."""
    words = {
        "visit": gettext("Visit"),
        "open": gettext("Open"),
        "older": gettext("Show older visits"),
        "book": gettext("Book visit"),
        "end_date": gettext("End date"),
        "close": gettext("Close episode"),
        "no_visits": gettext("No visits yet."),
        "ongoing": gettext("ongoing"),
        "referred_by": gettext("Referred by"),
        "no_episodes": gettext("No episodes of care yet."),
    }
    labels = {key: escape(word) for key, word in words.items()}
    labels["signed"] = f'<span class="badge ok">{escape(gettext("Signed"))}</span>'
    labels["draft"] = f'<span class="badge warn">{escape(gettext("Draft"))}</span>'
    return labels


class _Visits:
    """Draws visit rows."""

    def __init__(self, context: PanelContext) -> None:
        self.clinical = bool(context.get("show_clinical"))
        self.labels = _labels(get_language())
        self.statuses = choice_labels(EncounterStatus)
        self.visit_url = object_urls("encounter_detail")
        self.when = date_formatter("SHORT_DATETIME_FORMAT")
        self.timezone = get_current_timezone()

    def rows(self, episode: Episode | EpisodeSummary, visits: list[Visit], more: bool) -> str:
        html = "".join(self.row(e) for e in visits)
        if more:  # the next page starts after the last visit shown
            url = object_url("episode_visits", episode.pk) + (f"?before={visits[-1].pk}" if visits else "")
            html += _OLDER.format(url=url, label=self.labels["older"])
        return html

    def row(self, e: Visit) -> str:
        labels = self.labels
        link = note = ""
        if self.clinical:
            link = f' · <a href="{self.visit_url(e.pk)}">{labels["open"]}</a>'
            if e.full_note is not None:
                note = note_html(e.full_note, compact=True)
            elif e.has_note:
                addenda = ngettext("%(n)s addendum", "%(n)s addenda", e.addenda_count) % {"n": e.addenda_count}
                note = _NOTE_LINE.format(
                    badge=labels["signed"] if e.note_signed_at is not None else labels["draft"],
                    text=escape(_first_chars(e.note_subjective)),
                    addenda=f" · {escape(addenda)}" if e.addenda_count else "",
                )
        starts_at = e.starts_at.astimezone(self.timezone)
        return _VISIT.format(
            status=escape(e.status),
            iso=starts_at.isoformat(),
            when=self.when(starts_at),
            reason=escape(e.reason) if e.reason else labels["visit"],
            practitioner=escape(e.practitioner.display_name),
            status_label=self.statuses.get(e.status) or escape(e.status),
            link=link,
            note=note,
        )


@register.simple_tag(takes_context=True)
def visit_rows(context: PanelContext, episode: Episode, visits: list[Visit], more: bool) -> SafeString:
    """<li> rows of an episode's visits, and the button for older ones if ``more``."""
    return mark_safe(_Visits(context).rows(episode, visits, more))  # noqa: S308 - every value is escaped


_EPISODE = """<section class="card episode" aria-label="{complaint}">
<div class="page-head">
<div>
<h3>{complaint} <span class="badge">{condition}</span></h3>
<p class="muted">{started} – {ended}{referrer}</p>
</div>
<div class="actions">{actions}</div>
</div>
<ol class="timeline">
{visits}</ol>
</section>
"""
_CLOSE = """
<form method="post" action="{url}" class="inline">{csrf}
<label class="sr-only" for="end-{pk}">{end_date}</label>
<input type="date" id="end-{pk}" name="ended_on" required>
<button type="submit" class="small">{close}</button>
</form>
"""


@register.simple_tag(takes_context=True)
def episode_timelines(context: PanelContext, timeline: Iterable[EpisodeTimeline]) -> SafeString:
    """The chart's episodes of care, newest first, each with its visits on the chart."""
    nav = context.get("nav") or {}
    visits = _Visits(context)
    labels = visits.labels
    sections = []
    for item in timeline:
        episode = item.episode
        actions = ""
        if episode.is_open and nav.get("book_encounters"):
            actions += f'<a class="button" href="{object_url("encounter_create", episode.pk)}">{labels["book"]}</a>'
        if episode.is_open and nav.get("edit_demographics"):
            actions += _CLOSE.format(
                url=object_url("episode_close", episode.pk),
                csrf=csrf_input(context),
                pk=episode.pk,
                end_date=labels["end_date"],
                close=labels["close"],
            )
        rows = visits.rows(episode, item.encounters, item.older > 0)
        if not episode.visit_count:
            rows += f'<li class="muted">{labels["no_visits"]}</li>\n'
        sections.append(
            _EPISODE.format(
                complaint=escape(episode.complaint),
                condition=choice_label(ConditionCategory, episode.condition),
                started=date_format(episode.started_on, "DATE_FORMAT"),
                ended=date_format(episode.ended_on, "DATE_FORMAT") if episode.ended_on else labels["ongoing"],
                referrer=f" · {labels['referred_by']} {escape(episode.referrer)}" if episode.referrer else "",
                actions=actions,
                visits=rows,
            )
        )
    if not sections:
        return mark_safe(f'<p class="empty">{labels["no_episodes"]}</p>')  # noqa: S308 - escaped
    return mark_safe("".join(sections))  # noqa: S308 - every value is escaped
