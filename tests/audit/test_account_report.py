"""The audit report lists the staff accounts created or changed in its period: who, what changed
(before and after), by whom; and flags a first read by an account no second admin approved."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from needlechart.clinics import accounts, services
from needlechart.core.access import Role
from tests.conftest import PASSWORD, make_staff


def _report(client, day: dt.date) -> str:
    page = client.get(reverse("audit_report"), {"start": day.isoformat(), "end": day.isoformat()})
    assert page.status_code == 200
    return page.content.decode()


def test_the_report_lists_accounts_created_and_changed_with_before_after_and_by_whom(client_for, clinic, clinic_admin, front_desk):
    second = make_staff(clinic, "secondadmin", Role.CLINIC_ADMIN)
    new = services.staff_create(
        actor=clinic_admin, clinic=clinic, username="nyansatt", password=PASSWORD, role=Role.PRACTITIONER, first_name="Nina", last_name="Ny"
    )
    accounts.approve(actor=second, staff=new)
    accounts.role_change(actor=clinic_admin, staff=front_desk, role=Role.CLINIC_ADMIN)
    accounts.active_set(actor=second, staff=new, active=False)
    body = _report(client_for(clinic_admin), timezone.localdate())
    section = body[body.index('data-testid="account-changes"') :]
    section = section[: section.index("</section>")]
    for expected in [
        "Nina Ny (nyansatt)",
        "account created",
        "Role: — → Practitioner",
        "Approval: — → Waiting for approval by another clinic admin",
        "approved by a second admin",
        "Approval: Waiting for approval by another clinic admin → Approved",
        "role changed",
        "Role: Front desk → Clinic admin",
        "deactivated",
        "Active: yes → no",
        "Clinicadmin Tester (clinicadmin)",
        "Secondadmin Tester (secondadmin)",
    ]:
        assert expected in section, expected


def test_the_list_keeps_to_the_period_and_to_the_clinic(client_for, clinic_admin, front_desk, other_admin, other_clinic):
    accounts.role_change(actor=clinic_admin, staff=front_desk, role=Role.CLINIC_ADMIN)
    make_staff(other_clinic, "elsewhere", Role.FRONT_DESK)
    yesterday = _report(client_for(clinic_admin), timezone.localdate() - dt.timedelta(days=1))
    assert "No account was created or changed in this period." in yesterday
    theirs = _report(client_for(other_admin), timezone.localdate())
    assert "Frontdesk Tester" not in theirs and "Elsewhere Tester (elsewhere)" in theirs
