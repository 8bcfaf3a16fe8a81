# ruff: noqa: F811 - the booking fixtures are imported from test_booking
"""The staff's side of online booking: "New online patients" (confirm as new or merge into the
patient on file, audited), the booking settings page (validated, audited), who may open each
(the authorization matrix of these routes), and the online booking account, which is no person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.clinics import selectors as clinic_selectors
from needlechart.clinics.forms import StaffForm
from needlechart.patients import services as patients
from needlechart.patients.models import Patient
from needlechart.public import booking, selectors
from needlechart.public.booking_models import OnlineBooking
from needlechart.scheduling.models import Appointment, CalendarSettings
from needlechart.screening.models import IntakeLink
from tests.public.test_booking import _booked, _empty_cache, open_week, profile, types  # noqa: F401


@pytest.fixture
def on_file(front_desk):
    return patients.patient_create(
        actor=front_desk,
        data={"given_name": "Ingrid", "family_name": "Filed", "birth_date": dt.date(1985, 4, 12), "phone": "912 34 567"},
    )


@pytest.fixture
def online(client, profile, types, open_week, practitioner):
    _booked(client, profile, types["needling"], practitioner)
    return OnlineBooking.objects.select_related("patient", "appointment").get()


def test_the_list_shows_each_new_record_with_the_patients_it_may_be(client_for, front_desk, online, on_file, patient):
    page = client_for(front_desk).get(reverse("online_patients"))
    html = page.content.decode()
    assert page.status_code == 200 and "Ingrid Online" in html
    assert f'value="{on_file.pk}"' in html and f'value="{patient.pk}"' not in html  # same birth date and phone only
    viewed = set(AuditEvent.objects.filter(actor_id=front_desk.pk, action="view").values_list("patient_id", flat=True))
    assert {online.patient_id, on_file.pk} <= viewed


def test_confirming_as_new_takes_the_record_off_the_list(client_for, front_desk, online):
    desk = client_for(front_desk)
    assert desk.post(reverse("online_patient_confirm", args=[online.pk])).status_code == 302
    online.refresh_from_db()
    assert online.patient_confirmed and online.confirmed_by == front_desk
    assert AuditEvent.objects.filter(actor_id=front_desk.pk, action="update", patient_id=online.patient_id).exists()
    assert "No new online patients to check." in desk.get(reverse("online_patients")).content.decode()
    assert desk.post(reverse("online_patient_confirm", args=[online.pk])).status_code == 404  # done already


def test_merging_moves_the_booking_and_intake_to_the_record_on_file(client_for, front_desk, online, on_file):
    new_id = online.patient_id
    desk = client_for(front_desk)
    assert desk.post(reverse("online_patient_merge", args=[online.pk]), {"into": str(on_file.pk)}).status_code == 302
    online.refresh_from_db()
    assert (online.patient, online.patient_confirmed) == (on_file, True)
    assert Appointment.objects.get().patient == on_file
    assert IntakeLink.objects.get().patient == on_file
    assert not Patient.objects.filter(pk=new_id).exists()
    merged = AuditEvent.objects.filter(actor_id=front_desk.pk, action="update")
    assert merged.filter(patient_id=on_file.pk).exists() and merged.filter(patient_id=new_id).exists()


def test_a_merge_is_refused_for_bad_input_another_clinic_and_a_record_in_use(client_for, front_desk, online, on_file, other_admin):
    desk = client_for(front_desk)
    url = reverse("online_patient_merge", args=[online.pk])
    assert desk.post(url, {"into": "nonsense"}).status_code == 400
    assert desk.post(url, {"into": str(online.patient_id)}).status_code == 400
    stranger = patients.patient_create(
        actor=other_admin,
        data={"given_name": "Far", "family_name": "Away", "birth_date": dt.date(1985, 4, 12)},
    )
    assert desk.post(url, {"into": str(stranger.pk)}).status_code == 404
    patients.episode_create(actor=front_desk, patient=online.patient, complaint="Neck", condition="neck", started_on=timezone.localdate())
    Appointment.objects.filter(pk=online.appointment_id).update(episode=online.patient.episodes.get())
    refused = desk.post(url, {"into": str(on_file.pk)})
    assert refused.status_code == 400 and "already in use" in refused.content.decode()
    assert Patient.objects.filter(pk=online.patient_id).exists() and Appointment.objects.get().patient_id == online.patient_id


def test_the_settings_page_saves_validates_and_audits(client_for, clinic_admin, profile, types):
    admin = client_for(clinic_admin)
    assert admin.get(reverse("online_booking_settings")).status_code == 200
    values = {
        "booking_hold_minutes": "15",
        "cancellation_limit_hours": "48",
        "minimum_notice_minutes": "60",
        "horizon_days": "30",
        "assessment_type": str(types["assessment"].pk),
    }
    assert admin.post(reverse("online_booking_settings"), values).status_code == 302
    profile.refresh_from_db()
    calendar = CalendarSettings.objects.get(clinic_id=profile.clinic_id)
    assert (profile.booking_hold_minutes, profile.cancellation_limit_hours, profile.assessment_type) == (15, 48, types["assessment"])
    assert (calendar.minimum_notice_minutes, calendar.horizon_days) == (60, 30)
    event = AuditEvent.objects.filter(actor_id=clinic_admin.pk, object_type="public_pages").latest("at")
    assert set(event.detail["booking_settings"]) == {*values}
    for bad in (
        {"booking_hold_minutes": "1"},
        {"horizon_days": "0"},
        {"assessment_type": str(types["needling"].pk)},
        {"cancellation_limit_hours": "x"},
    ):
        refused = admin.post(reverse("online_booking_settings"), values | bad)
        assert refused.status_code == 400
    profile.refresh_from_db()
    assert profile.booking_hold_minutes == 15


def test_settings_wait_for_the_public_pages(client_for, clinic_admin):
    response = client_for(clinic_admin).get(reverse("online_booking_settings"))
    assert response.status_code == 302 and response["Location"] == reverse("public_admin")


ROUTES = [
    ("get", "online_patients", False, ("front_desk", "practitioner", "clinic_admin")),
    ("post", "online_patient_confirm", True, ("front_desk", "practitioner", "clinic_admin")),
    ("post", "online_patient_merge", True, ("front_desk", "practitioner", "clinic_admin")),
    ("get", "online_booking_settings", False, ("clinic_admin",)),
]


@pytest.mark.parametrize(("method", "name", "per_booking", "permitted"), ROUTES)
def test_the_authorization_matrix(method, name, per_booking, permitted, online, front_desk, practitioner, clinic_admin, other_admin):
    url = reverse(name, args=[online.pk]) if per_booking else reverse(name)
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    for user in (front_desk, practitioner, clinic_admin):
        client = Client()
        client.force_login(user)
        status = getattr(client, method)(url).status_code
        # A role that may not is refused (403); one that may gets through (a merge without a patient chosen: 400).
        assert status < 500 and (status == 403) == (user.role not in permitted), (name, user.role, status)
    stranger = Client()
    stranger.force_login(other_admin)
    expected = 404 if per_booking else 200 if name == "online_patients" else 302
    assert getattr(stranger, method)(url).status_code == expected  # another clinic's booking is missing
    if name == "online_patients":
        assert "Ingrid Online" not in stranger.get(url).content.decode()


def test_the_online_booking_account_is_no_person(client, client_for, clinic_admin, online, profile):
    account = booking.booking_actor(profile.clinic_id)
    assert account.pk not in {u.pk for u in clinic_selectors.staff_for_clinic(user=clinic_admin)}
    assert account.pk not in {u.pk for u in clinic_selectors.staff_accounts_for_clinic(user=clinic_admin)}
    assert account.pk not in {p.staff_id for p in selectors.directory(profile.clinic_id, on=timezone.localdate())}
    assert account.username not in client_for(clinic_admin).get(reverse("staff_list")).content.decode()
    assert not account.has_usable_password()  # no one signs in as it
    form = StaffForm(data={"username": f"online-booking-{profile.clinic_id}x"})
    assert not form.is_valid() and "username" in form.errors
