"""The calendar's appointment panel: "Send intake link" for who records intakes, when the
appointment's patient has no completed intake (whether one exists, never its answers)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from needlechart.core.access import Capability, has_capability
from needlechart.scheduling.models import ACTIVE_STATUSES, Appointment
from needlechart.scheduling.panel import PanelAction
from needlechart.screening.models import IntakeLink, IntakeResponse


def intake_link_action(user: Any, appointment: Appointment) -> PanelAction | None:
    if appointment.status not in ACTIVE_STATUSES or not has_capability(user, Capability.RECORD_INTAKE):
        return None
    if appointment.patient.clinic_id != user.clinic_id:
        return None
    if IntakeResponse.objects.filter(patient_id=appointment.patient_id, clinic_id=appointment.clinic_id).exists():
        return None
    sent = IntakeLink.objects.filter(patient_id=appointment.patient_id, clinic_id=appointment.clinic_id).exists()
    return PanelAction(
        label=_("Send the link again") if sent else _("Send intake link"),
        url=reverse("intake_link_create", args=[appointment.patient_id]),
        testid="send-intake-link",
        note=_("No intake yet."),
    )
