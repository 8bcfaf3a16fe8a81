"""Reads of intake responses and the suitability result, within the reader's clinic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.patients.models import Patient
from needlechart.screening.models import IntakeLink, IntakeResponse, RuleSetting
from needlechart.screening.rules import Suitability, evaluate


def rule_adjustments(clinic_id: uuid.UUID) -> dict[str, str | None]:
    settings = RuleSetting.objects.filter(clinic_id=clinic_id).values_list("rule_id", "severity")
    return {rule_id: severity or None for rule_id, severity in settings}


@dataclass(frozen=True)
class Screening:
    response: IntakeResponse | None
    suitability: Suitability | None


def latest_intake_link(*, user: User, patient: Patient) -> IntakeLink | None:
    """The intake link sent last to ``patient``: when, until when, whether it was used (no answers)."""
    require_capability(user, Capability.RECORD_INTAKE)
    return IntakeLink.objects.filter(patient=patient, clinic_id=clinic_id_of(user)).order_by("-created_at").first()


def screening_for_patient(*, user: User, patient: Patient) -> Screening:
    """The latest intake and what the clinic's rules make of it (None if no intake yet)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    response = IntakeResponse.objects.filter(patient=patient, clinic_id=clinic_id_of(user)).order_by("-submitted_at").first()
    return screening_of(user=user, response=response)


def screening_of(*, user: User, response: IntakeResponse | None, clinic_has_rule_settings: bool = True) -> Screening:
    """What the clinic's rules make of an intake already read (the latest of its patient)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    if response is None:
        return Screening(None, None)
    adjustments = rule_adjustments(clinic_id_of(user)) if clinic_has_rule_settings else {}
    suitability = evaluate(
        response.answers, adjustments=adjustments, answered_on=timezone.localdate(response.submitted_at), on=timezone.localdate()
    )
    return Screening(response, suitability)
