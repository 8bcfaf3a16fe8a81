"""The forms of a clinic's public pages admin page: the settings, the photo and one page's text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from needlechart.core.forms import single_line
from needlechart.public.models import LANGUAGE_CHOICES, PublicProfile
from needlechart.public.photos import MAX_BYTES, MIN_HEIGHT, MIN_WIDTH, Photo, checked_photo
from needlechart.public.plain_text import MAX_LENGTH
from needlechart.public.services import PROFILE_FIELDS


class TimeInput(forms.TimeInput):
    """A browser time picker: ``<input type="time">`` with the ``HH:MM`` value it expects."""

    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def _line(label: Any, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False, validators=[single_line], **kwargs)


class ProfileForm(forms.Form):
    """Where the public pages live, whether they are published, the contact details and opening hours."""

    slug = forms.SlugField(
        label=_("Web address"),
        max_length=60,
        help_text=_(
            "The pages live at /c/<address>/: lower-case letters, digits and hyphens. Changing it breaks links to the old address."
        ),
    )
    published = forms.BooleanField(label=_("Published: anyone can read the pages, and search engines can find them"), required=False)
    default_language = forms.ChoiceField(label=_("Main language"), choices=LANGUAGE_CHOICES)
    street_address = _line(_("Street address"), 200)
    postal_code = _line(_("Postal code"), 20)
    city = _line(_("Town or city"), 100)
    phone = _line(_("Phone"), 40)
    email = forms.EmailField(label=_("E-mail for patients"), required=False)
    photo_alt_en = _line(_("Photo description (English)"), 200, help_text=_("What the photo shows, for visitors who cannot see it."))
    photo_alt_nb = _line(_("Photo description (Norwegian)"), 200)

    def __init__(self, *args: Any, profile: PublicProfile, **kwargs: Any) -> None:
        initial = {field: getattr(profile, field) for field in PROFILE_FIELDS}
        initial |= {"photo_alt_en": profile.photo_alt_en, "photo_alt_nb": profile.photo_alt_nb}
        for hours in profile.opening_hours:
            initial |= {f"opens_{hours['day']}": hours["opens"], f"closes_{hours['day']}": hours["closes"]}
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.profile = profile
        for day, name in WEEKDAYS.items():
            self.fields[f"opens_{day}"] = forms.TimeField(label=_("%(day)s opens") % {"day": name}, required=False, widget=TimeInput())
            self.fields[f"closes_{day}"] = forms.TimeField(label=_("%(day)s closes") % {"day": name}, required=False, widget=TimeInput())

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].lower()
        if PublicProfile.objects.filter(slug=slug).exclude(clinic_id=self.profile.clinic_id).exists():
            raise ValidationError(_("Another clinic uses this web address. Choose another."))
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for day in WEEKDAYS:
            opens, closes = cleaned.get(f"opens_{day}"), cleaned.get(f"closes_{day}")
            if (opens is None) != (closes is None) and not self.has_error(f"opens_{day}") and not self.has_error(f"closes_{day}"):
                self.add_error(f"closes_{day}", _("Give both the opening and the closing time, or neither."))
            elif opens is not None and closes is not None and closes <= opens:
                self.add_error(f"closes_{day}", _("The closing time must be after the opening time."))
        return cleaned

    def profile_values(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in PROFILE_FIELDS}

    def opening_hours(self) -> list[dict[str, Any]]:
        hours = []
        for day in WEEKDAYS:
            opens: dt.time | None = self.cleaned_data.get(f"opens_{day}")
            closes: dt.time | None = self.cleaned_data.get(f"closes_{day}")
            if opens is not None and closes is not None:
                hours.append({"day": day, "opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")})
        return hours

    def photo_alts(self) -> dict[str, str]:
        return {"en": self.cleaned_data["photo_alt_en"], "nb": self.cleaned_data["photo_alt_nb"]}

    def day_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """The opening hours' fields, a row per weekday (Monday first)."""
        return [(str(name), self[f"opens_{day}"], self[f"closes_{day}"]) for day, name in WEEKDAYS.items()]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(("opens_", "closes_"))]


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = _(
            "At most %(size)s MB, at least %(width)s × %(height)s pixels. It is stored without its camera and location data."
        ) % {"size": MAX_BYTES // (1024 * 1024), "width": MIN_WIDTH, "height": MIN_HEIGHT}

    def clean_photo(self) -> Photo:
        upload: UploadedFile[bytes] = self.cleaned_data["photo"]
        return checked_photo(upload)


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("Your text for this page"),
        required=False,
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Plain text: leave a blank line between paragraphs, and start a line with “- ” for a list. "
            "Leave it empty to show the default text."
        ),
    )
