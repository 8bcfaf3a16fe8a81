"""The send-follow-ups command: one automatic link per signed needling session, when due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.core.db_triggers import immutability_lifted
from needlechart.outcomes.models import FollowUpLink
from tests.needling.conftest import ready_session, screened  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _sign(encounter, practitioner):
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Neck pain 6/10")
    return charting.note_sign(actor=practitioner, note=note)


@pytest.fixture
def signed_session(ready_session, practitioner):  # noqa: F811 - the fixture above
    patient = ready_session.patient
    patient.email = "kari@example.invalid"
    patient.save()
    _sign(ready_session, practitioner)
    return ready_session


def test_a_due_session_gets_one_link_by_e_mail_and_only_once(signed_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_follow_ups", "--after-hours", "0", "--base-url", "https://clinic.example")
    assert FollowUpLink.objects.filter(encounter=signed_session, sent_to="kari@example.invalid").count() == 1
    assert len(mail.outbox) == 1 and "https://clinic.example/follow-up/" in mail.outbox[0].body
    call_command("send_follow_ups", "--after-hours", "0", "--base-url", "https://clinic.example")
    assert FollowUpLink.objects.filter(encounter=signed_session).count() == 1
    assert len(mail.outbox) == 1


def _started(session, ago: dt.timedelta) -> None:
    """Make the signed session have started ``ago`` (a signed visit's time is frozen: lift the guard)."""
    with immutability_lifted(connection, {"charting_encounter": "encounter"}):
        type(session).objects.filter(pk=session.pk).update(starts_at=timezone.now() - ago)


def test_too_recent_too_old_or_no_address_sends_nothing(signed_session):
    call_command("send_follow_ups", "--base-url", "https://clinic.example")  # the session started just now: not 24 h yet
    assert not FollowUpLink.objects.exists()
    _started(signed_session, dt.timedelta(days=9))
    call_command("send_follow_ups", "--base-url", "https://clinic.example")  # older than a week
    assert not FollowUpLink.objects.exists()
    _started(signed_session, dt.timedelta(days=2))
    signed_session.patient.email = ""
    signed_session.patient.save()
    call_command("send_follow_ups", "--base-url", "https://clinic.example")
    assert not FollowUpLink.objects.exists() and not mail.outbox


def test_an_unsigned_session_is_not_followed_up(ready_session):  # noqa: F811
    call_command("send_follow_ups", "--after-hours", "0", "--base-url", "https://clinic.example")
    assert not FollowUpLink.objects.exists()


@pytest.mark.parametrize(
    "args", [["--base-url", "clinic.example"], ["--base-url", ""], ["--within-days", "0", "--base-url", "https://c.example"]]
)
def test_bad_arguments_are_refused_with_a_message(args):
    with pytest.raises(CommandError, match="--"):
        call_command("send_follow_ups", *args)
