"""Public pages hold no patient data, so they may be cached: a deliberate exception to the
``no-store`` every other page carries (web.middleware), which never reaches a response with a cookie."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.public.conftest import ALL_PAGES, page_url


@pytest.mark.parametrize(("page", "language"), ALL_PAGES)
def test_public_pages_may_be_cached_for_five_minutes(client, public_profile, page, language):
    response = client.get(page_url(page, language))
    assert response["Cache-Control"] == "public, max-age=300"
    assert not response.cookies
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_robots_and_the_sitemap_may_be_cached_for_an_hour(client, public_profile):
    for name in ("robots_txt", "sitemap"):
        assert client.get(reverse(name))["Cache-Control"] == "public, max-age=3600"


def test_a_public_page_that_sets_a_cookie_is_never_cached(client_for, practitioner, public_profile):
    """A signed-in practitioner reading the clinic's page gets a fresh session cookie (the idle
    timer's touch): a shared cache must not keep that response and hand the cookie to others."""
    client = client_for(practitioner)
    response = client.get(page_url("home", "en"))
    assert response.status_code == 200 and response.cookies
    assert response["Cache-Control"] == "no-store, private"


def test_staff_pages_and_patient_link_pages_stay_uncached(client_for, practitioner, client, db):
    assert client_for(practitioner).get(reverse("today"))["Cache-Control"] == "no-store, private"
    assert client.get(reverse("intake_public", args=["no-such-link"]))["Cache-Control"] == "no-store, private"


def test_an_error_on_a_public_address_is_not_cached(client, public_profile):
    assert client.get(page_url("home", "en", slug="nobody"))["Cache-Control"] == "no-store, private"
