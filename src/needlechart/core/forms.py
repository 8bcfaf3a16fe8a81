"""Form pieces shared by every app's forms."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker: ``<input type="date">`` with the ISO value it expects."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)
