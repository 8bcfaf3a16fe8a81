"""The clinic admin's page for the clinic's public pages: settings, photo, and each page's own text.

Only a clinic admin (``manage_staff``) of the clinic may change them; every change is made to the
admin's own clinic, so there is no other clinic's page to reach. Bad input is answered with the
form and its messages and a 400.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.public import selectors, services
from needlechart.public.forms import PhotoForm, ProfileForm, TextForm
from needlechart.public.models import LANGUAGE_CHOICES, PublicProfile
from needlechart.public.pages import LANGUAGES, PAGE_IDS
from needlechart.public.texts import public_texts
from needlechart.public.views import page_path, photo_url


def _profile_or_new(request: StaffRequest) -> tuple[PublicProfile, bool]:
    profile = selectors.profile_of_clinic(clinic_id_of(request.user))
    if profile is not None:
        return profile, True
    clinic = request.user.clinic
    assert clinic is not None  # @staff_view admits only a clinic's staff
    return services.new_profile(clinic, slugify(clinic.name)[:60] or "clinic"), False


def _render_admin(
    request: StaffRequest, *, form: ProfileForm | None = None, photo_form: PhotoForm | None = None, status: int = 200
) -> HttpResponse:
    profile, saved = _profile_or_new(request)
    own = selectors.clinic_texts(profile.clinic_id) if saved else {}
    texts = public_texts()
    rows = [
        (
            texts.page_text("en", page, "title", profile.clinic.name),
            [(code, label, (page, code) in own) for code, label in LANGUAGE_CHOICES],
        )
        for page in PAGE_IDS
    ]
    context: dict[str, Any] = {
        "profile": profile,
        "saved": saved,
        "form": form or ProfileForm(profile=profile),
        "photo_form": photo_form or PhotoForm(),
        "photo": photo_url(profile) if saved and profile.published else None,
        "has_photo": bool(profile.photo.name),
        "rows": list(zip(PAGE_IDS, rows, strict=True)),
        "public_url": page_path(profile.slug, profile.default_language, "home") if saved and profile.published else None,
    }
    return render(request, "public/admin.html", context, status=status)


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def public_admin(request: StaffRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_admin(request)
    profile, _saved = _profile_or_new(request)
    form = ProfileForm(request.POST, profile=profile)
    if not form.is_valid():
        return _render_admin(request, form=form, status=400)
    services.profile_save(
        actor=request.user, values=form.profile_values(), opening_hours=form.opening_hours(), photo_alts=form.photo_alts()
    )
    messages.success(request, _("The public pages are saved. Visitors may see the old version for up to five minutes."))
    return redirect("public_admin")


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def photo_upload(request: StaffRequest) -> HttpResponse:
    if selectors.profile_of_clinic(clinic_id_of(request.user)) is None:
        messages.error(request, _("Save the public pages' settings first, then add the photo."))
        return _render_admin(request, status=400)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_admin(request, photo_form=form, status=400)
    services.photo_set(actor=request.user, photo=form.cleaned_data["photo"])
    messages.success(request, _("The photo is saved."))
    return redirect("public_admin")


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def photo_remove(request: StaffRequest) -> HttpResponse:
    profile = selectors.profile_of_clinic(clinic_id_of(request.user))
    if profile is None or not profile.photo.name:
        messages.error(request, _("There is no photo to remove."))
        return _render_admin(request, status=400)
    services.photo_remove(actor=request.user)
    messages.success(request, _("The photo is removed."))
    return redirect("public_admin")


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def text_edit(request: StaffRequest, page: str, lang: str) -> HttpResponse:
    """The clinic's own text for one page in one language; empty shows the default text."""
    if page not in PAGE_IDS or lang not in LANGUAGES:
        raise Http404
    profile = selectors.profile_of_clinic(clinic_id_of(request.user))
    if profile is None:
        messages.error(request, _("Save the public pages' settings first, then write the texts."))
        return redirect("public_admin")
    current = selectors.clinic_text(profile.clinic_id, page, lang) or ""
    form = TextForm(request.POST or None, initial={"text": current})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.text_save(actor=request.user, page=page, language=lang, text=form.cleaned_data["text"])
            messages.success(request, _("The text is saved."))
            return redirect("public_admin")
        status = 400
    texts = public_texts()
    context = {
        "form": form,
        "page": page,
        "language_name": dict(LANGUAGE_CHOICES)[lang],
        "lang": lang,
        "page_title": texts.page_text(lang, page, "title", profile.clinic.name),
        "blocks": texts.pages[page],
        "words": texts.words[lang],
        "generated": page in ("home", "suitability", "practitioners"),
        "public_url": page_path(profile.slug, lang, page) if profile.published else None,
    }
    return render(request, "public/admin_text.html", context, status=status)
