"""The knowledge catalogue's template helpers: bilingual texts and the body map."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from needlechart.knowledge.bodymap import DrawnView

register = template.Library()


@register.filter
def localised(text) -> str:
    """A bilingual catalogue text in the active language."""
    return text.get(get_language() or "en")


@functools.lru_cache(maxsize=8)
def _view_words(language: str | None) -> dict[str, tuple[str, str]]:
    """Each view's accessible name and caption in the active language (``language``), escaped."""
    return {
        "front": (escape(gettext("Body, front view")), escape(gettext("Front"))),
        "back": (escape(gettext("Body, back view")), escape(gettext("Back"))),
    }


_VIEW = """<figure class="bodymap-view">
<svg viewBox="0 0 200 480" role="{role}" aria-label="{name}" focusable="false">
{outline}<g fill="#eef2f6" stroke="#97a3b3" stroke-width="0.6" stroke-linejoin="round">
{markup}
</g>
</svg>
<figcaption>{caption}</figcaption>
</figure>
"""


@register.simple_tag
def bodymap(views: Iterable[DrawnView], interactive: bool = False) -> SafeString:
    """The body map's views as knowledge.bodymap.draw() made them; with ``interactive``, its regions are buttons."""
    words = _view_words(get_language())
    figures = "".join(
        _VIEW.format(
            role="group" if interactive else "img",
            name=words[view.name][0],
            caption=words[view.name][1],
            outline=f'<image href="{escape(view.outline)}" width="200" height="480"/>\n' if view.outline else "",
            markup=view.markup,
        )
        for view in views
    )
    interactive_class = " interactive" if interactive else ""
    return mark_safe(f'<div class="bodymap{interactive_class}" data-testid="bodymap">\n{figures}</div>\n')  # noqa: S308 - markup is the catalogue's, the rest escaped
