"""What admins typed about staff is shown as text on the staff pages, never as markup.

Each payload goes into a practitioner's names, registration and certification (course, issuer,
jurisdiction: the needling authorisation quotes the course and issuer), and every staff page that
shows them is fetched as the clinic admin.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.clinics.models import Certification, RegistrationNumber, User
from tests.escaping import PAYLOADS, assert_shown_as_text


@pytest.fixture
def typed(practitioner):
    """The practitioner's names, registration and certification set to the payload (by the test)."""

    def fill(payload: str) -> User:
        User.objects.filter(pk=practitioner.pk).update(first_name=payload, last_name=payload)
        RegistrationNumber.objects.create(profile=practitioner.practitioner_profile, system=payload, value=payload)
        Certification.objects.filter(profile=practitioner.practitioner_profile).update(course=payload, issuer=payload, jurisdiction=payload)
        return User.objects.get(pk=practitioner.pk)

    return fill


def _staff_list(client, staff, payload):
    return client.get(reverse("staff_list"))


def _staff_detail(client, staff, payload):
    return client.get(reverse("staff_detail", args=[staff.pk]))


def _certification_form(client, staff, payload):
    return client.get(reverse("certification_add", args=[staff.pk]))


def _certification_sent_back(client, staff, payload):
    """A certification without its completion date comes back with what was typed."""
    data = {"kind": "ims", "course": payload, "issuer": payload, "jurisdiction": payload}
    return client.post(reverse("certification_add", args=[staff.pk]), data)


def _staff_form_sent_back(client, staff, payload):
    """A new account whose username is not allowed comes back with what was typed."""
    data = {"username": payload, "first_name": payload, "last_name": payload, "role": "front_desk", "password": "short"}
    return client.post(reverse("staff_create"), data)


# (page, its status, how many times each payload is shown on it at least)
PAGES = [
    pytest.param(_staff_list, 200, 4, id="staff-list"),  # the name (2), the authorisation's course and issuer
    pytest.param(_staff_detail, 200, 10, id="staff-detail"),  # title, heading, register, number, reason, course, issuer, roster
    pytest.param(_certification_form, 200, 2, id="certification-form"),  # the name (2) in the heading
    pytest.param(_certification_sent_back, 400, 5, id="certification-with-errors"),
    pytest.param(_staff_form_sent_back, 400, 3, id="staff-form-with-errors"),
]


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
@pytest.mark.parametrize(("page", "status", "at_least"), PAGES)
def test_staff_pages_show_typed_text_as_text(client_for, clinic_admin, typed, page, status, at_least, payload, escaped):
    staff = typed(payload)
    response = page(client_for(clinic_admin), staff, payload)
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert_shown_as_text(body, payload, escaped, at_least=at_least)
