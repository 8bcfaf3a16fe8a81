"""One account tried from many addresses is slowed down, for a bounded while, and never from an
address where it signed in before (clinics.throttle)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditAction, AuditEvent, AuditObject
from needlechart.clinics import throttle
from needlechart.clinics.models import SignInThrottle
from tests.conftest import PASSWORD

LIMIT = 10  # settings.SIGN_IN_THROTTLE_LIMIT's default


def _attempt(username: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def _spray(username: str, count: int) -> list[int]:
    """One wrong password from each of ``count`` addresses (each under django-axes' lock); the answers."""
    return [_attempt(username, "wrong-guess", f"203.0.113.{n}").status_code for n in range(1, count + 1)]


def _time_passes() -> None:
    """As if the refusal ran out (no test waits)."""
    SignInThrottle.objects.update(refused_until=timezone.now() - dt.timedelta(seconds=1))


def test_the_refusal_grows_from_a_minute_and_is_bounded():
    minute = dt.timedelta(minutes=1)
    assert throttle.delay_after(LIMIT - 1) is None
    assert [throttle.delay_after(LIMIT + n) for n in range(5)] == [minute, 2 * minute, 4 * minute, 8 * minute, 15 * minute]
    assert throttle.delay_after(10**6) == 15 * minute


def test_failures_from_many_addresses_refuse_the_account_even_with_the_right_password(practitioner):
    assert _spray(practitioner.username, LIMIT - 1) == [200] * (LIMIT - 1)
    assert _attempt(practitioner.username, "wrong-guess", "198.51.100.1").status_code == 200  # the tenth: from now on refused
    refused = _attempt(practitioner.username, PASSWORD, "198.51.100.2")
    assert refused.status_code == 429 and b"Too many failed sign-ins for this account" in refused.content
    assert b"Try again in 1 minute" in refused.content
    row = AuditEvent.objects.get(object_type=AuditObject.SIGN_IN_THROTTLE)
    assert row.action == AuditAction.LOGIN_FAILED and row.clinic_id == practitioner.clinic_id and row.object_id == str(practitioner.pk)
    assert row.detail == {"username": practitioner.username, "failures": LIMIT, "refused_seconds": 60, "refused": 0}


def test_refused_attempts_are_not_checked_and_do_not_extend_the_refusal(practitioner):
    _spray(practitioner.username, LIMIT)
    before = SignInThrottle.objects.get()
    for n in range(30):
        assert _attempt(practitioner.username, "wrong-guess", f"192.0.2.{n}").status_code == 429
    after = SignInThrottle.objects.get()
    assert (after.failures, after.refused_until) == (before.failures, before.refused_until) and after.refused == 30
    _time_passes()
    _attempt(practitioner.username, "wrong-guess", "192.0.2.200")  # the next checked failure names the refused ones
    assert AuditEvent.objects.filter(object_type=AuditObject.SIGN_IN_THROTTLE).order_by("-id").first().detail["refused"] == 30


def test_after_the_bounded_wait_the_real_user_signs_in(practitioner):
    assert _spray(practitioner.username, LIMIT + 20)[LIMIT:] == [429] * 20  # refused unchecked
    for n in range(8):  # a stranger who tries again each time a refusal ends
        _time_passes()
        assert _attempt(practitioner.username, "wrong-guess", f"192.0.2.{n}").status_code == 200
    row = SignInThrottle.objects.get()
    assert row.failures == LIMIT + 8 and row.refused_until - row.last_failure_at == dt.timedelta(minutes=15)  # no longer
    assert _attempt(practitioner.username, PASSWORD, "198.51.100.7").status_code == 429
    _time_passes()
    assert _attempt(practitioner.username, PASSWORD, "198.51.100.7").status_code == 302


def test_from_an_address_it_signed_in_from_before_the_account_is_never_refused(practitioner):
    assert _attempt(practitioner.username, PASSWORD, "10.0.0.5").status_code == 302  # the clinic's own network
    _spray(practitioner.username, LIMIT + 5)
    assert _attempt(practitioner.username, PASSWORD, "198.51.100.9").status_code == 429
    assert _attempt(practitioner.username, PASSWORD, "10.0.0.5").status_code == 302


def test_the_throttle_is_per_account_and_forgets_after_a_quiet_hour(practitioner, second_practitioner):
    _spray(practitioner.username.upper(), LIMIT)  # case variants count as one account
    assert _attempt(practitioner.username, PASSWORD, "198.51.100.3").status_code == 429
    assert _attempt(second_practitioner.username, PASSWORD, "198.51.100.3").status_code == 302
    SignInThrottle.objects.update(last_failure_at=timezone.now() - dt.timedelta(hours=2), refused_until=None)
    _attempt(practitioner.username, "wrong-guess", "198.51.100.4")
    assert SignInThrottle.objects.get().failures == 1


def test_unknown_usernames_are_throttled_alike_so_the_message_tells_nothing(db):
    _spray("nobody-here", LIMIT)
    assert _attempt("nobody-here", "wrong-guess", "198.51.100.5").status_code == 429
    assert AuditEvent.objects.get(object_type=AuditObject.SIGN_IN_THROTTLE).clinic_id is None
