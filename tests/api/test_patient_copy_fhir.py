"""FHIR ``GET /fhir/Patient/<id>/$everything``: the patient's copy as one Bundle, for a clinical:read
client acting for a role that may disclose records, audited as a disclosure; another clinic's
patient is a 404 as a missing one, and every refusal is an OperationOutcome."""

from __future__ import annotations

import hashlib
import json
import uuid

from fhir.resources.R4B.bundle import Bundle

from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.clinics.models import Role
from tests.api.conftest import Api
from tests.api.test_patient_copy_api import _fresh_rate_counts, clinical_token, neighbour, stranger  # noqa: F401 - shared fixtures


def _copy_rows(patient_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY, patient_id=patient_id).order_by("seq"))


def test_everything_answers_the_patients_bundle_audited_as_a_disclosure(clinical_token, patient, signed_note, neighbour):  # noqa: F811
    api = Api(clinical_token())
    response = api.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    assert {e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"} == {str(patient.pk)}
    assert any(e["resource"]["resourceType"] == "DocumentReference" for e in bundle["entry"])
    assert str(neighbour.pk) not in json.dumps(bundle) and "Andersdatter" not in json.dumps(bundle)
    requested, delivered = _copy_rows(patient.pk)
    assert requested.detail["form"] == "fhir" and requested.detail["requested_by"] == "api" and requested.object_id == delivered.object_id
    assert delivered.detail["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_parameters_and_other_methods_are_refused_and_write_nothing(clinical_token, patient):  # noqa: F811
    api = Api(clinical_token())
    with_parameters = api.get(f"/fhir/Patient/{patient.pk}/$everything", {"_since": "2020-01-01"})
    assert with_parameters.status_code == 400 and "_since" in with_parameters.json()["issue"][0]["diagnostics"]
    posted = api.client.post(f"/fhir/Patient/{patient.pk}/$everything", headers={"Authorization": f"Bearer {api.token}"})
    assert posted.status_code == 405 and posted.json()["resourceType"] == "OperationOutcome"
    assert _copy_rows(patient.pk) == []


def test_refusals_are_operation_outcomes_and_write_nothing(clinical_token, patient, stranger):  # noqa: F811
    path = f"/fhir/Patient/{patient.pk}/$everything"
    assert Api().get(path).status_code == 401
    refused = Api(clinical_token(scopes=(Scope.DEMOGRAPHICS_READ,))).get(path)
    assert refused.status_code == 403 and 'error="insufficient_scope", scope="clinical:read"' in refused["WWW-Authenticate"]
    not_disclosing = Api(clinical_token(role=Role.CLINIC_ADMIN)).get(path)
    assert not_disclosing.status_code == 403 and not_disclosing.json()["resourceType"] == "OperationOutcome"
    api = Api(clinical_token())
    foreign, absent = api.get(f"/fhir/Patient/{stranger.pk}/$everything"), api.get(f"/fhir/Patient/{uuid.uuid4()}/$everything")
    assert foreign.status_code == absent.status_code == 404 and foreign.json() == absent.json()
    assert api.get("/fhir/Patient/not-a-uuid/$everything").status_code == 404
    assert AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY).count() == 0
