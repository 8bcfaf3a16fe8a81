"""Who may do what in the calendar, on top of the roles' capabilities (core.access).

- Everyone of the clinic's staff sees the calendars (the day list's capability).
- Everyone who may book visits books appointments: the front desk, the clinic's admins and the
  practitioners.
- Moving, cancelling and marking a patient as not come or cancelled late is the front desk's and
  the admins' (``MANAGE``): a practitioner asks them.
- A patient's arrival is recorded by the front desk and the admins, and by the practitioner of
  the appointment, who also opens its visit (``RECEIVE``).
- Rooms, appointment types, working hours and exceptions are set by the clinic's admins
  (``CONFIGURE``, the capability to manage staff).

Every check goes through ``has_capability``, so an account awaiting approval can do none of it.
"""

from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied

from needlechart.core.access import Capability, Role, has_capability


class CalendarAction(enum.StrEnum):
    VIEW = "view"
    BOOK = "book"
    MANAGE = "manage"
    RECEIVE = "receive"
    CONFIGURE = "configure"


_DESK_ROLES = frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN})


def may(user: Any, action: CalendarAction, *, practitioner_id: int | None = None) -> bool:
    """Whether ``user`` may do ``action`` (for RECEIVE: on an appointment of ``practitioner_id``)."""
    if action == CalendarAction.VIEW:
        return has_capability(user, Capability.VIEW_DAY_LIST)
    if action == CalendarAction.BOOK:
        return has_capability(user, Capability.BOOK_ENCOUNTERS)
    if action == CalendarAction.CONFIGURE:
        return has_capability(user, Capability.MANAGE_STAFF)
    if not has_capability(user, Capability.BOOK_ENCOUNTERS):
        return False
    if user.role in _DESK_ROLES:
        return True
    return action == CalendarAction.RECEIVE and practitioner_id is not None and practitioner_id == user.pk


def require(user: Any, action: CalendarAction, *, practitioner_id: int | None = None) -> None:
    """403 (the role's page, as core.access answers) unless ``user`` may do ``action``."""
    if not may(user, action, practitioner_id=practitioner_id):
        raise PermissionDenied(f"calendar:{action.value}")
