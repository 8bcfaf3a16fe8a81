from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from needlechart.core.formatting import date as date_text
from needlechart.core.forms import ClinicalDateField, DateInput, single_line
from needlechart.patients.identifiers import (
    NORWEGIAN_NIN_SYSTEM,
    national_id_system,
    nin_birth_date_error,
    nin_birth_date_mismatch,
    normalise_identifier,
    validate_norwegian_nin,
)
from needlechart.patients.models import ConditionCategory, Patient


class PatientForm(forms.ModelForm):
    national_id = forms.CharField(
        label=_("National identity number"),
        required=False,
        max_length=20,
        help_text=_("Norwegian fødselsnummer or D-number, 11 digits."),
    )
    other_id_system = forms.CharField(
        label=_("Other identifier: type"), required=False, max_length=200, help_text=_("For example a passport or an insurer's number.")
    )
    other_id_value = forms.CharField(label=_("Other identifier: value"), required=False, max_length=100)

    class Meta:
        model = Patient
        fields = [
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "preferred_language",
            "phone",
            "email",
            "address",
            "postal_code",
            "city",
            "emergency_contact_name",
            "emergency_contact_relation",
            "emergency_contact_phone",
        ]
        widgets = {"birth_date": DateInput()}
        field_classes = {"birth_date": ClinicalDateField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field, forms.EmailField):
                field.validators.append(single_line)

    def clean_national_id(self) -> str:
        value = normalise_identifier(NORWEGIAN_NIN_SYSTEM, self.cleaned_data["national_id"])
        if value:
            validate_norwegian_nin(value)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        national_id, birth_date = cleaned.get("national_id"), cleaned.get("birth_date")
        encoded = nin_birth_date_mismatch(national_id, birth_date) if national_id else None
        if encoded is not None and national_id and birth_date is not None:  # both valid, but not of one person
            self.add_error("national_id", nin_birth_date_error(national_id, encoded, birth_date))
            self.add_error(
                "birth_date",
                _("This is not the date of birth the identity number gives (%(encoded)s).") % {"encoded": date_text(encoded)},
            )
        system, value = cleaned.get("other_id_system", "").strip(), cleaned.get("other_id_value", "").strip()
        if bool(system) != bool(value):
            raise forms.ValidationError(_("Give both the type and the value of the other identifier, or neither."))
        return cleaned

    def identifiers(self) -> list[tuple[str, str]]:
        result = []
        if self.cleaned_data.get("national_id"):
            result.append((national_id_system(self.cleaned_data["national_id"]), self.cleaned_data["national_id"]))
        if self.cleaned_data.get("other_id_value"):
            result.append((self.cleaned_data["other_id_system"].strip(), self.cleaned_data["other_id_value"].strip()))
        return result


class EpisodeForm(forms.Form):
    complaint = forms.CharField(label=_("Main complaint"), max_length=300, validators=[single_line])
    condition = forms.ChoiceField(label=_("Condition category"), choices=ConditionCategory.choices)
    started_on = ClinicalDateField(label=_("Start date"))
    referrer = forms.CharField(label=_("Referred by"), max_length=200, required=False, validators=[single_line])


class EpisodeCloseForm(forms.Form):
    ended_on = ClinicalDateField(label=_("End date"))
