"""What the patient does with the manage link: see the booking, cancel it, or move it to another time.

The link itself expires at the end of the appointment's day (``link_expires_at``).
Cancel and move are allowed until the clinic's cancellation limit (``PublicProfile.cancellation_limit_hours``
before the time). A move keeps the type; the patient picks another free time with the same
practitioner or the first available one. The free times are the same as the booking pages show
(visitors' holds left out), the practitioner's row is locked while the time is checked and taken,
and the database's guard against double booking still decides a race (``TimeTaken``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from needlechart.clinics.models import User
from needlechart.public.booking import TimeTaken, Window, booking_actor, free_times, secret_hash
from needlechart.public.booking_models import OnlineBooking
from needlechart.public.models import PublicProfile
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import Appointment, AppointmentStatus, Room
from needlechart.scheduling.selectors import clinic_zone
from needlechart.scheduling.slots import Slot

CANCEL_REASON = "Cancelled by the patient online"


class TooLate(Exception):
    """Past the clinic's limit for cancelling or moving online (or no longer booked)."""


def booking_by_secret(profile: PublicProfile, secret: str) -> OnlineBooking | None:
    return (
        OnlineBooking.objects.select_related("appointment", "appointment__appointment_type", "appointment__practitioner", "patient")
        .filter(clinic_id=profile.clinic_id, manage_secret_hash=secret_hash(secret))
        .first()
    )


def link_expires_at(booking: OnlineBooking) -> dt.datetime:
    """The manage link works until the end of its appointment's day in the clinic's zone (a moved
    booking's link follows the new day); after that it opens nothing."""
    zone = clinic_zone(booking.clinic_id)
    day = booking.appointment.starts_at.astimezone(zone).date()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def link_expired(booking: OnlineBooking, *, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= link_expires_at(booking)


def cancel_until(profile: PublicProfile, booking: OnlineBooking) -> dt.datetime:
    return booking.appointment.starts_at - dt.timedelta(hours=profile.cancellation_limit_hours)


def may_change(profile: PublicProfile, booking: OnlineBooking, *, now: dt.datetime | None = None) -> bool:
    """Whether the patient may still cancel or move the booking online."""
    now = now or timezone.now()
    return booking.appointment.status == AppointmentStatus.BOOKED and now < cancel_until(profile, booking)


def cancel(profile: PublicProfile, booking: OnlineBooking) -> None:
    if not may_change(profile, booking):
        raise TooLate
    scheduling.appointment_cancel(actor=booking_actor(profile.clinic_id), appointment=booking.appointment, reason=CANCEL_REASON)


def move_times(
    profile: PublicProfile, booking: OnlineBooking, practitioner_ids: list[int], *, first_day: dt.date | None = None
) -> tuple[list[Slot], Window]:
    """The free times the booking may move to: of its type, with the practitioners given, and not
    later than the rules allow (the booking pages' notice and horizon)."""
    appointment = booking.appointment
    slots, window = free_times(profile, appointment.appointment_type, practitioner_ids, first_day=first_day)
    return [s for s in slots if s.start != appointment.starts_at or s.practitioner_id != appointment.practitioner_id], window


@transaction.atomic
def move(profile: PublicProfile, booking: OnlineBooking, practitioner_id: int, starts_at: dt.datetime) -> Appointment:
    """Move the booking to ``starts_at`` with ``practitioner_id``: ``TooLate`` past the limit,
    ``TimeTaken`` when the time is not free (held by a visitor, booked, or lost in a race)."""
    if not may_change(profile, booking):
        raise TooLate
    practitioner = User.objects.select_for_update().filter(pk=practitioner_id, clinic_id=profile.clinic_id).first()
    if practitioner is None:
        raise TimeTaken
    day = starts_at.astimezone(clinic_zone(profile.clinic_id)).date()
    slots, _window = move_times(profile, booking, [practitioner_id], first_day=day)
    slot = next((s for s in slots if s.start == starts_at and s.practitioner_id == practitioner_id), None)
    if slot is None:
        raise TimeTaken
    room = Room.objects.filter(pk=slot.room_id).first() if slot.room_id else None
    try:
        with transaction.atomic():
            return scheduling.appointment_move(
                actor=booking_actor(profile.clinic_id),
                appointment=booking.appointment,
                starts_at=slot.start,
                practitioner=practitioner,
                room=room,
            )
    except scheduling.BookingConflict as error:
        raise TimeTaken from error
