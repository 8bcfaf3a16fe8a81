"""What apps above the calendar add to an appointment's panel: a button each (a form posting to
their own view), registered in their ``AppConfig.ready``. The calendar cannot import them (the
layers), so they come to it: screening adds "Send intake link" for a patient with no intake.

A contributor is called with the viewer and the appointment and returns ``None`` (nothing to
offer) or a ``PanelAction``; it checks its own capability and reads no more than it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from needlechart.scheduling.models import Appointment


@dataclass(frozen=True)
class PanelAction:
    label: str
    url: str  # posted to (a form with the CSRF token), not fetched
    testid: str
    note: str = ""


PanelContributor = Callable[[Any, Appointment], PanelAction | None]
_CONTRIBUTORS: list[PanelContributor] = []


def register_panel_action(contributor: PanelContributor) -> None:
    if contributor not in _CONTRIBUTORS:
        _CONTRIBUTORS.append(contributor)


def panel_actions(user: Any, appointment: Appointment) -> list[PanelAction]:
    return [action for contributor in _CONTRIBUTORS if (action := contributor(user, appointment)) is not None]
