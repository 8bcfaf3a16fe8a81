"""The day list: the clinic's visits of a day by practitioner (charting), with the appointments
booked for the day that are not yet visits (scheduling: arrival makes them visits), and the
reader's open follow-up alerts (outcomes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.services import audit_read
from needlechart.charting.models import Encounter
from needlechart.charting.selectors import day_bounds, day_list
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.core.forms import in_date_range
from needlechart.outcomes.selectors import open_alerts
from needlechart.scheduling.selectors import booked_appointments_of_visits, booked_for_day_list


def _parse_day(text: str | None) -> dt.date | None:
    """The asked day (today when none is asked); None for a date that is not one or is out of range."""
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if in_date_range(day) else None


@staff_view(Capability.VIEW_DAY_LIST)
def today(request: StaffRequest) -> HttpResponse:
    day = _parse_day(request.GET.get("date"))
    if day is None:
        message = _("Give the day as YYYY-MM-DD, from 1900 to 2199.")
        return render(request, "error.html", {"status": 400, "title": _("No such day"), "message": message}, status=400)
    # Practitioners start with their own list; everyone can see the whole clinic's day.
    only_own = request.user.is_practitioner and request.GET.get("all") != "1"
    groups: dict[Any, list[Any]] = day_list(user=request.user, day=day, only_own=only_own)
    start, end = day_bounds(day)
    # An appointment for a visit booked outside the calendar (same patient, practitioner and time) is that visit: shown once.
    visit_times = {(v.patient_id, v.practitioner_id, v.starts_at) for rows in groups.values() for v in rows}
    for appointment in booked_for_day_list(user=request.user, start=start, end=end, practitioner=request.user if only_own else None):
        if (appointment.patient_id, appointment.practitioner_id, appointment.starts_at) not in visit_times:
            groups.setdefault(appointment.practitioner, []).append(appointment)
    for rows in groups.values():
        rows.sort(key=lambda row: row.starts_at)
    groups = dict(sorted(groups.items(), key=lambda item: (item[0].pk != request.user.pk, item[0].last_name, item[0].first_name)))
    visits = [row.pk for rows in groups.values() for row in rows if isinstance(row, Encounter)]
    audit_read(actor=request.user, object_type="day_list", detail={"day": day.isoformat(), "visits": sum(len(v) for v in groups.values())})
    context = {
        "only_own": only_own,
        "day": day,
        "is_today": day == timezone.localdate(),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "groups": groups,
        "booked_visits": booked_appointments_of_visits(user=request.user, encounter_ids=visits),
        "count": sum(len(v) for v in groups.values()),
        "open_alerts": open_alerts(user=request.user).count() if request.user.is_practitioner else 0,
    }
    return render(request, "pages/today.html", context)
