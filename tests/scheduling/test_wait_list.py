"""The wait list: which entries fit a free time (each rule excludes an entry that does not fit;
urgent first, then the longest waiting), booking from an entry (the appointment and the entry's
status together, or neither), the pages and who may use them, their audit rows, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from needlechart.audit.models import AuditEvent
from needlechart.patients import services as patients
from needlechart.scheduling import services
from needlechart.scheduling import wait_list as service
from needlechart.scheduling.models import Appointment, AppointmentStatus
from needlechart.scheduling.wait_list_models import WaitListEntry, WaitListStatus, part_of_day
from tests.scheduling.conftest import next_weekday, oslo


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def other_patient(front_desk):
    return patients.patient_create(
        actor=front_desk, data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1970, 1, 2), "phone": "+47 91111111"}
    )


def _add(actor, patient, kinds, **data):
    return service.entry_add(actor=actor, patient=patient, data={"appointment_types": kinds, **data})


def _free(practitioner, start, *kinds):
    return service.FreeTime(practitioner_id=practitioner.pk, start=start, type_ids=frozenset(k.pk for k in kinds))


def _age(entry, days):
    """Make ``entry`` as if it had waited ``days`` days."""
    WaitListEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - dt.timedelta(days=days))


# --- matching --------------------------------------------------------------------------------


def test_part_of_day_bounds():
    assert [part_of_day(dt.time(h, m)) for h, m in ((7, 0), (10, 59), (11, 0), (12, 59), (13, 0), (15, 59), (16, 0), (20, 0))] == [
        "morning",
        "morning",
        "midday",
        "midday",
        "afternoon",
        "afternoon",
        "evening",
        "evening",
    ]


def test_each_rule_leaves_out_an_entry_that_does_not_fit(
    front_desk, patient, practitioner, second_practitioner, follow_up, assessment, monday
):
    start = oslo(monday, 9)
    fits = _add(front_desk, patient, [follow_up])
    fits_named = _add(front_desk, patient, [follow_up, assessment], practitioners=[practitioner], parts_of_day=["morning"], weekdays=[0])
    fits_window = _add(front_desk, patient, [follow_up], earliest_date=monday, latest_date=monday)
    misfits = {
        "other practitioner": _add(front_desk, patient, [follow_up], practitioners=[second_practitioner]),
        "type not free": _add(front_desk, patient, [assessment]),
        "afternoon only": _add(front_desk, patient, [follow_up], parts_of_day=["afternoon", "evening"]),
        "tuesdays only": _add(front_desk, patient, [follow_up], weekdays=[1]),
        "not before the next day": _add(front_desk, patient, [follow_up], earliest_date=monday + dt.timedelta(days=1)),
        "not after the day before": _add(front_desk, patient, [follow_up], latest_date=monday - dt.timedelta(days=1)),
        "removed": _add(front_desk, patient, [follow_up]),
    }
    service.entry_remove(actor=front_desk, entry=misfits["removed"], reason="Found a time elsewhere")
    found = service.match(user=front_desk, free=_free(practitioner, start, follow_up))
    assert {entry.pk for entry, _kinds in found} == {fits.pk, fits_named.pk, fits_window.pk}
    # the types offered are the entry's types that are free then
    assert {entry.pk: kinds for entry, kinds in found}[fits_named.pk] == [follow_up]
    # and each misfit fits when its own rule is met
    assert misfits["type not free"].pk in {e.pk for e, _k in service.match(user=front_desk, free=_free(practitioner, start, assessment))}
    afternoon = service.match(user=front_desk, free=_free(practitioner, oslo(monday, 14), follow_up))
    assert misfits["afternoon only"].pk in {e.pk for e, _k in afternoon}
    colleague = service.match(user=front_desk, free=_free(second_practitioner, start, follow_up))
    assert misfits["other practitioner"].pk in {e.pk for e, _k in colleague} and fits_named.pk not in {e.pk for e, _k in colleague}


def test_urgent_come_first_then_the_longest_waiting(front_desk, patient, other_patient, practitioner, follow_up, monday):
    old = _add(front_desk, patient, [follow_up])
    older = _add(front_desk, other_patient, [follow_up])
    urgent_new = _add(front_desk, patient, [follow_up], urgent=True)
    urgent_old = _add(front_desk, other_patient, [follow_up], urgent=True)
    _age(old, 10)
    _age(older, 20)
    _age(urgent_old, 2)
    found = service.match(user=front_desk, free=_free(practitioner, oslo(monday, 9), follow_up))
    assert [entry.pk for entry, _kinds in found] == [urgent_old.pk, urgent_new.pk, older.pk, old.pk]
    listed = service.wait_list_for_user(user=front_desk)
    assert [entry.pk for entry in listed] == [urgent_old.pk, urgent_new.pk, older.pk, old.pk]


def test_the_fits_page_offers_only_types_whose_length_fits_the_free_time(
    client_for, front_desk, patient, other_patient, practitioner, follow_up, assessment, week, monday
):
    short = _add(front_desk, patient, [follow_up])
    long = _add(front_desk, other_patient, [assessment])
    # 10:45: a follow-up (30 min and 10 kept free) ends by 11:30, an assessment (60 min) does not
    response = client_for(front_desk).get(
        reverse("wait_list_fits"), {"practitioner": practitioner.pk, "starts_at": oslo(monday, 10, 45).strftime("%Y-%m-%dT%H:%M")}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nordmann" in page and "Hansen" not in page
    assert f'action="{reverse("wait_list_book", args=[short.pk])}"' in page
    assert f'action="{reverse("wait_list_book", args=[long.pk])}"' not in page
    at_nine = client_for(front_desk).get(
        reverse("wait_list_fits"), {"practitioner": practitioner.pk, "starts_at": oslo(monday, 9).strftime("%Y-%m-%dT%H:%M")}
    )
    assert "Hansen" in at_nine.content.decode()


def test_an_entry_fits_no_time_the_practitioner_does_not_work(client_for, front_desk, patient, practitioner, follow_up, week, monday):
    _add(front_desk, patient, [follow_up])
    response = client_for(front_desk).get(
        reverse("wait_list_fits"), {"practitioner": practitioner.pk, "starts_at": oslo(monday, 11, 40).strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 200 and "Nordmann" not in response.content.decode()
    assert "The time is not free for any appointment type." in response.content.decode()


# --- booking from an entry --------------------------------------------------------------------


def test_booking_from_an_entry_books_and_marks_it_booked(client_for, front_desk, patient, practitioner, follow_up, week, rooms, monday):
    entry = _add(front_desk, patient, [follow_up], urgent=True)
    data = {
        "practitioner": practitioner.pk,
        "appointment_type": follow_up.pk,
        "room": rooms[0].pk,
        "starts_at": oslo(monday, 9).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client_for(front_desk).post(reverse("wait_list_book", args=[entry.pk]), data)
    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.starts_at == oslo(monday, 9) and appointment.room == rooms[0] and appointment.status == AppointmentStatus.BOOKED
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.BOOKED and entry.appointment_id == appointment.pk
    assert entry.status_changed_by == front_desk and entry.status_changed_at is not None
    again = client_for(front_desk).post(
        reverse("wait_list_book", args=[entry.pk]), data | {"starts_at": oslo(monday, 13).strftime("%Y-%m-%dT%H:%M")}
    )
    assert again.status_code == 400 and "no longer waiting" in again.content.decode()
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_refused_booking_leaves_the_entry_waiting(front_desk, patient, other_patient, practitioner, follow_up, assessment, week, monday):
    services.appointment_book(
        actor=front_desk, patient=other_patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9)
    )
    entry = _add(front_desk, patient, [follow_up])
    with pytest.raises(services.BookingConflict):
        service.entry_book(actor=front_desk, entry=entry, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9))
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.ACTIVE and entry.appointment_id is None
    with pytest.raises(ValidationError, match="not waiting for this appointment type"):
        service.entry_book(
            actor=front_desk, entry=entry, practitioner=practitioner, appointment_type=assessment, starts_at=oslo(monday, 13)
        )
    assert not Appointment.objects.filter(patient=patient).exists()


def test_the_practitioner_named_is_kept_when_booking(
    front_desk, patient, practitioner, second_practitioner, colleague_week, follow_up, monday
):
    entry = _add(front_desk, patient, [follow_up], practitioners=[practitioner])
    with pytest.raises(ValidationError, match="not waiting for this practitioner"):
        service.entry_book(
            actor=front_desk, entry=entry, practitioner=second_practitioner, appointment_type=follow_up, starts_at=oslo(monday, 10)
        )


def test_a_cancelled_appointment_shows_who_fits_its_time(
    client_for, front_desk, patient, other_patient, practitioner, follow_up, week, monday
):
    booked = services.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9)
    )
    entry = _add(front_desk, other_patient, [follow_up])
    client = client_for(front_desk)
    still = client.get(reverse("wait_list_fits_appointment", args=[booked.pk]))
    assert "still booked" in still.content.decode() and "Hansen" not in still.content.decode()
    client.post(reverse("appointment_cancel", args=[booked.pk]), {"reason": "Ill"})
    panel = client.get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert reverse("wait_list_fits_appointment", args=[booked.pk]) in panel
    page = client.get(reverse("wait_list_fits_appointment", args=[booked.pk])).content.decode()
    assert "Hansen" in page and f'action="{reverse("wait_list_book", args=[entry.pk])}"' in page
    rows = AuditEvent.objects.filter(actor_id=front_desk.pk, detail__page="wait_list_fits")
    shown = {(str(row.patient_id), row.object_type) for row in rows}
    assert shown >= {(str(patient.pk), "appointment"), (str(other_patient.pk), "wait_list_entry")}


# --- the pages, who may use them, their audit rows --------------------------------------------


def test_adding_editing_and_removing_through_the_pages(client_for, front_desk, patient, practitioner, follow_up, assessment):
    client = client_for(front_desk)
    form = client.get(reverse("wait_list_new"), {"patient": patient.pk})
    assert form.status_code == 200 and "Nordmann" in form.content.decode()
    data = {
        "patient": patient.pk,
        "appointment_types": [follow_up.pk],
        "practitioners": [practitioner.pk],
        "parts_of_day": ["morning", "evening"],
        "weekdays": ["0", "3"],
        "urgent": "on",
        "note": "Can come at short notice",
    }
    assert client.post(reverse("wait_list_new"), data).status_code == 302
    entry = WaitListEntry.objects.get(patient=patient)
    assert entry.urgent and entry.parts_of_day == ["morning", "evening"] and entry.weekdays == [0, 3] and entry.created_by == front_desk
    assert [p.pk for p in entry.practitioners.all()] == [practitioner.pk]
    chart = reverse("patient_chart", args=[patient.pk])
    listed = client.get(reverse("wait_list"), {"type": str(assessment.pk)}).content.decode()
    assert chart not in listed
    listed = client.get(reverse("wait_list"), {"type": str(follow_up.pk), "practitioner": practitioner.pk}).content.decode()
    assert chart in listed and "Urgent" in listed and "Morning (before 11:00)" in listed
    edit = data | {"appointment_types": [assessment.pk], "urgent": ""}
    assert client.post(reverse("wait_list_entry", args=[entry.pk]), edit).status_code == 302
    entry.refresh_from_db()
    assert not entry.urgent and [k.pk for k in entry.appointment_types.all()] == [assessment.pk]
    assert client.post(reverse("wait_list_offer", args=[entry.pk]), {"offered": "1"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.OFFERED
    assert client.post(reverse("wait_list_remove", args=[entry.pk]), {"reason": "Booked elsewhere"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.REMOVED and entry.status_reason == "Booked elsewhere" and entry.status_changed_by == front_desk
    assert chart not in client.get(reverse("wait_list")).content.decode()
    assert "Booked elsewhere" in client.get(reverse("wait_list"), {"show": "removed"}).content.decode()
    actions = list(AuditEvent.objects.filter(object_type="wait_list_entry", object_id=str(entry.pk)).values_list("action", flat=True))
    assert actions.count("create") == 1 and actions.count("update") == 3


def test_the_wait_list_page_writes_a_row_per_patient_shown(client_for, practitioner, front_desk, patient, other_patient, follow_up):
    _add(front_desk, patient, [follow_up])
    _add(front_desk, other_patient, [follow_up])
    assert client_for(practitioner).get(reverse("wait_list")).status_code == 200
    rows = list(AuditEvent.objects.filter(actor_id=practitioner.pk, object_type="wait_list_entry"))
    assert sorted(str(row.patient_id) for row in rows if row.patient_id) == sorted([str(patient.pk), str(other_patient.pk)])
    assert all(row.action == "view" and row.detail["page"] == "wait_list" for row in rows)


def test_the_pages_are_for_staff_who_book_and_not_for_anyone_else(
    client, client_for, front_desk, practitioner, patient, follow_up, other_practitioner, other_admin, monday
):
    entry = _add(front_desk, patient, [follow_up])
    booked = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(monday, 9),
        outside_hours=True,
    )
    gets = [
        reverse("wait_list"),
        reverse("wait_list_new"),
        reverse("wait_list_entry", args=[entry.pk]),
        reverse("wait_list_fits_appointment", args=[booked.pk]),
    ]
    posts = [reverse(name, args=[entry.pk]) for name in ("wait_list_entry", "wait_list_remove", "wait_list_offer", "wait_list_book")]
    for url in gets + posts:  # not signed in (a patient has no staff account): sent to sign in
        response = client.get(url) if url in gets else client.post(url, {"reason": "x"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    for user in (front_desk, practitioner):
        for url in gets:
            assert client_for(user).get(url).status_code == 200, (user, url)
    for user in (other_practitioner, other_admin):  # another clinic's entry and appointment are missing
        for url in gets[2:]:
            assert client_for(user).get(url).status_code == 404, (user, url)
        for url in posts:
            assert client_for(user).post(url, {"reason": "x", "offered": "1"}).status_code == 404, (user, url)
        assert "Nordmann" not in client_for(user).get(reverse("wait_list")).content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.ACTIVE


def test_an_account_awaiting_approval_is_refused(client_for, front_desk, patient, follow_up):
    front_desk.approval = "pending"
    front_desk.save()
    assert client_for(front_desk).get(reverse("wait_list")).status_code == 403


def test_another_clinics_patient_cannot_be_put_on_the_list(client_for, other_admin, patient, follow_up):
    assert client_for(other_admin).get(reverse("wait_list_new"), {"patient": patient.pk}).status_code == 404
    with pytest.raises(ValidationError):
        _add(other_admin, patient, [follow_up])


# --- bad input --------------------------------------------------------------------------------


def test_bad_input_is_refused_with_a_message(client_for, front_desk, patient, practitioner, follow_up, monday):
    client = client_for(front_desk)
    no_type = client.post(reverse("wait_list_new"), {"patient": patient.pk})
    assert no_type.status_code == 400 and "Choose at least one appointment type." in no_type.content.decode()
    backwards = client.post(
        reverse("wait_list_new"),
        {"patient": patient.pk, "appointment_types": [follow_up.pk], "earliest_date": "2027-05-02", "latest_date": "2027-05-01"},
    )
    assert backwards.status_code == 400 and "The last day comes after the first." in backwards.content.decode()
    unknown_part = client.post(
        reverse("wait_list_new"), {"patient": patient.pk, "appointment_types": [follow_up.pk], "parts_of_day": ["night"]}
    )
    assert unknown_part.status_code == 400
    huge_id = {"patient": patient.pk, "appointment_types": [follow_up.pk], "practitioners": ["9" * 30]}
    assert client.post(reverse("wait_list_new"), huge_id).status_code == 400  # not an integer overflow in the database
    assert client.post(reverse("wait_list_new"), {"patient": "not-a-uuid", "appointment_types": [follow_up.pk]}).status_code == 400
    assert client.post(reverse("wait_list_new"), {"appointment_types": [follow_up.pk]}).status_code == 400
    assert not WaitListEntry.objects.exists()
    for query in (
        {},
        {"practitioner": practitioner.pk},
        {"practitioner": "x", "starts_at": "2027-01-01T09:00"},
        {"practitioner": practitioner.pk, "starts_at": "2027-02-30T09:00"},
    ):
        response = client.get(reverse("wait_list_fits"), query)
        assert response.status_code == 400 and "Give a practitioner and a time" in response.content.decode(), query
    entry = _add(front_desk, patient, [follow_up])
    no_reason = client.post(reverse("wait_list_remove", args=[entry.pk]), {"reason": "  "})
    assert no_reason.status_code == 400 and "Give a reason" in no_reason.content.decode()
    junk = client.post(
        reverse("wait_list_book", args=[entry.pk]), {"practitioner": practitioner.pk, "appointment_type": follow_up.pk, "starts_at": "soon"}
    )
    assert junk.status_code == 400 and "Give a date and time" in junk.content.decode()
    assert client.post(reverse("wait_list_offer", args=[entry.pk]), {"offered": "maybe"}).status_code == 400
    entry.refresh_from_db()
    assert entry.status == WaitListStatus.ACTIVE


def test_the_pages_in_norwegian(client_for, front_desk, patient, follow_up):
    _add(front_desk, patient, [follow_up], parts_of_day=["morning"])
    front_desk.preferred_language = "nb"
    front_desk.save()
    with translation.override("nb"):
        page = client_for(front_desk).get(reverse("wait_list"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Venteliste" in page and "Formiddag" in page
