"""The calendar pages: what they show, booking from a free time, moving, cancelling, arrival from
the page, the audit rows of the pages with patient data, the queries of the week view, Norwegian,
the clinic's own time zone, and staff's text shown as text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.patients import services as patients
from needlechart.scheduling import configuration, services
from needlechart.scheduling.models import Appointment, AppointmentStatus, CalendarSettings
from tests.escaping import PAYLOADS, assert_shown_as_text
from tests.scheduling.conftest import next_weekday, oslo


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def booked(front_desk, patient, practitioner, follow_up, week, monday, rooms):
    return services.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=follow_up, starts_at=oslo(monday, 9), room=rooms[0]
    )


def _page(client, **params):
    response = client.get(reverse("calendar"), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def test_the_day_of_one_practitioner_shows_appointments_hours_and_free_times_as_links(
    client_for, front_desk, practitioner, booked, follow_up, monday
):
    page = _page(client_for(front_desk), date=monday.isoformat(), practitioner=practitioner.pk, type=follow_up.pk)
    assert "Kari Nordmann" in page and "09:00–09:30" in page and "Room 1" in page
    detail = reverse("appointment_detail", args=[booked.pk])
    assert f'href="{detail}"' in page and f'hx-get="{detail}"' in page
    free = re.findall(r'class="kind-free[^"]*"><a href="([^"]+)"', page)
    starts = [re.search(r"starts_at=([^&]+)", link).group(1) for link in free]
    assert f"{monday}T08%3A00" in starts and f"{monday}T09%3A45" in starts  # the first time on the grid after the buffer
    for taken in ("08%3A30", "09%3A00", "09%3A30", "11%3A00"):  # runs into the appointment, is it, its buffer, the break
        assert f"{monday}T{taken}" not in starts
    assert 'aria-label="Book 08:00 with Practitioner Tester' in page


def test_the_clinics_day_has_a_column_per_practitioner_and_names_who_is_away(
    client_for, front_desk, practitioner, second_practitioner, booked, monday, colleague_week
):
    page = _page(client_for(front_desk), date=monday.isoformat(), practitioner="")
    assert page.count('class="cal-col') == 3  # the hours and two practitioners
    sunday = _page(client_for(front_desk), date=(monday - dt.timedelta(days=1)).isoformat(), practitioner="")
    assert "No practitioner works this day." in sunday and "Not working this day:" in sunday


def test_a_practitioner_starts_with_their_own_week_and_the_clinic_week_lists_by_day(client_for, practitioner, front_desk, booked, monday):
    week = _page(client_for(practitioner), date=monday.isoformat(), view="week")
    assert "Practitioner Tester" in week and week.count('class="cal-col') == 6  # the hours and Monday to Friday
    whole = _page(client_for(practitioner), date=monday.isoformat(), practitioner="")
    next_day = re.search(r'<a href="([^"]+)"[^>]*rel="next"', whole).group(1)
    assert "practitioner=&" in next_day.replace("&amp;", "&")  # the next day of the whole clinic, not of their own
    clinic = _page(client_for(front_desk), date=monday.isoformat(), view="week", practitioner="")
    assert 'class="cal-week"' in clinic and "09:00 Kari Nordmann" in clinic and "free times" in clinic


def test_a_bad_day_is_a_clear_400(client_for, front_desk):
    for day in ("2026-13-45", "0001-01-01", "9999-12-31", "1900-01-02"):
        response = client_for(front_desk).get(reverse("calendar"), {"date": day})
        assert response.status_code == 400 and b"No such day" in response.content


def test_booking_from_a_free_time_books_it_and_returns_to_that_day(client_for, front_desk, patient, practitioner, follow_up, week, monday):
    client = client_for(front_desk)
    form = client.get(
        reverse("booking"),
        {"starts_at": f"{monday}T10:00", "practitioner": practitioner.pk, "appointment_type": follow_up.pk, "q": "Nordmann"},
    )
    html = form.content.decode()
    assert f'value="{monday}T10:00"' in html and f'value="{patient.pk}" checked' in html  # one match: chosen
    data = {
        "patient": patient.pk,
        "appointment_type": follow_up.pk,
        "practitioner": practitioner.pk,
        "starts_at": f"{monday}T10:00",
        "weeks": "1",
        "reason": "Shoulder",
    }
    response = client.post(reverse("booking"), data)
    assert response.status_code == 302 and f"date={monday}" in response["Location"]
    appointment = Appointment.objects.get()
    assert appointment.starts_at == oslo(monday, 10) and appointment.reason == "Shoulder"
    again = client.post(reverse("booking"), data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar-panel")
    assert again.status_code == 400 and b"another appointment then" in again.content and b"<html" not in again.content
    done = client.post(reverse("booking"), data | {"starts_at": f"{monday}T12:00"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Redirect"].startswith(reverse("calendar"))


def test_a_weekly_series_with_a_taken_week_offers_to_book_the_free_weeks(
    client_for, front_desk, patient, practitioner, follow_up, week, monday
):
    services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(monday + dt.timedelta(weeks=1), 10),
    )
    data = {
        "patient": patient.pk,
        "appointment_type": follow_up.pk,
        "practitioner": practitioner.pk,
        "starts_at": f"{monday}T10:00",
        "weeks": "3",
    }
    refused = client_for(front_desk).post(reverse("booking"), data)
    assert refused.status_code == 400 and b"another appointment then" in refused.content and b'name="skip_conflicts"' in refused.content
    assert Appointment.objects.count() == 1
    booked = client_for(front_desk).post(reverse("booking"), data | {"skip_conflicts": "on"})
    assert booked.status_code == 302 and Appointment.objects.count() == 3


def test_booking_without_a_patient_or_with_another_clinics_patient_is_refused(
    client_for, front_desk, practitioner, follow_up, week, monday, other_admin
):
    from tests.conftest import make_staff

    outsider = patients.patient_create(
        actor=make_staff(other_admin.clinic, "od", "front_desk"),
        data={"given_name": "Ola", "family_name": "Utenfor", "birth_date": dt.date(1990, 1, 1)},
    )
    data = {"appointment_type": follow_up.pk, "practitioner": practitioner.pk, "starts_at": f"{monday}T10:00", "weeks": "1"}
    for patient in ("", str(outsider.pk), "not-a-uuid"):
        response = client_for(front_desk).post(reverse("booking"), data | {"patient": patient})
        assert response.status_code == 400 and b"Choose the patient" in response.content
    assert not Appointment.objects.exists()


def test_moving_to_a_free_time_is_one_button(client_for, front_desk, booked, monday):
    page = client_for(front_desk).get(reverse("appointment_move", args=[booked.pk]), {"date": monday.isoformat()}).content.decode()
    assert f'name="starts_at" value="{monday}T09:15"' in page  # its own time is free for it
    assert f'name="starts_at" value="{monday}T11:00"' not in page  # it would run into the break
    response = client_for(front_desk).post(
        reverse("appointment_move", args=[booked.pk]),
        {"starts_at": f"{monday}T13:00", "practitioner": booked.practitioner_id, "room": booked.room_id},
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.starts_at == oslo(monday, 13)
    refused = client_for(front_desk).post(
        reverse("appointment_move", args=[booked.pk]), {"starts_at": f"{monday}T07:00", "practitioner": booked.practitioner_id}
    )
    assert refused.status_code == 400 and b"does not work then" in refused.content


def test_cancelling_needs_a_reason_and_the_detail_page_says_so(client_for, front_desk, booked):
    refused = client_for(front_desk).post(reverse("appointment_cancel", args=[booked.pk]), {"reason": ""})
    assert refused.status_code == 400 and b"This field is required" in refused.content
    done = client_for(front_desk).post(reverse("appointment_cancel", args=[booked.pk]), {"reason": "Ill", "late": "on"})
    assert done.status_code == 302
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.LATE_CANCELLED
    page = client_for(front_desk).get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert "Cancelled late" in page and "Ill" in page and 'data-testid="move"' not in page


def test_arrival_from_the_day_list_returns_to_it_and_a_later_day_is_refused_with_a_message(
    client_for, front_desk, patient, practitioner, follow_up, booked
):
    now = services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=timezone.now(),
        outside_hours=True,
    )
    response = client_for(front_desk).post(reverse("appointment_status", args=[now.pk]), {"status": "arrived", "next": "/?all=1"})
    assert response.status_code == 302 and response["Location"] == "/?all=1"
    evil = client_for(front_desk).post(
        reverse("appointment_status", args=[booked.pk]), {"status": "arrived", "next": "https://evil.example/"}
    )
    assert evil.status_code == 400 and b"day of the appointment" in evil.content
    unknown = client_for(front_desk).post(reverse("appointment_status", args=[booked.pk]), {"status": "finished"})
    assert unknown.status_code == 400


def test_opening_the_visit_takes_the_practitioner_to_it(client_for, practitioner, booked):
    response = client_for(practitioner).post(reverse("appointment_visit", args=[booked.pk]))
    booked.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse("encounter_detail", args=[booked.encounter_id])


def test_every_page_with_patient_data_writes_an_audit_row(client_for, front_desk, booked, monday, follow_up, patient):
    client = client_for(front_desk)
    pages = [
        (reverse("calendar"), {"date": monday.isoformat()}),
        (reverse("calendar"), {"date": monday.isoformat(), "view": "week", "practitioner": ""}),
        (reverse("appointment_detail", args=[booked.pk]), {}),
        (reverse("appointment_move", args=[booked.pk]), {}),
        (reverse("booking"), {"patient": patient.pk}),
        (reverse("booking"), {"q": "Nordmann"}),
        (reverse("booking_patients"), {"q": "Nordmann"}),
    ]
    for url, params in pages:
        before = AuditEvent.objects.count()
        assert client.get(url, params).status_code == 200
        assert AuditEvent.objects.count() == before + 1, url
    detail = AuditEvent.objects.filter(object_type="appointment", action="view").first()
    assert detail.patient_id == patient.pk and detail.object_id == str(booked.pk)
    calendar = AuditEvent.objects.filter(object_type="calendar").first()
    assert calendar.detail["appointments"] == 1 and calendar.detail["day"] == monday.isoformat()
    searches = AuditEvent.objects.filter(action="search", object_type="patient")  # each names the patient it found
    assert searches.count() == 2 and all([s.patient_id for s in event.subjects.all()] == [patient.pk] for event in searches)


def test_the_week_view_reads_in_a_fixed_number_of_queries(
    client_for,
    front_desk,
    patient,
    practitioner,
    second_practitioner,
    follow_up,
    week,
    colleague_week,
    monday,
    rooms,
    django_assert_max_num_queries,
):
    client = client_for(front_desk)
    client.get(reverse("calendar"))  # the session and the menu, once
    params = {"date": monday.isoformat(), "view": "week"}

    def count():
        counts = []
        for view in ({"practitioner": practitioner.pk}, {"practitioner": ""}):
            with django_assert_max_num_queries(15) as captured:
                assert client.get(reverse("calendar"), params | view).status_code == 200
            counts.append(len(captured.captured_queries))
        return counts

    few = count()
    for day in range(5):
        for hour in (8, 9, 10, 13, 14):
            for who, room in ((practitioner, rooms[0]), (second_practitioner, rooms[1])):
                if who == second_practitioner and hour == 8:
                    continue
                services.appointment_book(
                    actor=front_desk,
                    patient=patient,
                    practitioner=who,
                    appointment_type=follow_up,
                    starts_at=oslo(monday + dt.timedelta(days=day), hour),
                    room=room,
                )
    assert Appointment.objects.count() == 45
    assert count() == few  # 45 appointments cost no query more than none


def test_the_calendar_speaks_norwegian(client_for, practitioner, booked, monday):
    client = client_for(practitioner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    page = _page(client, date=monday.isoformat())
    for norwegian in ("Kalender", "Neste dag", "Oppfølgende nålebehandling", "Uke"):
        assert norwegian in page, norwegian
    for english in ("Next day", "Follow-up needling", ">Week<"):
        assert english not in page, english


def test_times_are_shown_in_the_clinics_own_zone(client_for, clinic, front_desk, booked, monday, practitioner):
    CalendarSettings.objects.create(clinic=clinic, time_zone="America/New_York")
    page = _page(client_for(front_desk), date=monday.isoformat(), practitioner=practitioner.pk)
    assert "03:00–03:30 Kari Nordmann" in page  # 09:00 in Oslo is 03:00 in New York (in winter and in summer)
    detail = client_for(front_desk).get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert "03:00–03:30" in detail


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_what_staff_typed_is_shown_as_text(client_for, front_desk, patient, booked, monday, clinic_admin, payload, escaped):
    type(patient).objects.filter(pk=patient.pk).update(family_name=payload)
    Appointment.objects.filter(pk=booked.pk).update(reason=payload)
    configuration.room_save(actor=clinic_admin, room=booked.room, data={"name": payload})
    client = client_for(front_desk)
    for url, params, at_least in (
        (reverse("calendar"), {"date": monday.isoformat()}, 2),
        (reverse("calendar"), {"date": monday.isoformat(), "view": "week", "practitioner": ""}, 1),
        (reverse("appointment_detail", args=[booked.pk]), {}, 3),
        (reverse("appointment_move", args=[booked.pk]), {}, 1),
        (reverse("booking"), {"patient": booked.patient_id}, 1),
    ):
        body = client.get(url, params).content.decode()
        assert_shown_as_text(body, payload, escaped, at_least=at_least)
    assert_shown_as_text(client_for(clinic_admin).get(reverse("calendar_setup")).content.decode(), payload, escaped, at_least=1)


def test_the_free_times_of_first_available_read_no_rooms_and_a_room_asked_for_is_the_one_booked(
    client_for, front_desk, practitioner, follow_up, week, rooms, django_assert_max_num_queries
):
    client = client_for(front_desk)
    params = {"appointment_type": str(follow_up.pk), "date": next_weekday(0).isoformat()}
    client.get(reverse("free_times"), params)  # the session, once
    with django_assert_max_num_queries(20) as captured:
        anyone = client.get(reverse("free_times"), params).content.decode()
    assert not any('FROM "scheduling_room"' in query["sql"] for query in captured.captured_queries)
    assert f"room={rooms[0].pk}" in anyone  # the working hours' room
    in_room = client.get(reverse("free_times"), params | {"room": str(rooms[1].pk)}).content.decode()
    links = re.findall(r'href="(/calendar/book/[^"]*)"', in_room)
    assert links and all(f"room={rooms[1].pk}" in link for link in links)
