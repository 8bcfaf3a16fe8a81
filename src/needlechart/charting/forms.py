from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import User
from needlechart.core.forms import form_field


class PractitionerChoiceField(forms.ModelChoiceField):
    """Staff to choose from, by the name pages show them by."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class EncounterForm(forms.Form):
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=480, initial=30)
    reason = forms.CharField(label=_("Reason for visit"), max_length=300, required=False)

    def __init__(self, *args: Any, practitioners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners

    def clean_starts_at(self) -> dt.datetime:
        value = self.cleaned_data["starts_at"]
        if abs(value - timezone.now()) > dt.timedelta(days=366 * 2):
            raise forms.ValidationError(_("The time must be within two years of today."))
        return value


class NoteForm(forms.Form):
    subjective = forms.CharField(label=_("Subjective"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    objective = forms.CharField(label=_("Objective"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    assessment = forms.CharField(label=_("Assessment"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    plan = forms.CharField(label=_("Plan"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class AddendumForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the addendum"), max_length=300)
    text = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
