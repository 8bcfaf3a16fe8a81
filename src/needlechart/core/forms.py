"""Form pieces shared by every app's forms."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

_Field = TypeVar("_Field", bound=forms.Field)


class DateInput(forms.DateInput):
    """A browser date picker: ``<input type="date">`` with the ISO value it expects."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


# The dates a clinic's record can hold: a date of birth, an episode, a certification, a report's
# period. Outside them a date is a typing slip, and the arithmetic around it (the day after, the
# moment in the clinic's time zone) could overflow.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


def in_date_range(day: dt.date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


class ClinicalDateField(forms.DateField):
    """A date picker's date between ``EARLIEST_DATE`` and ``LATEST_DATE``, with a message that says so."""

    widget = DateInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message=_("Enter a date from 1900 on.")),
            MaxValueValidator(LATEST_DATE, message=_("Enter a date before 2200.")),
        ]


def single_line(value: str) -> None:
    """A name, phone, address...: one line of text, no control characters (a line break in a name
    broke the e-mail whose subject carried it)."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValidationError(_("Write this on one line, without line breaks or control characters."), code="single_line")


def form_field(form: forms.BaseForm, name: str, kind: type[_Field]) -> _Field:
    """The form's own copy of its declared field ``name``, as the ``kind`` of field it is.

    ``form.fields`` holds plain ``Field``s as far as the types go; a form that sets what only
    its kind has (a choice field's ``choices``, a model choice field's ``queryset``) gets it
    through here: ``form_field(self, "muscle_id", forms.ChoiceField).choices = ...``.
    """
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field
