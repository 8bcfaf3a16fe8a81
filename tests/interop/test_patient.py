"""The Patient resource, checked by hand against the expected JSON (issue 15), for a fødselsnummer and a D-number."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from needlechart.clinics.models import Clinic
from needlechart.interop.checks import check_resource
from needlechart.interop.resources.patient import patient_resource
from needlechart.interop.selectors import clinic_patients
from needlechart.patients import services
from needlechart.patients.identifiers import NORWEGIAN_D_NUMBER_SYSTEM, NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Patient, PatientIdentifier

CLINIC = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001")
PATIENT = uuid.UUID("6f1c2d3e-0000-4000-8000-0000000000a1")
UPDATED = dt.datetime(2026, 11, 30, 9, 15, 0, tzinfo=dt.UTC)


def _patient(system: str, number: str, **fields) -> Patient:
    Clinic.objects.create(id=CLINIC, name="Fjordbyen Fysioterapi")
    patient = Patient.objects.create(
        id=PATIENT,
        clinic_id=CLINIC,
        given_name="Kari Anne",
        family_name="Nordmann",
        birth_date=dt.date(1985, 5, 17),
        **fields,
    )
    PatientIdentifier.objects.create(clinic_id=CLINIC, patient=patient, system=system, value=number)
    Patient.objects.filter(pk=PATIENT).update(updated_at=UPDATED)  # auto_now otherwise
    (read,) = clinic_patients(CLINIC)
    return read


def _expected(system: str, number: str) -> dict:
    return {
        "resourceType": "Patient",
        "id": "6f1c2d3e-0000-4000-8000-0000000000a1",
        "meta": {"lastUpdated": "2026-11-30T09:15:00+00:00"},
        "identifier": [{"use": "official", "system": system, "value": number}],
        "active": True,
        "name": [{"use": "official", "text": "Kari Anne Nordmann", "family": "Nordmann", "given": ["Kari", "Anne"]}],
        "telecom": [{"system": "phone", "value": "+47 90000000"}, {"system": "email", "value": "kari@example.invalid"}],
        "gender": "female",
        "birthDate": "1985-05-17",
        "address": [{"line": ["Storgata 4"], "city": "Bergen", "postalCode": "5003"}],
        "contact": [
            {
                "relationship": [
                    {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C", "display": "Emergency Contact"}
                        ],
                        "text": "Spouse",
                    }
                ],
                "name": {"text": "Ola Nordmann"},
                "telecom": [{"system": "phone", "value": "+47 41111111"}],
            }
        ],
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "nb", "display": "Norwegian Bokmål"}]}, "preferred": True}
        ],
        "managingOrganization": {"reference": "Organization/6f1c2d3e-0000-4000-8000-000000000001"},
    }


FIELDS = {
    "sex": "female",
    "phone": "+47 90000000",
    "email": "kari@example.invalid",
    "address": "Storgata 4",
    "postal_code": "5003",
    "city": "Bergen",
    "preferred_language": "nb",
    "emergency_contact_name": "Ola Nordmann",
    "emergency_contact_relation": "Spouse",
    "emergency_contact_phone": "+47 41111111",
}


@pytest.mark.parametrize(
    ("system", "number"),
    [
        ("urn:oid:2.16.578.1.12.4.1.4.1", "17058512311"),  # fødselsnummer
        ("urn:oid:2.16.578.1.12.4.1.4.2", "57058512305"),  # D-number: the day plus 40
    ],
)
def test_a_patient_is_the_expected_json(db, system, number):
    resource = patient_resource(_patient(system, number, **FIELDS))
    assert resource == _expected(system, number)
    assert check_resource(resource) == []


def test_a_d_number_registered_as_a_national_identity_number_is_sent_under_the_d_number_system(front_desk):
    patient = services.patient_create(
        actor=front_desk,
        data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1985, 5, 17)},
        identifiers=[(NORWEGIAN_NIN_SYSTEM, "57058512305")],
    )
    (read,) = clinic_patients(patient.clinic_id)
    assert patient_resource(read)["identifier"] == [{"use": "official", "system": NORWEGIAN_D_NUMBER_SYSTEM, "value": "57058512305"}]


def test_a_free_text_identifier_system_becomes_the_type_and_an_empty_field_is_left_out(db):
    resource = patient_resource(_patient("Passport", "AB1234567"))
    assert resource["identifier"] == [{"type": {"text": "Passport"}, "value": "AB1234567"}]
    assert resource["gender"] == "unknown"
    for absent in ("telecom", "address", "contact"):
        assert absent not in resource
    assert check_resource(resource) == []
