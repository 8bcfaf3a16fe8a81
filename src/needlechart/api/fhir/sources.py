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
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Prefetch, QuerySet, When

from needlechart.api.fhir import patient_pages
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.audit.selectors import naming_patients, with_subjects
from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.clinics.models import Clinic, User
from needlechart.clinics.selectors import SYSTEM_ACCOUNT_PREFIX, clinic_id_of
from needlechart.core.access import Capability, require_capability
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
from needlechart.needling.models import AdverseEvent, Consent, NeedlingEntry, PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode, Patient, PatientIdentifier
from needlechart.patients.selectors import patients_for_user

Rows = Callable[[User], QuerySet[Any]]  # the rows of the acting user's clinic
Build = Callable[[Any], dict[str, Any]]
PatientPage = Callable[[uuid.UUID, uuid.UUID, int], list[Any]]  # (clinic, patient, limit): rows


def _served(build: Callable[..., dict[str, Any]]) -> Build:
    """The builder as /fhir/ calls it: without fhir.resources' validation of each resource served."""
    return functools.partial(build, validate=False)


# What a Practitioner shows of a staff account (never its password hash or sign-in state).
_STAFF = ("id", "clinic_id", "role", "username", "first_name", "last_name", "email", "is_active", "preferred_language")
_AUDIT = ("id", "chain_key", "seq", "at", "clinic_id", "actor_id", "actor_username", "actor_role", "patient_id")
_AUDIT_MORE = ("action", "object_type", "object_id", "ip", "hash")
_NOTE_TEXT = ("canonical", "subjective", "objective", "assessment", "plan")


@dataclass(frozen=True)
class Source:
    """One table behind a resource type.

    ``patient``: the lookup of the row's patient id (for patient=/subject= and the audit row);
    ``date``: the lookup the date parameter compares; ``updated``: _lastUpdated's;
    ``instrument``: the lookup of an outcome instrument id (Observation's code parameter), or
    ``measure``: the one measure every row of the source is (``ppt``, ``rom``).
    """

    query: Rows
    build: Build
    audit_object: str
    patient: str | None = None
    date: str | None = None
    updated: str | None = None
    instrument: str | None = None
    measure: str | None = None
    capability: Capability = Capability.VIEW_CLINICAL
    changed: str | None = None  # the row's creation or change time (a bulk export's _since), when it has one
    # The first rows of one patient in key order, read without the queryset (api.fhir.patient_pages).
    patient_page: PatientPage | None = None
    # patient=/subject= when a row names patients other than through ``patient`` (the access log's
    # lists): the reader's rows (``rows``) narrowed to those that name any of the patients.
    patients_narrow: Callable[[QuerySet[Any], User, list[uuid.UUID]], QuerySet[Any]] | None = None

    def rows(self, user: User) -> QuerySet[Any]:
        """The rows of the user's clinic, once the access layer says the user's role may read them (403 otherwise)."""
        require_capability(user, self.capability)
        return self.query(user)

    def first_of_patient(self, user: User, patient_id: uuid.UUID, limit: int) -> list[Any]:
        """What ``rows(user)`` filtered by the patient gives first, at most ``limit``, by patient_page."""
        require_capability(user, self.capability)
        assert self.patient_page is not None  # the view asks only sources that have one
        return self.patient_page(clinic_id_of(user), patient_id, limit)

    def patient_of(self, row: Any) -> uuid.UUID | None:
        if self.patient is None:
            return None
        value: Any = row
        for part in self.patient.split("__"):
            value = getattr(value, part)
        return value


@dataclass(frozen=True)
class ResourceType:
    """A resource type of /fhir/: its sources, the scope reading it needs and its search parameters
    beyond _id, _count and _lastUpdated (when its sources have a change time)."""

    name: str
    sources: tuple[Source, ...]
    scope: Scope
    params: dict[str, str] = field(default_factory=dict)  # name: FHIR search parameter type
    audit_log: bool = False  # reading it also needs the acting role's view_audit capability

    @property
    def searchable(self) -> dict[str, str]:
        result = {"_id": "token", **self.params}
        if all(source.updated for source in self.sources):
            result["_lastUpdated"] = "date"
        return result


def _clinic(user: User) -> QuerySet[Clinic]:
    return Clinic.objects.filter(pk=clinic_id_of(user)).only("id", "name", "organisation_number", "address", "phone")


def _staff(user: User) -> QuerySet[User]:
    return (
        User.objects.filter(clinic_id=clinic_id_of(user))
        .exclude(username__startswith=SYSTEM_ACCOUNT_PREFIX)
        .only(*_STAFF, "practitioner_profile__discipline", "practitioner_profile__title", "practitioner_profile__clinic_id")
        .select_related("practitioner_profile")
        .prefetch_related("practitioner_profile__registrations", "practitioner_profile__certifications")
    )


def _patients(user: User) -> QuerySet[Patient]:
    """As the v1 API reads them (patients.selectors: the clinic's, for a role that may view demographics)."""
    identifiers = Prefetch("identifiers", queryset=PatientIdentifier.objects.only("patient_id", "system", "value"))
    return patients_for_user(user=user).prefetch_related(identifiers)


def _procedures(user: User) -> QuerySet[NeedlingEntry]:
    return (
        NeedlingEntry.objects.filter(clinic_id=clinic_id_of(user))
        .select_related("encounter")
        .annotate(signed_note_id=Case(When(encounter__note__signed_at__isnull=False, then=F("encounter__note__id"))))
    )


def _signed() -> Exists:
    """Whether the row's visit has a signed note (its thresholds and ranges are then final)."""
    return Exists(Note.objects.filter(encounter_id=OuterRef("encounter_id"), signed_at__isnull=False))


# The thresholds and ranges with their visits and whether the note is signed, for every clinic:
# built once (resolving the Exists annotation cost about as much as running the query) and never
# evaluated itself; each search filters a copy by the reader's clinic.
@functools.cache
def _all_thresholds() -> QuerySet[PressurePainThreshold]:
    return PressurePainThreshold.objects.select_related("encounter").annotate(note_signed=_signed())


@functools.cache
def _all_ranges() -> QuerySet[RangeOfMotion]:
    return RangeOfMotion.objects.select_related("encounter").annotate(note_signed=_signed())


def _thresholds(user: User) -> QuerySet[PressurePainThreshold]:
    return _all_thresholds().filter(clinic_id=clinic_id_of(user))


def _ranges(user: User) -> QuerySet[RangeOfMotion]:
    return _all_ranges().filter(clinic_id=clinic_id_of(user))


def _adverse_events(user: User) -> QuerySet[AdverseEvent]:
    entries = Prefetch("encounter__needling_entries", queryset=NeedlingEntry.objects.only("id", "encounter_id").order_by("pk"))
    return AdverseEvent.objects.filter(clinic_id=clinic_id_of(user)).select_related("encounter").prefetch_related(entries)


def _notes(user: User) -> QuerySet[Note]:
    signed_addenda = Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__isnull=False)
    rows = Note.objects.filter(clinic_id=clinic_id_of(user), signed_at__isnull=False).defer(*_NOTE_TEXT)
    return rows.annotate(amended=Exists(signed_addenda))


def _addenda(user: User) -> QuerySet[Addendum]:
    rows = Addendum.objects.filter(clinic_id=clinic_id_of(user), signed_at__isnull=False).defer("canonical", "text")
    return rows.annotate(patient_id=F("note__patient_id"))


def _audit(user: User) -> QuerySet[AuditEvent]:
    return with_subjects(AuditEvent.objects.filter(clinic_id=clinic_id_of(user)).only(*_AUDIT, *_AUDIT_MORE))


def _audit_of_patients(rows: QuerySet[AuditEvent], user: User, patients: list[uuid.UUID]) -> QuerySet[AuditEvent]:
    """AuditEvent?patient=: the events of the patients and the lists that showed any of them, each
    list naming those patients only (not the others it showed)."""
    return with_subjects(rows.filter(naming_patients(clinic_id_of(user), patients)).prefetch_related(None), patients)


_MEASUREMENTS = Source(
    lambda u: Measurement.objects.filter(clinic_id=clinic_id_of(u)),
    _served(measurement_observation),
    AuditObject.MEASUREMENT,
    patient="patient_id",
    date="taken_at",
    instrument="instrument",
    changed="taken_at",
    patient_page=patient_pages.measurements,
)
_NOTES = Source(
    _notes,
    lambda n: note_document(n, amended=n.amended, validate=False),
    AuditObject.NOTE,
    patient="patient_id",
    date="signed_at",
    changed="signed_at",
)
_ADDENDA = Source(
    _addenda,
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
                    _patients,
                    _served(patient_resource),
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
            (Source(_staff, _served(practitioner_resource), AuditObject.STAFF, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "PractitionerRole",
            (Source(_staff, _served(practitioner_role_resource), AuditObject.STAFF, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "Organization",
            (Source(_clinic, _served(organization_resource), AuditObject.CLINIC, capability=_DEMOGRAPHICS),),
            Scope.DEMOGRAPHICS_READ,
        ),
        ResourceType(
            "EpisodeOfCare",
            (
                Source(
                    lambda u: Episode.objects.filter(clinic_id=clinic_id_of(u)),
                    _served(episode_of_care_resource),
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
                    _served(encounter_resource),
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
                    _procedures,
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
                    _thresholds,
                    lambda p: pressure_pain_observation(p, encounter=p.encounter, signed=p.note_signed, validate=False),
                    AuditObject.PRESSURE_PAIN,
                    patient="encounter__patient_id",
                    date="encounter__starts_at",
                    measure="ppt",
                    changed="encounter__created_at",
                    patient_page=patient_pages.thresholds,
                ),
                Source(
                    _ranges,
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
                    _served(questionnaire_response_resource),
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
                    _adverse_events,
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
                    _notes, _served(signature_provenance), AuditObject.NOTE, patient="patient_id", date="signed_at", changed="signed_at"
                ),
                Source(
                    _addenda,
                    _served(signature_provenance),
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
                    _audit,
                    _served(audit_event_resource),
                    AuditObject.AUDIT_REPORT,
                    patient="patient_id",
                    date="at",
                    changed="at",
                    patients_narrow=_audit_of_patients,
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
