from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from needlechart.core.forms import form_field
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import (
    AdverseEventOutcome,
    AdverseEventSeverity,
    ConsentMethod,
    MismatchOutcome,
    Side,
    Technique,
    Tolerance,
)


def muscle_choices(language: str) -> list[tuple[str, str]]:
    return sorted(((m.id, m.name.get(language)) for m in catalog().muscles.values()), key=lambda c: c[1])


class MuscleSideForm(forms.Form):
    muscle_id = forms.ChoiceField(label=_("Muscle"), choices=())
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "muscle_id", forms.ChoiceField).choices = muscle_choices(language)


class PalpationForm(MuscleSideForm):
    taut_band = forms.BooleanField(label=_("Taut band"), required=False)
    tender_spot = forms.BooleanField(label=_("Hypersensitive spot"), required=False)
    referred_pain = forms.BooleanField(label=_("Referred pain"), required=False)
    recognised = forms.BooleanField(label=_("Recognised pain"), required=False)
    twitch = forms.BooleanField(label=_("Twitch response"), required=False)
    jump_sign = forms.BooleanField(label=_("Jump sign"), required=False)


class NeedlingEntryForm(MuscleSideForm):
    gauge_mm = forms.DecimalField(label=_("Gauge (mm)"), min_value=0.12, max_value=0.5, decimal_places=2, initial=0.25)
    length_mm = forms.IntegerField(label=_("Length (mm)"), min_value=7, max_value=125, initial=30)
    needle_count = forms.IntegerField(label=_("Needles"), min_value=1, max_value=50, initial=1)
    technique = forms.ChoiceField(label=_("Technique"), choices=Technique.choices, initial=Technique.PISTONING)
    depth_mm = forms.IntegerField(label=_("Depth (mm)"), min_value=0, max_value=125, initial=20)
    direction = forms.CharField(label=_("Direction"), max_length=120, required=False)
    twitch_responses = forms.IntegerField(label=_("Twitches"), min_value=0, max_value=200, initial=0)
    dwell_seconds = forms.IntegerField(label=_("Dwell (s)"), min_value=0, max_value=3600, initial=30)
    estim = forms.BooleanField(label=_("Electrical stimulation"), required=False)
    estim_frequency_hz = forms.IntegerField(label=_("Frequency (Hz)"), min_value=1, max_value=200, required=False)
    estim_pulse_width_us = forms.IntegerField(label=_("Pulse width (µs)"), min_value=20, max_value=1000, required=False)
    estim_intensity_ma = forms.DecimalField(label=_("Intensity (mA)"), min_value=0, max_value=50, decimal_places=1, required=False)
    estim_minutes = forms.IntegerField(label=_("Stimulation (min)"), min_value=1, max_value=60, required=False)
    tolerance = forms.ChoiceField(label=_("Tolerance"), choices=Tolerance.choices, initial=Tolerance.GOOD)


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label=_("How consent was given"), choices=ConsentMethod.choices, widget=forms.RadioSelect)
    risks = forms.MultipleChoiceField(label=_("Risks explained"), choices=(), widget=forms.CheckboxSelectMultiple)
    signature = forms.CharField(required=False, widget=forms.HiddenInput, max_length=60000)
    witness_name = forms.CharField(label=_("Witness"), max_length=200, required=False)

    def __init__(self, *args: Any, risks: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "risks", forms.ChoiceField).choices = risks


class NeedlingRecordForm(forms.Form):
    needles_out = forms.IntegerField(label=_("Needles counted out"), min_value=0, max_value=500, required=False)
    mismatch_search = forms.CharField(label=_("Search made"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    mismatch_outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—"), *MismatchOutcome.choices])
    relative_reasoning = forms.CharField(
        label=_("Reasoning for needling despite relative contraindications"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    advice = forms.MultipleChoiceField(label=_("Aftercare advice"), required=False, choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, advice: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "advice", forms.ChoiceField).choices = advice


class RangeOfMotionForm(forms.Form):
    movement = forms.ChoiceField(label=_("Movement"), choices=())
    side = forms.ChoiceField(label=_("Side"), choices=[("", "—"), *Side.choices], required=False)
    degrees = forms.IntegerField(label=_("Degrees"), min_value=0, max_value=200)
    painful = forms.BooleanField(label=_("Painful"), required=False)

    def __init__(self, *args: Any, movements: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "movement", forms.ChoiceField).choices = movements


class PressurePainForm(MuscleSideForm):
    trial_1 = forms.DecimalField(label=_("Trial 1 (kPa)"), min_value=1, max_value=2000, decimal_places=1)
    trial_2 = forms.DecimalField(label=_("Trial 2 (kPa)"), min_value=1, max_value=2000, decimal_places=1, required=False)
    trial_3 = forms.DecimalField(label=_("Trial 3 (kPa)"), min_value=1, max_value=2000, decimal_places=1, required=False)


class AdverseEventForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Type"), choices=())
    severity = forms.ChoiceField(label=_("Severity"), choices=AdverseEventSeverity.choices)
    onset = forms.DateTimeField(label=_("Onset"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    description = forms.CharField(label=_("What happened"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    action_taken = forms.CharField(label=_("Action taken"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AdverseEventOutcome.choices)

    def __init__(self, *args: Any, types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = treatment_catalog().adverse_event_types
        labelled = []
        for type_id, name in types:
            kind = known.get(type_id)
            if kind is not None and kind.minimum_severity != "mild":
                minimum = str(AdverseEventSeverity(kind.minimum_severity).label).lower()
                name = gettext("%(type)s (at least %(minimum)s)") % {"type": name, "minimum": minimum}
            labelled.append((type_id, name))
        form_field(self, "event_type", forms.ChoiceField).choices = labelled
        self.fields["severity"].help_text = _(
            "Some types are never mild: the lowest severity they can have is shown beside them in the list of types."
        )

    def clean(self) -> dict[str, Any]:
        """A severity below the type's minimum (adverse_events.yaml) is refused with the reason."""
        cleaned = super().clean() or {}
        kind = treatment_catalog().adverse_event_types.get(cleaned.get("event_type", ""))
        severity = cleaned.get("severity")
        if kind is not None and severity and not kind.allows(severity):
            minimum = str(AdverseEventSeverity(kind.minimum_severity).label).lower()
            self.add_error(
                "severity",
                gettext("%(type)s is never graded below %(minimum)s: choose %(minimum)s or a higher severity.")
                % {"type": kind.name.get(get_language() or "en"), "minimum": minimum},
            )
        return cleaned
