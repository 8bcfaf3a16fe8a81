"""Sign-in attempts for one account from many addresses (password spraying) are slowed down.

django-axes locks a username and address pair after ``AXES_FAILURE_LIMIT`` failures; someone who
tries a colleague's username from many addresses passes under it. So failures for a username are
also counted from every address it has never signed in from. From ``SIGN_IN_THROTTLE_LIMIT``
on, each failure refuses that username's next attempts, unchecked, for a while that doubles with
each further failure, from ``SIGN_IN_THROTTLE_DELAY`` up to at most ``SIGN_IN_THROTTLE_MAX_DELAY``;
failures are forgotten after ``SIGN_IN_THROTTLE_WINDOW`` without one.

Why this cannot lock a colleague out for good: a refused attempt is not checked and not counted,
so a stranger adds at most one failure per refused period, and no period lasts longer than
``SIGN_IN_THROTTLE_MAX_DELAY`` after the last failure the server checked. From an address the
account signed in from before (the clinic's own network, their home) this throttle never refuses
(django-axes' lock on that address still applies), so the real user with the right password and
second factor is in at once there; elsewhere once the period ends (a stranger who tries again at
that very moment starts another, which is why known addresses are exempt rather than only the
delay bounded). Once throttled, a stranger gets one guess per ``SIGN_IN_THROTTLE_MAX_DELAY``.

The counts are rows in the database, not in a per-process cache, so every server process and
machine shares them. The check is an authentication backend (``SignInThrottleBackend``, before
Django's), so it guards every sign-in form, Django's admin's too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from needlechart.audit.context import client_ip
from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import SignInThrottle, User

# A sign-in from an address within this long makes it the account's own.
KNOWN_ADDRESS_DAYS = 90
# Set on the request of an attempt this throttle let through to the password check, and of one it refused.
CHECKED = "sign_in_throttle_checked"
REFUSED_UNTIL = "sign_in_refused_until"


def _key(username: str) -> str:
    return username.casefold()[:150]


def _known_address(username: str, address: str) -> bool:
    """Whether ``username`` signed in from ``address`` lately (django-axes' log of sign-ins)."""
    since = timezone.now() - dt.timedelta(days=KNOWN_ADDRESS_DAYS)
    return bool(address) and AccessLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since).exists()


def delay_after(failures: int) -> dt.timedelta | None:
    """How long a username's attempts are refused after its ``failures``-th failure (None: not yet)."""
    over = failures - settings.SIGN_IN_THROTTLE_LIMIT
    if over < 0:
        return None
    return min(settings.SIGN_IN_THROTTLE_DELAY * 2 ** min(over, 30), settings.SIGN_IN_THROTTLE_MAX_DELAY)


def refused_until(*, username: str, address: str) -> dt.datetime | None:
    """Until when an attempt for ``username`` from ``address`` is refused (None: it may be checked).
    A refused attempt is counted on the row, to be named in the next audit row, but adds no failure."""
    now = timezone.now()
    row = SignInThrottle.objects.filter(username=_key(username), refused_until__gt=now).first()
    if row is None or row.refused_until is None or _known_address(username, address):
        return None
    SignInThrottle.objects.filter(pk=row.pk).update(refused=row.refused + 1)
    return row.refused_until


def record_failure(*, username: str, address: str) -> None:
    """A failed password check for ``username`` from ``address``; refuses the next attempts for a while
    from the limit on, and writes that to the audit log (on the account's clinic when it exists)."""
    key = _key(username)
    if not key or _known_address(username, address):
        return
    now = timezone.now()
    with transaction.atomic():
        row = SignInThrottle.objects.select_for_update().filter(username=key).first()
        if row is None:
            SignInThrottle.objects.filter(last_failure_at__lt=now - settings.SIGN_IN_THROTTLE_WINDOW).delete()
            row = SignInThrottle(username=key, last_failure_at=now)
        elif now - row.last_failure_at > settings.SIGN_IN_THROTTLE_WINDOW:
            row.failures, row.refused = 0, 0
        row.failures += 1
        row.last_failure_at = now
        delay = delay_after(row.failures)
        row.refused_until = now + delay if delay else None
        refused, row.refused = row.refused, 0
        row.save()
        if delay:
            account = User.objects.filter(username=username).only("pk", "clinic_id").first()
            audit_record(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                object_type=AuditObject.SIGN_IN_THROTTLE,
                object_id=account.pk if account else "",
                clinic_id=account.clinic_id if account else None,
                detail={
                    "username": username[:150],
                    "failures": row.failures,
                    "refused_seconds": int(delay.total_seconds()),
                    "refused": refused,
                },
            )


class SignInThrottleBackend:
    """Refuses a throttled username's attempt before any password is checked; authenticates no one.

    Listed after django-axes' backend (whose lock on the address comes first) and before Django's.
    It has no ``get_user``, so no session is ever tied to it (Django's test client and ``login()``
    without a backend take the first backend that has one)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> None:
        if request is None or not username:
            return None
        until = refused_until(username=username, address=client_ip(request))
        if until is not None:
            setattr(request, REFUSED_UNTIL, until)
            raise PermissionDenied
        setattr(request, CHECKED, True)
        return None


@receiver(user_login_failed, dispatch_uid="sign_in_throttle_failure")
def _failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Only attempts whose password was checked count: not those refused here or by django-axes.
    if request is not None and getattr(request, CHECKED, False):
        record_failure(username=str(credentials.get("username", "")), address=client_ip(request))
