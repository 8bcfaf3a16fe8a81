"""Choice labels for pages drawn with format strings.

A model's get_FOO_display() hashes the value and walks the field's choices, translating each
lazy label (about 40 microseconds); a chart shows a dozen. Here each set of choices becomes a
dict of escaped labels once per language.
"""

from __future__ import annotations

import functools
from html import escape

from django.db import models
from django.utils.translation import get_language


@functools.lru_cache(maxsize=64)
def _labels(choices: type[models.Choices], language: str | None) -> dict[str, str]:
    return {str(value): escape(str(label)) for value, label in choices.choices}


def choice_label(choices: type[models.Choices], value: str) -> str:
    """The label of ``value`` among ``choices`` in the active language, escaped (the value itself if unknown)."""
    return _labels(choices, get_language()).get(value) or escape(value)


def choice_labels(choices: type[models.Choices]) -> dict[str, str]:
    """Every value's escaped label among ``choices`` in the active language, for many lookups."""
    return _labels(choices, get_language())
