"""The calendar's forms. Times are typed in the clinic's wall-clock time and made moments (UTC)
in its zone by the form; the services check what the time may be."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from needlechart.charting.forms import PractitionerChoiceField
from needlechart.clinics.models import User
from needlechart.core.forms import ClinicalDateField, form_field, in_date_range, single_line
from needlechart.scheduling.models import AppointmentType, CalendarSettings, ExceptionReason, Room, ScheduleException, WorkingHours
from needlechart.scheduling.recurrence import MAX_WEEKS

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_local(text: str | None) -> dt.datetime | None:
    """A wall-clock date and time as a browser's datetime-local input sends it; None if it is not one."""
    for pattern in LOCAL_FORMATS:
        try:
            moment = dt.datetime.strptime((text or "").strip(), pattern)  # noqa: DTZ007 - wall-clock time, placed in the clinic's zone by the caller
        except ValueError:
            continue
        return moment if in_date_range(moment.date()) else None
    return None


def local_text(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A moment as the datetime-local value of ``zone``'s clocks."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.Field):
    """A date and time of the clinic's clocks (``<input type="datetime-local">``), made a moment in
    the zone given to the form."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
    default_error_messages = {"invalid": _("Give a date and time, such as 2027-03-29 09:00.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zone = zoneinfo.ZoneInfo("UTC")

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        local = parse_local(str(value))
        if local is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return local.replace(tzinfo=self.zone)

    def prepare_value(self, value: Any) -> Any:
        return local_text(value, self.zone) if isinstance(value, dt.datetime) and value.tzinfo else value


class _InZone(forms.Form):
    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "starts_at", LocalDateTimeField).zone = zone


class RoomChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Room) -> str:
        return obj.name


class TypeChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language

    def label_from_instance(self, obj: AppointmentType) -> str:
        return f"{obj.name_in(self.language)} ({obj.duration_minutes} min)"


class BookingForm(_InZone):
    patient = forms.UUIDField(
        label=_("Patient"),
        error_messages=dict.fromkeys(("required", "invalid"), _("Choose the patient (search by name, date of birth or identifier).")),
    )
    appointment_type = TypeChoiceField(label=_("Appointment type"), queryset=AppointmentType.objects.none())
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    room = RoomChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room"))
    starts_at = LocalDateTimeField(label=_("Time"))
    weeks = forms.IntegerField(
        label=_("Weeks"), min_value=1, max_value=MAX_WEEKS, initial=1, help_text=_("Book the same time every week for this many weeks.")
    )
    reason = forms.CharField(label=_("Reason for visit"), max_length=300, required=False, validators=[single_line])
    outside_hours = forms.BooleanField(label=_("Book outside the practitioner's working hours"), required=False)
    skip_conflicts = forms.BooleanField(label=_("If some weeks are taken, book the free ones"), required=False)

    def __init__(
        self,
        *args: Any,
        practitioners: QuerySet[User],
        types: QuerySet[AppointmentType],
        rooms: QuerySet[Room],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners
        kinds = form_field(self, "appointment_type", TypeChoiceField)
        kinds.queryset, kinds.language = types, language
        form_field(self, "room", RoomChoiceField).queryset = rooms


class MoveForm(_InZone):
    starts_at = LocalDateTimeField(label=_("New time"))
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    room = RoomChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room"))
    outside_hours = forms.BooleanField(label=_("Book outside the practitioner's working hours"), required=False)

    def __init__(self, *args: Any, practitioners: QuerySet[User], rooms: QuerySet[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners
        form_field(self, "room", RoomChoiceField).queryset = rooms


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300, validators=[single_line])
    late = forms.BooleanField(label=_("Cancelled late"), required=False, help_text=_("Too late for the time to be given to someone else."))


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("arrived", "arrived"), ("no_show", "no_show")])


# --- set-up (clinic admins) ---------------------------------------------------------------------


class CalendarSettingsForm(forms.ModelForm):
    class Meta:
        model = CalendarSettings
        fields = ["time_zone", "slot_minutes", "minimum_notice_minutes", "horizon_days", "reminder_hours"]


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(single_line)


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = ["name_en", "name_nb", "duration_minutes", "buffer_minutes", "price", "bookable_online", "is_needling", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name_en", "name_nb"):
            self.fields[name].validators.append(single_line)


class WorkingHoursForm(forms.ModelForm):
    practitioner = PractitionerChoiceField(label=_("Practitioner"), queryset=User.objects.none())
    room = RoomChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room"))

    class Meta:
        model = WorkingHours
        fields = ["practitioner", "weekday", "start_time", "end_time", "room"]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}), "end_time": forms.TimeInput(attrs={"type": "time"})}

    def __init__(self, *args: Any, practitioners: QuerySet[User], rooms: QuerySet[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners
        form_field(self, "room", RoomChoiceField).queryset = rooms

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_time") and data.get("end_time") and not data["start_time"] < data["end_time"]:
            raise forms.ValidationError(_("The end must come after the start."))
        return data


class ScheduleExceptionForm(forms.ModelForm):
    practitioner = PractitionerChoiceField(
        label=_("Practitioner"), queryset=User.objects.none(), required=False, empty_label=_("The whole clinic")
    )
    first_day = ClinicalDateField(label=_("First day"))
    last_day = ClinicalDateField(label=_("Last day"))
    reason = forms.ChoiceField(label=_("Reason"), choices=ExceptionReason.choices)

    class Meta:
        model = ScheduleException
        fields = ["practitioner", "first_day", "last_day", "start_time", "end_time", "reason", "note"]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}), "end_time": forms.TimeInput(attrs={"type": "time"})}
        help_texts = {"start_time": _("Leave both times empty for whole days.")}

    def __init__(self, *args: Any, practitioners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "practitioner", PractitionerChoiceField).queryset = practitioners
        self.fields["note"].validators.append(single_line)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            raise forms.ValidationError(_("The last day cannot come before the first."))
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None) or (start and end and not start < end):
            raise forms.ValidationError(_("Give both times, the end after the start, or neither for whole days."))
        return data
