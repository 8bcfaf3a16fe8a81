"""The patient search builds its items from rows (schemas.patient_rows_out), not from models
validated one by one: what it answers must be what the validated path (patient_out, the read)
answers, field for field and byte for byte, for a patient with every field and several identifiers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from needlechart.api.v1.conditional import etag_of
from needlechart.api.v1.schemas import PATIENT_COLUMNS, PatientSearchResult, patient_out, patient_rows_out
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Patient
from tests.api.conftest import READ, Api


@pytest.fixture
def rich(front_desk) -> Patient:
    """A patient with every field of PatientOut set, a fødselsnummer and an identifier of another system."""
    data = {
        "given_name": "Åse Marie",
        "family_name": "Ødegård-Lie",
        "birth_date": dt.date(1985, 5, 17),
        "sex": "female",
        "phone": "+47 91234567",
        "email": "ase@example.no",
        "address": "Storgata 1\u00a0B",
        "postal_code": "0155",
        "city": "Oslo",
        "preferred_language": "en",
        "emergency_contact_name": "Ola Lie",
        "emergency_contact_relation": "Spouse",
        "emergency_contact_phone": "+47 92345678",
    }
    identifiers = [(NORWEGIAN_NIN_SYSTEM, "17058512311"), ("urn:example:passport", "P123")]
    return patients.patient_create(actor=front_desk, data=data, identifiers=identifiers)


def test_search_items_are_the_reads_byte_for_byte(token_for, rich, front_desk):
    patients.patient_create(actor=front_desk, data={"given_name": "Åse", "family_name": "Ødegård", "birth_date": dt.date(1990, 1, 2)})
    api = Api(token_for(READ))
    response = api.get("/api/v1/patients/search", {"name": "ødeg"})
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [i["family_name"] for i in items] == ["Ødegård", "Ødegård-Lie"]
    for item in items:
        read = api.get(f"/api/v1/patients/{item['id']}")
        assert read.status_code == 200
        assert json.dumps(item, ensure_ascii=False) == json.dumps(read.json(), ensure_ascii=False)
    shown = next(i for i in items if i["id"] == str(rich.pk))
    assert shown["sex"] == "female" and shown["preferred_language"] == "en" and shown["address"] == "Storgata 1\u00a0B"
    assert sorted((i["system"], i["kind"]) for i in shown["identifiers"]) == [
        ("urn:example:passport", "other"),
        (NORWEGIAN_NIN_SYSTEM, "fodselsnummer"),
    ]


def test_the_search_etag_is_that_of_the_validated_answer(token_for, rich):
    response = Api(token_for(READ)).get("/api/v1/patients/search", {"name": "ødeg"})
    validated = PatientSearchResult(items=[patient_out(Patient.objects.get(pk=rich.pk))], complete=True)
    assert response["ETag"] == etag_of(validated)


def test_rows_out_equals_patient_out_and_refuses_an_unknown_choice(rich):
    patient = Patient.objects.get(pk=rich.pk)
    row = {name: getattr(patient, name) for name in PATIENT_COLUMNS}
    pairs = [(i.system, i.value) for i in patient.identifiers.all()]
    (built,) = patient_rows_out([row], {patient.pk: pairs})
    expected = patient_out(patient)
    assert built.model_dump(mode="json") == expected.model_dump(mode="json")
    assert built.model_dump() == expected.model_dump()  # the same types too (the choices as their enums)
    with pytest.raises(ValueError, match="sex"):
        patient_rows_out([row | {"sex": "sex"}], {})


def test_a_search_reads_only_the_callers_clinic(token_for, rich, other_admin):
    other = Api(token_for(READ, admin=other_admin))
    assert other.get("/api/v1/patients/search", {"name": "ødeg"}).json()["items"] == []
