"""Practitioner credentials: the needling-certification service and evidence uploads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from needlechart.clinics import services
from needlechart.clinics.models import Certification, User
from needlechart.clinics.selectors import needling_authorisation
from tests.conftest import make_staff

TODAY = dt.date(2026, 6, 1)


def _cert(user, completed, expires):
    return services.certification_add(
        actor=user,
        profile=user.practitioner_profile,
        kind="dry_needling",
        course="DN 1",
        issuer="Academy",
        completed_on=completed,
        expires_on=expires,
    )


def test_a_practitioner_with_a_current_certification_is_certified(second_practitioner):
    _cert(second_practitioner, TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=10))
    answer = needling_authorisation(practitioner=second_practitioner, on=TODAY)
    assert answer.certified and answer.certification.course == "DN 1"


@pytest.mark.parametrize(
    "completed, expires, fragment",
    [
        (TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=1), "expired"),
        (TODAY + dt.timedelta(days=5), None, "starts later"),
    ],
)
def test_expired_or_future_certifications_do_not_count(second_practitioner, completed, expires, fragment):
    _cert(second_practitioner, completed, expires)
    answer = needling_authorisation(practitioner=second_practitioner, on=TODAY)
    assert not answer.certified and fragment in answer.reason


def test_the_expiry_day_itself_still_counts_and_no_expiry_means_valid(second_practitioner):
    _cert(second_practitioner, TODAY - dt.timedelta(days=10), TODAY)
    assert needling_authorisation(practitioner=second_practitioner, on=TODAY).certified
    assert not needling_authorisation(practitioner=second_practitioner, on=TODAY + dt.timedelta(days=1)).certified


def test_without_any_certification_or_outside_the_practitioner_role_nobody_is_certified(second_practitioner, front_desk):
    assert "No needling certification" in needling_authorisation(practitioner=second_practitioner, on=TODAY).reason
    assert not needling_authorisation(practitioner=front_desk, on=TODAY).certified


def test_a_valid_certification_wins_over_an_expired_one(second_practitioner):
    _cert(second_practitioner, TODAY - dt.timedelta(days=800), TODAY - dt.timedelta(days=400))
    _cert(second_practitioner, TODAY - dt.timedelta(days=100), None)
    assert needling_authorisation(practitioner=second_practitioner, on=TODAY).certified


def _form(**extra):
    return {
        "kind": "ims",
        "course": "Gunn IMS",
        "issuer": "iSTOP",
        "completed_on": "2025-01-10",
        "expires_on": "2027-01-10",
        "jurisdiction": "BC roster",
        **extra,
    }


def test_a_pdf_evidence_upload_is_stored_and_downloadable_by_admin_only(client_for, clinic_admin, practitioner, second_practitioner):
    client = client_for(clinic_admin)
    upload = SimpleUploadedFile("My Certificate.pdf", b"%PDF-1.7\nevidence", content_type="application/pdf")
    response = client.post(reverse("certification_add", args=[practitioner.pk]), _form(evidence=upload))
    assert response.status_code == 302
    cert = Certification.objects.get(course="Gunn IMS")
    assert "My Certificate" not in cert.evidence.name and cert.evidence_content_type == "application/pdf"
    download = client.get(reverse("certification_evidence", args=[cert.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.7\nevidence"
    assert client_for(second_practitioner).get(reverse("certification_evidence", args=[cert.pk])).status_code == 403


def test_oversized_uploads_are_refused_with_the_limit(client_for, clinic_admin, practitioner, settings):
    settings.MAX_EVIDENCE_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048, content_type="application/pdf")
    response = client_for(clinic_admin).post(reverse("certification_add", args=[practitioner.pk]), _form(evidence=upload))
    assert response.status_code == 400
    assert b"the limit is 1.0" in response.content
    assert not Certification.objects.filter(course="Gunn IMS").exists()


def test_files_that_are_not_pdf_or_images_are_refused(client_for, clinic_admin, practitioner):
    upload = SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 executable", content_type="application/pdf")
    response = client_for(clinic_admin).post(reverse("certification_add", args=[practitioner.pk]), _form(evidence=upload))
    assert response.status_code == 400 and b"Upload a PDF, PNG or JPEG file" in response.content


def test_expiry_before_completion_is_refused(client_for, practitioner):
    response = client_for(practitioner).post(reverse("certification_add", args=[practitioner.pk]), _form(expires_on="2024-01-01"))
    assert response.status_code == 400 and b"cannot be before the completion date" in response.content


def test_the_staff_list_shows_who_may_needle_today(client_for, clinic_admin, practitioner, clinic):
    expired = make_staff(clinic, "expired", "practitioner", discipline="physiotherapist")
    today = timezone.localdate()
    _cert(expired, today - dt.timedelta(days=900), today - dt.timedelta(days=3))
    body = client_for(clinic_admin).get(reverse("staff_list")).content.decode()
    assert body.count("badge ok") == 1 and body.count("badge danger") == 1 and "expired on" in body


def test_a_clinic_admin_adds_a_practitioner_with_an_hpr_number(client_for, clinic_admin):
    data = {
        "username": "nyansatt",
        "first_name": "Nina",
        "last_name": "Ny",
        "role": "practitioner",
        "discipline": "physiotherapist",
        "hpr_number": "1234567",
        "password": "a-long-first-password-42",
    }
    response = client_for(clinic_admin).post(reverse("staff_create"), data)
    assert response.status_code == 302
    member = User.objects.get(username="nyansatt")
    assert member.clinic_id == clinic_admin.clinic_id and member.practitioner_profile.registrations.get().value == "1234567"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"username": "practitioner"}, b"That username is taken"),
        ({"discipline": ""}, b"Choose the practitioner&#39;s discipline"),
        ({"hpr_number": "12ab"}, b"An HPR number has 4 to 9 digits"),
        ({"password": "short"}, b"at least 10 characters"),
        ({"password": "password1234"}, b"too common"),
        ({"role": "superuser"}, b"Select a valid choice"),
    ],
)
def test_bad_staff_input_gets_400_with_a_message(client_for, clinic_admin, practitioner, changes, message):
    data = {
        "username": "nyansatt",
        "first_name": "Nina",
        "last_name": "Ny",
        "role": "practitioner",
        "discipline": "physiotherapist",
        "hpr_number": "",
        "password": "a-long-first-password-42",
        **changes,
    }
    response = client_for(clinic_admin).post(reverse("staff_create"), data)
    assert response.status_code == 400 and message in response.content
    assert not User.objects.filter(username="nyansatt").exists()
