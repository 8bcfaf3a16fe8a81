"""The online booking forms: the patient's details, the pre-check (the intake's own questions, or
the one "None of these apply to me" answer instead of them, given by the submit button) and a
honeypot field hidden from people (``website``: a bot fills it in, and its booking is dropped); the
returning patient's code; and the clinic admin's booking settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from needlechart.public.booking import normalised_phone
from needlechart.public.booking_precheck import NOTHING_TO_DECLARE, precheck_questions
from needlechart.scheduling.models import AppointmentType

HONEYPOT = "website"


class BookingForm(forms.Form):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("For example 1980-03-25."),
        input_formats=["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    returning = forms.BooleanField(
        label=_("I have been a patient at this clinic before"),
        required=False,
        help_text=_("We then send a code to the phone or e-mail we have for you, to add the booking to your record."),
    )
    # The pre-check's answer comes with the submit: "none" (the button "None of these apply to me –
    # book") or "answers" (the button "Book with what I ticked", first in the form, so also what Enter
    # in a field sends; a submission naming no button reads the same). Errors about the pre-check as a
    # whole go here.
    precheck = forms.ChoiceField(
        label=_("Your answer to these questions"),
        choices=[("answers", "answers"), ("none", "none")],
        required=False,
        help_text=_(
            "Not pregnant, none of the medicines, conditions or implants listed, not afraid of needles and would like "
            "needling: press “None of these apply to me – book”. Otherwise press “Book with what I ticked”."
        ),
    )
    # The tick of the form before (a page loaded earlier may still send it): the same answer as the "none" button.
    precheck_none = forms.BooleanField(required=False)
    website = forms.CharField(
        label=_("Leave this field empty"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        self.precheck_names: list[str] = []
        self.precheck_required: list[str] = []  # unless "None of these apply to me" is ticked
        for question in precheck_questions():
            choices = [(value, label.get(language)) for value, label in question.options]
            name = f"q_{question.id}"
            help_text = question.help.get(language) if question.help else ""
            if question.type == "multichoice":
                self.fields[name] = forms.MultipleChoiceField(
                    label=question.label.get(language),
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=help_text,
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=question.label.get(language),
                    choices=choices,
                    required=False,
                    widget=forms.RadioSelect,
                    help_text=help_text,
                )
            self.precheck_names.append(name)
            # Pregnancy is asked of everyone here (the intake asks it after sex at birth): it may be left open.
            if question.id != "pregnant":
                self.precheck_required.append(name)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value > today or value < today - dt.timedelta(days=125 * 366):
            raise forms.ValidationError(_("Give your date of birth."))
        return value

    def clean_phone(self) -> str:
        value: str = self.cleaned_data["phone"].strip()
        if len(normalised_phone(value)) < 8 or any(ch not in "+0123456789 -()" for ch in value):
            raise forms.ValidationError(_("Give a phone number of at least 8 digits."))
        return value

    def clean(self) -> dict[str, Any]:
        """The pre-check needs an explicit answer: "none of these apply", or the questions answered;
        never both, never nothing."""
        data = super().clean() or {}
        answered = [name for name in self.precheck_names if data.get(name)]
        if self.says_none_apply:
            if answered:
                self.add_error(
                    "precheck",
                    _("You ticked answers and chose “None of these apply to me” as well. Untick them, or press “Book with what I ticked”."),
                )
            return data
        for name in self.precheck_required:
            if name not in answered and name not in self.errors:
                self.add_error(name, _("Answer this question, or press “None of these apply to me – book”."))
        return data

    @property
    def says_none_apply(self) -> bool:
        """The "none" button pressed, or the former form's tick given."""
        data = getattr(self, "cleaned_data", {})
        return data.get("precheck") == "none" or bool(data.get("precheck_none"))

    def answers(self) -> dict[str, Any]:
        if self.says_none_apply:
            return {name[2:]: NOTHING_TO_DECLARE[name[2:]] for name in self.precheck_names}
        return {name[2:]: self.cleaned_data[name] for name in self.precheck_names if self.cleaned_data.get(name)}

    def details(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in ("given_name", "family_name", "birth_date", "phone", "email")}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code we sent you"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "data-testid": "booking-code"}),
    )

    def clean_code(self) -> str:
        value = "".join(ch for ch in self.cleaned_data["code"] if not ch.isspace())
        if len(value) != 6 or not value.isdigit():
            raise forms.ValidationError(_("The code is 6 digits."))
        return value


class _TypeChoice(forms.ModelChoiceField):
    """An appointment type by its name in the page's language."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.name_in(translation.get_language() or "en")


class BookingSettingsForm(forms.Form):
    booking_hold_minutes = forms.IntegerField(
        label=_("A picked time is held for (minutes)"),
        min_value=2,
        max_value=60,
        help_text=_("While the patient fills in the form, no one else can take the time."),
    )
    cancellation_limit_hours = forms.IntegerField(
        label=_("Patients may cancel or move online until (hours before)"), min_value=0, max_value=14 * 24
    )
    minimum_notice_minutes = forms.IntegerField(
        label=_("Minimum notice (minutes)"),
        min_value=0,
        max_value=60 * 24 * 60,
        help_text=_("No time sooner than this is offered online."),
    )
    horizon_days = forms.IntegerField(label=_("Bookable ahead (days)"), min_value=1, max_value=730)
    assessment_type = _TypeChoice(
        label=_("When needling is ruled out, book instead"),
        queryset=AppointmentType.objects.none(),
        required=False,
        empty_label=_("The first type in use that is no needling session"),
        help_text=_("A needling booking becomes this type when the pre-check finds a reason not to needle."),
    )

    def __init__(self, *args: Any, clinic_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assessment_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = AppointmentType.objects.filter(clinic_id=clinic_id, active=True, is_needling=False).order_by("name_en")
