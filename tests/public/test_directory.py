"""The practitioners directory: who a patient finds there, and whether their needling certification
is valid today, as clinics.selectors.needling_authorisation decides it for the signing gate too."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from needlechart.clinics import accounts
from needlechart.clinics import services as clinics
from needlechart.clinics.models import CertificationKind, User
from needlechart.core.access import Approval, Role
from needlechart.public import selectors
from tests.conftest import PASSWORD, make_staff
from tests.public.conftest import page_url
from tests.public.markup import read


def _certify(user, *, kind, completed, expires):
    clinics.certification_add(
        actor=user,
        profile=user.practitioner_profile,
        kind=kind,
        course="Course",
        issuer="Issuer",
        completed_on=completed,
        expires_on=expires,
    )


def _entries(client, language="en"):
    """Each practitioner's entry on the page: its heading and the text up to the next one."""
    body = client.get(page_url("practitioners", language)).content.decode()
    parts = body.split('<ul class="directory">', 1)[1].split("</ul>", 1)[0].split("<h2>")[1:]
    return {part.split("</h2>", 1)[0]: " ".join(part.split()) for part in parts}


def test_a_valid_certification_shows_until_when_and_an_expired_one_shows_not_valid(client, public_profile, practitioner, clinic):
    today = timezone.localdate()
    lapsed = make_staff(clinic, "lapsed", Role.PRACTITIONER, discipline="chiropractor")
    _certify(lapsed, kind=CertificationKind.DRY_NEEDLING, completed=today - dt.timedelta(days=800), expires=today - dt.timedelta(days=1))
    open_ended = make_staff(clinic, "forever", Role.PRACTITIONER, discipline="physician")
    _certify(open_ended, kind=CertificationKind.DRY_NEEDLING, completed=today - dt.timedelta(days=10), expires=None)
    make_staff(clinic, "uncertified", Role.PRACTITIONER, discipline="osteopath")
    until = practitioner.practitioner_profile.certifications.get().expires_on

    entries = _entries(client)
    assert f"Certified for IMS until {until.day} {until:%b %Y}" in entries["Practitioner Tester"]
    assert "Physiotherapist" in entries["Practitioner Tester"]
    assert "Needling certification not valid" in entries["Lapsed Tester"] and "Certified" not in entries["Lapsed Tester"]
    assert "Chiropractor" in entries["Lapsed Tester"]
    assert "Certified for dry needling, with no end date" in entries["Forever Tester"]
    assert "No needling certification on record" in entries["Uncertified Tester"]

    norwegian = _entries(client, "nb")
    assert f"Sertifisert for IMS til {until.day}." in norwegian["Practitioner Tester"]
    assert "Fysioterapeut" in norwegian["Practitioner Tester"]
    assert "Sertifiseringen for nålebehandling er ikke gyldig" in norwegian["Lapsed Tester"]


def test_a_certification_that_ends_today_is_still_valid_and_one_that_starts_tomorrow_is_not(client, public_profile, clinic):
    today = timezone.localdate()
    last_day = make_staff(clinic, "lastday", Role.PRACTITIONER, discipline="physiotherapist")
    _certify(last_day, kind=CertificationKind.IMS, completed=today - dt.timedelta(days=300), expires=today)
    early = make_staff(clinic, "early", Role.PRACTITIONER, discipline="physiotherapist")
    _certify(early, kind=CertificationKind.IMS, completed=today + dt.timedelta(days=1), expires=None)
    entries = _entries(client)
    assert "Certified for IMS until" in entries["Lastday Tester"]
    assert "Needling certification not valid" in entries["Early Tester"]


def test_only_active_approved_named_practitioners_are_listed(client, public_profile, practitioner, clinic, clinic_admin, front_desk):
    make_staff(clinic, "secondadmin", Role.CLINIC_ADMIN)
    pending = clinics.staff_create(
        actor=clinic_admin, clinic=clinic, username="pending", password=PASSWORD, role=Role.PRACTITIONER,
        first_name="Pending", last_name="Newcomer", discipline="physiotherapist",
    )  # fmt: skip
    assert pending.approval == Approval.PENDING  # a second admin has yet to approve the clinical role
    gone = make_staff(clinic, "gone", Role.PRACTITIONER, discipline="physiotherapist")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    nameless = make_staff(clinic, "nameless", Role.PRACTITIONER, discipline="physiotherapist")
    User.objects.filter(pk=nameless.pk).update(first_name="", last_name="")

    entries = _entries(client)
    assert list(entries) == ["Practitioner Tester"]
    body = client.get(page_url("practitioners", "en")).content.decode()
    for hidden in ("Pending", "Newcomer", "Gone", "nameless", "Frontdesk", "Clinicadmin", "Secondadmin"):
        assert hidden not in body

    accounts.approve(actor=User.objects.get(username="secondadmin"), staff=User.objects.get(pk=pending.pk))
    assert list(_entries(client)) == ["Pending Newcomer", "Practitioner Tester"]


def test_a_practitioner_of_a_clinic_with_one_admin_is_listed(client, public_profile, clinic, clinic_admin):
    sole = clinics.staff_create(
        actor=clinic_admin, clinic=clinic, username="sole", password=PASSWORD, role=Role.PRACTITIONER,
        first_name="Sole", last_name="Helper", discipline="physiotherapist",
    )  # fmt: skip
    assert sole.approval == Approval.SOLE_ADMIN  # in force at once, watched (clinics.accounts)
    assert "Sole Helper" in _entries(client)


def test_another_clinics_practitioners_never_appear(client, public_profile, practitioner, other_practitioner):
    assert list(_entries(client)) == ["Practitioner Tester"]


def test_the_directory_is_read_in_two_queries_however_many_practitioners(public_profile, practitioner, clinic):
    today = timezone.localdate()
    for index in range(6):
        member = make_staff(clinic, f"many{index}", Role.PRACTITIONER, discipline="physiotherapist")
        _certify(member, kind=CertificationKind.IMS, completed=today - dt.timedelta(days=5), expires=None)
    with CaptureQueriesContext(connection) as queries:
        listed = selectors.directory(clinic.pk, on=today)
    assert len(listed) == 7 and len(queries) == 2


def test_the_home_page_names_the_practitioners_only_in_its_structured_data(client, public_profile, practitioner):
    html = read(client.get(page_url("home", "en")))
    (data,) = html.structured_data()
    assert [person["name"] for person in data["employee"]] == ["Practitioner Tester"]
