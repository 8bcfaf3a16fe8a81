"""base.html's pieces: the document around every page, with the top bar (core.layout)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from needlechart.core import layout

register = template.Library()


@register.simple_tag
def document_start() -> SafeString:
    return mark_safe(layout.document_start(get_language()))  # noqa: S308 - drawn from escaped values


@register.simple_tag(takes_context=True)
def document_top(context: template.Context) -> SafeString:
    return mark_safe(layout.document_top(context["request"]))  # noqa: S308 - every value is escaped


@register.simple_tag
def document_end() -> SafeString:
    return mark_safe(layout.DOCUMENT_END)  # noqa: S308 - constant markup
