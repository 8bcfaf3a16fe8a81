"""Form pieces shared by every app's forms."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms

_Field = TypeVar("_Field", bound=forms.Field)


class DateInput(forms.DateInput):
    """A browser date picker: ``<input type="date">`` with the ISO value it expects."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


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
