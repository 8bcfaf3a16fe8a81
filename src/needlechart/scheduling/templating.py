"""What the calendar's templates draw from (registered by web.templating: GLOBALS)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone
from django.utils.http import urlencode

from needlechart.core.formatting import url
from needlechart.scheduling.access import CalendarAction, may
from needlechart.scheduling.models import Appointment, AppointmentType
from needlechart.scheduling.slots import Slot


def free_time_url(slot: Slot, kind: AppointmentType | None, patient: uuid.UUID | str | None = None, zone: dt.tzinfo | None = None) -> str:
    """The booking form for a free time, filled in (its time in ``zone``, by default the page's; the form's own field names)."""
    values: dict[str, Any] = {
        "starts_at": timezone.localtime(slot.start, zone).strftime("%Y-%m-%dT%H:%M"),
        "practitioner": slot.practitioner_id,
        "appointment_type": kind.pk if kind else "",
        "room": slot.room_id or "",
        "patient": patient or "",
    }
    return url("booking") + "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def calendar_may_receive(user: Any, appointment: Appointment) -> bool:
    """Whether ``user`` may record the patient's arrival for ``appointment`` (the day list's button)."""
    return may(user, CalendarAction.RECEIVE, practitioner_id=appointment.practitioner_id)


GLOBALS = {"free_time_url": free_time_url, "calendar_may_receive": calendar_may_receive}
