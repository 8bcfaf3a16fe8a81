"""The wait list's forms: an entry (what the patient accepts), removing one, and booking from one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from needlechart.charting.forms import PractitionerChoiceField
from needlechart.clinics.models import User
from needlechart.core.forms import ClinicalDateField, form_field, single_line
from needlechart.scheduling.forms import LocalDateTimeField, RoomChoiceField, TypeChoiceField, _InZone
from needlechart.scheduling.models import AppointmentType, Room, Weekday
from needlechart.scheduling.wait_list_models import OfferBy, PartOfDay


class _Practitioners(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name

    def clean(self, value: Any) -> Any:
        # A staff id is a small number: a longer one would overflow the database's integer.
        if isinstance(value, list | tuple) and any(not str(pk).isdigit() or len(str(pk)) > 11 for pk in value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": "?"})
        return super().clean(value)


class _Types(forms.ModelMultipleChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = "en"

    def label_from_instance(self, obj: AppointmentType) -> str:
        return f"{obj.name_in(self.language)} ({obj.duration_minutes} min)"


class EntryForm(forms.Form):
    appointment_types = _Types(
        label=_("Appointment types"),
        queryset=AppointmentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one appointment type.")},
    )
    practitioners = _Practitioners(
        label=_("Practitioners"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: any practitioner."),
    )
    parts_of_day = forms.MultipleChoiceField(
        label=_("Times of day"),
        choices=PartOfDay.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: any time of day."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: any weekday."),
    )
    earliest_date = ClinicalDateField(label=_("Not before"), required=False)
    latest_date = ClinicalDateField(label=_("Not after"), required=False)
    urgent = forms.BooleanField(label=_("Urgent"), required=False, help_text=_("Urgent patients are offered a freed time first."))
    note = forms.CharField(label=_("Note for the front desk"), max_length=300, required=False, validators=[single_line])
    offer_by = forms.ChoiceField(
        label=_("Tell the patient of a freed time by"),
        choices=OfferBy.choices,
        required=False,
        help_text=_("A message only with the patient's consent to messages."),
    )

    def __init__(self, *args: Any, practitioners: QuerySet[User], types: QuerySet[AppointmentType], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioners", _Practitioners).queryset = practitioners
        kinds = form_field(self, "appointment_types", _Types)
        kinds.queryset, kinds.language = types, language

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        earliest, latest = data.get("earliest_date"), data.get("latest_date")
        if earliest and latest and latest < earliest:
            self.add_error("latest_date", _("The last day comes after the first."))
        return data


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for removing"), max_length=300, validators=[single_line])


class OfferForm(forms.Form):
    offered = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class OfferTimeForm(_InZone):
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    starts_at = LocalDateTimeField(label=_("Time"))

    def __init__(self, *args: Any, practitioners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners


class BookFromEntryForm(_InZone):
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    appointment_type = TypeChoiceField(label=_("Appointment type"), queryset=AppointmentType.objects.none())
    room = RoomChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room"))
    starts_at = LocalDateTimeField(label=_("Time"))

    def __init__(
        self, *args: Any, practitioners: QuerySet[User], types: QuerySet[AppointmentType], rooms: QuerySet[Room], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners
        form_field(self, "appointment_type", TypeChoiceField).queryset = types
        form_field(self, "room", RoomChoiceField).queryset = rooms
