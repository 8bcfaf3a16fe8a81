from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from needlechart.api.scopes import grantable_scopes
from needlechart.clinics.models import User
from needlechart.core.forms import form_field, single_line


class ApiClientForm(forms.Form):
    """A new API client: its name, the scopes (only those the admin's role can give) and how long its token lasts."""

    name = forms.CharField(
        label=_("Name"), max_length=100, validators=[single_line], help_text=_("The system that will use it, e.g. the booking system.")
    )
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple)
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=90)
    credentials = forms.ChoiceField(
        label=_("How the system signs in"),
        choices=[
            ("token", _("A personal access token: the system sends it with every call")),
            ("oauth", _("OAuth 2 client credentials: the system asks /o/token/ for access tokens lasting minutes")),
        ],
        initial="token",
        required=False,  # a personal access token when not chosen
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "scopes", forms.MultipleChoiceField).choices = [(scope.value, scope.label) for scope in grantable_scopes(user)]
        longest = settings.API_TOKEN_MAX_DAYS
        days = form_field(self, "valid_days", forms.IntegerField)
        days.validators.append(MaxValueValidator(longest))
        days.widget.attrs["max"] = longest
        days.help_text = _("At most %(days)s days; make a new client before it expires.") % {"days": longest}
