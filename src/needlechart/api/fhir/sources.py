"""What each FHIR resource type of /fhir/ is read from: its tables, its builder, its search parameters.

A type is one or more ``Source``s (Observation is outcome measurements, pressure pain thresholds
and ranges of motion; DocumentReference and Provenance are signed notes and signed addenda), each
a queryset of one clinic's rows read with what the builder needs (as interop.selectors reads them
for the export) and the builder of interop.resources. Search walks the sources in this order,
each in primary-key order, so a page is a (source, key) position: stable while rows are added.

A resource served here is the export's, built by the same builder from the same row, but not
validated by fhir.resources on every read (that was most of a search's cost): the builders'
output is validated in the tests, every type read and searched on a full visit
(tests/api/test_fhir_served.py), and the export and the patient's copy still validate as they build.

The shapes (Source, ResourceType) are api.fhir.source_types; the rows each source reads, api.fhir.source_rows.
"""

from __future__ import annotations

from needlechart.api.fhir import patient_pages
from needlechart.api.fhir import source_rows as rows
from needlechart.api.fhir.source_types import ResourceType, Source, served
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditObject
from needlechart.charting.models import Encounter
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability
from needlechart.interop.resources.adverse_event import adverse_event_resource
from needlechart.interop.resources.audit_event import audit_event_resource
from needlechart.interop.resources.care import encounter_resource, episode_of_care_resource
from needlechart.interop.resources.consent import consent_resource
from needlechart.interop.resources.document import addendum_document, note_document, signature_provenance
from needlechart.interop.resources.observation import measurement_observation, pressure_pain_observation, range_of_motion_observation
from needlechart.interop.resources.organization import organization_resource
from needlechart.interop.resources.patient import patient_resource
from needlechart.interop.resources.procedure import procedure_resource
from needlechart.interop.resources.questionnaire_response import questionnaire_response_resource
from needlechart.interop.resources.staff import practitioner_resource, practitioner_role_resource
from needlechart.needling.models import Consent
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode

# The sources of more than one type (Observation's measurements; the signed notes and addenda of
# DocumentReference and Provenance).
_MEASUREMENTS = Source(
    lambda u: Measurement.objects.filter(clinic_id=clinic_id_of(u)),
    served(measurement_observation),
    AuditObject.MEASUREMENT,
    patient="patient_id",
    date="taken_at",
    instrument="instrument",
    changed="taken_at",
    patient_page=patient_pages.measurements,
)
_NOTES = Source(
    rows.notes,
    lambda n: note_document(n, amended=n.amended, validate=False),
    AuditObject.NOTE,
    patient="patient_id",
    date="signed_at",
    changed="signed_at",
)
_ADDENDA = Source(
    rows.addenda,
    lambda a: addendum_document(a, patient_id=a.patient_id, validate=False),
    AuditObject.ADDENDUM,
    patient="patient_id",  # annotated: the note's
    date="signed_at",
    changed="signed_at",
)
CLINICAL_PARAMS = {"patient": "reference", "subject": "reference"}
_DEMOGRAPHICS = Capability.VIEW_DEMOGRAPHICS

TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "Patient",
            (
                Source(
                    rows.patients,
                    served(patient_resource),
                    AuditObject.PATIENT,
                    patient="pk",
                    updated="updated_at",
                    capability=Capability.VIEW_DEMOGRAPHICS,
                    changed="updated_at",
                ),
            ),
            Scope.DEMOGRAPHICS_READ,
            {"identifier": "token", "name": "string", "family": "string", "given": "string", "birthdate": "date"},
        ),
        ResourceType(
            "Practitioner",
            (Source(rows.staff, served(practitioner_resource), AuditObject.STAFF, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "PractitionerRole",
            (Source(rows.staff, served(practitioner_role_resource), AuditObject.STAFF, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "Organization",
            (Source(rows.clinic, served(organization_resource), AuditObject.CLINIC, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "EpisodeOfCare",
            (
                Source(
                    lambda u: Episode.objects.filter(clinic_id=clinic_id_of(u)),
                    served(episode_of_care_resource),
                    AuditObject.EPISODE,
                    patient="patient_id",
                    changed="created_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {"patient": "reference"},
        ),
        ResourceType(
            "Encounter",
            (
                Source(
                    lambda u: Encounter.objects.filter(clinic_id=clinic_id_of(u)),
                    served(encounter_resource),
                    AuditObject.ENCOUNTER,
                    patient="patient_id",
                    date="starts_at",
                    changed="created_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {**CLINICAL_PARAMS, "date": "date"},
        ),
        ResourceType(
            "Procedure",
            (
                Source(
                    rows.procedures,
                    lambda e: procedure_resource(e, encounter=e.encounter, signed_note_id=e.signed_note_id, validate=False),
                    AuditObject.NEEDLING_ENTRY,
                    patient="encounter__patient_id",
                    date="encounter__starts_at",
                    changed="encounter__created_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {**CLINICAL_PARAMS, "date": "date"},
        ),
        ResourceType(
            "Observation",
            (
                _MEASUREMENTS,
                Source(
                    rows.thresholds,
                    lambda p: pressure_pain_observation(p, encounter=p.encounter, signed=p.note_signed, validate=False),
                    AuditObject.PRESSURE_PAIN,
                    patient="encounter__patient_id",
                    date="encounter__starts_at",
                    measure="ppt",
                    changed="encounter__created_at",
                    patient_page=patient_pages.thresholds,
                ),
                Source(
                    rows.ranges,
                    lambda r: range_of_motion_observation(r, encounter=r.encounter, signed=r.note_signed, validate=False),
                    AuditObject.RANGE_OF_MOTION,
                    patient="encounter__patient_id",
                    date="encounter__starts_at",
                    measure="rom",
                    changed="encounter__created_at",
                    patient_page=patient_pages.ranges,
                ),
            ),
            Scope.CLINICAL_READ,
            {**CLINICAL_PARAMS, "date": "date", "code": "token"},
        ),
        ResourceType(
            "QuestionnaireResponse",
            (
                Source(
                    lambda u: Measurement.objects.filter(clinic_id=clinic_id_of(u)),
                    served(questionnaire_response_resource),
                    AuditObject.MEASUREMENT,
                    patient="patient_id",
                    date="taken_at",
                    changed="taken_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {**CLINICAL_PARAMS, "authored": "date"},
        ),
        ResourceType(
            "Consent",
            (
                Source(
                    lambda u: Consent.objects.filter(clinic_id=clinic_id_of(u)).select_related("encounter"),
                    lambda k: consent_resource(k, encounter=k.encounter, validate=False),
                    AuditObject.CONSENT,
                    patient="encounter__patient_id",
                    date="recorded_at",
                    changed="recorded_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {"patient": "reference", "date": "date"},
        ),
        ResourceType(
            "AdverseEvent",
            (
                Source(
                    rows.adverse_events,
                    lambda e: adverse_event_resource(e, procedure_ids=[n.pk for n in e.encounter.needling_entries.all()], validate=False),
                    AuditObject.ADVERSE_EVENT,
                    patient="patient_id",
                    date="onset",
                    changed="recorded_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {"subject": "reference", "date": "date"},
        ),
        ResourceType("DocumentReference", (_NOTES, _ADDENDA), Scope.CLINICAL_READ, {**CLINICAL_PARAMS, "date": "date"}),
        ResourceType(
            "Provenance",
            (
                Source(
                    rows.notes, served(signature_provenance), AuditObject.NOTE, patient="patient_id", date="signed_at", changed="signed_at"
                ),
                Source(
                    rows.addenda,
                    served(signature_provenance),
                    AuditObject.ADDENDUM,
                    patient="patient_id",
                    date="signed_at",
                    changed="signed_at",
                ),
            ),
            Scope.CLINICAL_READ,
            {"patient": "reference", "recorded": "date"},
        ),
        ResourceType(
            "AuditEvent",
            (
                Source(
                    rows.audit,
                    served(audit_event_resource),
                    AuditObject.AUDIT_REPORT,
                    patient="patient_id",
                    date="at",
                    changed="at",
                    patients_narrow=rows.audit_of_patients,
                ),
            ),
            Scope.CLINICAL_READ,
            {"patient": "reference", "date": "date"},
            audit_log=True,
        ),
    )
}
# The date parameters by name (each compares its source's ``date``).
DATE_PARAMS = frozenset({"date", "authored", "recorded"})
