"""The audit report's period and action (pages.audit_reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from needlechart.audit.models import AuditAction
from needlechart.core.forms import ClinicalDateField


class AuditRangeForm(forms.Form):
    start = ClinicalDateField(label=_("From"))
    end = ClinicalDateField(label=_("To"))
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("All actions")), *AuditAction.choices])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if end - start > dt.timedelta(days=366):
                raise forms.ValidationError(_("Choose a period of at most one year."))
        return cleaned
