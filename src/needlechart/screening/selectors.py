"""Reads of intake responses and the suitability result, within the reader's clinic."""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.patients.models import Patient
from needlechart.screening.models import IntakeResponse, RuleSetting
from needlechart.treatment.screening import Suitability, evaluate


def rule_adjustments(clinic_id) -> dict[str, str | None]:
    return {s.rule_id: (s.severity or None) for s in RuleSetting.objects.filter(clinic_id=clinic_id)}


@dataclass(frozen=True)
class Screening:
    response: IntakeResponse | None
    suitability: Suitability | None


def screening_for_patient(*, user: User, patient: Patient) -> Screening:
    """The latest intake and what the clinic's rules make of it (None if no intake yet)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    response = IntakeResponse.objects.filter(patient=patient, clinic_id=user.clinic_id).order_by("-submitted_at").first()
    if response is None:
        return Screening(None, None)
    return Screening(response, evaluate(response.answers, adjustments=rule_adjustments(user.clinic_id)))
