"""Reads for the chart: what a clinician must see about a patient's needling history."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import get_language

from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import AdverseEvent, AdverseEventSeverity, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.patients.models import Patient


def serious_adverse_events(patient: Patient) -> list[tuple[AdverseEvent, str]]:
    """Significant and serious events, newest first, with their type's name."""
    language = get_language() or "en"
    types = treatment_catalog().adverse_event_types
    events = AdverseEvent.objects.filter(
        patient=patient, clinic_id=patient.clinic_id, severity__in=[AdverseEventSeverity.SIGNIFICANT, AdverseEventSeverity.SERIOUS]
    )
    return [(e, types[e.event_type].name.get(language) if e.event_type in types else e.event_type) for e in events.order_by("-onset")]


def needling_visits(*, user: User) -> QuerySet[Encounter]:
    """The clinic's visits with needles placed, a pressure pain threshold or a range of motion
    recorded, each with those rows (needles in the chart's order, the others by muscle or joint)
    and its needle count and aftercare (``needling_record``, which a visit may not have yet)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    clinic_id = clinic_id_of(user)
    recorded = [model.objects.filter(encounter_id=OuterRef("pk")) for model in (NeedlingEntry, PressurePainThreshold, RangeOfMotion)]
    return (
        Encounter.objects.filter(clinic_id=clinic_id)
        .filter(Exists(recorded[0]) | Exists(recorded[1]) | Exists(recorded[2]))
        .select_related("needling_record")
        .prefetch_related(
            Prefetch("needling_entries", NeedlingEntry.objects.order_by("position", "pk")),
            Prefetch("pressure_pain_thresholds", PressurePainThreshold.objects.order_by("muscle_id", "side", "pk")),
            Prefetch("range_of_motion", RangeOfMotion.objects.order_by("joint", "movement", "side")),
        )
    )


def adverse_events_for_user(*, user: User) -> QuerySet[AdverseEvent]:
    """The clinic's adverse events, for a reader of clinical records."""
    require_capability(user, Capability.VIEW_CLINICAL)
    return AdverseEvent.objects.filter(clinic_id=clinic_id_of(user))
