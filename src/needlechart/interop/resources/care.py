"""EpisodeOfCare and Encounter: an episode of care and the visits of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from needlechart.charting.models import Encounter
from needlechart.interop.elements import concept, instant, quantity, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished
from needlechart.patients.models import Episode


def episode_of_care_resource(episode: Episode, *, validate: bool = True) -> dict[str, Any]:
    """The episode: its condition category as type, the complaint as its diagnosis' text, who referred."""
    period = {"start": episode.started_on.isoformat()}
    if episode.ended_on:
        period["end"] = episode.ended_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "EpisodeOfCare",
        "id": str(episode.pk),
        "status": "finished" if episode.ended_on else "active",
        "type": [concept("condition-category", episode.condition)],
        "diagnosis": [{"condition": {"display": episode.complaint}}],
        "patient": ref("Patient", episode.patient_id),
        "managingOrganization": ref("Organization", episode.clinic_id),
        "period": period,
    }
    if episode.referrer:
        resource["referralRequest"] = [{"display": episode.referrer}]
    return finished(resource, validate)


def encounter_resource(encounter: Encounter, *, validate: bool = True) -> dict[str, Any]:
    """A visit: booked time and length, its practitioner, its episode, why the patient came."""
    ends = encounter.starts_at + dt.timedelta(minutes=encounter.duration_minutes)
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "status": encounter.status,  # planned, arrived, finished and cancelled are FHIR's own codes
        "class": terminology().coding("act-code", "AMB"),
        "subject": ref("Patient", encounter.patient_id),
        "episodeOfCare": [ref("EpisodeOfCare", encounter.episode_id)],
        "participant": [{"type": [concept("participation-type", "PPRF")], "individual": ref("Practitioner", encounter.practitioner_id)}],
        "period": {"start": instant(encounter.starts_at), "end": instant(ends)},
        "length": quantity(encounter.duration_minutes, "min"),
        "serviceProvider": ref("Organization", encounter.clinic_id),
    }
    if encounter.reason:
        resource["reasonCode"] = [{"text": encounter.reason}]
    return finished(resource, validate)
