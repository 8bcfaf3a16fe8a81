"""Importing FHIR resources into a clinic: Patient, Practitioner, EpisodeOfCare and Observation.

``import_bundle(clinic, actor, bundle_json, dry_run)`` takes a Bundle (``transaction`` or
``collection``); ``import_resources`` takes resources already read (the command's NDJSON files,
a directory of them). Both return an ``ImportReport``: one line per entry, ``created``,
``matched`` (an existing record, not duplicated) or ``rejected`` with every reason found.

How an import runs:

- Each entry is checked with fhir.resources' R4B model and needlechart's own checks
  (``checks.check_resource``: code systems and codes, UCUM units, identifier systems and the check
  digits of a fødselsnummer or D-number). A type other than the four is rejected with its reason.
- References are resolved to an entry of the same import (its ``fullUrl``, ``urn:uuid:...`` or
  otherwise, or ``Type/id`` of its resource) or to a record already in the clinic (``Type/id``
  with needlechart's own id). Anything else rejects the entry that refers to it, as does a
  reference to a rejected entry.
- Patients are matched by identifier (the national identity number or D-number, or any other
  identifier the clinic holds): a match is reported ``matched`` and the existing record is used,
  never changed. Practitioners are matched by HPR number to the clinic's staff and linked; import
  never creates a staff account: a Practitioner no staff member of the clinic is registered with
  is rejected (create the account with its HPR number first). An episode of care with the same
  patient, start, condition and complaint, and a measurement with the same patient, measure,
  time and score, are matched too, so an import run twice creates nothing the second time.
- All or nothing: the writes run in one transaction, each entry in a savepoint of its own so
  that every rejected entry is found, and are rolled back if any entry is rejected, or always in
  a dry run (which therefore reports what a real import would do, the database's checks included,
  and writes nothing). Created patients and episodes are audited by the patients app's services,
  measurements as the outcomes app audits them; one more audit row per import (not per dry run)
  names the actor, the source and the counts, whether the import was written or not.

The caller has checked that ``actor`` may import into ``clinic`` (the command's operator, the
API's client scope); the services still check the actor's capabilities entry by entry.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, RegistrationNumber, User
from needlechart.core.access import Capability, has_capability
from needlechart.interop.checks import check_resource
from needlechart.interop.terminology import Measure, terminology
from needlechart.interop.validation import _model
from needlechart.outcomes.models import Measurement, MeasurementSource
from needlechart.patients import services as patient_services
from needlechart.patients.identifiers import filed_identifier
from needlechart.patients.models import ConditionCategory, Episode, Patient, PatientIdentifier

IMPORTED_TYPES = ("Practitioner", "Patient", "EpisodeOfCare", "Observation")  # in the order they are written
BUNDLE_TYPES = ("transaction", "collection")
HPR_SYSTEM = RegistrationNumber.HPR_SYSTEM
CREATED, MATCHED, REJECTED = "created", "matched", "rejected"
# The measures an Observation may carry: those recorded with a needling visit need the visit.
_WITH_NEEDLING = ("ppt", "rom")
_SEX = ("female", "male", "other", "unknown")
_LANGUAGES = {"nb": "nb", "no": "nb", "nob": "nb", "en": "en"}
_OK_STATUS = ("final", "amended", "corrected", "entered-in-error")
# What needlechart's own checks require of an exported resource that an imported one need not carry.
_NOT_REQUIRED_HERE = ("Patient.managingOrganization", "EpisodeOfCare.managingOrganization")


class InvalidImport(ValueError):
    """Input that is no import at all (not JSON, not a Bundle, a Bundle of another type): a 4xx / exit 2."""


@dataclass
class Incoming:
    """One resource to import: where it came from (for the report) and the keys references may use."""

    label: str
    resource: Any
    full_url: str = ""
    problems: list[str] = field(default_factory=list)  # found before the resource could be read

    @property
    def resource_type(self) -> str:
        return self.resource.get("resourceType", "") if isinstance(self.resource, dict) else ""


@dataclass
class EntryResult:
    label: str
    resource_type: str
    outcome: str = CREATED
    reasons: list[str] = field(default_factory=list)
    target: str = ""  # Type/id of the record created or matched

    def reject(self, reason: str) -> None:
        self.outcome = REJECTED
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.label,
            "resourceType": self.resource_type,
            "outcome": self.outcome,
            "target": self.target,
            "reasons": self.reasons,
        }

    def line(self) -> str:
        text = f"{self.outcome:<9}{self.resource_type or '?'} {self.label}"
        if self.target:
            text += f" -> {self.target}" if self.outcome == CREATED else f" -> existing {self.target}"
        if self.reasons:
            text += ": " + "; ".join(self.reasons)
        return text


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    entries: list[EntryResult] = field(default_factory=list)
    written: bool = False

    @property
    def rejected(self) -> list[EntryResult]:
        return [e for e in self.entries if e.outcome == REJECTED]

    @property
    def ok(self) -> bool:
        return not self.rejected

    def counts(self) -> dict[str, int]:
        return {outcome: sum(1 for e in self.entries if e.outcome == outcome) for outcome in (CREATED, MATCHED, REJECTED)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dryRun": self.dry_run,
            "written": self.written,
            "counts": self.counts(),
            "entries": [e.as_dict() for e in self.entries],
        }

    def lines(self) -> list[str]:
        counts = self.counts()
        summary = f"{counts[CREATED]} created, {counts[MATCHED]} matched, {counts[REJECTED]} rejected"
        if self.dry_run:
            tail = "dry run: nothing written"
        elif self.written:
            tail = "written"
        else:
            tail = "nothing written: every entry must be accepted for an import to be written"
        return [e.line() for e in self.entries] + [f"{self.source}: {summary} ({tail})."]


# --- reading ------------------------------------------------------------------------------------


def bundle_entries(bundle: Any, source: str = "bundle") -> list[Incoming]:
    """The entries of a Bundle (already parsed JSON); ``InvalidImport`` for anything but a transaction or collection."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidImport(f"{source}: not a FHIR Bundle (resourceType must be Bundle)")
    if bundle.get("type") not in BUNDLE_TYPES:
        raise InvalidImport(f"{source}: a Bundle of type {bundle.get('type')!r} is not imported (transaction or collection)")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidImport(f"{source}: Bundle.entry must be a list")
    found: list[Incoming] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            found.append(Incoming(f"entry {number}", {}, problems=["the entry holds no resource"]))
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else ""
        label = f"entry {number}" + (f" ({full_url})" if full_url else "")
        found.append(Incoming(label, entry["resource"], full_url=full_url or ""))
    return found


def parse_json(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidImport(f"{source}: not JSON ({error})") from None


def ndjson_entries(text: str, source: str) -> list[Incoming]:
    """One resource a line (FHIR Bulk Data output); a line that is not a JSON object is an entry rejected with its reason."""
    found: list[Incoming] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{source} line {number}"
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as error:
            found.append(Incoming(label, {}, problems=[f"not JSON ({error.msg} at column {error.colno})"]))
            continue
        if not isinstance(resource, dict):
            found.append(Incoming(label, {}, problems=["not a JSON object"]))
            continue
        found.append(Incoming(label, resource))
    return found


# --- checking -----------------------------------------------------------------------------------


def _model_problems(resource: dict[str, Any]) -> list[str]:
    try:
        _model(resource["resourceType"]).model_validate(resource)
    except PydanticError as error:
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "__root__")
            problems.append(f"{where or resource['resourceType']}: {item.get('msg', 'invalid')}")
        return problems
    except (KeyError, LookupError, TypeError, ValueError) as error:
        return [f"not a valid {resource.get('resourceType')}: {error}"]
    return []


def _problems(incoming: Incoming) -> list[str]:
    if incoming.problems:
        return incoming.problems
    resource_type = incoming.resource_type
    if resource_type not in IMPORTED_TYPES:
        named = f"resource type {resource_type!r}" if resource_type else "a resource without a resourceType"
        return [f"{named} is not imported (only {', '.join(IMPORTED_TYPES)})"]
    problems = _model_problems(incoming.resource)
    if problems:
        return problems
    for problem in check_resource(incoming.resource):
        # References are resolved here (urn:uuid: ones too); the clinic is the importing one.
        if problem.path.endswith(".reference") or problem.path in _NOT_REQUIRED_HERE:
            continue
        problems.append(str(problem))
    return problems


# --- the import ---------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


@dataclass
class _Run:
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


def _target(record: Any) -> str:
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


def _patient(run: _Run, resource: dict[str, Any], result: EntryResult) -> Patient:
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


def _practitioner(run: _Run, resource: dict[str, Any], result: EntryResult) -> User:
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


def _episode(run: _Run, resource: dict[str, Any], result: EntryResult) -> Episode:
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


def _observation(run: _Run, resource: dict[str, Any], result: EntryResult) -> Measurement:
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


_WRITERS = {"Patient": _patient, "Practitioner": _practitioner, "EpisodeOfCare": _episode, "Observation": _observation}


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    if isinstance(error, IntegrityError):
        return "the database refused it (a record of this clinic already holds one of its unique values)"
    return str(error) or "not permitted for this staff member"


def import_resources(clinic: Clinic, actor: User, incoming: Iterable[Incoming], *, dry_run: bool, source: str = "") -> ImportReport:
    """Import the resources into the clinic as one unit (see the module's docstring); the report says what happened."""
    items = list(incoming)
    report = ImportReport(source=source or "import", dry_run=dry_run)
    report.entries = [EntryResult(item.label, item.resource_type) for item in items]
    if actor.clinic_id != clinic.pk:
        raise InvalidImport(f"{actor.username} is not a staff member of {clinic.name}")
    for item, result in zip(items, report.entries, strict=True):
        for problem in _problems(item):
            result.reject(problem)
    run = _Run(clinic, actor, items, report.entries)
    try:
        with transaction.atomic():
            for resource_type in IMPORTED_TYPES:
                for index, (item, result) in enumerate(zip(items, report.entries, strict=True)):
                    if item.resource_type != resource_type or result.outcome == REJECTED:
                        continue
                    try:
                        with transaction.atomic():
                            record = _WRITERS[resource_type](run, item.resource, result)
                    except (ValidationError, PermissionDenied, IntegrityError) as error:
                        result.reject(_message(error))
                        continue
                    run.written[index] = record
                    result.target = _target(record)
            if not dry_run and report.ok:
                _audit_import(report, actor, clinic)
                report.written = True
            else:
                raise _Rollback
    except _Rollback:
        pass
    if not dry_run and not report.written:
        with transaction.atomic():
            _audit_import(report, actor, clinic)
    return report


def _audit_import(report: ImportReport, actor: User, clinic: Clinic) -> None:
    by_type: dict[str, dict[str, int]] = {}
    for entry in report.entries:
        counts = by_type.setdefault(entry.resource_type or "unknown", {})
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="fhir_import",
        clinic_id=clinic.pk,
        detail={"source": report.source[:300], "written": not report.rejected, **report.counts(), "by_type": by_type},
    )


def import_bundle(
    clinic: Clinic, actor: User, bundle_json: str | bytes | Mapping[str, Any], *, dry_run: bool, source: str = "bundle"
) -> ImportReport:
    """Import one Bundle (JSON text or parsed): ``InvalidImport`` if it is no Bundle; otherwise the report."""
    bundle = parse_json(bundle_json, source) if isinstance(bundle_json, (str, bytes)) else bundle_json
    return import_resources(clinic, actor, bundle_entries(bundle, source), dry_run=dry_run, source=source)
