from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import CertificationKind, Discipline, User
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX
from needlechart.core.access import Role
from needlechart.core.forms import DateInput

# Evidence files are checked by their first bytes, not by the name or the browser's claim.
_SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class CertificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CertificationKind.choices)
    course = forms.CharField(label=_("Course"), max_length=200)
    issuer = forms.CharField(label=_("Issuer"), max_length=200)
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput(), help_text=_("Leave empty if it does not expire.")
    )
    jurisdiction = forms.CharField(label=_("Jurisdiction or roster"), max_length=200, required=False)
    evidence = forms.FileField(label=_("Evidence (PDF, PNG or JPEG)"), required=False)

    def clean_evidence(self) -> UploadedFile[bytes] | None:
        upload = self.cleaned_data.get("evidence")
        if not upload:
            return None
        if upload.size > settings.MAX_EVIDENCE_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.MAX_EVIDENCE_UPLOAD_BYTES)}
            )
        head = upload.read(8)
        upload.seek(0)
        for signature, content_type in _SIGNATURES.items():
            if head.startswith(signature):
                upload.content_type = content_type
                return upload
        raise forms.ValidationError(_("Upload a PDF, PNG or JPEG file."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        done, expires = cleaned.get("completed_on"), cleaned.get("expires_on")
        if done and expires and expires < done:
            self.add_error("expires_on", _("The expiry date cannot be before the completion date."))
        return cleaned


class StaffForm(forms.Form):
    """A new staff account, created by a clinic admin with a first password to hand over."""

    username = forms.RegexField(
        label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$", error_messages={"invalid": _("Use letters, digits and . @ + - _ only.")}
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    discipline = forms.ChoiceField(label=_("Discipline (practitioners)"), choices=[("", "—"), *Discipline.choices], required=False)
    hpr_number = forms.RegexField(
        label=_("HPR number (practitioners)"),
        regex=r"^\d{4,9}$",
        required=False,
        error_messages={"invalid": _("An HPR number has 4 to 9 digits.")},
    )
    password = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput,
        min_length=10,
        help_text=_("At least 10 characters. Hand it over in person; the new user should change it."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists() or username.lower().startswith(SYSTEM_ACCOUNT_PREFIX):
            raise forms.ValidationError(_("That username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("role") == Role.PRACTITIONER and not cleaned.get("discipline"):
            self.add_error("discipline", _("Choose the practitioner's discipline."))
        if cleaned.get("password"):
            try:
                password_validation.validate_password(cleaned["password"], User(username=cleaned.get("username", "")))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class RoleForm(forms.Form):
    """A colleague's new role (clinics.accounts.role_change); a new practitioner's discipline with it."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    discipline = forms.ChoiceField(label=_("Discipline (practitioners)"), choices=[("", "—"), *Discipline.choices], required=False)

    def __init__(self, *args: Any, staff: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        has_profile = hasattr(self.staff, "practitioner_profile")
        if cleaned.get("role") == Role.PRACTITIONER and not has_profile and not cleaned.get("discipline"):
            self.add_error("discipline", _("Choose the practitioner's discipline."))
        return cleaned
