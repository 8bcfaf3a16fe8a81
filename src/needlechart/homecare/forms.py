"""The home programme's forms: adding a library item, and an item's side, dosage and note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from needlechart.core.forms import form_field
from needlechart.homecare.catalog import DOSAGE_RANGES, library
from needlechart.homecare.models import ProgrammeSide
from needlechart.homecare.selectors import kind_names

SIDE_CHOICES = [("", _("no side")), *ProgrammeSide.choices]


def library_choices(language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The library's items grouped by kind, each group in the file's order."""
    names = kind_names()
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in library().items.values():
        groups.setdefault(item.kind, []).append((item.id, item.title.get(language)))
    return [(names[kind], choices) for kind, choices in groups.items()]


class AddItemForm(forms.Form):
    item_id = forms.ChoiceField(label=_("Exercise or advice"), choices=())
    side = forms.ChoiceField(label=_("Side"), choices=SIDE_CHOICES, required=False)

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "item_id", forms.ChoiceField).choices = library_choices(language)


def _dosage_field(key: str, label: Any) -> forms.IntegerField:
    low, high = DOSAGE_RANGES[key]
    return forms.IntegerField(label=label, min_value=low, max_value=high, required=False)


class ItemForm(forms.Form):
    """An item's side and dosage; an empty dosage field is not part of the item."""

    side = forms.ChoiceField(label=_("Side"), choices=SIDE_CHOICES, required=False)
    hold_seconds = _dosage_field("hold_seconds", _("Hold (seconds)"))
    minutes = _dosage_field("minutes", _("Minutes"))
    repetitions = _dosage_field("repetitions", _("Repetitions"))
    sets = _dosage_field("sets", _("Sets"))
    times_per_day = _dosage_field("times_per_day", _("Times a day"))
    days_per_week = _dosage_field("days_per_week", _("Days a week"))
    note = forms.CharField(label=_("Note for the patient"), max_length=300, required=False)


class ProgrammeNoteForm(forms.Form):
    note = forms.CharField(label=_("A word for the patient"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
