"""What a clinic typed (its name, contact details, photo description, its own texts) and what its
admins typed about practitioners is shown on the public pages as text, never as markup, and cannot
close the structured data's script element."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from needlechart.clinics.models import Certification, Clinic, PractitionerProfile, User
from needlechart.public.models import PublicProfile
from tests.escaping import PAYLOADS, assert_shown_as_text
from tests.public.conftest import ALL_PAGES, page_url
from tests.public.markup import read


@pytest.fixture
def typed(public_profile, practitioner, clinic_admin):
    def fill(payload: str) -> None:
        Clinic.objects.filter(pk=public_profile.clinic_id).update(name=payload)
        PublicProfile.objects.filter(pk=public_profile.pk).update(
            street_address=payload, postal_code="5013", city=payload, phone=payload, photo_alt_en=payload, photo_alt_nb=payload
        )
        User.objects.filter(pk=practitioner.pk).update(first_name=payload, last_name=payload)
        PractitionerProfile.objects.filter(user=practitioner).update(title=payload)
        Certification.objects.filter(profile__user=practitioner).update(issuer=payload, course=payload)

    return fill


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_what_the_clinic_typed_is_shown_as_text_on_every_public_page(client, typed, payload, escaped):
    typed(payload)
    for page, language in ALL_PAGES:
        body = client.get(page_url(page, language)).content.decode()
        assert_shown_as_text(body, payload, escaped, at_least=3)  # title, header, footer


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_clinics_own_text_is_shown_as_text(client_for, clinic_admin, public_profile, client, payload, escaped):
    admin = client_for(clinic_admin)
    for page, language in ALL_PAGES:
        text = f"{payload}\n\n- {payload}\n- plain"
        assert admin.post(reverse("public_text", kwargs={"page": page, "lang": language}), {"text": text}).status_code == 302
        assert_shown_as_text(client.get(page_url(page, language)).content.decode(), payload, escaped, at_least=2)
        assert_shown_as_text(
            admin.get(reverse("public_text", kwargs={"page": page, "lang": language})).content.decode(), payload, escaped, at_least=1
        )


@pytest.mark.parametrize("payload", ["</script><script>alert(1)</script>", "<!--", "a & b > c"])
def test_the_structured_data_cannot_be_closed_by_a_name(client, typed, payload):
    typed(payload)
    for page in ("home", "practitioners"):
        html = read(client.get(page_url(page, "en")))
        ((attrs, text),) = [(attrs, text) for attrs, text in html.scripts if "src" not in attrs]  # htmx is a file
        assert attrs == {"type": "application/ld+json"} and "<" not in text and ">" not in text
        data = json.loads(text)
        assert data["name"] == payload and data["employee"][0]["name"] == f"{payload} {payload}"


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_admin_page_shows_the_settings_as_text(client_for, clinic_admin, typed, payload, escaped):
    typed(payload)
    body = client_for(clinic_admin).get(reverse("public_admin")).content.decode()
    assert_shown_as_text(body, payload, escaped, at_least=2)
