"""What the v1 API reads and answers: pydantic schemas, and the functions that fill the answers
from records. Input refuses unknown fields, line breaks and control characters in one-line
text (as the forms do) and dates outside the record's range (1900-2199)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints

from needlechart.clinics.models import Certification, CertificationKind, Discipline, RegistrationNumber, User
from needlechart.core.access import Role
from needlechart.core.forms import EARLIEST_DATE, LATEST_DATE, single_line
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM, nin_kind
from needlechart.patients.models import ConditionCategory, Episode, Language, Patient, PatientIdentifier, Sex

# HL7 Norway's basis profiles file a D-number under a system of its own (patients.identifiers).
D_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
NATIONAL_SYSTEMS = (NORWEGIAN_NIN_SYSTEM, D_NUMBER_SYSTEM)


def _one_line(value: str) -> str:
    try:
        single_line(value)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None
    return value


def _record_date(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError("Give a date from 1900-01-01 to 2199-12-31.")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("The time is outside the range of dates.") from None


_ONE_LINE = AfterValidator(_one_line)


def _line(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _line(100, 1), _ONE_LINE]
Line20 = Annotated[str, _line(20), _ONE_LINE]
Line40 = Annotated[str, _line(40), _ONE_LINE]
Line100 = Annotated[str, _line(100), _ONE_LINE]
Line200 = Annotated[str, _line(200), _ONE_LINE]
Line300 = Annotated[str, _line(300), _ONE_LINE]
Email = Annotated[str, _line(254), _ONE_LINE]
RecordDate = Annotated[dt.date, AfterValidator(_record_date)]
Moment = Annotated[AwareDatetime, AfterValidator(_utc)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional(**kwargs: Any) -> Any:
    """A field a change may leave out (it stays as it is); ``null`` is not a value for it."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


class _Input(Schema):
    model_config = ConfigDict(extra="forbid")


# --- patients ---------------------------------------------------------------------------------


IdentifierKind = Literal["fodselsnummer", "d-number", "h-number", "other"]


class IdentifierIn(_Input):
    system: Annotated[str, _line(200, 1), _ONE_LINE] = Field(
        description=f"A URI. A Norwegian national identity number: {NORWEGIAN_NIN_SYSTEM} (fødselsnummer) or {D_NUMBER_SYSTEM}"
        " (D-number); either is filed under the system of the number's kind."
    )
    value: Name


class IdentifierOut(Schema):
    system: str
    value: str
    kind: IdentifierKind = Field(description="fodselsnummer, d-number or h-number for a Norwegian national identity number.")


def identifier_out(identifier: PatientIdentifier) -> IdentifierOut:
    """A stored identifier as the API shows it: a national identity number under the system of its
    kind, whichever it was filed under."""
    return identifier_of(identifier.system, identifier.value)


def identifier_of(system: str, value: str) -> IdentifierOut:
    """identifier_out of a stored identifier's system and value."""
    return IdentifierOut.model_validate(identifier_fields(system, value))


def identifier_fields(system: str, value: str) -> dict[str, str]:
    """IdentifierOut's fields of a stored identifier's system and value, as its JSON has them."""
    if system in NATIONAL_SYSTEMS and len(value) == 11 and value.isdigit():
        kind = nin_kind(value)
        wire_system = D_NUMBER_SYSTEM if kind == "d" else NORWEGIAN_NIN_SYSTEM
        return {"system": wire_system, "value": value, "kind": {"d": "d-number", "h": "h-number"}.get(kind, "fodselsnummer")}
    return {"system": system, "value": value, "kind": "other"}


def identifiers_in(identifiers: list[IdentifierIn]) -> list[tuple[str, str]]:
    """The (system, value) pairs the patients' services take: a national number under the
    fødselsnummer system, which the services validate and file by its kind."""
    return [(NORWEGIAN_NIN_SYSTEM if i.system in NATIONAL_SYSTEMS else i.system, i.value) for i in identifiers]


class _Demographics(_Input):
    """Each demographic field; a change names only those it changes."""

    given_name: Name = _optional()
    family_name: Name = _optional()
    birth_date: RecordDate = _optional()
    sex: Sex = _optional()
    phone: Line40 = _optional()
    email: Email = _optional()
    address: Line300 = _optional()
    postal_code: Line20 = _optional()
    city: Line100 = _optional()
    preferred_language: Language = _optional()
    emergency_contact_name: Line200 = _optional()
    emergency_contact_relation: Line100 = _optional()
    emergency_contact_phone: Line40 = _optional()
    identifiers: list[IdentifierIn] = _optional(max_length=10, description="All of the patient's identifiers: a change replaces them.")

    def demographics(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set if name != "identifiers"}


class PatientCreate(_Demographics):
    """A new patient: the names and date of birth are required; other fields default to empty."""

    given_name: Name
    family_name: Name
    birth_date: RecordDate


class PatientChange(_Demographics):
    """A change of a patient (JSON merge patch): the fields given are set, the others kept."""


class PatientOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: Sex
    phone: str
    email: str
    address: str
    postal_code: str
    city: str
    preferred_language: Language
    emergency_contact_name: str
    emergency_contact_relation: str
    emergency_contact_phone: str
    identifiers: list[IdentifierOut]
    created_at: dt.datetime
    updated_at: dt.datetime


_PATIENT_FIELDS = tuple(name for name in PatientOut.model_fields if name not in ("identifiers",))


def patient_out(patient: Patient) -> PatientOut:
    """The patient with its identifiers (prefetched where many are shown)."""
    values = {name: getattr(patient, name) for name in _PATIENT_FIELDS}
    return PatientOut(**values, identifiers=[identifier_out(i) for i in patient.identifiers.all()])


# What patient_rows_out reads of each patient: the columns of PatientOut but its identifiers.
PATIENT_COLUMNS = _PATIENT_FIELDS


def patient_rows_out(rows: list[dict[str, Any]], identifiers: dict[uuid.UUID, list[tuple[str, str]]]) -> list[PatientOut]:
    """patient_out of patients read as rows (``PATIENT_COLUMNS``) and their identifiers' (system,
    value) by patient id, without validating each row again: a search shows fifty, and validating
    them was a fifth of its cost. The columns are the model's (the database holds them typed and
    checked); the choices become their enums, as validation makes them (an unknown one raises), and
    each identifier is validated as it is made. tests/api/test_patient_search_rows.py shows the
    answer equal to patient_out's for a patient with every field and several identifiers."""
    return [
        PatientOut.model_construct(
            **row
            | {
                "sex": Sex(row["sex"]),
                "preferred_language": Language(row["preferred_language"]),
                "identifiers": [identifier_of(system, value) for system, value in identifiers.get(row["id"], ())],
            }
        )
        for row in rows
    ]


_DJANGO_JSON = DjangoJSONEncoder()  # how ninja's renderer writes a time (to the millisecond)
_JSON_OF: dict[str, Callable[[Any], Any]] = {"id": str, "birth_date": dt.date.isoformat, "sex": lambda v: Sex(v).value}
_JSON_OF["preferred_language"] = lambda v: Language(v).value


def patient_rows_json(rows: list[dict[str, Any]], identifiers: dict[uuid.UUID, list[tuple[str, str]]]) -> list[dict[str, Any]]:
    """The items of patient_rows_out as ninja's renderer writes them (its times to the millisecond),
    in PatientOut's order of fields, without making a model of each: the patient search answers
    fifty, and making and dumping their models was most of its own Python. A choice the enums do
    not hold raises, as validation does; the schema itself is validated by the tests
    (tests/api/test_patient_search_rows.py: the bytes of the validated PatientOut's for every field
    and kind of identifier, and the OpenAPI document names PatientSearchResult)."""
    items = []
    for row in rows:
        item = {name: row[name] if write is None else write(row[name]) for name, write in _BEFORE_IDENTIFIERS}
        item["identifiers"] = [identifier_fields(system, value) for system, value in identifiers.get(row["id"], ())]
        item.update((name, _DJANGO_JSON.default(row[name])) for name in _AFTER_IDENTIFIERS)
        items.append(item)
    return items


# PatientOut's fields in order: those before its identifiers (each with how it is written, if not
# as it is), the identifiers, and after them its times (tests/api/test_patient_search_rows.py
# compares the bytes with the validated schema's).
_PATIENT_ITEM_ORDER = tuple(PatientOut.model_fields)
_BEFORE_IDENTIFIERS = tuple((name, _JSON_OF.get(name)) for name in _PATIENT_ITEM_ORDER[: _PATIENT_ITEM_ORDER.index("identifiers")])
_AFTER_IDENTIFIERS = _PATIENT_ITEM_ORDER[_PATIENT_ITEM_ORDER.index("identifiers") + 1 :]


class PatientPage(Schema):
    items: list[PatientOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class PatientSearchResult(Schema):
    items: list[PatientOut] = Field(description="In the order of family name, given name and date of birth.")
    complete: bool = Field(description="False when the search found more patients than it answers (50): narrow it.")


# --- episodes of care ---------------------------------------------------------------------------


class EpisodeOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    complaint: str
    condition: ConditionCategory
    started_on: dt.date
    ended_on: dt.date | None
    referrer: str
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="The last change: started, edited or closed.")


def episode_out(episode: Episode) -> EpisodeOut:
    return EpisodeOut(**{name: getattr(episode, name) for name in EpisodeOut.model_fields})


class EpisodePage(Schema):
    items: list[EpisodeOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


# --- staff and certifications ------------------------------------------------------------------


class RegistrationOut(Schema):
    system: str = Field(description=f"The register, e.g. the HPR register {RegistrationNumber.HPR_SYSTEM}.")
    value: str


class CertificationOut(Schema):
    id: uuid.UUID
    kind: CertificationKind
    course: str
    issuer: str
    completed_on: dt.date
    expires_on: dt.date | None
    jurisdiction: str


class PractitionerOut(Schema):
    discipline: Discipline
    title: str
    registrations: list[RegistrationOut]
    certifications: list[CertificationOut]


class StaffOut(Schema):
    id: int
    given_name: str
    family_name: str
    display_name: str
    role: Role
    active: bool
    practitioner: PractitionerOut | None = Field(description="A practitioner's profession, registrations and needling certifications.")


def _certification_out(certification: Certification) -> CertificationOut:
    return CertificationOut(**{name: getattr(certification, name) for name in CertificationOut.model_fields})


def staff_out(member: User) -> StaffOut:
    """A staff member, with the practitioner profile's registrations and certifications (prefetched)."""
    profile = getattr(member, "practitioner_profile", None) if member.is_practitioner else None
    practitioner = None
    if profile is not None:
        practitioner = PractitionerOut(
            discipline=profile.discipline,
            title=profile.title,
            registrations=[RegistrationOut(system=r.system, value=r.value) for r in profile.registrations.all()],
            certifications=[_certification_out(c) for c in profile.certifications.all()],
        )
    return StaffOut(
        id=member.pk,
        given_name=member.first_name,
        family_name=member.last_name,
        display_name=member.display_name,
        role=member.role,  # type: ignore[arg-type]
        active=member.is_active,
        practitioner=practitioner,
    )


class StaffPage(Schema):
    items: list[StaffOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")
