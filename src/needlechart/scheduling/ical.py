"""iCalendar (RFC 5545) from the calendar, with the icalendar package: a practitioner's feed and
the ``.ics`` attachment of one appointment.

- Every event has a UID that stays the same for the appointment (its id), a DTSTAMP (when the
  file was made, in UTC) and its start and end; a cancelled appointment stays in the feed with
  STATUS:CANCELLED, so a phone removes it rather than keeping a stale copy.
- The feed's times are UTC (no time-zone block needed); the attachment, for the patient, is in
  the clinic's zone with its VTIMEZONE block.
- A private feed names no patient: the event says the appointment type and the room. Neither
  ever carries the reason for the visit or anything clinical.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.scheduling.models import Appointment, AppointmentStatus
from needlechart.scheduling.selectors import clinic_zone

PRODID = "-//needlechart//calendar//EN"
UID_DOMAIN = "needlechart"
_CANCELLED = (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED)


def appointment_uid(appointment: Appointment) -> str:
    return f"{appointment.pk}@{UID_DOMAIN}"


def _calendar(name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _event(appointment: Appointment, *, summary: str, stamp: dt.datetime, zone: zoneinfo.ZoneInfo | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(zone or dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(zone or dt.UTC))
    event.add("summary", summary)
    if appointment.room is not None:
        event.add("location", appointment.room.name)
    event.add("status", "CANCELLED" if appointment.status in _CANCELLED else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if appointment.status in _CANCELLED else "OPAQUE")
    return event


def feed_calendar(appointments: Iterable[Appointment], *, name: str, private: bool, language: str) -> bytes:
    """A practitioner's feed: each appointment an event in UTC, named by its type (and, unless
    ``private``, by the patient's name)."""
    stamp = timezone.now().astimezone(dt.UTC)
    calendar = _calendar(name)
    with translation.override(language):
        for appointment in appointments:
            kind = appointment.appointment_type.name_in(language)
            summary = kind if private else f"{appointment.patient.full_name} · {kind}"
            calendar.add_component(_event(appointment, summary=summary or _("Appointment"), stamp=stamp, zone=None))
    return calendar.to_ical()


def appointment_ics(appointment: Appointment, *, zone: zoneinfo.ZoneInfo | None = None, language: str | None = None) -> bytes:
    """One appointment as an ``.ics`` file for the patient's confirmation: in the clinic's zone
    (its VTIMEZONE block included), with METHOD:PUBLISH, named by the clinic's appointment type
    in the patient's language. The patient's own name is not in it (an attachment can be forwarded)."""
    zone = zone or clinic_zone(appointment.clinic_id)
    language = language or appointment.patient.preferred_language
    calendar = _calendar()
    calendar.add("method", "PUBLISH")
    with translation.override(language):
        kind = appointment.appointment_type.name_in(language)
        summary = _("%(type)s with %(practitioner)s") % {"type": kind, "practitioner": appointment.practitioner.display_name}
        calendar.add_component(_event(appointment, summary=summary, stamp=timezone.now().astimezone(dt.UTC), zone=zone))
    calendar.add_missing_timezones()
    return calendar.to_ical()
