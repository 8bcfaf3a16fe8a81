"""The patient search builds its items from rows (schemas.patient_rows_out), not from models
validated one by one: what it answers must be what the validated path (patient_out, the read)
answers, field for field and byte for byte, for a patient with every field and several identifiers."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from ninja.renderers import JSONRenderer

from needlechart.api.v1.schemas import (
    PATIENT_COLUMNS,
    PatientOut,
    PatientSearchResult,
    identifier_of,
    patient_out,
    patient_rows_json,
    patient_rows_out,
)
from needlechart.core.canonical import sha256_hex
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


def test_the_search_etag_is_the_digest_of_the_validated_answers_bytes_and_follows_a_change(token_for, rich, front_desk):
    api = Api(token_for(READ))
    response = api.get("/api/v1/patients/search", {"name": "ødeg"})
    validated = PatientSearchResult(items=[patient_out(Patient.objects.get(pk=rich.pk))], complete=True)
    assert response["ETag"] == f'"{sha256_hex(JSONRenderer().render(None, validated.model_dump(), response_status=200))[:32]}"'
    patients.patient_update(actor=front_desk, patient=rich, data={"phone": "+47 98765432"})
    changed = api.get("/api/v1/patients/search", {"name": "ødeg"}, headers={"If-None-Match": response["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != response["ETag"]


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


def _row(**changes):
    base = {
        "id": uuid.UUID(int=1),
        "given_name": 'Kari "K"',
        "family_name": "Ødegård",
        "birth_date": dt.date(1901, 2, 3),
        "sex": "male",
        "phone": "",
        "email": "",
        "address": "Gate\\1",
        "postal_code": "",
        "city": "Tromsø",
        "preferred_language": "nb",
        "emergency_contact_name": "",
        "emergency_contact_relation": "",
        "emergency_contact_phone": "",
        "created_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
    }
    return base | changes


IDENTIFIERS = [
    (NORWEGIAN_NIN_SYSTEM, "17058512311"),  # a fødselsnummer
    (NORWEGIAN_NIN_SYSTEM, "57058512311"),  # a D-number: its first digit plus 4
    ("urn:oid:2.16.578.1.12.4.1.4.2", "57058512311"),  # filed under the D-number system
    (NORWEGIAN_NIN_SYSTEM, "17458512311"),  # an H-number: its third digit plus 4
    (NORWEGIAN_NIN_SYSTEM, "1705851231"),  # ten digits: other
    ("urn:example:passport", "P\u00e9"),
]


def test_rows_as_json_are_the_validated_schemas_bytes():
    """What the search answers without models: as ninja renders the validated schema, byte for byte."""
    rows = [
        _row(),
        _row(id=uuid.UUID(int=2), sex="female", preferred_language="en", created_at=dt.datetime(2026, 5, 6, 7, 8, 9, 1000, tzinfo=dt.UTC)),
        _row(id=uuid.UUID(int=3), updated_at=dt.datetime(2026, 5, 6, 7, 8, 9, 999, tzinfo=dt.UTC)),
    ]
    identifiers = {uuid.UUID(int=1): IDENTIFIERS, uuid.UUID(int=3): IDENTIFIERS[-1:]}
    items = patient_rows_json(rows, identifiers)
    validated = PatientSearchResult(
        items=[PatientOut(**row, identifiers=[identifier_of(s, v) for s, v in identifiers.get(row["id"], [])]) for row in rows],
        complete=False,
    )
    assert [list(item) for item in items] == [list(PatientOut.model_fields)] * 3  # the schema's order of fields
    renderer = JSONRenderer()
    as_ninja = renderer.render(None, validated.model_dump(), response_status=200)
    assert renderer.render(None, {"items": items, "complete": False}, response_status=200) == as_ninja
    assert len(json.loads(as_ninja)["items"]) == 3
    assert [i["kind"] for i in items[0]["identifiers"]] == ["fodselsnummer", "d-number", "d-number", "h-number", "other", "other"]
    with pytest.raises(ValueError, match="sex"):
        patient_rows_json([_row(sex="sex")], {})
    with pytest.raises(ValueError, match="Language"):
        patient_rows_json([_row(preferred_language="xx")], {})


def test_the_search_answers_the_validated_schemas_bytes_and_304_on_its_etag(token_for, rich):
    api = Api(token_for(READ))
    response = api.get("/api/v1/patients/search", {"name": "ødeg"})
    validated = PatientSearchResult(items=[patient_out(Patient.objects.get(pk=rich.pk))], complete=True)
    assert response.content == JSONRenderer().render(None, validated.model_dump(), response_status=200).encode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    again = api.get("/api/v1/patients/search", {"name": "ødeg"}, headers={"If-None-Match": f"W/{response['ETag']}"})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == response["ETag"]
