"""Online booking from a clinic's public pages: the account it acts as, floods, free times and holds.

No one signs in. What the public booking writes it writes as the clinic's *online booking* account
(``booking_actor``): a front-desk account of the clinic with no usable password, made on first
use, so the scheduling, patient and screening services check, refuse and audit exactly as for the
front desk, and the audit trail names the public booking as the actor. It is a system account,
not a person: the staff lists, the directory and sign-in leave it out (``clinics.selectors``).

The flow: the visitor picks a practitioner (or the first available), one of the clinic's types
open for online booking and a free time (after the calendar's minimum notice, before its
horizon); the time is then held for ``PublicProfile.booking_hold_minutes`` (a ``SlotHold``, left
out of everyone else's free times until it expires); the form gives the patient's details and a
short pre-check (``booking_precheck``). A returning patient confirms a code sent to the phone or
e-mail on file (``booking_codes``); the booking itself is ``booking_make``, the manage link's
cancel and move ``booking_manage``, the front desk's check of new patients ``booking_desk``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from needlechart.clinics.models import User
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX
from needlechart.core.access import Approval, Role
from needlechart.public.booking_models import SlotHold
from needlechart.public.models import PublicProfile
from needlechart.scheduling.models import AppointmentType
from needlechart.scheduling.selectors import calendar_settings, clinic_zone, diaries, free_time_read, rooms_taken, zone_of
from needlechart.scheduling.slots import Slot, SlotQuery, Span, free_slots

DAYS_SHOWN = 7
# The booking page lists whole days of free times until it has this many (a week of "first
# available" in a clinic of ten offered 150-230 times); its "Later days" go on from there.
TIMES_SHOWN = 60
# The public pages' "Book with a certified practitioner": each practitioner's next free times, looked
# for in this many weeks at most (a full calendar does not make the section read up to the horizon).
NEXT_TIMES, NEXT_WEEKS = 4, 4
# Floods: bookings and holds per address, bookings per phone number.
IP_LIMIT, IP_WINDOW = 30, 3600
PHONE_LIMIT, PHONE_WINDOW = 3, 24 * 3600


class TimeTaken(Exception):
    """The time was taken (held or booked by someone else) before this visitor could have it."""


class RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- the actor -----------------------------------------------------------------------------------


def booking_actor(clinic_id: uuid.UUID) -> User:
    """The clinic's online booking account (made on first use): what the public booking acts as."""
    user, made = User.objects.get_or_create(
        username=f"{SYSTEM_ACCOUNT_PREFIX}{clinic_id}",
        defaults={
            "clinic_id": clinic_id,
            "role": Role.FRONT_DESK,
            "approval": Approval.APPROVED,
            "first_name": "Online",
            "last_name": "booking",
            "is_active": True,
        },
    )
    if made:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- rate limits --------------------------------------------------------------------------------


def count(kind: str, value: str, *, limit: int, window: int) -> None:
    """Count one attempt of ``kind`` by ``value`` (an address, a phone number); over the limit: ``RateLimited``."""
    now = int(timezone.now().timestamp())
    start = now // window * window
    key = f"needlechart:booking:{kind}:{secret_hash(value)[:32]}:{start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        calls = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window + 5)
        calls = 1
    if calls > limit:
        raise RateLimited(max(1, start + window - now))


def normalised_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-8:] if len(digits) >= 8 else digits


# --- what may be booked -------------------------------------------------------------------------


def bookable_types(clinic_id: uuid.UUID) -> list[AppointmentType]:
    return list(AppointmentType.objects.filter(clinic_id=clinic_id, active=True, bookable_online=True).order_by("name_en"))


def bookable_type(clinic_id: uuid.UUID, type_id: str) -> AppointmentType | None:
    try:
        return AppointmentType.objects.get(clinic_id=clinic_id, active=True, bookable_online=True, pk=uuid.UUID(str(type_id)))
    except (AppointmentType.DoesNotExist, ValueError):
        return None


def assessment_type_for(profile: PublicProfile) -> AppointmentType | None:
    """The type a needling booking becomes when needling is ruled out: the clinic's choice, else the
    first bookable type in use that is no needling session."""
    chosen = profile.assessment_type
    if chosen is not None and chosen.active and not chosen.is_needling:
        return chosen
    return (
        AppointmentType.objects.filter(clinic_id=profile.clinic_id, active=True, is_needling=False)
        .order_by("-bookable_online", "name_en")
        .first()
    )


@dataclass
class Window:
    start: dt.datetime
    end: dt.datetime
    earliest: dt.datetime
    latest: dt.datetime


def window_of(clinic_id: uuid.UUID, first_day: dt.date | None, *, now: dt.datetime) -> tuple[Window, Any]:
    """The days shown from ``first_day`` (today when none), kept inside notice and horizon."""
    calendar = calendar_settings(clinic_id)
    zone = zone_of(calendar)
    earliest = now + dt.timedelta(minutes=calendar.minimum_notice_minutes)
    latest = now + dt.timedelta(days=calendar.horizon_days)
    today = now.astimezone(zone).date()
    day = first_day or earliest.astimezone(zone).date()
    day = min(max(day, today), latest.astimezone(zone).date())
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=DAYS_SHOWN), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    return Window(start, end, earliest, latest), calendar


def _active_holds(clinic_id: uuid.UUID, span: Span, *, now: dt.datetime, leaving_out: uuid.UUID | None = None) -> list[SlotHold]:
    holds = SlotHold.objects.filter(clinic_id=clinic_id, expires_at__gt=now, starts_at__lt=span.end, blocked_until__gt=span.start)
    return list(holds.exclude(pk=leaving_out) if leaving_out else holds)


def free_times(
    profile: PublicProfile,
    kind: AppointmentType,
    practitioner_ids: Sequence[int],
    *,
    first_day: dt.date | None = None,
    now: dt.datetime | None = None,
    leaving_out_hold: uuid.UUID | None = None,
    limit: int | None = None,
) -> tuple[list[Slot], Window]:
    """The free times of ``kind`` with the practitioners given, in the days shown: not sooner than
    the notice, not beyond the horizon, and clear of every hold but ``leaving_out_hold``. With a
    ``limit``, the days up to the one whose times reach it, each whole; the window returned then
    ends with that day."""
    now = now or timezone.now()
    window, calendar = window_of(profile.clinic_id, first_day, now=now)
    if not practitioner_ids or window.end <= window.earliest:
        return [], window
    actor = booking_actor(profile.clinic_id)
    span = Span(window.start, window.end)
    read = free_time_read(user=actor, span=span, practitioner_ids=list(practitioner_ids), calendar=calendar)
    holds = _active_holds(profile.clinic_id, span, now=now, leaving_out=leaving_out_hold)
    found = []
    for diary in diaries(read, list(practitioner_ids)):
        held = [Span(h.starts_at, h.blocked_until) for h in holds if h.practitioner_id == diary.practitioner_id]
        found.append(replace(diary, taken=[*diary.taken, *held]))
    room_taken = rooms_taken(read)
    for hold in holds:
        if hold.room_id:
            room_taken.setdefault(hold.room_id, []).append(Span(hold.starts_at, hold.blocked_until))
    query = SlotQuery(
        length=dt.timedelta(minutes=kind.duration_minutes),
        buffer=dt.timedelta(minutes=kind.buffer_minutes),
        window=span,
        now=now,
        step=dt.timedelta(minutes=calendar.slot_minutes),
        notice=dt.timedelta(minutes=calendar.minimum_notice_minutes),
        horizon=dt.timedelta(days=calendar.horizon_days),
    )
    slots = free_slots(found, query, read.zone, room_taken, limit=limit, whole_days=True)
    if limit is not None and len(slots) >= limit:
        last_day = slots[-1].start.astimezone(read.zone).date()
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=read.zone).astimezone(dt.UTC)
        window = replace(window, end=min(window.end, end))
    return slots, window


def next_free_times(
    profile: PublicProfile,
    kind: AppointmentType,
    practitioner_ids: Sequence[int],
    *,
    most: int = NEXT_TIMES,
    weeks: int = NEXT_WEEKS,
    now: dt.datetime | None = None,
) -> dict[int, list[Slot]]:
    """Each practitioner's first ``most`` free times of ``kind`` (as ``free_times`` finds them:
    after the notice, before the horizon, clear of holds), looked for a week at a time, one
    calendar read for all of them each week, for at most ``weeks`` weeks."""
    now = now or timezone.now()
    found: dict[int, list[Slot]] = {pid: [] for pid in practitioner_ids}
    day: dt.date | None = None
    zone = clinic_zone(profile.clinic_id)
    for _week in range(weeks):
        wanted = [pid for pid in practitioner_ids if len(found[pid]) < most]
        if not wanted:
            break
        slots, window = free_times(profile, kind, wanted, first_day=day, now=now)
        for slot in slots:
            if len(found[slot.practitioner_id]) < most:
                found[slot.practitioner_id].append(slot)
        if window.end >= window.latest:
            break
        day = (window.start + dt.timedelta(days=DAYS_SHOWN, hours=12)).astimezone(zone).date()
    return found


def by_day(slots: Sequence[Slot], zone: Any) -> list[tuple[dt.date, list[Slot]]]:
    days: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    return sorted(days.items())


# --- holds --------------------------------------------------------------------------------------


@transaction.atomic
def hold_create(profile: PublicProfile, kind: AppointmentType, practitioner_id: int, starts_at: dt.datetime) -> tuple[SlotHold, str]:
    """Hold the time for this visitor; ``TimeTaken`` when it is no longer free. The practitioner's
    row is locked meanwhile, so two visitors holding the same time at once get one hold."""
    now = timezone.now()
    User.objects.select_for_update().filter(pk=practitioner_id, clinic_id=profile.clinic_id).first()
    zone_day = starts_at.astimezone(clinic_zone(profile.clinic_id)).date()
    slots, _window = free_times(profile, kind, [practitioner_id], first_day=zone_day, now=now)
    slot = next((s for s in slots if s.start == starts_at and s.practitioner_id == practitioner_id), None)
    if slot is None:
        raise TimeTaken
    secret = secrets.token_urlsafe(24)
    hold = SlotHold.objects.create(
        clinic_id=profile.clinic_id,
        practitioner_id=practitioner_id,
        appointment_type=kind,
        room_id=slot.room_id,
        starts_at=slot.start,
        blocked_until=slot.blocked_until,
        expires_at=now + dt.timedelta(minutes=profile.booking_hold_minutes),
        secret_hash=secret_hash(secret),
    )
    return hold, secret


def hold_get(profile: PublicProfile, secret: str) -> SlotHold | None:
    """The visitor's hold while it lasts; None when unknown or expired."""
    return (
        SlotHold.objects.select_related("appointment_type", "practitioner", "room")
        .filter(clinic_id=profile.clinic_id, secret_hash=secret_hash(secret), expires_at__gt=timezone.now())
        .first()
    )


def limits() -> dict[str, int]:
    return {
        "ip": getattr(settings, "ONLINE_BOOKING_IP_LIMIT", IP_LIMIT),
        "phone": getattr(settings, "ONLINE_BOOKING_PHONE_LIMIT", PHONE_LIMIT),
    }
