"""Marking the pain map of an encounter, and reading it with its suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, Note, PainMap, PainQuality
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.suggest import SegmentalSuggestion, Suggestion, suggest_muscles, suggest_paraspinals


@transaction.atomic
def pain_map_mark(*, actor: User, encounter: Encounter, region: str, intensity: int, quality: str = PainQuality.ACHING) -> PainMap:
    """Set one region's intensity (0 clears it) and quality on the encounter's pain map."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    if region not in catalog().regions:
        raise ValidationError(_("Unknown body region."))
    if not 0 <= intensity <= 10:
        raise ValidationError(_("Intensity is from 0 to 10."))
    if quality not in PainQuality.values:
        raise ValidationError(_("Unknown pain quality."))
    if Note.objects.filter(encounter=encounter, signed_at__isnull=False).exists():
        raise ValidationError(_("The note of this visit is signed; its pain map can no longer change."))
    pain_map = PainMap.objects.select_for_update().filter(encounter=encounter).first()
    if pain_map is None:
        pain_map = PainMap(clinic_id=encounter.clinic_id, patient_id=encounter.patient_id, encounter=encounter)
    if intensity == 0:
        pain_map.marks.pop(region, None)
    else:
        pain_map.marks[region] = {"intensity": intensity, "quality": quality}
    pain_map.updated_by = actor
    pain_map.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.PAIN_MAP,
        object_id=pain_map.pk,
        patient_id=encounter.patient_id,
        detail={"region": region, "intensity": intensity},
    )
    return pain_map


@dataclass(frozen=True)
class PainMapReading:
    marks: dict[str, dict]
    suggestions: list[Suggestion]
    paraspinals: list[SegmentalSuggestion]


def pain_map_reading(pain_map: PainMap | None, *, limit: int = 8) -> PainMapReading:
    marks = dict(pain_map.marks) if pain_map else {}
    intensities = {region: int(mark["intensity"]) for region, mark in marks.items()}
    return PainMapReading(marks, suggest_muscles(intensities, limit=limit), suggest_paraspinals(intensities))
