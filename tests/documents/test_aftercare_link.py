"""The aftercare page through the patient's secret link links only to what the patient can open.

Through the link the page is seen without a staff login, so its PDF link must be the public one
(same token) and nothing on it may point at a staff page; the staff version keeps its links.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from needlechart.documents.models import AftercareLink
from needlechart.screening.services import token_hash

TOKEN = "aftercare-link-test-token_0123456789"
LINK_ATTRIBUTE = re.compile(r'\b(?:href|src|action|formaction)="([^"]*)"')


@pytest.fixture
def aftercare_link(practitioner, ready_session):
    AftercareLink.objects.create(
        clinic_id=ready_session.clinic_id,
        encounter=ready_session,
        token_hash=token_hash(TOKEN),
        created_by=practitioner,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return TOKEN


def _staff_urls(encounter) -> list[str]:
    return [
        reverse("aftercare_pdf", args=[encounter.pk]),
        reverse("aftercare_page", args=[encounter.pk]),
        reverse("encounter_detail", args=[encounter.pk]),
    ]


def test_through_the_patients_link_the_pdf_link_is_the_public_one_and_opens(client, ready_session, aftercare_link):
    page = client.get(reverse("aftercare_public", args=[aftercare_link]))
    assert page.status_code == 200
    html = page.content.decode()
    public_pdf = reverse("aftercare_public_pdf", args=[aftercare_link])
    assert f'href="{public_pdf}" data-testid="aftercare-pdf"' in html

    pdf = client.get(public_pdf)  # the same anonymous client, no login
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content))
    assert ready_session.patient.given_name in " ".join(page.extract_text() for page in reader.pages)


def test_through_the_patients_link_the_page_has_no_staff_only_link(client, ready_session, aftercare_link):
    html = client.get(reverse("aftercare_public", args=[aftercare_link])).content.decode()
    for url in _staff_urls(ready_session):
        assert url not in html, url
    assert str(ready_session.pk) not in html
    with translation.override(ready_session.patient.preferred_language):
        back = gettext("Back to the visit")
    assert back != "Back to the visit"  # the page is in the patient's language (nb)
    assert back not in html and "Back to the visit" not in html
    # Every link on the page is a static asset or under the patient's own link.
    own = reverse("aftercare_public", args=[aftercare_link])
    links = LINK_ATTRIBUTE.findall(html)
    assert links
    for link in links:
        assert link.startswith(own) or link.startswith("/static/"), link


def test_the_staff_page_keeps_its_links(client_for, practitioner, ready_session):
    client = client_for(practitioner)
    html = client.get(reverse("aftercare_page", args=[ready_session.pk])).content.decode()
    staff_pdf = reverse("aftercare_pdf", args=[ready_session.pk])
    assert f'href="{staff_pdf}" data-testid="aftercare-pdf"' in html
    assert f'href="{reverse("encounter_detail", args=[ready_session.pk])}"' in html
    assert "/aftercare/" + "pdf/" not in html and 'href="/aftercare/' not in html
    pdf = client.get(staff_pdf)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_visits_aftercare_links_can_be_ended_at_once(client, client_for, practitioner, ready_session, aftercare_link):
    """An aftercare link sent to a wrong address could not be taken back (issue 14)."""
    from needlechart.audit.models import AuditEvent

    page = reverse("aftercare_public", args=[aftercare_link])
    assert client.get(page).status_code == 200
    staff = client_for(practitioner)
    assert staff.post(reverse("aftercare_links_end", args=[ready_session.pk])).status_code == 302
    assert client.get(page).status_code == 404
    assert client.get(reverse("aftercare_public_pdf", args=[aftercare_link])).status_code == 404
    assert AuditEvent.objects.filter(object_type="aftercare_link", detail__ended=1).exists()
    again = staff.post(reverse("aftercare_links_end", args=[ready_session.pk]), follow=True)
    assert "No aftercare link of this visit was open." in again.content.decode()
