"""The patients' messages about their appointments (scheduling.outbox): queued by booking, moving
and cancelling, reminders at the clinic's hour before (in local time across daylight saving),
sent by the job once and only once, retried then failed, SMS through a pluggable backend, and the
front desk's outbox page."""

from __future__ import annotations

import datetime as dt
import io
import threading
import types
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.scheduling import outbox, services, sms
from needlechart.scheduling.models import Appointment, CalendarSettings
from needlechart.scheduling.outbox_models import MessageStatus, OutgoingMessage
from tests.scheduling.conftest import next_change, next_weekday, oslo

LOCMEM = "needlechart.scheduling.sms.LocmemSmsBackend"


class BrokenSms(sms.BaseSmsBackend):
    def send(self, to: str, text: str) -> None:
        raise sms.SmsError("provider answered 503")


@pytest.fixture(autouse=True)
def _locmem_sms(settings):
    settings.NEEDLECHART_SMS_BACKEND = LOCMEM
    settings.MESSAGE_MAX_ATTEMPTS = 3
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def reachable(patient):
    patient.email = "kari@example.org"
    patient.save(update_fields=["email"])
    return patient


def _book(actor, patient, practitioner, kind, start, **extra):
    return services.appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, appointment_type=kind, starts_at=start, outside_hours=True, **extra
    )


def _rows(appointment, **filters):
    return list(OutgoingMessage.objects.filter(appointment=appointment, **filters).order_by("kind", "channel"))


def _due_now(**filters):
    OutgoingMessage.objects.filter(**filters).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def _send():
    out = io.StringIO()
    call_command("send_messages", "--once", stdout=out)
    return out.getvalue()


# --- queueing -----------------------------------------------------------------------------------


def test_booking_queues_a_confirmation_and_a_reminder_on_each_channel_in_the_patients_language(
    front_desk, reachable, practitioner, follow_up
):
    start = oslo(next_weekday(2) + dt.timedelta(days=7), 9, 30)
    appointment = _book(front_desk, reachable, practitioner, follow_up, start, reason="Stiff neck after whiplash")
    rows = _rows(appointment)
    assert [(m.kind, m.channel, m.recipient) for m in rows] == [
        ("confirmation", "email", "kari@example.org"),
        ("confirmation", "sms", "+47 90000000"),
        ("reminder", "email", "kari@example.org"),
        ("reminder", "sms", "+47 90000000"),
    ]
    assert all(m.status == MessageStatus.PENDING and m.appointment_starts_at == start for m in rows)
    assert rows[0].next_attempt_at <= timezone.now() < rows[2].next_attempt_at == start - dt.timedelta(hours=24)
    confirmation = rows[1]
    assert confirmation.language == "nb"
    assert "kl. 09:30" in confirmation.body and "Test Clinic" in confirmation.body and "Practitioner Tester" in confirmation.body
    assert rows[0].subject == "Timen din hos Test Clinic er bestilt"
    for message in rows:  # no clinical detail: not the reason, the type, nor the practitioner's discipline
        for word in ("neck", "whiplash", "Follow-up", "Oppfølgende", "fysioterapeut", "physiotherapist"):
            assert word.lower() not in (message.body + message.subject).lower()


def test_an_english_speaking_patient_gets_english_and_no_address_means_no_channel(front_desk, patient, practitioner, follow_up):
    patient.preferred_language = "en"
    patient.save(update_fields=["preferred_language"])
    appointment = _book(front_desk, patient, practitioner, follow_up, oslo(next_weekday(1) + dt.timedelta(days=7), 14))
    rows = _rows(appointment, kind="confirmation")
    assert [m.channel for m in rows] == ["sms"]  # no e-mail address on file
    assert "is booked for" in rows[0].body and "at 14:00" in rows[0].body


def test_no_reminder_when_the_time_is_sooner_than_the_setting_or_the_clinic_sends_none(
    front_desk, clinic, reachable, practitioner, follow_up
):
    soon = _book(front_desk, reachable, practitioner, follow_up, timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=5))
    assert {m.kind for m in _rows(soon)} == {"confirmation"}
    CalendarSettings.objects.create(clinic=clinic, reminder_hours=2)
    later = _book(front_desk, reachable, practitioner, follow_up, soon.starts_at + dt.timedelta(hours=1))
    assert [m.next_attempt_at for m in _rows(later, kind="reminder")] == [later.starts_at - dt.timedelta(hours=2)] * 2
    CalendarSettings.objects.filter(clinic=clinic).update(reminder_hours=0)
    none = _book(front_desk, reachable, practitioner, follow_up, soon.starts_at + dt.timedelta(days=3))
    assert {m.kind for m in _rows(none)} == {"confirmation"}


def test_moving_sends_the_new_time_and_moves_the_reminder_with_it(front_desk, reachable, practitioner, follow_up):
    day = next_weekday(3) + dt.timedelta(days=7)
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(day, 9))
    services.appointment_move(
        actor=front_desk, appointment=appointment, starts_at=oslo(day, 13), practitioner=practitioner, room=None, outside_hours=True
    )
    old = _rows(appointment, appointment_starts_at=oslo(day, 9))
    assert {(m.kind, m.status) for m in old} == {("confirmation", "skipped"), ("reminder", "skipped")}  # not sent yet: not needed
    new = _rows(appointment, appointment_starts_at=oslo(day, 13))
    assert {(m.kind, m.status) for m in new} == {("moved", "pending"), ("reminder", "pending")}
    moved_email = next(m for m in new if m.kind == "moved" and m.channel == "email")
    assert "kl. 09:00" in moved_email.body and "kl. 13:00" in moved_email.body
    # moved back: the reminder of 09:00 was never sent, so it is due again (the same row, once)
    services.appointment_move(
        actor=front_desk, appointment=appointment, starts_at=oslo(day, 9), practitioner=practitioner, room=None, outside_hours=True
    )
    assert {(m.kind, m.channel, m.status) for m in _rows(appointment, appointment_starts_at=oslo(day, 9), status="pending")} == {
        ("reminder", "email", "pending"),
        ("reminder", "sms", "pending"),
        ("moved", "email", "pending"),
        ("moved", "sms", "pending"),
    }
    assert OutgoingMessage.objects.filter(appointment=appointment, kind="reminder", status="pending").count() == 2


def test_cancelling_sends_a_cancellation_and_no_reminder(front_desk, reachable, practitioner, follow_up):
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(4) + dt.timedelta(days=7), 10))
    services.appointment_cancel(actor=front_desk, appointment=appointment, reason="Patient is ill")
    assert {(m.kind, m.status) for m in _rows(appointment)} == {
        ("confirmation", "skipped"),
        ("reminder", "skipped"),
        ("cancelled", "pending"),
    }
    assert "Patient is ill" not in _rows(appointment, kind="cancelled")[0].body
    _send()
    assert [m.subject for m in mail.outbox] == ["Timen din hos Test Clinic er avbestilt"]
    assert len(sms.outbox) == 1 and "avbestilt" in sms.outbox[0].text


def test_a_weekly_series_is_confirmed_once_and_reminded_every_week(front_desk, reachable, practitioner, follow_up):
    booked = services.appointment_book_series(
        actor=front_desk,
        patient=reachable,
        practitioner=practitioner,
        appointment_type=follow_up,
        first_start=oslo(next_weekday(0) + dt.timedelta(days=7), 8),
        weeks=3,
        outside_hours=True,
    ).booked
    assert OutgoingMessage.objects.filter(kind="confirmation", channel="sms").count() == 1
    assert OutgoingMessage.objects.filter(kind="reminder", channel="sms").count() == 3 == len(booked)


@pytest.mark.parametrize("month", [3, 10])
def test_the_reminder_is_24_hours_before_and_its_text_shows_the_local_time_across_daylight_saving(
    month, front_desk, reachable, practitioner, follow_up
):
    monday = next_change(month) + dt.timedelta(days=1)  # the Sunday of the change, then Monday
    before = _book(front_desk, reachable, practitioner, follow_up, oslo(monday - dt.timedelta(days=7), 9))
    after = _book(front_desk, reachable, practitioner, follow_up, oslo(monday, 9))
    assert after.starts_at.astimezone(dt.UTC).hour != before.starts_at.astimezone(dt.UTC).hour  # an hour apart in UTC
    for appointment in (before, after):
        reminder = _rows(appointment, kind="reminder", channel="sms")[0]
        assert reminder.next_attempt_at == appointment.starts_at - dt.timedelta(hours=24)
        assert "kl. 09:00" in reminder.body and "mandag" in reminder.body


# --- the job: once and only once ----------------------------------------------------------------


def test_the_job_sends_what_is_due_once_however_often_it_runs(front_desk, reachable, practitioner, follow_up):
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    assert "Sent 2," in _send()
    assert "Sent 0," in _send()
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1 and sms.outbox[0].to == "+47 90000000"
    assert mail.outbox[0].to == ["kari@example.org"] and "kl. 11:00" in mail.outbox[0].body
    sent = _rows(appointment, kind="confirmation")
    assert all(m.status == "sent" and m.sent_at and m.attempts == 1 for m in sent)
    _due_now(kind="reminder")
    _send()
    _send()
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2 and "påminnelse" in sms.outbox[1].text.lower()
    OutgoingMessage.objects.filter(appointment=appointment).update(next_attempt_at=timezone.now() - dt.timedelta(days=1))
    assert "Sent 0," in _send()  # a row marked sent is never claimed again, however due it looks


def test_a_moved_or_cancelled_appointment_does_not_get_the_old_reminder(front_desk, reachable, practitioner, follow_up):
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=F("starts_at") - dt.timedelta(hours=1))  # around the services
    _due_now()
    assert "not needed 4" in _send()
    assert not mail.outbox and not sms.outbox


def test_two_claims_never_take_the_same_message(front_desk, reachable, practitioner, follow_up):
    _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    now = timezone.now()
    stale = list(OutgoingMessage.objects.filter(status="pending", next_attempt_at__lte=now).values_list("pk", flat=True))
    first = outbox.claim(token=uuid.uuid4(), now=now)
    assert len(first) == 2
    assert outbox.claim(token=uuid.uuid4(), now=now) == []
    # the second worker read the same due rows before the first claimed them: its conditional claim wins none
    assert outbox.claim_rows(stale, token=uuid.uuid4(), now=now) == []


def test_a_claim_that_died_is_retried_after_its_lease_and_the_dead_worker_cannot_mark_it(
    settings, front_desk, reachable, practitioner, follow_up
):
    _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    dead = uuid.uuid4()
    claimed = outbox.claim(token=dead)
    assert outbox.send_due().sent == 0  # within the lease nobody else sends it
    OutgoingMessage.objects.filter(claim_token=dead).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert outbox.send_due().sent == 2
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    late = outbox.Outcome()
    for message in claimed:  # the dead worker wakes up: its lease is gone, so it sends nothing and marks nothing
        outbox.send_one(message, token=dead, outcome=late)
    assert late == outbox.Outcome() and len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert set(OutgoingMessage.objects.filter(kind="confirmation").values_list("attempts", flat=True)) == {2}


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_message_once(front_desk, reachable, practitioner, follow_up):
    """Workers on their own connections at the same moment (PostgreSQL: FOR UPDATE SKIP LOCKED;
    SQLite, one writer at a time: the conditional claims)."""
    for day in range(10):
        _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(0) + dt.timedelta(days=7 + day), 8))
    _due_now()
    assert OutgoingMessage.objects.filter(status="pending").count() == 40
    claimed: list[list[uuid.UUID]] = []
    start = threading.Barrier(3, timeout=10)

    def worker():
        try:
            start.wait()
            claimed.append([m.pk for m in outbox.claim(token=uuid.uuid4(), limit=40)])
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        start = threading.Barrier(1)
        for _ in range(3):
            worker()
    else:
        workers = [threading.Thread(target=worker) for _ in range(3)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(20)
    every = [pk for batch in claimed for pk in batch]
    assert len(claimed) == 3 and len(every) == len(set(every)) == 40


# --- failures -----------------------------------------------------------------------------------


def test_a_failing_backend_is_retried_with_backoff_then_failed(settings, front_desk, reachable, practitioner, follow_up):
    settings.NEEDLECHART_SMS_BACKEND = "tests.scheduling.test_messages.BrokenSms"
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    delays = []
    for attempt in (1, 2):
        before = timezone.now()
        outcome = outbox.send_due()
        assert (outcome.retried, outcome.failed) == (1, 0)
        row = _rows(appointment, kind="confirmation", channel="sms")[0]
        assert row.status == "pending" and row.attempts == attempt and row.last_error == "SmsError: provider answered 503"
        delays.append(row.next_attempt_at - before)
        assert outbox.send_due().retried == 0  # not due again until the backoff is over
        _due_now(pk=row.pk)
    assert dt.timedelta(seconds=59) < delays[0] <= dt.timedelta(minutes=1, seconds=5)
    assert dt.timedelta(seconds=119) < delays[1] <= dt.timedelta(minutes=2, seconds=5)
    assert outbox.send_due().failed == 1
    row = _rows(appointment, kind="confirmation", channel="sms")[0]
    assert row.status == "failed" and row.attempts == 3
    assert outbox.send_due() == outbox.Outcome()  # failed stays failed until the front desk sends it again
    assert len(mail.outbox) == 1  # the e-mail went out on the first round


def test_the_sms_backend_is_chosen_by_the_setting(settings, capsys):
    settings.NEEDLECHART_SMS_BACKEND = "needlechart.scheduling.sms.ConsoleSmsBackend"
    sms.send_sms("+47 91234567", "Hei")
    assert "SMS to +47 91234567\nHei" in capsys.readouterr().out and sms.outbox == []
    settings.NEEDLECHART_SMS_BACKEND = LOCMEM
    sms.send_sms("+47 91234567", "Hei")
    assert sms.outbox == [sms.Sms("+47 91234567", "Hei")]
    with pytest.raises(sms.SmsError):
        sms.send_sms("", "Hei")
    settings.NEEDLECHART_SMS_BACKEND = "needlechart.scheduling.outbox.Outcome"
    with pytest.raises(TypeError, match="not an SMS backend"):
        sms.get_backend()


def test_the_confirmation_carries_the_ics_of_the_ical_module_when_there_is_one(monkeypatch, front_desk, reachable, practitioner, follow_up):
    fake = types.ModuleType("needlechart.scheduling.ical")
    fake.appointment_ics = lambda appointment: b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "needlechart.scheduling.ical", fake)
    _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    _send()
    assert mail.outbox[0].attachments == [("appointment.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")]


# --- the outbox page ----------------------------------------------------------------------------


@pytest.fixture
def failed(settings, front_desk, reachable, practitioner, follow_up):
    settings.NEEDLECHART_SMS_BACKEND = "tests.scheduling.test_messages.BrokenSms"
    settings.MESSAGE_MAX_ATTEMPTS = 1
    appointment = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    outbox.send_due()
    settings.NEEDLECHART_SMS_BACKEND = LOCMEM
    return OutgoingMessage.objects.get(appointment=appointment, status="failed")


def test_the_front_desk_sees_failed_messages_and_sends_one_again_audited(client, front_desk, failed):
    client.force_login(front_desk)
    page = client.get(reverse("outbox_failed"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "+47 90000000" in text and "SmsError: provider answered 503" in text and "Kari Nordmann" in text
    seen = AuditEvent.objects.filter(actor_id=front_desk.pk, action="view").latest("seq")
    assert seen.detail["page"] == "outbox" and seen.detail["patients"] == [str(failed.appointment.patient_id)]
    response = client.post(reverse("outbox_resend", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0
    event = AuditEvent.objects.filter(action="update", patient_id=failed.appointment.patient_id).latest("seq")
    assert event.actor_id == front_desk.pk and event.detail["resend"] == "confirmation" and event.detail["message"] == str(failed.pk)
    outbox.send_due()
    assert len(sms.outbox) == 1
    again = client.post(reverse("outbox_resend", args=[failed.pk]))  # sent now: not among the failed
    assert again.status_code == 400 and len(sms.outbox) == 1


def test_the_outbox_is_the_front_desks_and_the_admins_only(client, practitioner, clinic_admin, other_admin, failed):
    assert client.get(reverse("outbox_failed")).status_code == 302  # to sign in
    client.force_login(practitioner)
    assert client.get(reverse("outbox_failed")).status_code == 403
    assert client.post(reverse("outbox_resend", args=[failed.pk])).status_code == 403
    client.force_login(clinic_admin)
    assert client.get(reverse("outbox_failed")).status_code == 200
    client.force_login(other_admin)
    page = client.get(reverse("outbox_failed"))
    assert page.status_code == 200 and "+47 90000000" not in page.content.decode()
    assert client.post(reverse("outbox_resend", args=[failed.pk])).status_code == 400
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_the_confirmation_carries_the_real_ics_of_the_appointment(front_desk, reachable, practitioner, follow_up):
    _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 11))
    _send()
    [(name, content, mimetype)] = mail.outbox[0].attachments
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    assert content.startswith("BEGIN:VCALENDAR") and "BEGIN:VTIMEZONE" in content and "Europe/Oslo" in content
    assert not sms.outbox[0].text.startswith("BEGIN")  # an SMS carries no attachment


def test_the_clinic_admin_sets_how_long_before_the_visit_the_reminder_goes(
    client_for, clinic_admin, front_desk, reachable, practitioner, follow_up
):
    """The calendar set-up page saves the reminder's lead time, and the next booking's reminder
    is queued that long before the visit."""
    form = {"time_zone": "Europe/Oslo", "slot_minutes": "15", "minimum_notice_minutes": "60", "horizon_days": "90", "reminder_hours": "6"}
    answer = client_for(clinic_admin).post(reverse("calendar_setup"), form)
    assert answer.status_code in (200, 302)
    assert CalendarSettings.objects.get(clinic=clinic_admin.clinic).reminder_hours == 6
    visit = _book(front_desk, reachable, practitioner, follow_up, oslo(next_weekday(2) + dt.timedelta(days=7), 10))
    assert {m.next_attempt_at for m in _rows(visit, kind="reminder")} == {visit.starts_at - dt.timedelta(hours=6)}
