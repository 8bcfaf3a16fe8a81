"""Writing the imported entries, one resource type a writer: match an existing record or create one through the services.

``ImportRun`` holds what the writers share: the clinic, the actor, the entries and the records
written so far, and resolves a Reference to one of them or to a record of the clinic. A writer
raises ``ValidationError`` (or the services' ``PermissionDenied``) to reject its entry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, RegistrationNumber, User
from needlechart.core.access import Capability, has_capability
from needlechart.interop.importing_reading import Incoming
from needlechart.interop.importing_report import MATCHED, EntryResult
from needlechart.interop.terminology import Measure, terminology
from needlechart.outcomes.models import Measurement, MeasurementSource
from needlechart.patients import services as patient_services
from needlechart.patients.identifiers import filed_identifier
from needlechart.patients.models import ConditionCategory, Episode, Patient, PatientIdentifier

HPR_SYSTEM = RegistrationNumber.HPR_SYSTEM
# The measures an Observation may carry: those recorded with a needling visit need the visit.
_WITH_NEEDLING = ("ppt", "rom")
_SEX = ("female", "male", "other", "unknown")
_LANGUAGES = {"nb": "nb", "no": "nb", "nob": "nb", "en": "en"}
_OK_STATUS = ("final", "amended", "corrected", "entered-in-error")


@dataclass
class ImportRun:
    clinic: Clinic
    actor: User
    incoming: list[Incoming]
    results: list[EntryResult]
    keys: dict[str, int] = field(default_factory=dict)  # fullUrl or Type/id -> entry index
    written: dict[int, Any] = field(default_factory=dict)  # entry index -> the record created or matched

    def __post_init__(self) -> None:
        for index, item in enumerate(self.incoming):
            if item.full_url:
                self.keys.setdefault(item.full_url, index)
            resource_id = item.resource.get("id") if isinstance(item.resource, dict) else None
            if item.resource_type and isinstance(resource_id, str):
                self.keys.setdefault(f"{item.resource_type}/{resource_id}", index)

    def resolve(self, reference: Any, types: tuple[str, ...], what: str) -> Any:
        """The record a Reference names: an entry of this import (written first) or the clinic's own; ValidationError else."""
        value = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{what} names no reference")
        index = self.keys.get(value)
        if index is None and "/" in value and not value.startswith("urn:"):
            tail = "/".join(value.rstrip("/").split("/")[-2:])  # an absolute URL ending in Type/id
            index = self.keys.get(tail) if value.startswith("http") else None
        if index is not None:
            target_type = self.incoming[index].resource_type
            if target_type not in types:
                raise ValidationError(f"{what} {value} is a {target_type}, not a {' or '.join(types)}")
            if index not in self.written:
                raise ValidationError(f"{what} {value} refers to {self.results[index].label}, which is rejected")
            return self.written[index]
        existing = self._existing(value, types)
        if existing is None:
            raise ValidationError(f"{what} {value} is neither in this import nor a record of this clinic")
        return existing

    def _existing(self, value: str, types: tuple[str, ...]) -> Any:
        resource_type, _slash, resource_id = value.partition("/")
        if resource_type not in types or not resource_id:
            return None
        models: dict[str, Any] = {"Patient": Patient, "EpisodeOfCare": Episode, "Encounter": Encounter}
        try:
            if resource_type == "Practitioner":
                return User.objects.filter(clinic_id=self.clinic.pk, pk=int(resource_id)).first()
            return models[resource_type].objects.filter(clinic_id=self.clinic.pk, pk=uuid.UUID(resource_id)).first()
        except (ValueError, KeyError):
            return None


def target_of(record: Any) -> str:
    kind = {Patient: "Patient", User: "Practitioner", Episode: "EpisodeOfCare", Measurement: "Observation"}[type(record)]
    return f"{kind}/{record.pk}"


def _date(value: Any, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationError(f"{what} must be a full date (YYYY-MM-DD), not {value!r}") from None


def _moment(value: Any, what: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(str(value)), dt.time())
        except ValueError:
            raise ValidationError(f"{what} must be a date and time, not {value!r}") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _first(items: Any, **where: Any) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and all(item.get(k) == v for k, v in where.items()):
            return item
    return {}


def _identifiers(resource: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for item in resource.get("identifier") or []:
        value = item.get("value")
        system = item.get("system") or (item.get("type") or {}).get("text")
        if isinstance(value, str) and value.strip() and isinstance(system, str) and system:
            found.append(filed_identifier(system, value))
    return found


def _patient(run: ImportRun, resource: dict[str, Any], result: EntryResult) -> Patient:
    identifiers = _identifiers(resource)
    matches = {
        row.patient_id
        for row in PatientIdentifier.objects.filter(clinic_id=run.clinic.pk, value__in=[v for _s, v in identifiers]).only(
            "patient_id", "system", "value"
        )
        if (row.system, row.value) in identifiers
    }
    if len(matches) > 1:
        raise ValidationError("its identifiers belong to more than one patient of this clinic")
    if matches:
        result.outcome = MATCHED
        result.reasons.append("matched by identifier")
        return Patient.objects.get(pk=matches.pop())
    name = _first(resource.get("name"), use="official") or _first(resource.get("name"))
    given = " ".join(name.get("given") or [])
    family = name.get("family") or ""
    if not (given and family) and name.get("text"):
        words = str(name["text"]).split()
        given, family = given or " ".join(words[:-1]), family or (words[-1] if words else "")
    address = _first(resource.get("address"))
    contact = _first(resource.get("contact"))
    relation = _first(contact.get("relationship") or [])
    language = _first(resource.get("communication"), preferred=True) or _first(resource.get("communication"))
    code = (_first((language.get("language") or {}).get("coding")).get("code") or "").lower().split("-")[0]
    gender = resource.get("gender") or "unknown"
    data: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "birth_date": _date(resource.get("birthDate"), "birthDate") if resource.get("birthDate") else None,
        "sex": gender if gender in _SEX else "unknown",
        "phone": _first(resource.get("telecom"), system="phone").get("value", ""),
        "email": _first(resource.get("telecom"), system="email").get("value", ""),
        "address": ", ".join(address.get("line") or []),
        "postal_code": address.get("postalCode", ""),
        "city": address.get("city", ""),
        "emergency_contact_name": (contact.get("name") or {}).get("text", ""),
        "emergency_contact_relation": relation.get("text", ""),
        "emergency_contact_phone": _first(contact.get("telecom"), system="phone").get("value", ""),
    }
    if code in _LANGUAGES:
        data["preferred_language"] = _LANGUAGES[code]
    return patient_services.patient_create(actor=run.actor, data=data, identifiers=identifiers)


def _practitioner(run: ImportRun, resource: dict[str, Any], result: EntryResult) -> User:
    numbers = [i.get("value") for i in resource.get("identifier") or [] if i.get("system") == HPR_SYSTEM and i.get("value")]
    if not numbers:
        raise ValidationError(f"a Practitioner is matched to the clinic's staff by HPR number ({HPR_SYSTEM}), and this one has none")
    registration = (
        RegistrationNumber.objects.filter(system=HPR_SYSTEM, value__in=numbers, profile__clinic_id=run.clinic.pk)
        .select_related("profile__user")
        .first()
    )
    if registration is None:
        raise ValidationError(
            f"no staff member of this clinic has HPR number {numbers[0]}; import never creates staff accounts: "
            "create the staff member with this HPR number first"
        )
    result.outcome = MATCHED
    result.reasons.append(f"linked by HPR number {registration.value}")
    return registration.profile.user


def _episode(run: ImportRun, resource: dict[str, Any], result: EntryResult) -> Episode:
    patient = run.resolve(resource.get("patient"), ("Patient",), "patient")
    category_url = terminology().url("condition-category")
    condition = ConditionCategory.OTHER.value
    for concept in resource.get("type") or []:
        coding = _first(concept.get("coding"), system=category_url)
        if coding:
            condition = coding["code"]
    diagnosis = _first(resource.get("diagnosis"))
    complaint = (diagnosis.get("condition") or {}).get("display") or _first(resource.get("type")).get("text") or ""
    if not complaint:
        raise ValidationError("an episode of care needs its complaint (diagnosis.condition.display)")
    period = resource.get("period") or {}
    started_on = _date(period.get("start"), "period.start")
    ended_on = _date(period["end"], "period.end") if period.get("end") else None
    referrer = _first(resource.get("referralRequest")).get("display", "")
    existing = Episode.objects.filter(patient=patient, started_on=started_on, condition=condition, complaint=complaint).first()
    if existing is not None:
        result.outcome = MATCHED
        return existing
    episode = patient_services.episode_create(
        actor=run.actor, patient=patient, complaint=complaint, condition=condition, started_on=started_on, referrer=referrer
    )
    if ended_on is not None:
        episode = patient_services.episode_close(actor=run.actor, episode=episode, ended_on=ended_on)
    return episode


def _measure(resource: dict[str, Any]) -> Measure:
    codes = terminology()
    codings = {(c.get("system"), c.get("code")) for c in (resource.get("code") or {}).get("coding") or []}
    for measure in codes.measures.values():
        if any((codes.url(system), code) in codings for system, code in measure.codes):
            if measure.id in _WITH_NEEDLING:
                raise ValidationError(
                    f"a {measure.id} Observation belongs to a needling visit (an Encounter), which import does not create"
                )
            return measure
    shown = ", ".join(f"{s}|{c}" for s, c in sorted(codings, key=str))
    known = ", ".join(m for m in codes.measures if m not in _WITH_NEEDLING)
    raise ValidationError(f"{shown} is not a measure needlechart imports ({known})")


def _observation_episode(patient: Patient, taken_at: dt.datetime) -> Episode:
    day = timezone.localdate(taken_at)
    episodes = Episode.objects.filter(patient=patient, started_on__lte=day).order_by("-started_on")
    for episode in episodes:
        if episode.ended_on is None or episode.ended_on >= day:
            return episode
    raise ValidationError(f"no episode of care of the patient covers {day.isoformat()}: include the patient's EpisodeOfCare")


def _observation(run: ImportRun, resource: dict[str, Any], result: EntryResult) -> Measurement:
    if not has_capability(run.actor, Capability.WRITE_CLINICAL):
        raise ValidationError(f"{run.actor.username} may not record clinical measurements (a practitioner imports Observations)")
    measure = _measure(resource)
    if resource.get("status") not in _OK_STATUS:
        raise ValidationError(
            f"status {resource.get('status')!r}: only final, amended, corrected or entered-in-error Observations are imported"
        )
    patient = run.resolve(resource.get("subject"), ("Patient",), "subject")
    encounter = None
    if resource.get("encounter"):
        encounter = run.resolve(resource["encounter"], ("Encounter",), "encounter")
        if encounter.patient_id != patient.pk:
            raise ValidationError("its encounter is another patient's")
    recorded_by = None
    for performer in resource.get("performer") or []:
        found = run.resolve(performer, ("Practitioner", "Patient"), "performer")
        if isinstance(found, User):
            recorded_by = found
        elif found.pk != patient.pk:
            raise ValidationError("its performer is another patient")
    quantity = resource.get("valueQuantity") or {}
    if quantity.get("value") is None:
        raise ValidationError("an imported Observation needs its score as valueQuantity")
    if quantity.get("code") != measure.unit:
        raise ValidationError(f"{measure.id} is valued in {measure.unit} (UCUM), not {quantity.get('code')!r}")
    if not resource.get("effectiveDateTime"):
        raise ValidationError("an imported Observation needs effectiveDateTime")
    taken_at = _moment(resource["effectiveDateTime"], "effectiveDateTime")
    score = float(quantity["value"])
    answers: dict[str, Any] = {}
    if measure.component:
        activities = [
            {"name": (c.get("code") or {}).get("text") or "", "score": (c.get("valueQuantity") or {}).get("value")}
            for c in resource.get("component") or []
        ]
        answers = {"activities": activities} if activities else {}
    episode = encounter.episode if encounter is not None else _observation_episode(patient, taken_at)
    existing = Measurement.objects.filter(patient=patient, instrument=measure.id, taken_at=taken_at, score=score).first()
    if existing is not None:
        result.outcome = MATCHED
        return existing
    retracted = resource.get("status") == "entered-in-error"
    note = _first(resource.get("note")).get("text", "")
    measurement = Measurement.objects.create(
        clinic_id=run.clinic.pk,
        patient=patient,
        episode=episode,
        encounter=encounter,
        instrument=measure.id,
        score=score,
        answers=answers,
        source=MeasurementSource.CLINIC,
        taken_at=taken_at,
        recorded_by=recorded_by,
        retracted_at=timezone.now() if retracted else None,
        retracted_by=run.actor if retracted else None,
        retraction_reason=(note or "Entered in error in the system it was imported from")[:300] if retracted else "",
    )
    audit_record(
        actor=run.actor,
        action=AuditAction.CREATE,
        object_type=AuditObject.MEASUREMENT,
        object_id=measurement.pk,
        patient_id=patient.pk,
        clinic_id=run.clinic.pk,
        detail={"instrument": measure.id, "imported": True},
    )
    return measurement


WRITERS = {"Patient": _patient, "Practitioner": _practitioner, "EpisodeOfCare": _episode, "Observation": _observation}
