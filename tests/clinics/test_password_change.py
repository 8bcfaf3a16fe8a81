"""Staff change their own password: the session they change it in stays, every other one ends."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.clinics.models import StaffSession
from tests.conftest import PASSWORD

NEW = "another-long-password-91"


def _signed_in(user, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_changing_the_password_keeps_this_session_and_ends_every_other(practitioner):
    laptop, phone = _signed_in(practitioner, "Laptop browser"), _signed_in(practitioner, "Phone browser")
    sessions_page = laptop.get(reverse("my_sessions"))
    assert reverse("password_change").encode() in sessions_page.content  # linked from the sessions page
    assert laptop.get(reverse("password_change")).status_code == 200
    changed = laptop.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert changed.status_code == 302
    assert laptop.get(reverse("today")).status_code == 200
    assert phone.get(reverse("today")).status_code == 302  # signed out
    left = StaffSession.objects.get(user=practitioner)
    assert left.user_agent == "Laptop browser" and left.session_key == laptop.session.session_key  # the record follows the new key
    listed = laptop.get(reverse("my_sessions")).content.decode()
    assert "this session" in listed and "Phone browser" not in listed
    row = AuditEvent.objects.filter(object_type=AuditObject.STAFF, detail__account="password_changed").get()
    assert row.actor_id == practitioner.pk and row.detail["sessions_ended"] == 1
    practitioner.refresh_from_db()
    assert practitioner.check_password(NEW)


def test_a_wrong_old_password_or_a_weak_new_one_is_refused_with_a_message(practitioner):
    client = _signed_in(practitioner, "Laptop browser")
    wrong = client.post(reverse("password_change"), {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 400 and b"incorrect" in wrong.content
    weak = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400 and b"too short" in weak.content
    practitioner.refresh_from_db()
    assert practitioner.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(detail__account="password_changed").exists()


def test_the_password_page_needs_a_signed_in_staff_member(client):
    assert client.get(reverse("password_change")).status_code == 302
