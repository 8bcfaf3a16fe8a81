"""Procedure: the needles placed in one muscle on one side at a visit.

One Procedure per needling entry (muscle and side). No SNOMED CT concept for dry needling was
found in public material (../shared/domain/REFERENCE.md), so the procedure is coded in
needlechart's own procedure code system: Gunn IMS when that was the technique, trigger-point dry
needling otherwise. The muscle is coded in the atlas's code system (and with its UBERON id where
the atlas holds a checked one), the side as a SNOMED CT laterality qualifier. The needle, its
use and any electrical stimulation are in the ``needling`` extension and, for readers that do not
know it, in a note. A signed visit's Procedures are ``completed`` (``stopped`` when the patient
tolerated it poorly: the entry records it as stopped early) with the signed note as their report;
before signing they are ``in-progress``.
"""

from __future__ import annotations

import uuid
from typing import Any

from needlechart.charting.models import Encounter
from needlechart.interop.catalogues import catalogue_codes
from needlechart.interop.elements import NEEDLING, body_site, concept, instant, number, quantity, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished
from needlechart.needling.models import NeedlingEntry, Technique, Tolerance


def _needling(entry: NeedlingEntry) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "gauge", "valueQuantity": quantity(number(entry.gauge_mm), "mm")},
        {"url": "length", "valueQuantity": quantity(entry.length_mm, "mm")},
        {"url": "count", "valueInteger": entry.needle_count},
        {"url": "technique", "valueCoding": terminology().coding("needling-technique", entry.technique)},
        {"url": "depth", "valueQuantity": quantity(entry.depth_mm, "mm")},
    ]
    if entry.direction:
        parts.append({"url": "direction", "valueString": entry.direction})
    parts.append({"url": "twitchResponses", "valueInteger": entry.twitch_responses})
    parts.append({"url": "dwell", "valueQuantity": quantity(entry.dwell_seconds, "s")})
    if entry.estim:
        stimulation = [
            {"url": url, "valueQuantity": quantity(number(value), unit)}
            for url, value, unit in (
                ("frequency", entry.estim_frequency_hz, "Hz"),
                ("pulseWidth", entry.estim_pulse_width_us, "us"),
                ("intensity", entry.estim_intensity_ma, "mA"),
                ("duration", entry.estim_minutes, "min"),
            )
            if value is not None
        ]
        parts.append({"url": "electricalStimulation", **({"extension": stimulation} if stimulation else {"valueBoolean": True})})
    parts.append({"url": "tolerance", "valueCode": entry.tolerance})
    return {"url": NEEDLING, "extension": parts}


def _note(entry: NeedlingEntry) -> str:
    technique = catalogue_codes("needling_techniques")[entry.technique].lower()
    direction = f", {entry.direction}" if entry.direction else ""
    text = (
        f"{entry.needle_count} x {number(entry.gauge_mm)} x {entry.length_mm} mm needle(s), {technique} to {entry.depth_mm} mm{direction};"
        f" {entry.twitch_responses} twitch response(s)"
    )
    if entry.dwell_seconds:
        text += f"; dwell {entry.dwell_seconds} s"
    if entry.estim:
        text += "; electrical stimulation"
    return f"{text}; tolerance {entry.tolerance}."


def procedure_resource(
    entry: NeedlingEntry, *, encounter: Encounter, signed_note_id: uuid.UUID | None, validate: bool = True
) -> dict[str, Any]:
    """One muscle and side needled; ``signed_note_id``: the visit's note once signed (its DocumentReference is the report)."""
    status = "in-progress" if signed_note_id is None else "stopped" if entry.tolerance == Tolerance.POOR else "completed"
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(entry.pk),
        "extension": [_needling(entry)],
        "status": status,
        "code": concept("procedure", "intramuscular-stimulation" if entry.technique == Technique.GUNN_IMS else "dry-needling"),
        "subject": ref("Patient", encounter.patient_id),
        "encounter": ref("Encounter", encounter.pk),
        "performedDateTime": instant(encounter.starts_at),
        "performer": [{"actor": ref("Practitioner", encounter.practitioner_id), "onBehalfOf": ref("Organization", encounter.clinic_id)}],
        "bodySite": [body_site(entry.muscle_id, entry.side)],
    }
    if signed_note_id is not None:
        resource["report"] = [ref("DocumentReference", signed_note_id)]
    resource["note"] = [{"text": _note(entry)}]
    return finished(resource, validate)
