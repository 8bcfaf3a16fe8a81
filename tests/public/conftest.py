"""A clinic with published public pages, and patients with names that must never show on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from needlechart.patients import services as patients
from needlechart.public import services as public
from needlechart.public.pages import LANGUAGES, PAGES

SLUG = "test-clinic"
# Names no page text could hold by chance: one of them on a public page can only have leaked.
PATIENT_NAMES = [("Quillon", "Zebrafinch"), ("Ysolde", "Marrowgate")]


def page_url(page: str, language: str, slug: str = SLUG) -> str:
    return reverse("public_page", kwargs={"clinic_slug": slug, "lang": language, "page": page})


ALL_PAGES = [(page.id, language) for page in PAGES for language in LANGUAGES]


def profile_values(**changes):
    values = {
        "slug": SLUG,
        "published": True,
        "default_language": "nb",
        "street_address": "Strandkaien 12",
        "postal_code": "5013",
        "city": "Bergen",
        "phone": "+47 55 12 34 56",
        "email": "post@test-clinic.invalid",
    }
    return values | changes


@pytest.fixture
def public_profile(clinic_admin):
    hours = [{"day": 0, "opens": "08:00", "closes": "16:00"}, {"day": 4, "opens": "09:00", "closes": "13:30"}]
    return public.profile_save(actor=clinic_admin, values=profile_values(), opening_hours=hours, photo_alts={"en": "", "nb": ""})


@pytest.fixture
def distinctive_patients(front_desk):
    made = []
    for index, (given, family) in enumerate(PATIENT_NAMES):
        made.append(
            patients.patient_create(
                actor=front_desk,
                data={
                    "given_name": given,
                    "family_name": family,
                    "birth_date": dt.date(1971, 3, 9 + index),
                    "phone": f"+47 4123 987{index}",
                    "email": f"{given.lower()}@patients.invalid",
                },
            )
        )
    return made
