"""Staff see their signed-in sessions and end any of them; an admin ends a leaving colleague's at once.

Sessions are Django's (the database backend); ``StaffSession`` names each one's key when its user
signs in, so that a user's sessions can be found without reading every session in the store.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.context import client_ip
from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import StaffSession, User
from needlechart.core.access import Capability, has_capability


@receiver(user_logged_in, dispatch_uid="staff_session_started")
def _started(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    if request is None or not hasattr(request, "session") or request.session.session_key is None:
        return
    StaffSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "address": client_ip(request), "user_agent": request.headers.get("User-Agent", "")[:200]},
    )


@receiver(user_logged_out, dispatch_uid="staff_session_ended")
def _ended(sender, request: HttpRequest | None, user: User | None, **kwargs) -> None:
    if request is not None and hasattr(request, "session") and request.session.session_key:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()


def open_sessions(user: User) -> list[StaffSession]:
    """``user``'s sessions that are still open, newest first (records of ended ones are removed)."""
    rows = list(StaffSession.objects.filter(user=user))
    live = set(
        Session.objects.filter(session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()).values_list(
            "session_key", flat=True
        )
    )
    StaffSession.objects.filter(pk__in=[r.pk for r in rows if r.session_key not in live]).delete()
    return [r for r in rows if r.session_key in live]


@transaction.atomic
def end_sessions(*, actor: User, staff: User, session_ids: list[int] | None = None, keep_session_key: str | None = None) -> int:
    """End ``staff``'s sessions (those of ``session_ids``, or all but ``keep_session_key``): their next
    request signs in again. Staff end their own; a clinic admin ends a colleague's."""
    if actor.pk != staff.pk and not (has_capability(actor, Capability.MANAGE_STAFF) and actor.clinic_id == staff.clinic_id):
        raise PermissionDenied(_("Only the clinic's admins can end a colleague's sessions."))
    rows = StaffSession.objects.filter(user=staff)
    if session_ids is not None:
        rows = rows.filter(pk__in=session_ids)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    rows.delete()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, object_type=AuditObject.STAFF, object_id=staff.pk, detail={"sessions_ended": len(keys)}
    )
    return len(keys)


def session_key_changed(*, old_key: str | None, new_key: str | None) -> None:
    """A session got a new key (Django's ``update_session_auth_hash`` after a password change cycles
    it): its record follows, so the session stays on the user's list and can still be ended."""
    if old_key and new_key and old_key != new_key:
        StaffSession.objects.filter(session_key=old_key).update(session_key=new_key)
