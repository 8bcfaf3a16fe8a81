"""The authorization matrix of every API operation: no token, a malformed one, an expired one, a
revoked one, another clinic's, one without the operation's scope, and one with it. Another
clinic's record answers exactly as a missing one, whatever the token's scopes."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from needlechart.api import services
from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope
from needlechart.api.v1.urls import api as ninja_api
from needlechart.charting import services as charting
from needlechart.clinics.models import Role
from needlechart.core import access
from needlechart.core.access import Capability
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from tests.api.conftest import CLINICAL, READ, READ_WRITE, WRITE, Api
from tests.conftest import every_case

NEW_PATIENT = {"given_name": "Ola", "family_name": "Hansen", "birth_date": "1990-01-02"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with {patient}, {episode}, {staff}, {encounter}, {note}, {measurement}, {adverse_event} for the record's id
    scope: Scope
    body: Any = None
    headers: dict[str, str] | None = None
    media_type: str = "application/json"  # of the answer that gets through

    def url(self, ids: dict[str, Any]) -> str:
        return "/api/v1" + self.path.format(**ids)

    @property
    def names_a_record(self) -> bool:
        return "{" in self.path


OPERATIONS = {
    "listPatients": Operation("GET", "/patients", Scope.DEMOGRAPHICS_READ),
    "searchPatients": Operation("GET", "/patients/search?name=Nordmann", Scope.DEMOGRAPHICS_READ),
    "readPatient": Operation("GET", "/patients/{patient}", Scope.DEMOGRAPHICS_READ),
    "createPatient": Operation("POST", "/patients", Scope.DEMOGRAPHICS_WRITE, body=NEW_PATIENT),
    "changePatient": Operation(
        "PATCH", "/patients/{patient}", Scope.DEMOGRAPHICS_WRITE, body={"phone": "+47 91111111"}, headers={"If-Match": "*"}
    ),
    "listEpisodes": Operation("GET", "/patients/{patient}/episodes", Scope.DEMOGRAPHICS_READ),
    "readEpisode": Operation("GET", "/episodes/{episode}", Scope.DEMOGRAPHICS_READ),
    "listStaff": Operation("GET", "/staff", Scope.DEMOGRAPHICS_READ),
    "readStaff": Operation("GET", "/staff/{staff}", Scope.DEMOGRAPHICS_READ),
    "listEncounters": Operation("GET", "/patients/{patient}/encounters", Scope.CLINICAL_READ),
    "readEncounter": Operation("GET", "/encounters/{encounter}", Scope.CLINICAL_READ),
    "listNotes": Operation("GET", "/patients/{patient}/notes", Scope.CLINICAL_READ),
    "readNote": Operation("GET", "/notes/{note}", Scope.CLINICAL_READ),
    "listNeedling": Operation("GET", "/patients/{patient}/needling", Scope.CLINICAL_READ),
    "readNeedling": Operation("GET", "/encounters/{encounter}/needling", Scope.CLINICAL_READ),
    "listMeasurements": Operation("GET", "/patients/{patient}/measurements", Scope.CLINICAL_READ),
    "readMeasurement": Operation("GET", "/measurements/{measurement}", Scope.CLINICAL_READ),
    "listAdverseEvents": Operation("GET", "/patients/{patient}/adverse-events", Scope.CLINICAL_READ),
    "readAdverseEvent": Operation("GET", "/adverse-events/{adverse_event}", Scope.CLINICAL_READ),
    "copyPatientRecord": Operation("GET", "/patients/{patient}/copy", Scope.CLINICAL_READ, media_type="application/zip"),
}
NAMES = sorted(OPERATIONS)


def test_the_matrix_covers_every_operation_of_the_api():
    documented = {
        op["operationId"] for item in ninja_api.get_openapi_schema(path_prefix="/api/v1/")["paths"].values() for op in item.values()
    }
    assert documented == set(OPERATIONS)


def clinical_records(episode, practitioner) -> dict[str, Any]:
    """A signed visit of the episode with a range of motion, an NPRS and an adverse event."""
    encounter = charting.encounter_create(actor=practitioner, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    needling.range_of_motion_record(
        actor=practitioner, encounter=encounter, joint="cervical_spine", movement="rotation", side="l", degrees=55
    )
    measurement = outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="nprs", raw_answers={"pain": "5"})
    event = needling.adverse_event_record(
        actor=practitioner, encounter=encounter, event_type="bruising", severity="mild", onset=encounter.starts_at
    )
    draft = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Pain 5/10")
    note = charting.note_sign(actor=practitioner, note=draft)
    return {"encounter": encounter.pk, "note": note.pk, "measurement": measurement.pk, "adverse_event": event.pk}


@pytest.fixture(autouse=True)
def _clinical_clients(admins_may_read_clinical):
    """This clinic's admin may make clinical:read clients (conftest)."""


@pytest.fixture(autouse=True)
def _disclosing_clients(_clinical_clients, monkeypatch):
    """Their clients may also take a patient's copy (it needs a role that may disclose records)."""
    admin = access.ROLE_CAPABILITIES[Role.CLINIC_ADMIN] | {Capability.DISCLOSE_RECORDS}
    monkeypatch.setattr(access, "ROLE_CAPABILITIES", dict(access.ROLE_CAPABILITIES) | {Role.CLINIC_ADMIN: admin})


@pytest.fixture
def ids(patient, episode, practitioner) -> dict[str, Any]:
    return {"patient": patient.pk, "episode": episode.pk, "staff": practitioner.pk, **clinical_records(episode, practitioner)}


@pytest.fixture
def strangers(other_admin, other_practitioner) -> dict[str, Any]:
    """Another clinic's patient, episode and staff member."""
    patient = patients.patient_create(
        actor=other_admin, data={"given_name": "Kari", "family_name": "Nordmann", "birth_date": dt.date(1980, 1, 1)}
    )
    episode = patients.episode_create(
        actor=other_admin, patient=patient, complaint="Neck", condition="neck", started_on=timezone.localdate()
    )
    return {"patient": patient.pk, "episode": episode.pk, "staff": other_practitioner.pk, **clinical_records(episode, other_practitioner)}


def _call(api: Api, operation: Operation, ids: dict[str, Any]):
    if operation.method == "GET":
        return api.get(operation.url(ids))
    return api.send(operation.method, operation.url(ids), operation.body, headers=operation.headers)


def _assert_problem(response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"] == f"urn:needlechart:problem:{kind}" and body["title"] and body["detail"]
    return body


# The refusals change nothing, so each test checks every operation on one set of records
# (tests.conftest.every_case names each operation that fails); the permitted calls, which change
# records, are a test each.


def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(ids):
    def check(name: str) -> None:
        response = _call(Api(), OPERATIONS[name], ids)
        _assert_problem(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="needlechart"'

    every_case(NAMES, check)


MALFORMED = ["Bearer", "Bearer nct_nonsense", "Basic dXNlcjpwYXNz", "Bearer nct_0123456789ab_" + "A" * 43, "nct_x"]


def test_a_malformed_or_unknown_token_is_401(ids):
    def check(case: tuple[str, str]) -> None:
        name, header = case
        operation = OPERATIONS[name]
        response = Api().client.generic(
            operation.method, operation.url(ids), "{}", content_type="application/json", headers={"Authorization": header}
        )
        _assert_problem(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"].startswith('Bearer realm="needlechart", error=')

    every_case([(name, header) for name in NAMES for header in MALFORMED], check)


def test_an_expired_token_is_401(ids, token_for):
    token = token_for(READ_WRITE)
    ApiClient.objects.filter(token_prefix=token.split("_")[1]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    def check(name: str) -> None:
        body = _assert_problem(_call(Api(token), OPERATIONS[name], ids), 401, "unauthenticated")
        assert "expired" in body["detail"]

    every_case(NAMES, check)


def test_a_revoked_token_is_401(ids, token_for, clinic_admin):
    token = token_for(READ_WRITE)
    services.api_client_revoke(actor=clinic_admin, client=ApiClient.objects.get(token_prefix=token.split("_")[1]))

    def check(name: str) -> None:
        body = _assert_problem(_call(Api(token), OPERATIONS[name], ids), 401, "unauthenticated")
        assert "revoked" in body["detail"]

    every_case(NAMES, check)


def test_a_token_without_the_operations_scope_is_403(ids, token_for):
    def check(name: str) -> None:
        operation = OPERATIONS[name]
        other_scope = {Scope.DEMOGRAPHICS_READ: WRITE, Scope.CLINICAL_READ: READ_WRITE}.get(operation.scope, READ)
        response = _call(Api(token_for(other_scope)), operation, ids)
        _assert_problem(response, 403, "forbidden")
        assert response["WWW-Authenticate"] == f'Bearer realm="needlechart", error="insufficient_scope", scope="{operation.scope}"'

    every_case(NAMES, check)


@pytest.mark.parametrize("name", NAMES)
def test_a_token_with_the_scope_gets_through(ids, token_for, name):
    operation = OPERATIONS[name]
    response = _call(Api(token_for((operation.scope,))), operation, ids)
    assert response.status_code == (201 if operation.method == "POST" else 200), response.content
    assert response["Content-Type"].startswith(operation.media_type)


def test_another_clinics_record_answers_as_a_missing_one_whatever_the_scope(ids, strangers, token_for):
    missing = {"patient": uuid.uuid4(), "episode": uuid.uuid4(), "staff": 10**9}
    missing |= {kind: uuid.uuid4() for kind in ("encounter", "note", "measurement", "adverse_event")}
    apis = {scopes: Api(token_for(scopes)) for scopes in (READ, WRITE, READ_WRITE, CLINICAL)}

    def check(case: tuple[str, tuple[Scope, ...]]) -> None:
        name, scopes = case
        operation, api = OPERATIONS[name], apis[scopes]
        foreign, absent = _call(api, operation, strangers), _call(api, operation, missing)
        assert (foreign.status_code, foreign.json()) == (absent.status_code, absent.json())
        assert foreign.status_code == (404 if operation.scope in scopes else 403)

    every_case([(name, scopes) for name in NAMES if OPERATIONS[name].names_a_record for scopes in apis], check)


def test_another_clinics_token_reads_only_its_own_clinic(ids, strangers, token_for, other_admin):
    api = Api(token_for(READ, admin=other_admin))
    assert [p["id"] for p in api.get("/api/v1/patients").json()["items"]] == [str(strangers["patient"])]
    assert [p["id"] for p in api.get("/api/v1/patients/search", {"name": "Nordmann"}).json()["items"]] == [str(strangers["patient"])]
    assert [s["id"] for s in api.get("/api/v1/staff").json()["items"]] == sorted([other_admin.pk, strangers["staff"]])
    for kind, path in (("patient", "/patients/{}"), ("episode", "/episodes/{}"), ("staff", "/staff/{}")):
        assert api.get("/api/v1" + path.format(ids[kind])).status_code == 404
        assert api.get("/api/v1" + path.format(strangers[kind])).status_code == 200


def test_a_patient_registered_with_another_clinics_token_belongs_to_that_clinic(token_for, other_admin, other_clinic, api):
    created = Api(token_for(WRITE, admin=other_admin)).send("POST", "/api/v1/patients", NEW_PATIENT)
    assert created.status_code == 201
    assert api.get(f"/api/v1/patients/{created.json()['id']}").status_code == 404
    assert Api(token_for(READ, admin=other_admin)).get(f"/api/v1/patients/{created.json()['id']}").status_code == 200
