"""Staff see their signed-in sessions and end any of them; an admin ends a colleague's at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from needlechart.audit.models import AuditEvent
from needlechart.clinics import sessions
from needlechart.clinics.models import StaffSession
from tests.conftest import PASSWORD


def _signed_in(user, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_each_sign_in_is_a_session_the_user_sees_and_can_end(practitioner):
    laptop, phone = _signed_in(practitioner, "Laptop browser"), _signed_in(practitioner, "Phone browser")
    page = laptop.get(reverse("my_sessions"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Laptop browser" in body and "Phone browser" in body and "this session" in body
    phone_session = StaffSession.objects.get(user=practitioner, user_agent="Phone browser")
    assert laptop.post(reverse("my_sessions"), {"session": [phone_session.pk]}).status_code == 302
    assert phone.get(reverse("today")).status_code == 302  # signed out: to the sign-in page
    assert laptop.get(reverse("today")).status_code == 200
    assert AuditEvent.objects.filter(detail__sessions_ended=1).exists()


def test_signing_out_removes_the_session_from_the_list(practitioner):
    client = _signed_in(practitioner, "Laptop browser")
    client.post(reverse("logout"))
    assert not StaffSession.objects.filter(user=practitioner).exists()


def test_an_admin_ends_a_leaving_colleagues_sessions_but_not_another_clinics(practitioner, clinic_admin, other_admin, second_practitioner):
    colleague = _signed_in(practitioner, "Laptop browser")
    admin = _signed_in(clinic_admin, "Admin browser")
    assert admin.post(reverse("staff_sessions_end", args=[practitioner.pk])).status_code == 302
    assert colleague.get(reverse("today")).status_code == 302
    with pytest.raises(PermissionDenied):
        sessions.end_sessions(actor=other_admin, staff=clinic_admin)
    with pytest.raises(PermissionDenied):
        sessions.end_sessions(actor=second_practitioner, staff=clinic_admin)
    outsider = _signed_in(other_admin, "Other browser")
    assert outsider.post(reverse("staff_sessions_end", args=[clinic_admin.pk])).status_code == 404
    assert admin.get(reverse("today")).status_code == 200


def test_a_bad_choice_is_a_400(practitioner):
    client = _signed_in(practitioner, "Laptop browser")
    assert client.post(reverse("my_sessions"), {"session": ["not-a-number"]}).status_code == 400
