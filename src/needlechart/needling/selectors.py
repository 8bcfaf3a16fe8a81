"""Reads for the chart: what a clinician must see about a patient's needling history."""

from __future__ import annotations

from django.utils.translation import get_language

from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import AdverseEvent, AdverseEventSeverity
from needlechart.patients.models import Patient


def serious_adverse_events(patient: Patient) -> list[tuple[AdverseEvent, str]]:
    """Significant and serious events, newest first, with their type's name."""
    language = get_language() or "en"
    types = treatment_catalog().adverse_event_types
    events = AdverseEvent.objects.filter(
        patient=patient, clinic_id=patient.clinic_id, severity__in=[AdverseEventSeverity.SIGNIFICANT, AdverseEventSeverity.SERIOUS]
    )
    return [(e, types[e.event_type].name.get(language) if e.event_type in types else e.event_type) for e in events.order_by("-onset")]
