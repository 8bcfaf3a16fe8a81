"""The clinic admin's public pages page: only a clinic's admins change its pages, only their own
clinic's, every change audited; bad input gets the form back with its messages and a 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.public.models import PublicProfile, PublicText
from tests.public.conftest import SLUG, page_url, profile_values


def _settings(**changes):
    data = {key: ("on" if value is True else value) for key, value in profile_values(**changes).items() if value is not False}
    return data | {"opens_0": "08:00", "closes_0": "16:00", "photo_alt_en": "", "photo_alt_nb": ""}


def test_an_admin_sets_up_and_publishes_the_clinics_pages(client_for, clinic_admin, client):
    admin = client_for(clinic_admin)
    page = admin.get(reverse("public_admin"))
    assert page.status_code == 200 and 'value="test-clinic"' in page.content.decode()  # suggested from the clinic's name
    assert admin.post(reverse("public_admin"), _settings()).status_code == 302
    profile = PublicProfile.objects.get(clinic=clinic_admin.clinic)
    assert profile.published and profile.opening_hours == [{"day": 0, "opens": "08:00", "closes": "16:00"}]
    assert client.get(page_url("home", "nb")).status_code == 200
    row = AuditEvent.objects.filter(object_type=AuditObject.PUBLIC_PAGES).latest("seq")
    assert row.actor_id == clinic_admin.pk and row.detail["event"] == "created" and row.patient_id is None


def test_the_admin_page_is_in_the_admins_menu(client_for, clinic_admin):
    assert f'href="{reverse("public_admin")}"' in client_for(clinic_admin).get(reverse("staff_list")).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Not a slug!"}, "slug", "Enter a valid"),
        ({"default_language": "de"}, "default_language", "Select a valid choice"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address"),
        ({"phone": "+47\n55"}, "phone", "on one line"),
    ],
)
def test_bad_settings_come_back_with_a_message_and_400(client_for, clinic_admin, changes, field, message):
    response = client_for(clinic_admin).post(reverse("public_admin"), _settings(**changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not PublicProfile.objects.exists()


def test_opening_hours_need_both_times_and_the_closing_one_later(client_for, clinic_admin):
    admin = client_for(clinic_admin)
    response = admin.post(reverse("public_admin"), _settings() | {"opens_2": "10:00"})
    assert response.status_code == 400 and "Give both" in response.content.decode()
    response = admin.post(reverse("public_admin"), _settings() | {"opens_2": "10:00", "closes_2": "09:00"})
    assert response.status_code == 400 and "must be after the opening time" in response.content.decode()
    response = admin.post(reverse("public_admin"), _settings() | {"opens_2": "25:00", "closes_2": "26:00"})
    assert response.status_code == 400 and "Enter a valid time" in response.content.decode()


def test_another_clinics_address_cannot_be_taken(client_for, public_profile, other_admin):
    response = client_for(other_admin).post(reverse("public_admin"), _settings())
    assert response.status_code == 400 and "Another clinic uses this web address" in response.content.decode()
    assert PublicProfile.objects.get(slug=SLUG).clinic_id == public_profile.clinic_id


def test_an_admin_writes_the_clinics_own_text_which_replaces_the_default(client_for, clinic_admin, public_profile, client):
    admin = client_for(clinic_admin)
    url = reverse("public_text", kwargs={"page": "ims", "lang": "nb"})
    assert admin.get(url).status_code == 200
    text = "Vi bruker IMS hver dag.\nLinje to.\n\n- Nakke\n- Rygg\n\nSiste avsnitt."
    assert admin.post(url, {"text": text}).status_code == 302
    body = client.get(page_url("ims", "nb")).content.decode()
    assert "<p>Vi bruker IMS hver dag.<br>Linje to.</p>" in body and "<ul><li>Nakke</li><li>Rygg</li></ul>" in body
    assert "Kilder" not in body and "Sources" not in body  # the clinic's own words cite nothing of ours
    assert "Thin needles into tight muscle" in client.get(page_url("ims", "en")).content.decode()  # English keeps the default
    row = AuditEvent.objects.filter(object_type=AuditObject.PUBLIC_PAGES).latest("seq")
    assert row.detail == {"event": "text", "page": "ims", "language": "nb", "characters": len(text)}

    assert admin.post(url, {"text": "   "}).status_code == 302  # empty: the default again
    assert not PublicText.objects.exists()
    assert "Tynne nåler i stram muskulatur" in client.get(page_url("ims", "nb")).content.decode()


def test_a_text_too_long_comes_back_with_a_message_and_400(client_for, clinic_admin, public_profile):
    response = client_for(clinic_admin).post(reverse("public_text", kwargs={"page": "home", "lang": "en"}), {"text": "x" * 6001})
    assert response.status_code == 400 and "at most 6000 characters" in response.content.decode()
    assert not PublicText.objects.exists()


def test_texts_wait_until_the_settings_are_saved(client_for, clinic_admin):
    response = client_for(clinic_admin).get(reverse("public_text", kwargs={"page": "home", "lang": "en"}))
    assert response.status_code == 302 and response.url == reverse("public_admin")


def test_other_clinics_admins_change_only_their_own_clinic(client_for, clinic_admin, public_profile, other_admin, client):
    outsider = client_for(other_admin)
    url = reverse("public_text", kwargs={"page": "home", "lang": "en"})
    assert outsider.post(url, {"text": "Hijacked"}).status_code == 302  # sent to set up their own clinic's pages first
    assert not PublicText.objects.exists()
    outsider.post(reverse("public_admin"), _settings(slug="other-clinic"))
    outsider.post(url, {"text": "Hijacked"})
    assert list(PublicText.objects.values_list("clinic_id", flat=True)) == [other_admin.clinic_id]
    assert "Hijacked" not in client.get(page_url("home", "en")).content.decode()
    assert "Hijacked" in client.get(page_url("home", "en", slug="other-clinic")).content.decode()
    assert PublicProfile.objects.get(slug=SLUG).street_address == "Strandkaien 12"


@pytest.mark.parametrize("persona", ["practitioner", "front_desk"])
def test_staff_who_are_not_admins_may_not_change_the_pages(request, client_for, public_profile, persona):
    staff = client_for(request.getfixturevalue(persona))
    for url in (reverse("public_admin"), reverse("public_text", kwargs={"page": "home", "lang": "en"})):
        assert staff.get(url).status_code == 403
        assert staff.post(url, {"text": "x", **_settings()}).status_code == 403
    assert staff.post(reverse("public_photo_remove")).status_code == 403
    assert not PublicText.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, public_profile):
    for url in (reverse("public_admin"), reverse("public_photo_upload"), reverse("public_text", kwargs={"page": "ims", "lang": "en"})):
        response = client.post(url, {"text": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not PublicText.objects.exists()
