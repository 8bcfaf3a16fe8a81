from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import CertificationKind
from needlechart.patients.forms import DateInput

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

    def clean_evidence(self):
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

    def clean(self):
        cleaned = super().clean()
        done, expires = cleaned.get("completed_on"), cleaned.get("expires_on")
        if done and expires and expires < done:
            self.add_error("expires_on", _("The expiry date cannot be before the completion date."))
        return cleaned
