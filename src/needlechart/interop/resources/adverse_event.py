"""AdverseEvent: something unwanted during or after needling, with the visit's Procedures as suspects.

needlechart grades events as White et al. do (mild, significant, serious); FHIR R4 has a severity
(mild, moderate, severe) and a seriousness (serious or not). Mild is mild; significant (needs medical
care or interferes with activities) is moderate; serious (hospital, lasting disability, death) is
severe and serious. The event's type is coded with the treatment catalogue's adverse-event types.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from needlechart.interop.elements import EVENT_ACTION, EVENT_DESCRIPTION, concept, instant, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished
from needlechart.needling.models import AdverseEvent, AdverseEventOutcome

SEVERITY = {"mild": "mild", "significant": "moderate", "serious": "severe"}
OUTCOME = {
    AdverseEventOutcome.ONGOING: "ongoing",
    AdverseEventOutcome.RESOLVED: "resolved",
    AdverseEventOutcome.RESOLVED_WITH_SEQUELAE: "resolvedWithSequelae",
    AdverseEventOutcome.UNKNOWN: "unknown",
}


def adverse_event_resource(event: AdverseEvent, *, procedure_ids: Sequence[uuid.UUID], validate: bool = True) -> dict[str, Any]:
    """``procedure_ids``: the needling entries of the event's visit (each a Procedure)."""
    texts = ((EVENT_DESCRIPTION, event.description), (EVENT_ACTION, event.action_taken))
    extensions = [{"url": url, "valueString": text} for url, text in texts if text]
    known = event.event_type in terminology().systems["adverse-event-type"].codes()
    resource: dict[str, Any] = {"resourceType": "AdverseEvent", "id": str(event.pk)}
    if extensions:
        resource["extension"] = extensions
    resource.update(
        {
            "actuality": "actual",
            "event": concept("adverse-event-type", event.event_type) if known else {"text": event.event_type},
            "subject": ref("Patient", event.patient_id),
            "encounter": ref("Encounter", event.encounter_id),
            "date": instant(event.onset),
            "recordedDate": instant(event.recorded_at),
            "seriousness": concept("adverse-event-seriousness", "serious" if event.severity == "serious" else "non-serious"),
            "severity": concept("adverse-event-severity", SEVERITY[event.severity]),
            "outcome": concept("adverse-event-outcome", OUTCOME[AdverseEventOutcome(event.outcome)]),
            "recorder": ref("Practitioner", event.recorded_by_id) if event.recorded_by_id else ref("Patient", event.patient_id),
        }
    )
    if procedure_ids:
        resource["suspectEntity"] = [{"instance": ref("Procedure", pk)} for pk in procedure_ids]
    return finished(resource, validate)
