"""Online booking from a clinic's public pages: what is offered, holds, the form's guards, the
booking itself, the manage link and a lost race."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.patients.models import Patient
from needlechart.public import booking, booking_render
from needlechart.public.booking_models import OnlineBooking, SlotHold
from needlechart.public.booking_precheck import NOTHING_TO_DECLARE, precheck_questions
from needlechart.public.models import PublicProfile
from needlechart.scheduling import configuration, outbox
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import Appointment, AppointmentStatus, AppointmentType, CalendarSettings, OutgoingMessage
from tests.public.conftest import SLUG

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _type(admin, name, *, online=True, needling=False, minutes=30):
    return configuration.appointment_type_save(
        actor=admin,
        data={"name_en": name, "name_nb": name + " (nb)", "duration_minutes": minutes, "bookable_online": online, "is_needling": needling},
    )


@pytest.fixture
def types(clinic_admin):
    return {
        "needling": _type(clinic_admin, "Follow-up needling", needling=True),
        "assessment": _type(clinic_admin, "Assessment", minutes=30),
        "closed": _type(clinic_admin, "Staff only review", online=False),
    }


@pytest.fixture
def open_week(clinic_admin, practitioner):
    for day in range(7):
        configuration.working_hours_add(
            actor=clinic_admin, practitioner=practitioner, weekday=day, start_time=dt.time(8), end_time=dt.time(16)
        )


@pytest.fixture
def profile(public_profile):
    return PublicProfile.objects.select_related("clinic").get(pk=public_profile.pk)


def _in_days(days):
    return timezone.localdate() + dt.timedelta(days=days)


def _start_url(lang="en"):
    return reverse("booking_start", kwargs={"clinic_slug": SLUG, "lang": lang})


def _hold_url(lang="en"):
    return reverse("booking_hold", kwargs={"clinic_slug": SLUG, "lang": lang})


def _first_free(profile, kind, practitioner, days=3):
    slots, _window = booking.free_times(profile, kind, [practitioner.pk], first_day=_in_days(days))
    return slots[0]


def _hold(client, kind, slot, lang="en"):
    return client.post(
        _hold_url(lang), {"type": str(kind.pk), "practitioner": "any", "slot": f"{slot.practitioner_id}@{slot.start.isoformat()}"}
    )


ANSWERS = {
    "q_medications": ["none"],
    "q_medical_conditions": ["none"],
    "q_implants": ["none"],
    "q_needle_fear": "none",
    "q_wants_needling": "yes",
}


def _form(**changes):
    return {
        "given_name": "Ingrid",
        "family_name": "Online",
        "birth_date": "1985-04-12",
        "phone": "+47 912 34 567",
        "email": "ingrid@patients.invalid",
        "website": "",
        **ANSWERS,
        **changes,
    }


def _details_url(response):
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def test_only_the_clinics_online_bookable_types_are_offered(client, profile, types, open_week):
    page = client.get(_start_url()).content.decode()
    assert "Follow-up needling" in page and "Assessment" in page
    assert "Staff only review" not in page
    refused = client.get(_start_url(), {"type": str(types["closed"].pk)})
    assert refused.status_code == 400 and "Choose one of the appointment types listed." in refused.content.decode()
    slot = _first_free(profile, types["needling"], profile.clinic.staff.get(username="practitioner"))
    assert _hold(client, types["closed"], slot).status_code == 400
    assert not SlotHold.objects.exists()


def test_times_respect_the_minimum_notice_and_the_horizon(profile, types, open_week, practitioner):
    CalendarSettings.objects.update_or_create(clinic_id=profile.clinic_id, defaults={"minimum_notice_minutes": 180, "horizon_days": 10})
    monday = _in_days(7 - timezone.localdate().weekday())
    now = dt.datetime.combine(monday, dt.time(9), tzinfo=OSLO)
    slots, _window = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=monday, now=now)
    assert slots[0].start == dt.datetime.combine(monday, dt.time(12), tzinfo=OSLO)
    assert all(slot.start < now + dt.timedelta(days=10) for slot in slots)
    beyond, _window = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=monday + dt.timedelta(days=12), now=now)
    # A day asked for beyond the horizon shows the last days inside it, and nothing later.
    assert beyond and all(slot.start < now + dt.timedelta(days=10) for slot in beyond)
    assert max(slot.start for slot in beyond) > now + dt.timedelta(days=9)


def test_a_held_time_is_left_out_for_another_visitor_until_it_expires(client, profile, types, open_week, practitioner):
    slot = _first_free(profile, types["needling"], practitioner)
    details = _details_url(_hold(client, types["needling"], slot))
    assert client.get(details).status_code == 200
    starts = [s.start for s in booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(3))[0]]
    assert slot.start not in starts
    # An overlapping time is gone too (30 minutes on a 15-minute grid), the next free one is not.
    assert slot.start + dt.timedelta(minutes=15) not in starts and slot.start + dt.timedelta(minutes=30) in starts
    other = client.__class__()
    taken = _hold(other, types["needling"], slot)
    assert taken.status_code == 409 and "just taken" in taken.content.decode()
    assert SlotHold.objects.count() == 1

    SlotHold.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    starts = [s.start for s in booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(3))[0]]
    assert slot.start in starts
    expired = client.get(details)
    assert expired.status_code == 404 and "no longer held" in expired.content.decode()
    assert _hold(other, types["needling"], slot).status_code == 302


def test_the_honeypot_is_refused_silently(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    response = client.post(details, _form(website="http://spam.invalid"))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert not Patient.objects.exists() and not Appointment.objects.exists()


def test_floods_get_a_429_page_per_address_and_per_phone(client, settings, profile, types, open_week, practitioner):
    settings.ONLINE_BOOKING_IP_LIMIT = 2
    slot = _first_free(profile, types["needling"], practitioner)
    assert _hold(client, types["needling"], slot).status_code == 302
    later = booking.free_times(profile, types["needling"], [practitioner.pk], first_day=_in_days(3))[0][3]
    assert _hold(client, types["needling"], later).status_code == 302
    refused = _hold(client, types["needling"], later)
    assert refused.status_code == 429 and "too many booking attempts" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0

    cache.clear()
    settings.ONLINE_BOOKING_IP_LIMIT = 100
    settings.ONLINE_BOOKING_PHONE_LIMIT = 1
    first = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner, days=4)))
    assert client.post(first, _form()).status_code == 200
    second = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner, days=5)))
    response = client.post(second, _form(phone="912 34 567"))  # the same number, written otherwise
    assert response.status_code == 429
    assert Appointment.objects.count() == 1


def test_an_absolute_contraindication_books_an_assessment_and_says_why(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    response = client.post(details, _form(q_needle_fear="severe"))
    page = response.content.decode()
    assert response.status_code == 200
    appointment = Appointment.objects.get()
    assert appointment.appointment_type == types["assessment"]
    assert OnlineBooking.objects.get().turned_into_assessment
    assert "We booked an assessment instead of Follow-up needling" in page
    assert "How do you feel about needles? Very afraid" in page


def test_a_contraindication_leaves_a_type_that_is_no_needling_session_as_it_is(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["assessment"], _first_free(profile, types["assessment"], practitioner)))
    client.post(details, _form(q_wants_needling="no"))
    assert Appointment.objects.get().appointment_type == types["assessment"]
    assert not OnlineBooking.objects.get().turned_into_assessment


def test_a_booking_makes_a_patient_to_confirm_the_appointment_and_the_messages(
    client, profile, types, open_week, practitioner, django_capture_on_commit_callbacks
):
    slot = _first_free(profile, types["needling"], practitioner)
    details = _details_url(_hold(client, types["needling"], slot, lang="nb"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(details, _form())
    page = response.content.decode()
    assert response.status_code == 200
    patient = Patient.objects.get()
    assert (patient.given_name, patient.family_name, patient.birth_date, patient.preferred_language) == (
        "Ingrid",
        "Online",
        dt.date(1985, 4, 12),
        "nb",
    )
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.practitioner, appointment.starts_at) == (patient, practitioner, slot.start)
    assert appointment.appointment_type == types["needling"]
    online = OnlineBooking.objects.get()
    assert online.new_patient and not online.patient_confirmed and online.precheck["needle_fear"] == "none"
    assert not SlotHold.objects.exists()
    event = AuditEvent.objects.get(object_type="online_booking")
    assert event.actor_id == booking.booking_actor(profile.clinic_id).pk and event.patient_id == patient.pk
    assert OutgoingMessage.objects.filter(appointment=appointment, kind="confirmation").exists()
    manage = reverse("booking_manage", kwargs={"clinic_slug": SLUG, "lang": "nb", "secret": "x"}).rsplit("x/", 1)[0]
    assert manage in page and "/intake/" in page
    # The confirmation in the outbox carries the manage link (e-mail and SMS), and goes out with the .ics.
    confirmations = OutgoingMessage.objects.filter(appointment=appointment, kind="confirmation")
    assert {m.channel for m in confirmations} == {"email", "sms"} and all(manage in m.body for m in confirmations)
    assert "Avbestill eller flytt timen: http" in confirmations.get(channel="email").body
    outbox.send_due()
    sent = [m for m in mail.outbox if manage in m.body]
    assert len(sent) == 1 and sent[0].attachments and sent[0].attachments[0][0].endswith(".ics")
    # The secret is stored hashed only.
    secret = page.split(manage, 1)[1].split("/", 1)[0]
    assert online.manage_secret_hash == booking.secret_hash(secret) and secret not in online.manage_secret_hash
    # The booking account cannot sign in.
    assert not booking.booking_actor(profile.clinic_id).has_usable_password()


def _booked(client, profile, kind, practitioner, days=3):
    details = _details_url(_hold(client, kind, _first_free(profile, kind, practitioner, days=days)))
    page = client.post(details, _form()).content.decode()
    path = reverse("booking_manage", kwargs={"clinic_slug": SLUG, "lang": "en", "secret": "x"}).rsplit("x/", 1)[0]
    return path + page.split(path, 1)[1].split("/", 1)[0] + "/"


def test_the_manage_link_cancels_within_the_limit_and_not_after(client, profile, types, open_week, practitioner):
    manage = _booked(client, profile, types["needling"], practitioner)
    assert "Cancel the booking" in client.get(manage).content.decode()
    cancelled = client.post(manage, {"action": "cancel"}, follow=True)
    assert "Your booking is cancelled." in cancelled.content.decode()
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED

    PublicProfile.objects.filter(pk=profile.pk).update(cancellation_limit_hours=24 * 7)
    late = _booked(client, profile, types["needling"], practitioner, days=4)
    assert "too late to cancel or move online" in client.get(late).content.decode()
    refused = client.post(late, {"action": "cancel"})
    assert refused.status_code == 400 and "too late to cancel or move online" in refused.content.decode()
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_an_unknown_manage_or_hold_secret_is_404(client, profile, types, open_week):
    assert client.get(reverse("booking_manage", kwargs={"clinic_slug": SLUG, "lang": "en", "secret": "guessed"})).status_code == 404
    assert client.get(reverse("booking_details", kwargs={"clinic_slug": SLUG, "lang": "en", "secret": "guessed"})).status_code == 404
    assert client.get(f"/c/{SLUG}/de/book/").status_code == 404


def test_losing_the_race_for_the_time_gives_the_friendly_page_with_other_times(
    client, profile, types, open_week, practitioner, front_desk, patient
):
    slot = _first_free(profile, types["needling"], practitioner)
    details = _details_url(_hold(client, types["needling"], slot))
    # The front desk books the same time meanwhile (holds do not bind the calendar's own booking).
    scheduling.appointment_book(
        actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=types["needling"], starts_at=slot.start
    )
    response = client.post(details, _form())
    page = response.content.decode()
    assert response.status_code == 409 and "someone else booked or is booking that time" in page
    assert "Free times for Follow-up needling" in page and 'name="slot"' in page
    assert Patient.objects.count() == 1 and Appointment.objects.count() == 1 and not OnlineBooking.objects.exists()
    assert not SlotHold.objects.exists()


def test_bad_input_is_a_400_page_with_the_message_and_field_errors_are_linked(client, profile, types, open_week, practitioner):
    bad = client.post(_hold_url(), {"type": str(types["needling"].pk), "slot": "not-a-time"})
    assert bad.status_code == 400 and "Choose a time from the list." in bad.content.decode()
    assert client.get(_start_url(), {"day": "yesterday"}).status_code == 400
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    response = client.post(details, _form(birth_date="31.02.1980", q_needle_fear=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        'href="#id_birth_date"' in page
        and 'aria-invalid="true"' in page
        and 'aria-describedby="id_birth_date_hint id_birth_date_error"' in page
    )
    assert 'href="#id_q_needle_fear"' in page
    assert not Patient.objects.exists()


def test_the_pages_are_in_norwegian_private_and_not_indexed(client, profile, types, open_week, practitioner):
    response = client.get(_start_url("nb"), {"type": str(types["needling"].pk), "day": _in_days(3).isoformat()})
    page = response.content.decode()
    assert response.status_code == 200 and '<html lang="nb">' in page and "Første ledige" in page
    assert '<meta name="robots" content="noindex">' in page and "no-store" in response["Cache-Control"]
    details = client.get(_details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner), lang="nb")))
    assert "Hvordan har du det med nåler?" in details.content.decode()


def test_the_start_page_lists_each_type_as_a_link_to_its_free_times_for_the_chosen_practitioner(
    client, profile, types, open_week, practitioner
):
    page = client.get(_start_url(), {"practitioner": str(practitioner.pk)}).content.decode()
    assert page.count('data-testid="booking-type"') == 2 and 'name="slot"' not in page
    assert f'href="?type={types["assessment"].pk}&amp;practitioner={practitioner.pk}"' in page
    times = client.get(_start_url(), {"type": str(types["assessment"].pk), "practitioner": str(practitioner.pk)}).content.decode()
    assert 'name="slot"' in times and 'data-testid="booking-type"' not in times


def test_the_clinics_only_online_type_shows_its_free_times_at_once(client, profile, types, open_week, practitioner):
    AppointmentType.objects.filter(pk=types["assessment"].pk).update(bookable_online=False)
    page = client.get(_start_url(), {"practitioner": str(practitioner.pk)}).content.decode()
    assert 'name="slot"' in page and f'name="type" value="{types["needling"].pk}"' in page
    assert 'data-testid="booking-type"' not in page


def _no_answers(**changes):
    return {name: value for name, value in _form().items() if not name.startswith("q_")} | changes


def _nothing_written(*, holds=1):
    assert not Patient.objects.exists() and not Appointment.objects.exists() and not OnlineBooking.objects.exists()
    assert SlotHold.objects.count() == holds  # the time stays held for the visitor to correct the form


def test_the_none_apply_button_is_one_explicit_answer_to_the_whole_pre_check(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    response = client.post(details, _no_answers(precheck="none"))
    assert response.status_code == 200, response.content.decode()[:500]
    assert OnlineBooking.objects.get().precheck == {
        "pregnant": "no",
        "medications": ["none"],
        "medical_conditions": ["none"],
        "implants": ["none"],
        "needle_fear": "none",
        "wants_needling": "yes",
    }
    assert Appointment.objects.get().appointment_type == types["needling"]


def test_the_former_tick_still_records_the_same_answer_as_the_button(client, profile, types, open_week, practitioner):
    by_button = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner, days=3)))
    by_tick = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner, days=4)))
    assert client.post(by_button, _no_answers(precheck="none")).status_code == 200
    assert client.post(by_tick, _no_answers(precheck_none="on")).status_code == 200  # no button named, as the old form sent
    first, second = OnlineBooking.objects.order_by("created_at")
    assert first.precheck == second.precheck == NOTHING_TO_DECLARE


def test_ticking_an_answer_and_pressing_none_apply_is_a_400_that_writes_nothing(client, settings, profile, types, open_week, practitioner):
    settings.ONLINE_BOOKING_PHONE_LIMIT = 100  # each try counts for the phone number
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    for ticked in ({"q_needle_fear": "severe"}, {"q_pregnant": "no"}, {"q_medications": ["none"]}):
        response = client.post(details, _no_answers(precheck="none", **ticked))
        page = response.content.decode()
        assert response.status_code == 400, ticked
        assert 'href="#id_precheck"' in page and "chose “None of these apply to me” as well" in page
        assert 'id="id_precheck_error"' in page and 'aria-describedby="id_precheck_hint id_precheck_error"' in page
    both = client.post(details, _form(precheck_none="on"))  # the former tick with answers: refused as before
    assert both.status_code == 400 and 'href="#id_precheck"' in both.content.decode()
    _nothing_written()


def test_book_with_what_i_ticked_with_nothing_ticked_is_a_400_as_before(client, settings, profile, types, open_week, practitioner):
    settings.ONLINE_BOOKING_PHONE_LIMIT = 100  # each try counts for the phone number
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    for pressed in ({"precheck": "answers"}, {}):  # the button, or none named (Enter in a field sends the first button)
        response = client.post(details, _no_answers(**pressed))
        page = response.content.decode()
        assert response.status_code == 400, pressed
        for name in ("medications", "medical_conditions", "implants", "needle_fear", "wants_needling"):
            assert f'href="#id_q_{name}"' in page, name
        assert 'href="#id_q_pregnant"' not in page  # pregnancy may be left open, as before
    assert client.post(details, _no_answers(precheck="maybe")).status_code == 400
    _nothing_written()
    answered = client.post(details, _form(precheck="answers", q_needle_fear="mild"))
    assert answered.status_code == 200
    assert OnlineBooking.objects.get().precheck["needle_fear"] == "mild"


def test_the_details_form_offers_both_answers_as_buttons_the_ticked_one_first(client, profile, types, open_week, practitioner):
    details = _details_url(_hold(client, types["needling"], _first_free(profile, types["needling"], practitioner)))
    page = client.get(details).content.decode()
    form = page.split('<form method="post"', 1)[1].split("</form>", 1)[0]
    buttons = re.findall(r"<button[^>]*>", form)
    assert [re.search(r'value="(\w+)"', b).group(1) for b in buttons] == ["answers", "none"]
    assert all('type="submit"' in b and 'name="precheck"' in b for b in buttons)
    assert form.index("id_q_wants_needling") < form.index('value="answers"')  # the buttons come after the questions
    fieldset = form.split('<fieldset class="field book-with" id="id_precheck"', 1)[1].split("</fieldset>", 1)[0]
    assert "<legend>Your answer to these questions</legend>" in fieldset and 'value="none"' in fieldset
    assert 'name="precheck_none"' not in form  # the tick is gone from the form (still read if a page loaded before sends it)
    norwegian = client.get(details.replace("/en/", "/nb/")).content.decode()
    assert "Ingenting av dette gjelder meg – bestill" in norwegian and "Bestill med det jeg har krysset av" in norwegian


def test_what_none_of_these_apply_answers_is_an_option_of_each_question():
    questions = precheck_questions()
    assert {q.id for q in questions} == set(NOTHING_TO_DECLARE)
    for question in questions:
        given = NOTHING_TO_DECLARE[question.id]
        values = given if isinstance(given, list) else [given]
        assert all(question.option_label(v) for v in values), question.id


def test_the_page_lists_whole_days_of_times_up_to_its_limit_and_goes_on_from_the_next_day(
    client, profile, types, open_week, practitioner, second_practitioner, clinic_admin, monkeypatch
):
    for day in range(7):
        configuration.working_hours_add(
            actor=clinic_admin, practitioner=second_practitioner, weekday=day, start_time=dt.time(12), end_time=dt.time(16)
        )
    first = _in_days(3)
    ids = booking_render.chosen_practitioners(profile, booking_render.FIRST_AVAILABLE, types["assessment"])  # the page's order
    assert set(ids) == {practitioner.pk, second_practitioner.pk}
    week, _window = booking.free_times(profile, types["assessment"], ids, first_day=first)
    zone = booking.clinic_zone(profile.clinic_id)
    on_first = [s for s in week if s.start.astimezone(zone).date() == first]
    assert len(on_first) > 5 and len(week) > len(on_first)  # the whole week has more than the first day
    monkeypatch.setattr(booking, "TIMES_SHOWN", 5)
    page = client.get(_start_url(), {"type": str(types["assessment"].pk), "day": first.isoformat()}).content.decode()
    offered = re.findall(r'name="slot" value="(\d+)@([^"]+)"', page)
    # The first day reaches the limit: all of its times (both practitioners'), and no other day's.
    assert offered == [(str(s.practitioner_id), s.start.isoformat()) for s in on_first]
    assert {int(pid) for pid, _at in offered} == {practitioner.pk, second_practitioner.pk}
    assert page.count("<h3>") == 1
    assert f'&amp;day={(first + dt.timedelta(days=1)).isoformat()}">Later days</a>' in page
    # Without a limit (the manage link's move, a hold's check) the week is searched whole, as before.
    assert booking.free_times(profile, types["assessment"], ids, first_day=first)[0] == week
    monkeypatch.setattr(booking, "TIMES_SHOWN", len(week) + 1)  # a week that does not reach the limit: all of it
    page = client.get(_start_url(), {"type": str(types["assessment"].pk), "day": first.isoformat()}).content.decode()
    assert len(re.findall(r'name="slot"', page)) == len(week)
    assert f'&amp;day={(first + dt.timedelta(days=booking.DAYS_SHOWN)).isoformat()}">Later days</a>' in page
