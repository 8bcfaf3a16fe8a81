"""``POST /fhir/`` with a transaction Bundle (api.fhir.transaction): written all or nothing, duplicates
matched, a dry run, every rejected entry named, bad bodies refused, the authorization matrix, audited."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from needlechart.api import services
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent
from needlechart.core.access import Role
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode, Patient
from tests.interop.test_fhir_rest import (  # noqa: F401 - the FHIR tests' client and fixtures
    FHIR_JSON,
    Fhir,
    _fresh_rate_counts,
    admins_may_read_clinical,
    make_token,
)
from tests.interop.test_import_fhir import PATIENT_URL, bundle, clean, new_episode, new_patient, nprs, small_bundle

WRITE = [Scope.DEMOGRAPHICS_WRITE]


def post(token: str | None, body, path: str = "/fhir/", content_type: str = FHIR_JSON):
    api = Fhir(token)
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.client.post(path, data, content_type=content_type, headers=api.headers)


def written() -> tuple[int, int, int]:
    return Patient.objects.count(), Episode.objects.count(), Measurement.objects.count()


@pytest.fixture
def writer(make_token) -> str:  # noqa: F811 - the imported fixture, as a parameter
    """A client of the clinic that may write demographics, acting as a practitioner (who may record measurements)."""
    return make_token(WRITE, acting_role=Role.PRACTITIONER)


def _outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    outcome = response.json()
    OperationOutcome.model_validate(outcome)
    return outcome


def test_a_transaction_is_written_and_answered_with_a_transaction_response(clinic, writer):
    response = post(writer, small_bundle())
    assert response.status_code == 200, response.content
    answer = response.json()
    Bundle.model_validate(answer)
    assert answer["type"] == "transaction-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 3
    patient = Patient.objects.get(clinic=clinic)
    assert answer["entry"][0]["response"]["location"] == f"Patient/{patient.pk}"
    assert Episode.objects.filter(patient=patient).count() == 1 and Measurement.objects.filter(patient=patient, score=6).count() == 1


def test_the_base_and_bundle_addresses_both_take_it_and_duplicates_are_matched_by_identifier(clinic, writer):
    assert post(writer, small_bundle()).status_code == 200
    again = post(writer, small_bundle(), path="/fhir/Bundle")
    assert again.status_code == 200, again.content
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 3
    assert written() == (1, 1, 1)


def test_a_dry_run_says_what_would_be_written_and_writes_nothing(clinic, writer):
    before = AuditEvent.objects.count()
    outcome = _outcome(post(writer, small_bundle(), path="/fhir/?_dry-run=true"), 200)
    assert written() == (0, 0, 0) and AuditEvent.objects.count() == before
    lines = [i["diagnostics"] for i in outcome["issue"]]
    assert lines[0].startswith("created") and "Patient" in lines[0] and "Dry run" in lines[-1]
    assert _outcome(post(writer, small_bundle(), path="/fhir/?_dry-run=maybe"), 400)["issue"][0]["code"] == "invalid"


def test_every_rejected_entry_is_named_and_nothing_is_written(clinic, writer):
    missing = "Patient/00000000-0000-4000-8000-000000000000"
    data = clean(bundle(new_patient(), new_episode(missing), nprs(PATIENT_URL, code="0000-0"), nprs(PATIENT_URL, unit="kg")))
    outcome = _outcome(post(writer, data), 422)
    errors = [i for i in outcome["issue"] if i["severity"] == "error"]
    assert [i["expression"] for i in errors] == [["Bundle.entry[1]"], ["Bundle.entry[2]"], ["Bundle.entry[3]"]]
    assert missing in errors[0]["diagnostics"] and "0000-0" in errors[1]["diagnostics"]
    assert written() == (0, 0, 0)
    row = AuditEvent.objects.get(object_type="fhir_import")
    assert row.detail["written"] is False and row.detail["rejected"] == 3 and row.detail["scope"] == "demographics:write"


def test_wrong_types_and_unimported_resources_are_rejected_entries(clinic, writer):
    data = clean(bundle(new_patient(birthDate=19850517), {"resourceType": "Medication", "status": "active"}))
    outcome = _outcome(post(writer, data), 422)
    errors = [i["diagnostics"] for i in outcome["issue"] if i["severity"] == "error"]
    assert len(errors) == 2 and "birthDate" in errors[0] and "Medication" in errors[1]
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", FHIR_JSON, 400),
        ("[]", FHIR_JSON, 400),
        (json.dumps({"resourceType": "Patient"}), FHIR_JSON, 400),
        (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), FHIR_JSON, 400),
        (json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": "all"}), FHIR_JSON, 400),
        ("name=Ola", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe", FHIR_JSON, 400),
    ],
)
def test_bodies_that_are_no_transaction_bundle_are_refused(clinic, writer, body, content_type, status):
    outcome = _outcome(post(writer, body, content_type=content_type), status)
    assert outcome["issue"][0]["severity"] == "error"
    assert written() == (0, 0, 0)


def test_a_10_mb_body_is_a_413_and_nothing_is_written(clinic, writer):
    data = small_bundle()
    data["entry"][0]["resource"]["text"] = {"status": "generated", "div": "<div>" + "x" * (10 * 2**20) + "</div>"}
    outcome = _outcome(post(writer, data), 413)
    assert outcome["issue"][0]["code"] == "too-costly" and written() == (0, 0, 0)


def test_the_authorization_matrix(clinic, patient, other_admin, make_token, clinic_admin):  # noqa: F811
    assert _outcome(post(None, small_bundle()), 401)["issue"][0]["code"] == "login"
    assert _outcome(post(make_token([Scope.DEMOGRAPHICS_READ]), small_bundle()), 403)["issue"][0]["code"] == "forbidden"
    revoked = make_token(WRITE)
    services.api_client_revoke(actor=clinic_admin, client=services.ApiClient.objects.get(name="FHIR 2"))
    _outcome(post(revoked, small_bundle()), 401)
    # Another clinic's client cannot refer to this clinic's patient: for it the patient does not exist.
    stranger = make_token(WRITE, admin=other_admin, acting_role=Role.PRACTITIONER)
    outcome = _outcome(post(stranger, clean(bundle(new_episode(f"Patient/{patient.pk}")))), 422)
    assert f"Patient/{patient.pk}" in outcome["issue"][0]["diagnostics"]
    assert Episode.objects.filter(patient=patient).count() == 0
    assert written() == (1, 0, 0)
    assert post(make_token(WRITE, acting_role=Role.PRACTITIONER), small_bundle()).status_code == 200


def test_a_role_that_may_not_record_measurements_gets_its_observations_rejected(clinic, make_token):  # noqa: F811
    front_desk_client = make_token(WRITE, acting_role=Role.FRONT_DESK)
    outcome = _outcome(post(front_desk_client, small_bundle()), 422)
    assert [i["expression"] for i in outcome["issue"] if i["severity"] == "error"] == [["Bundle.entry[2]"]]
    assert written() == (0, 0, 0)


def test_other_methods_on_the_base_are_not_a_transaction(clinic, writer):
    assert Fhir(writer).get("/fhir/").status_code == 404
    assert Fhir(writer).client.put("/fhir/", "{}", content_type=FHIR_JSON, headers=Fhir(writer).headers).status_code == 405


def test_a_client_whose_maker_left_the_clinic_may_not_write(clinic, writer, clinic_admin, other_clinic):
    clinic_admin.clinic = other_clinic
    clinic_admin.save(update_fields=["clinic"])
    assert _outcome(post(writer, small_bundle()), 403)["issue"][0]["code"] == "forbidden"
    assert written() == (0, 0, 0)
