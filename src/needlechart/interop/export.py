"""A clinic's record as a stream of FHIR resources, by resource type: what a bulk export writes.

``clinic_resources(clinic_id, "Patient")`` yields the clinic's Patients one by one, built from
rows read in chunks (interop.export_reads: those of interop.selectors, narrowed when an
``ExportScope`` asks), so memory stays flat however large the clinic. Writing
them out (NDJSON files, a job, a progress bar) is the caller's: this module decides only what
each resource type holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from needlechart.interop import export_reads as reads
from needlechart.interop import selectors
from needlechart.interop.export_reads import ExportScope
from needlechart.interop.export_validation import StreamValidator
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


def _organization(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    yield organization_resource(selectors.clinic_get(clinic_id), validate=False)


def _practitioners(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for user in selectors.clinic_staff(clinic_id):
        yield practitioner_resource(user, validate=False)


def _roles(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for user in selectors.clinic_staff(clinic_id):
        yield practitioner_role_resource(user, validate=False)


def _patients(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for patient in reads.patients(clinic_id, scope, chunk_size):
        yield patient_resource(patient, validate=False)


def _episodes(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for episode in reads.episodes(clinic_id, scope, chunk_size):
        yield episode_of_care_resource(episode, validate=False)


def _encounters(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for encounter in reads.encounters(clinic_id, scope, chunk_size):
        yield encounter_resource(encounter, validate=False)


def _observations(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for measurement in reads.measurements(clinic_id, scope, chunk_size):
        yield measurement_observation(measurement, validate=False)
    for ppt, signed in reads.pressure_pain_thresholds(clinic_id, scope, chunk_size):
        yield pressure_pain_observation(ppt, encounter=ppt.encounter, signed=signed, validate=False)
    for rom, signed in reads.ranges_of_motion(clinic_id, scope, chunk_size):
        yield range_of_motion_observation(rom, encounter=rom.encounter, signed=signed, validate=False)


def _procedures(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for entry, note_id in reads.needling_entries(clinic_id, scope, chunk_size):
        yield procedure_resource(entry, encounter=entry.encounter, signed_note_id=note_id, validate=False)


def _questionnaire_responses(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for measurement in reads.measurements(clinic_id, scope, chunk_size):
        yield questionnaire_response_resource(measurement, validate=False)


def _consents(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for consent in reads.consents(clinic_id, scope, chunk_size):
        yield consent_resource(consent, encounter=consent.encounter, validate=False)


def _adverse_events(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for event, procedure_ids in reads.adverse_events(clinic_id, scope, chunk_size):
        yield adverse_event_resource(event, procedure_ids=procedure_ids, validate=False)


def _documents(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    """Signed notes (their canonical JSON with its digest; PDFs are rendered on request, not in bulk) and addenda."""
    for note, amended in reads.signed_notes(clinic_id, scope, chunk_size, amended_counts=True):
        yield note_document(note, amended=amended, validate=False)
    for addendum, patient_id in reads.signed_addenda(clinic_id, scope, chunk_size):
        yield addendum_document(addendum, patient_id=patient_id, validate=False)


def _provenance(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for note, _amended in reads.signed_notes(clinic_id, scope, chunk_size, amended_counts=False):
        yield signature_provenance(note, validate=False)
    for addendum, _patient_id in reads.signed_addenda(clinic_id, scope, chunk_size):
        yield signature_provenance(addendum, validate=False)


def _audit_events(clinic_id: uuid.UUID, scope: ExportScope, chunk_size: int) -> Resources:
    for row in reads.audit_events(clinic_id, scope, chunk_size):
        yield audit_event_resource(row, validate=False)


EXPORTERS: dict[str, Callable[[uuid.UUID, ExportScope, int], Resources]] = {
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
    clinic_id: uuid.UUID,
    resource_type: str,
    *,
    chunk_size: int = selectors.CHUNK_SIZE,
    validate: bool = True,
    scope: ExportScope | None = None,
) -> Resources:
    """The clinic's resources of one type (a key of ``EXPORTERS``), streamed; validated with fhir.resources
    when asked, each as its R4B model accepts it (export_validation: the parts already seen validated
    are not validated again). ``scope`` narrows the rows read to some patients or to what changed since
    an instant (interop.export_reads); by default every row of the clinic."""
    resources = EXPORTERS[resource_type](clinic_id, scope or ExportScope(), chunk_size)
    if not validate:
        return resources
    return map(StreamValidator().check, resources)
