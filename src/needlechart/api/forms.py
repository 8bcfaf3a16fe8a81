from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from needlechart.api.oauth import redirect_uri_errors
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
            (
                "code_public",
                _("OAuth 2 authorization code with PKCE, public client (an app, no secret): acts as the staff member who signs in"),
            ),
            (
                "code_confidential",
                _("OAuth 2 authorization code with PKCE, confidential (a server with a secret): acts as the staff member who signs in"),
            ),
        ],
        initial="token",
        required=False,  # a personal access token when not chosen
        widget=forms.RadioSelect,
    )
    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Authorization code only: one exact address a line, https:// (http:// only for localhost or 127.0.0.1)."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "scopes", forms.MultipleChoiceField).choices = [(scope.value, scope.label) for scope in grantable_scopes(user)]
        longest = settings.API_TOKEN_MAX_DAYS
        days = form_field(self, "valid_days", forms.IntegerField)
        days.validators.append(MaxValueValidator(longest))
        days.widget.attrs["max"] = longest
        days.help_text = _("At most %(days)s days; make a new client before it expires.") % {"days": longest}

    def clean_redirect_uris(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("redirect_uris", "").splitlines() if line.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        uris = data.get("redirect_uris") or []
        if str(data.get("credentials", "")).startswith("code_"):
            if not uris:
                self.add_error("redirect_uris", _("An authorization code client needs at least one redirect URI."))
            for error in redirect_uri_errors(uris):
                self.add_error("redirect_uris", error)
        elif uris:
            self.add_error("redirect_uris", _("Only an authorization code client has redirect URIs."))
        return data
