"""What search engines read: the clinic as schema.org structured data, robots.txt and the sitemap."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from needlechart.public import services as public
from needlechart.public.pages import LANGUAGES, PAGES
from tests.conftest import make_staff
from tests.public.conftest import page_url, profile_values
from tests.public.markup import read

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_home_page_describes_the_clinic_as_a_medical_clinic_with_its_practitioners(client, public_profile, practitioner, language):
    (data,) = read(client.get(page_url("home", language))).structured_data()
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalClinic"
    assert data["name"] == "Test Clinic" and data["url"] == f"http://testserver{page_url('home', language)}"
    assert data["telephone"] == "+47 55 12 34 56" and data["email"] == "post@test-clinic.invalid"
    assert data["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "Strandkaien 12",
        "postalCode": "5013",
        "addressLocality": "Bergen",
    }
    assert data["openingHoursSpecification"][0] == {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "08:00",
        "closes": "16:00",
    }
    (person,) = data["employee"]
    assert person["@type"] == "Person" and person["name"] == "Practitioner Tester"
    credential = person["hasCredential"]
    assert credential["@type"] == "EducationalOccupationalCredential" and credential["recognizedBy"]["name"] == "iSTOP"
    assert credential["expires"] == practitioner.practitioner_profile.certifications.get().expires_on.isoformat()
    assert {service["@type"] for service in data["availableService"]} == {"MedicalTherapy"}


def test_a_practitioner_without_a_valid_certification_is_listed_without_a_credential(client, public_profile, clinic):
    make_staff(clinic, "plain", "practitioner", discipline="chiropractor")
    (data,) = read(client.get(page_url("practitioners", "en"))).structured_data()
    assert data["employee"] == [{"@type": "Person", "name": "Plain Tester", "jobTitle": "Chiropractor"}]


def test_pages_about_the_treatment_carry_no_structured_data(client, public_profile):
    assert read(client.get(page_url("ims", "en"))).structured_data() == []


def test_robots_txt_lets_search_engines_read_the_public_pages_only(client, public_profile):
    response = client.get(reverse("robots_txt"))
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines == ["User-agent: *", "Allow: /c/", "Allow: /static/public/", "Disallow: /", "Sitemap: http://testserver/sitemap.xml"]


def test_the_sitemap_lists_every_page_of_every_published_clinic_with_its_alternates(client, public_profile, other_admin):
    public.profile_save(actor=other_admin, values=profile_values(slug="hidden", published=False), opening_hours=[], photo_alts={})
    response = client.get(reverse("sitemap"))
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - the sitemap we just drew
    urls = root.findall(f"{SITEMAP}url")
    locations = [url.find(f"{SITEMAP}loc").text for url in urls]
    assert sorted(locations) == sorted(f"http://testserver{page_url(page.id, language)}" for page in PAGES for language in LANGUAGES)
    assert not any("/hidden/" in location for location in locations)
    first = urls[0]
    assert first.find(f"{SITEMAP}lastmod").text == timezone.localdate(public_profile.updated_at).isoformat()
    assert {link.get("hreflang") for link in first.findall(f"{XHTML}link")} == set(LANGUAGES)


def test_links_that_leave_the_page_use_the_configured_public_address(client, public_profile, settings):
    settings.PUBLIC_BASE_URL = "https://clinics.example.org/"
    html = read(client.get(page_url("ims", "en")))
    assert html.link("canonical")[0]["href"] == f"https://clinics.example.org{page_url('ims', 'en')}"
    assert "Sitemap: https://clinics.example.org/sitemap.xml" in client.get(reverse("robots_txt")).content.decode()
