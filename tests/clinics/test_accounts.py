"""Separation of duties: a clinical role one admin gives waits for a second admin; no one gives a
right they do not hold; every change to an account is audited with its values before and after."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.clinics import accounts, services
from needlechart.clinics.models import StaffSession, User
from needlechart.core.access import ROLE_CAPABILITIES, Approval, Capability, Refusal, Role
from tests.conftest import PASSWORD, make_staff

WAITING = b"waiting for approval by another clinic admin"
NEW_PRACTITIONER = {
    "username": "nyansatt",
    "first_name": "Nina",
    "last_name": "Ny",
    "role": "practitioner",
    "discipline": "physiotherapist",
    "hpr_number": "",
    "password": "a-long-first-password-42",
}


@pytest.fixture
def second_admin(clinic):
    return make_staff(clinic, "secondadmin", Role.CLINIC_ADMIN)


def _signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": password}).status_code == 302
    return client


def _account_rows(staff: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=AuditObject.STAFF, object_id=str(staff.pk), detail__has_key="account").order_by("id"))


def _created_by_admin(client_for, admin) -> User:
    assert client_for(admin).post(reverse("staff_create"), NEW_PRACTITIONER).status_code == 302
    return User.objects.get(username="nyansatt")


def test_a_practitioner_one_admin_creates_opens_no_record_until_a_second_admin_approves(client_for, clinic_admin, second_admin, patient):
    new = _created_by_admin(client_for, clinic_admin)
    assert new.approval == Approval.PENDING and new.granted_by == clinic_admin
    practitioner = _signed_in("nyansatt", NEW_PRACTITIONER["password"])
    chart = practitioner.get(reverse("patient_chart", args=[patient.pk]))
    assert chart.status_code == 403 and WAITING in chart.content
    assert practitioner.get(reverse("today")).status_code == 403
    assert practitioner.get(reverse("patient_list")).status_code == 403
    assert practitioner.get(reverse("staff_detail", args=[new.pk])).status_code == 200  # their own account, and its password
    assert practitioner.get(reverse("password_change")).status_code == 200

    listed = client_for(second_admin).get(reverse("staff_approvals"))
    assert listed.status_code == 200 and b"Nina Ny" in listed.content
    assert client_for(second_admin).post(reverse("staff_approve", args=[new.pk])).status_code == 302
    new.refresh_from_db()
    assert new.approval == Approval.APPROVED and new.approved_by == second_admin and new.approved_at is not None
    assert practitioner.get(reverse("patient_chart", args=[patient.pk])).status_code == 200
    approved = _account_rows(new)[-1]
    assert approved.actor_id == second_admin.pk
    assert approved.detail["account"] == "approved" and approved.detail["changes"] == {"approval": ["pending", "approved"]}


def test_the_admin_who_gave_the_role_cannot_approve_it(client_for, clinic_admin, second_admin):
    new = _created_by_admin(client_for, clinic_admin)
    page = client_for(clinic_admin).get(reverse("staff_approvals"))
    assert b"another admin approves it" in page.content and reverse("staff_approve", args=[new.pk]).encode() not in page.content
    refused = client_for(clinic_admin).post(reverse("staff_approve", args=[new.pk]))
    assert refused.status_code == 403 and b"another clinic admin must approve it" in refused.content
    new.refresh_from_db()
    assert new.approval == Approval.PENDING
    with pytest.raises(Refusal):
        accounts.approve(actor=clinic_admin, staff=new)


def test_an_account_that_needs_no_approval_cannot_be_approved_and_others_clinics_are_404(client_for, second_admin, front_desk, other_admin):
    assert client_for(second_admin).post(reverse("staff_approve", args=[front_desk.pk])).status_code == 403
    assert client_for(other_admin).post(reverse("staff_approve", args=[front_desk.pk])).status_code == 404
    assert client_for(front_desk).get(reverse("staff_approvals")).status_code == 403


def test_in_a_one_admin_clinic_the_account_works_and_its_first_read_is_flagged_and_mailed(
    client_for, clinic, clinic_admin, patient, django_capture_on_commit_callbacks
):
    clinic.email = "kontakt@klinikk.example"
    clinic.save()
    new = _created_by_admin(client_for, clinic_admin)
    assert new.approval == Approval.SOLE_ADMIN
    practitioner = _signed_in("nyansatt", NEW_PRACTITIONER["password"])
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        assert practitioner.get(reverse("patient_chart", args=[patient.pk])).status_code == 200
        practitioner.get(reverse("patient_chart", args=[patient.pk]))
    flagged = AuditEvent.objects.get(object_type=AuditObject.UNAPPROVED_READ)
    assert flagged.actor_id == new.pk and flagged.patient_id == patient.pk and flagged.detail == {"granted_by": clinic_admin.pk}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kontakt@klinikk.example"]
    assert "Nina Ny (nyansatt)" in mail.outbox[0].body and "Kari" not in mail.outbox[0].body  # no patient in the e-mail
    assert AuditEvent.objects.filter(object_type=AuditObject.UNAPPROVED_READ).count() == 1  # the second read is not flagged

    report = client_for(clinic_admin).get(reverse("audit_report"))
    assert b"first clinical read by an account no second admin approved" in report.content


def test_without_a_contact_address_the_flag_is_on_the_report_only(client_for, clinic_admin, patient, django_capture_on_commit_callbacks):
    _created_by_admin(client_for, clinic_admin)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        _signed_in("nyansatt", NEW_PRACTITIONER["password"]).get(reverse("patient_chart", args=[patient.pk]))
    assert AuditEvent.objects.filter(object_type=AuditObject.UNAPPROVED_READ).exists() and mail.outbox == []
    assert b"no contact address" in client_for(clinic_admin).get(reverse("staff_list")).content


def test_a_search_that_shows_a_patient_is_a_first_read_too(client_for, clinic_admin, patient, django_capture_on_commit_callbacks):
    new = _created_by_admin(client_for, clinic_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert _signed_in("nyansatt", NEW_PRACTITIONER["password"]).get(reverse("patient_list"), {"q": "nordmann"}).status_code == 200
    flagged = AuditEvent.objects.get(object_type=AuditObject.UNAPPROVED_READ)
    assert flagged.actor_id == new.pk and flagged.patient_id == patient.pk


def test_a_second_admin_added_later_may_still_approve_a_sole_admins_grant(client_for, clinic_admin, clinic):
    new = _created_by_admin(client_for, clinic_admin)
    later = make_staff(clinic, "lateradmin", Role.CLINIC_ADMIN)
    assert b"Nina Ny" in client_for(later).get(reverse("staff_approvals")).content
    accounts.approve(actor=later, staff=new)
    new.refresh_from_db()
    assert new.approval == Approval.APPROVED


def test_no_one_gives_a_right_they_do_not_hold(clinic, clinic_admin, practitioner, front_desk, monkeypatch):
    for actor in (practitioner, front_desk):
        with pytest.raises(Refusal):
            services.staff_create(actor=actor, clinic=clinic, username=f"by{actor.username}", password=PASSWORD, role=Role.FRONT_DESK)
    # An admin holds every right of the front desk and the admin role: those are given directly.
    assert accounts.grant_of(actor=clinic_admin, role=Role.FRONT_DESK) == accounts.Grant.DIRECT
    assert accounts.grant_of(actor=clinic_admin, role=Role.CLINIC_ADMIN) == accounts.Grant.DIRECT
    assert accounts.grant_of(actor=clinic_admin, role=Role.PRACTITIONER) == accounts.Grant.NEEDS_APPROVAL
    # A right that is not clinical and that the giver lacks is refused, with or without a second admin.
    monkeypatch.setitem(ROLE_CAPABILITIES, Role.CLINIC_ADMIN, ROLE_CAPABILITIES[Role.CLINIC_ADMIN] - {Capability.RECORD_INTAKE})
    with pytest.raises(Refusal, match="rights they do not hold"):
        services.staff_create(actor=clinic_admin, clinic=clinic, username="deskclerk", password=PASSWORD, role=Role.FRONT_DESK)
    assert not User.objects.filter(username="deskclerk").exists()


def test_no_one_changes_their_own_account_or_another_clinics(client_for, clinic_admin, other_admin, front_desk):
    refused = client_for(clinic_admin).post(reverse("staff_role", args=[clinic_admin.pk]), {"role": "front_desk"})
    assert refused.status_code == 403 and b"Another clinic admin must change your own account" in refused.content
    assert client_for(clinic_admin).post(reverse("staff_active", args=[clinic_admin.pk]), {"active": "0"}).status_code == 403
    assert client_for(clinic_admin).get(reverse("staff_password", args=[clinic_admin.pk])).status_code == 403
    assert client_for(other_admin).post(reverse("staff_role", args=[front_desk.pk]), {"role": "clinic_admin"}).status_code == 404
    assert client_for(front_desk).post(reverse("staff_role", args=[front_desk.pk]), {"role": "clinic_admin"}).status_code == 403
    clinic_admin.refresh_from_db()
    front_desk.refresh_from_db()
    assert clinic_admin.role == Role.CLINIC_ADMIN and clinic_admin.is_active and front_desk.role == Role.FRONT_DESK


def test_a_role_change_is_audited_with_before_and_after_and_a_clinical_one_waits(client_for, clinic_admin, second_admin, front_desk):
    page = client_for(clinic_admin).get(reverse("staff_detail", args=[front_desk.pk]))
    assert b'data-testid="staff-role"' in page.content
    missing = client_for(clinic_admin).post(reverse("staff_role", args=[front_desk.pk]), {"role": "practitioner"})
    assert missing.status_code == 400 and b"discipline" in missing.content
    changed = client_for(clinic_admin).post(
        reverse("staff_role", args=[front_desk.pk]), {"role": "practitioner", "discipline": "osteopath"}
    )
    assert changed.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.role == Role.PRACTITIONER and front_desk.approval == Approval.PENDING
    assert front_desk.practitioner_profile.discipline == "osteopath"
    row = _account_rows(front_desk)[-1]
    assert row.actor_id == clinic_admin.pk and row.detail["account"] == "role_changed"
    assert row.detail["changes"] == {"role": ["front_desk", "practitioner"], "approval": ["approved", "pending"]}
    created = _account_rows(front_desk)[0]  # made by the system's operator (the fixture)
    assert created.detail == {
        "account": "created",
        "changes": {"role": [None, "front_desk"], "approval": [None, "approved"], "is_active": [None, True]},
    }


def test_demoting_the_only_other_admin_leaves_one_so_their_clinical_grant_works_watched(clinic_admin, second_admin):
    accounts.role_change(actor=clinic_admin, staff=second_admin, role=Role.PRACTITIONER, discipline="physician")
    second_admin.refresh_from_db()
    assert second_admin.approval == Approval.SOLE_ADMIN  # no admin but the giver is left to approve it


def test_making_someone_a_clinic_admin_is_mailed_to_the_contact_address(
    clinic, clinic_admin, front_desk, django_capture_on_commit_callbacks
):
    clinic.email = "kontakt@klinikk.example"
    clinic.save()
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        accounts.role_change(actor=clinic_admin, staff=front_desk, role=Role.CLINIC_ADMIN)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kontakt@klinikk.example"]
    assert "made Frontdesk Tester (frontdesk) a clinic admin" in mail.outbox[0].body


def test_deactivating_a_colleague_ends_their_sessions_and_stops_their_sign_in(client_for, clinic_admin, practitioner):
    colleague = _signed_in(practitioner.username)
    assert client_for(clinic_admin).post(reverse("staff_active", args=[practitioner.pk]), {"active": "0"}).status_code == 302
    practitioner.refresh_from_db()
    assert not practitioner.is_active and not StaffSession.objects.filter(user=practitioner).exists()
    assert colleague.get(reverse("today")).status_code == 302
    assert Client().post(reverse("login"), {"username": practitioner.username, "password": PASSWORD}).status_code == 200
    listed = client_for(clinic_admin).get(reverse("staff_list"))
    assert b"Deactivated" in listed.content  # still listed, to activate again
    assert client_for(clinic_admin).post(reverse("staff_active", args=[practitioner.pk]), {"active": "1"}).status_code == 302
    rows = _account_rows(practitioner)
    assert [r.detail["account"] for r in rows[-2:]] == ["deactivated", "activated"]
    assert rows[-2].detail["changes"] == {"is_active": [True, False]} and rows[-2].detail["sessions_ended"] == 1
    assert client_for(clinic_admin).post(reverse("staff_active", args=[practitioner.pk]), {"active": "maybe"}).status_code == 400


def test_an_admin_setting_a_clinical_colleagues_password_ends_their_sessions_and_needs_approval_again(
    client_for, clinic_admin, second_admin, practitioner, patient
):
    colleague = _signed_in(practitioner.username)
    form = {"new_password1": "a-brand-new-password-7", "new_password2": "a-brand-new-password-7"}
    assert client_for(clinic_admin).get(reverse("staff_password", args=[practitioner.pk])).status_code == 200
    assert (
        client_for(clinic_admin).post(reverse("staff_password", args=[practitioner.pk]), {**form, "new_password2": "x"}).status_code == 400
    )
    assert client_for(clinic_admin).post(reverse("staff_password", args=[practitioner.pk]), form).status_code == 302
    assert colleague.get(reverse("today")).status_code == 302  # signed out
    practitioner.refresh_from_db()
    assert practitioner.check_password("a-brand-new-password-7") and practitioner.approval == Approval.PENDING
    again = _signed_in(practitioner.username, "a-brand-new-password-7")
    assert again.get(reverse("patient_chart", args=[patient.pk])).status_code == 403
    row = _account_rows(practitioner)[-1]
    assert row.detail["account"] == "password_set" and row.detail["sessions_ended"] == 1
    assert row.detail["changes"] == {"approval": ["approved", "pending"]} and "password" not in str(row.detail.get("changes"))
    accounts.approve(actor=second_admin, staff=practitioner)
    assert again.get(reverse("patient_chart", args=[patient.pk])).status_code == 200


def test_an_admin_setting_a_front_desk_password_needs_no_approval(clinic_admin, second_admin, front_desk):
    accounts.password_set(actor=clinic_admin, staff=front_desk, password="a-brand-new-password-7")
    front_desk.refresh_from_db()
    assert front_desk.approval == Approval.APPROVED


def test_the_demo_practitioners_are_approved(db):
    from needlechart.web.demo import build_demo

    build_demo(patient_count=1)
    assert set(User.objects.filter(role=Role.PRACTITIONER).values_list("approval", flat=True)) == {Approval.APPROVED}
    assert _signed_in("ingrid", "needlechart-demo").get(reverse("today")).status_code == 200
