"""A clinic's record as a stream of FHIR resources, by resource type: what a bulk export writes.

``clinic_resources(clinic_id, "Patient")`` yields the clinic's Patients one by one, built from
rows read in chunks (interop.selectors), so memory stays flat however large the clinic. Writing
them out (NDJSON files, a job, a progress bar) is the caller's: this module decides only what
each resource type holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from needlechart.interop import selectors
from needlechart.interop.resources.adverse_event import adverse_event_resource
from needlechart.interop.resources.audit_event import audit_event_resource
from needlechart.interop.resources.care import encounter_resource, episode_of_care_resource
from needlechart.interop.resources.consent import consent_resource
from needlechart.interop.resources.document import addendum_document, note_document, signature_provenance
from needlechart.interop.resources.observation import (
    measurement_observation,
    pressure_pain_observation,
    range_of_motion_observation,
)
from needlechart.interop.resources.organization import organization_resource
from needlechart.interop.resources.patient import patient_resource
from needlechart.interop.resources.procedure import procedure_resource
from needlechart.interop.resources.questionnaire_response import questionnaire_response_resource
from needlechart.interop.resources.staff import practitioner_resource, practitioner_role_resource

Resources = Iterator[dict[str, Any]]


def _organization(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    yield organization_resource(selectors.clinic_get(clinic_id), validate=validate)


def _practitioners(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for user in selectors.clinic_staff(clinic_id):
        yield practitioner_resource(user, validate=validate)


def _roles(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for user in selectors.clinic_staff(clinic_id):
        yield practitioner_role_resource(user, validate=validate)


def _patients(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for patient in selectors.clinic_patients(clinic_id, chunk_size=chunk_size):
        yield patient_resource(patient, validate=validate)


def _episodes(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for episode in selectors.clinic_episodes(clinic_id, chunk_size=chunk_size):
        yield episode_of_care_resource(episode, validate=validate)


def _encounters(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for encounter in selectors.clinic_encounters(clinic_id, chunk_size=chunk_size):
        yield encounter_resource(encounter, validate=validate)


def _observations(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for measurement in selectors.clinic_measurements(clinic_id, chunk_size=chunk_size):
        yield measurement_observation(measurement, validate=validate)
    for ppt, signed in selectors.clinic_pressure_pain_thresholds(clinic_id, chunk_size=chunk_size):
        yield pressure_pain_observation(ppt, encounter=ppt.encounter, signed=signed, validate=validate)
    for rom, signed in selectors.clinic_ranges_of_motion(clinic_id, chunk_size=chunk_size):
        yield range_of_motion_observation(rom, encounter=rom.encounter, signed=signed, validate=validate)


def _procedures(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for entry, note_id in selectors.clinic_needling_entries(clinic_id, chunk_size=chunk_size):
        yield procedure_resource(entry, encounter=entry.encounter, signed_note_id=note_id, validate=validate)


def _questionnaire_responses(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for measurement in selectors.clinic_measurements(clinic_id, chunk_size=chunk_size):
        yield questionnaire_response_resource(measurement, validate=validate)


def _consents(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for consent in selectors.clinic_consents(clinic_id, chunk_size=chunk_size):
        yield consent_resource(consent, encounter=consent.encounter, validate=validate)


def _adverse_events(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for event, procedure_ids in selectors.clinic_adverse_events(clinic_id, chunk_size=chunk_size):
        yield adverse_event_resource(event, procedure_ids=procedure_ids, validate=validate)


def _documents(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    """Signed notes (their canonical JSON with its digest; PDFs are rendered on request, not in bulk) and addenda."""
    for note, amended in selectors.clinic_signed_notes(clinic_id, chunk_size=chunk_size):
        yield note_document(note, amended=amended, validate=validate)
    for addendum, patient_id in selectors.clinic_signed_addenda(clinic_id, chunk_size=chunk_size):
        yield addendum_document(addendum, patient_id=patient_id, validate=validate)


def _provenance(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for note, _amended in selectors.clinic_signed_notes(clinic_id, chunk_size=chunk_size):
        yield signature_provenance(note, validate=validate)
    for addendum, _patient_id in selectors.clinic_signed_addenda(clinic_id, chunk_size=chunk_size):
        yield signature_provenance(addendum, validate=validate)


def _audit_events(clinic_id: uuid.UUID, chunk_size: int, validate: bool) -> Resources:
    for row in selectors.clinic_audit_events(clinic_id, chunk_size=chunk_size):
        yield audit_event_resource(row, validate=validate)


EXPORTERS: dict[str, Callable[[uuid.UUID, int, bool], Resources]] = {
    "Organization": _organization,
    "Practitioner": _practitioners,
    "PractitionerRole": _roles,
    "Patient": _patients,
    "EpisodeOfCare": _episodes,
    "Encounter": _encounters,
    "Observation": _observations,
    "Procedure": _procedures,
    "QuestionnaireResponse": _questionnaire_responses,
    "Consent": _consents,
    "AdverseEvent": _adverse_events,
    "DocumentReference": _documents,
    "Provenance": _provenance,
    "AuditEvent": _audit_events,
}
RESOURCE_TYPES = tuple(EXPORTERS)


def clinic_resources(
    clinic_id: uuid.UUID, resource_type: str, *, chunk_size: int = selectors.CHUNK_SIZE, validate: bool = True
) -> Resources:
    """The clinic's resources of one type (a key of ``EXPORTERS``), streamed."""
    return EXPORTERS[resource_type](clinic_id, chunk_size, validate)
