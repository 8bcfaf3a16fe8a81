"""A clinic's public pages: every page in both languages, with no sign-in, found by search engines
and readable with a screen reader, drawn from the clinic's records and the content files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.public import services as public
from needlechart.public.models import PublicProfile
from needlechart.public.texts import public_texts
from tests.public.conftest import ALL_PAGES, SLUG, page_url
from tests.public.markup import read


@pytest.mark.parametrize(("page", "language"), ALL_PAGES)
def test_every_page_renders_in_both_languages_for_anyone(client, public_profile, practitioner, page, language):
    response = client.get(page_url(page, language))
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = read(response)
    texts = public_texts()
    assert html.html_lang == language
    assert "Test Clinic" in html.title and texts.page_text(language, page, "title", "Test Clinic") in html.title
    assert html.meta("description") == texts.page_text(language, page, "description", "Test Clinic")
    canonical = html.link("canonical")
    assert [c["href"] for c in canonical] == [f"http://testserver{page_url(page, language)}"]
    alternates = {a["hreflang"]: a["href"] for a in html.link("alternate")}
    assert alternates == {
        "en": f"http://testserver{page_url(page, 'en')}",
        "nb": f"http://testserver{page_url(page, 'nb')}",
        "x-default": f"http://testserver{page_url(page, 'nb')}",  # the clinic's main language
    }
    first_block = next(b for b in texts.pages[page] if b.kind == "text")
    assert texts.text(language, first_block.id) in response.content.decode()


@pytest.mark.parametrize(("page", "language"), ALL_PAGES)
def test_every_page_has_one_h1_headings_in_order_landmarks_and_a_skip_link(client, public_profile, practitioner, page, language):
    html = read(client.get(page_url(page, language)))
    levels = [level for level, _text in html.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(later <= earlier + 1 for earlier, later in zip(levels, levels[1:], strict=False)), html.headings
    assert all(text for _level, text in html.headings)
    assert html.landmarks.count("main") == 1 and {"banner", "navigation", "contentinfo"} <= set(html.landmarks)
    skip = html.links[0]
    assert skip["href"] == "#main" and "main" in html.ids
    current = [link for link in html.links if link.get("aria-current") == "page"]
    assert [link["href"] for link in current] == [page_url(page, language)]


@pytest.mark.parametrize(("page", "language"), ALL_PAGES)
def test_a_page_needs_no_script_and_fetches_nothing_from_elsewhere(client, public_profile, practitioner, page, language):
    """No inline script but structured data; the pages that end with the booking section load htmx
    (from this site) to fetch it, and without scripts its link leads to the same times."""
    response = client.get(page_url(page, language))
    html = read(response)
    assert all(attrs.get("type") == "application/ld+json" or not text.strip() for attrs, text in html.scripts)
    htmx = ["/static/vendor/htmx-2.0.11.min.js"] if page in ("ims", "practitioners") else []
    assert html.resources == ["/static/public/public.css", *htmx]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "style=" not in response.content.decode()


def test_the_other_language_is_one_link_away_and_says_its_language(client, public_profile):
    html = read(client.get(page_url("session", "en")))
    switch = next(link for link in html.links if link.get("hreflang") == "nb")
    assert switch["href"] == page_url("session", "nb") == "/c/test-clinic/nb/en-behandling/"
    assert switch["lang"] == "nb"


def test_the_clinic_address_redirects_to_its_main_language(client, public_profile, clinic_admin):
    assert client.get(f"/c/{SLUG}/").url == page_url("home", "nb")
    public.profile_save(
        actor=clinic_admin,
        values={**{f: getattr(public_profile, f) for f in public.PROFILE_FIELDS}, "default_language": "en"},
        opening_hours=[],
        photo_alts={},
    )
    assert client.get(f"/c/{SLUG}/").url == page_url("home", "en")


def test_an_unpublished_or_unknown_clinic_has_no_public_pages(client, public_profile):
    PublicProfile.objects.filter(pk=public_profile.pk).update(published=False)
    assert client.get(page_url("home", "en")).status_code == 404
    assert client.get(f"/c/{SLUG}/").status_code == 404
    assert client.get(page_url("ims", "nb", slug="no-such-clinic")).status_code == 404


def test_the_public_pages_take_only_get(client, public_profile):
    assert client.post(page_url("home", "en")).status_code == 405


def test_the_home_page_shows_the_contact_details_and_opening_hours_in_the_pages_language(client, public_profile):
    body = client.get(page_url("home", "nb")).content.decode()
    assert "Strandkaien 12" in body and "5013 Bergen" in body and 'href="tel:+4755123456"' in body
    assert "Mandag" in body and "08:00–16:00" in body and "Fredag" in body and "09:00–13:30" in body
    assert "Tirsdag" not in body
    english = client.get(page_url("home", "en")).content.decode()
    assert "Monday" in english and "Friday" in english


def test_facts_carry_their_sources_and_unverified_ones_say_so(client, public_profile):
    texts = public_texts()
    body = client.get(page_url("session", "en")).content.decode()
    assert texts.sources["brady-2014"].citation.split(".")[0] in body  # cited by a verified fact
    unverified = [b for b in texts.pages["session"] if b.kind == "text" and b.unverified]
    verified = [b for b in texts.pages["session"] if b.kind == "text" and b.source and not b.unverified]
    assert unverified and verified
    label = "(not checked against the original publication)"
    for block in unverified:
        assert f'{texts.text("en", block.id)} <span class="unverified">{label}</span>' in body
    for block in verified:
        assert f"{texts.text('en', block.id)}</p>" in body
    assert "(ikke verifisert mot originalpublikasjonen)" in client.get(page_url("session", "nb")).content.decode()


def test_the_staff_pages_keep_their_addresses(client):
    assert reverse("today") == "/" and reverse("patient_list") == "/patients/" and reverse("login") == "/accounts/login/"
