"""One patient's FHIR resources: the per-patient versions of the export's reads (interop.selectors).

``patient_resources(patient_id)`` yields the patient's own resources, built by the same builders as
the clinic export (interop.export) so that a patient's copy and a bulk export describe a record
alike; ``patient_bundle(patient_id)`` wraps them in a Bundle of type ``collection``, validated by
fhir.resources. The caller has checked that its user may see this patient and audits the
disclosure. The clinic's Organization is included (the record's custodian); staff accounts and the
access log are not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Prefetch, When
from django.utils import timezone

from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.interop import selectors
from needlechart.interop.resources.adverse_event import adverse_event_resource
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
from needlechart.interop.validation import finished
from needlechart.needling.models import AdverseEvent, Consent, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode, Patient, PatientIdentifier

_NOTE_TEXT = ("canonical", "subjective", "objective", "assessment", "plan")


def _signed(model_field: str = "encounter_id") -> Exists:
    return Exists(Note.objects.filter(encounter_id=OuterRef(model_field), signed_at__isnull=False))


def patient_resources(patient_id: uuid.UUID, *, validate: bool = True) -> Iterator[dict[str, Any]]:
    """Every resource of the patient's record, type by type (a fixed number of queries)."""
    identifiers = Prefetch("identifiers", queryset=PatientIdentifier.objects.only("patient_id", "system", "value"))
    patient = Patient.objects.prefetch_related(identifiers).get(pk=patient_id)
    yield organization_resource(selectors.clinic_get(patient.clinic_id), validate=validate)
    yield patient_resource(patient, validate=validate)
    for episode in Episode.objects.filter(patient_id=patient_id).order_by("pk"):
        yield episode_of_care_resource(episode, validate=validate)
    for encounter in Encounter.objects.filter(patient_id=patient_id).order_by("pk"):
        yield encounter_resource(encounter, validate=validate)
    measurements = list(Measurement.objects.filter(patient_id=patient_id).order_by("pk"))
    for measurement in measurements:
        yield measurement_observation(measurement, validate=validate)
    by_visit = {"encounter__patient_id": patient_id}
    for ppt in PressurePainThreshold.objects.filter(**by_visit).select_related("encounter").annotate(s=_signed()).order_by("pk"):
        yield pressure_pain_observation(ppt, encounter=ppt.encounter, signed=ppt.s, validate=validate)
    for rom in RangeOfMotion.objects.filter(**by_visit).select_related("encounter").annotate(s=_signed()).order_by("pk"):
        yield range_of_motion_observation(rom, encounter=rom.encounter, signed=rom.s, validate=validate)
    entries = NeedlingEntry.objects.filter(**by_visit).select_related("encounter")
    entries = entries.annotate(note_id=Case(When(encounter__note__signed_at__isnull=False, then=F("encounter__note__id"))))
    for entry in entries.order_by("pk"):
        yield procedure_resource(entry, encounter=entry.encounter, signed_note_id=entry.note_id, validate=validate)
    for measurement in measurements:
        yield questionnaire_response_resource(measurement, validate=validate)
    for consent in Consent.objects.filter(**by_visit).select_related("encounter").order_by("pk"):
        yield consent_resource(consent, encounter=consent.encounter, validate=validate)
    ids = Prefetch("encounter__needling_entries", queryset=NeedlingEntry.objects.only("id", "encounter_id").order_by("pk"))
    for event in AdverseEvent.objects.filter(patient_id=patient_id).select_related("encounter").prefetch_related(ids).order_by("pk"):
        yield adverse_event_resource(event, procedure_ids=[e.pk for e in event.encounter.needling_entries.all()], validate=validate)
    amended = Exists(Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__isnull=False))
    notes = list(Note.objects.filter(patient_id=patient_id, signed_at__isnull=False).defer(*_NOTE_TEXT).annotate(a=amended).order_by("pk"))
    addenda = list(Addendum.objects.filter(note__patient_id=patient_id, signed_at__isnull=False).defer("canonical", "text").order_by("pk"))
    for note in notes:
        yield note_document(note, amended=note.a, validate=validate)
    for addendum in addenda:
        yield addendum_document(addendum, patient_id=patient_id, validate=validate)
    for note in notes:
        yield signature_provenance(note, validate=validate)
    for addendum in addenda:
        yield signature_provenance(addendum, validate=validate)


def patient_bundle(patient_id: uuid.UUID, *, validate: bool = True) -> dict[str, Any]:
    """The patient's resources as a Bundle of type collection (validated by fhir.resources)."""
    entries = [
        {
            "fullUrl": f"urn:uuid:{resource['id']}" if _is_uuid(resource["id"]) else f"{resource['resourceType']}/{resource['id']}",
            "resource": resource,
        }
        for resource in patient_resources(patient_id, validate=validate)
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": timezone.now().isoformat(), "entry": entries}
    return finished(bundle, validate)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
