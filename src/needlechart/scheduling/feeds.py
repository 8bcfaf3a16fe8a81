"""A practitioner's calendar feed: making, renewing and revoking its secret address, the privacy
choice, and reading the feed by its token (no sign-in: the token is the key, as a phone's
calendar cannot sign in).

The token is shown once, when it is made; only its SHA-256 is stored. Every change is audited,
and so is every fetch: one row per fetch, and when the feed names patients (the practitioner
turned privacy off) one row per patient it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_read, audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.scheduling import ical
from needlechart.scheduling.feed_models import CalendarFeed
from needlechart.scheduling.models import Appointment

DAYS_BACK = 30
DAYS_AHEAD = 180
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_have_feed(user: User) -> bool:
    """Practitioners (who see the calendar) have a feed of their own appointments."""
    return bool(user.is_practitioner and has_capability(user, Capability.VIEW_DAY_LIST))


def feed_of(*, user: User) -> CalendarFeed | None:
    require_capability(user, Capability.VIEW_DAY_LIST)
    return CalendarFeed.objects.filter(practitioner=user, clinic_id=clinic_id_of(user)).first()


def _feed_for_change(user: User) -> CalendarFeed:
    if not may_have_feed(user):
        raise PermissionDenied("calendar:feed")
    feed, _created = CalendarFeed.objects.select_for_update().get_or_create(practitioner=user, defaults={"clinic_id": clinic_id_of(user)})
    return feed


@transaction.atomic
def feed_token_new(*, actor: User) -> tuple[CalendarFeed, str]:
    """A new secret address (the old one, if any, stops working); returns the token, shown once."""
    feed = _feed_for_change(actor)
    renewed = feed.active
    token = secrets.token_urlsafe(32)
    feed.token_hash, feed.token_created_at = token_hash(token), timezone.now()
    feed.save(update_fields=["token_hash", "token_created_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if renewed else AuditAction.CREATE,
        object_type=AuditObject.CALENDAR_FEED,
        object_id=feed.pk,
        detail={"token": "renewed" if renewed else "made"},
    )
    return feed, token


@transaction.atomic
def feed_revoke(*, actor: User) -> CalendarFeed:
    feed = _feed_for_change(actor)
    if feed.active:
        feed.token_hash = None
        feed.save(update_fields=["token_hash"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, object_type=AuditObject.CALENDAR_FEED, object_id=feed.pk, detail={"token": "revoked"}
        )
    return feed


@transaction.atomic
def feed_set_private(*, actor: User, private: bool) -> CalendarFeed:
    """The practitioner's choice: whether the feed's events name the patient (audited either way)."""
    feed = _feed_for_change(actor)
    if feed.private != private:
        feed.private = private
        feed.save(update_fields=["private"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, object_type=AuditObject.CALENDAR_FEED, object_id=feed.pk, detail={"private": private}
        )
    return feed


def feed_by_token(token: str) -> CalendarFeed | None:
    """The active feed of ``token`` whose practitioner may still see the calendar, else None."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    feed = CalendarFeed.objects.select_related("practitioner").filter(token_hash=token_hash(token)).first()
    if feed is None or not feed.practitioner.is_active or feed.practitioner.clinic_id != feed.clinic_id:
        return None
    return feed if may_have_feed(feed.practitioner) else None


def feed_appointments(feed: CalendarFeed, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The practitioner's appointments in their clinic from 30 days back to 180 days ahead."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            clinic_id=feed.clinic_id,
            practitioner_id=feed.practitioner_id,
            starts_at__gte=now - dt.timedelta(days=DAYS_BACK),
            starts_at__lt=now + dt.timedelta(days=DAYS_AHEAD),
        )
        .select_related("appointment_type", "room", "patient")
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class FeedRead:
    body: bytes
    appointments: int


def feed_read(feed: CalendarFeed, *, name: str, now: dt.datetime | None = None) -> FeedRead:
    """The feed's ``.ics`` (audited: the fetch, and each patient named when it is not private)."""
    appointments = list(feed_appointments(feed, now=now))
    practitioner = feed.practitioner
    body = ical.feed_calendar(appointments, name=name, private=feed.private, language=practitioner.preferred_language)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    audit_read(
        actor=practitioner,
        object_type=AuditObject.CALENDAR_FEED,
        object_id=feed.pk,
        clinic_id=feed.clinic_id,
        detail={"appointments": len(appointments), "private": feed.private},
    )
    if not feed.private:
        for patient_id in dict.fromkeys(a.patient_id for a in appointments):
            audit_read(
                actor=practitioner,
                object_type=AuditObject.PATIENT,
                object_id=patient_id,
                patient_id=patient_id,
                clinic_id=feed.clinic_id,
                detail={"page": "calendar feed"},
            )
    return FeedRead(body, len(appointments))
