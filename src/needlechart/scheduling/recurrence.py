"""Weekly series: the same wall-clock time in the clinic's zone, week after week.

The occurrences are computed by dateutil's rrule on the *local* (naive) time and only then
placed in the zone, so 09:00 on the Monday before the daylight-saving change and 09:00 on the
Monday after are both 09:00 in Oslo, one hour apart in UTC. Computing in UTC would move every
occurrence after the change by an hour.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule

MAX_WEEKS = 52


def weekly_starts(first: dt.datetime, weeks: int, zone: ZoneInfo) -> list[dt.datetime]:
    """The starts (UTC) of ``weeks`` weekly occurrences from ``first`` (aware), at its wall-clock time in ``zone``."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"a series has 1 to {MAX_WEEKS} weeks")
    local = first.astimezone(zone).replace(tzinfo=None)
    return [moment.replace(tzinfo=zone).astimezone(dt.UTC) for moment in rrule(WEEKLY, dtstart=local, count=weeks)]
