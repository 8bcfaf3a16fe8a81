"""The calendar pages' one way of handling a form that writes: a POST whose form is valid calls the
service; a refusal (``ValidationError``) puts its messages on the form, which the page shows again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest


def errors_to_form(form: BaseForm, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def form_write(request: HttpRequest, form: BaseForm, write: Callable[[dict[str, Any]], object]) -> bool:
    """Whether ``write(form.cleaned_data)`` wrote: only for a POST with a valid form, and not when
    the write is refused (its messages are then the form's)."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    return True
