"""The chart's "Book appointment" (the calendar's booking form with the patient chosen) and the
calendar's "Send intake link" for a patient with no intake (screening's contribution to the
appointment panel, through scheduling.panel): who sees them, what they post, never an answer."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from needlechart.scheduling import services
from needlechart.screening import services as screening
from needlechart.screening.models import IntakeLink
from tests.scheduling.conftest import follow_up, next_weekday, oslo, rooms, week  # noqa: F401 - the calendar's fixtures
from tests.screening.test_rules_engine import minimal_valid_answers


@pytest.fixture
def booked(front_desk, patient, practitioner, follow_up, week, rooms):  # noqa: F811 - the calendar's fixtures, as parameters
    return services.appointment_book(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        appointment_type=follow_up,
        starts_at=oslo(next_weekday(0), 9),
        room=rooms[0],
    )


def _panel(client, appointment) -> str:
    response = client.get(reverse("appointment_detail", args=[appointment.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar-panel")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "clinic_admin"])
def test_the_chart_books_an_appointment_with_the_patient_chosen(request, client_for, patient, role):
    client = client_for(request.getfixturevalue(role))
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    link = f"{reverse('booking')}?patient={patient.pk}"
    assert f'<a class="button" href="{link}" data-testid="book-appointment">Book appointment</a>' in chart
    form = client.get(link)
    assert form.status_code == 200
    assert f'name="patient" value="{patient.pk}"' in form.content.decode() and "Kari Nordmann" in form.content.decode()


def test_the_booking_button_in_norwegian(client_for, front_desk, patient):
    client = client_for(front_desk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert 'data-testid="book-appointment">Bestill time</a>' in chart


def test_the_front_desk_sends_the_intake_link_from_the_appointment(client_for, front_desk, patient, booked):
    client = client_for(front_desk)
    panel = _panel(client, booked)
    action = reverse("intake_link_create", args=[patient.pk])
    assert f'<form method="post" action="{action}" class="inline-actions">' in panel
    assert 'data-testid="send-intake-link">Send intake link</button>' in panel and "No intake yet." in panel
    response = client.post(action)
    assert response.status_code == 200 and 'data-testid="intake-url"' in response.content.decode()
    assert IntakeLink.objects.filter(patient=patient, created_by=front_desk).count() == 1
    assert 'data-testid="send-intake-link">Send the link again</button>' in _panel(client, booked)


def test_no_intake_action_once_the_intake_is_done_and_no_answers_shown(client_for, front_desk, practitioner, patient, booked):
    answers = minimal_valid_answers()
    screening.intake_record_by_staff(actor=front_desk, patient=patient, raw_answers=answers)
    for user in (front_desk, practitioner):
        panel = _panel(client_for(user), booked)
        assert 'data-testid="send-intake-link"' not in panel
        assert reverse("intake_link_create", args=[patient.pk]) not in panel
        assert reverse("screening_detail", args=[patient.pk]) not in panel  # the panel links no answers


def test_no_intake_action_on_a_cancelled_appointment(client_for, front_desk, booked):
    services.appointment_cancel(actor=front_desk, appointment=booked, reason="Moved away")
    assert 'data-testid="send-intake-link"' not in _panel(client_for(front_desk), booked)


def test_the_intake_action_in_norwegian(client_for, front_desk, booked):
    client = client_for(front_desk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    panel = _panel(client, booked)
    assert 'data-testid="send-intake-link">Send lenke til helseskjema</button>' in panel and "Ikke noe helseskjema ennå." in panel
