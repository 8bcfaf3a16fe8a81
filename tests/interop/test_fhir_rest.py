"""FHIR R4 REST under /fhir/: the CapabilityStatement, read and search of every resource type, paging,
the authorization matrix, bad parameters and the audit rows of each read."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from needlechart.api import services
from needlechart.api.fhir.sources import TYPES
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent, AuditSubject
from needlechart.clinics.models import Role
from needlechart.core import access
from needlechart.core.access import Capability
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM

DEMOGRAPHIC = {"Patient", "Practitioner", "PractitionerRole", "Organization"}
FHIR_JSON = "application/fhir+json"


class Fhir:
    def __init__(self, token: str | None = None, prefer: str | None = None) -> None:
        self.client = Client(raise_request_exception=False)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if prefer:
            self.headers["Prefer"] = prefer

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()


@pytest.fixture
def admins_may_read_clinical(monkeypatch):
    """A clinic admin whose role may view clinical records, so that they can make clinical:read
    clients (no role both manages clients and reads clinical records today)."""
    widened = dict(access.ROLE_CAPABILITIES) | {Role.CLINIC_ADMIN: access.ROLE_CAPABILITIES[Role.CLINIC_ADMIN] | {Capability.VIEW_CLINICAL}}
    monkeypatch.setattr(access, "ROLE_CAPABILITIES", widened)


@pytest.fixture
def make_token(admins_may_read_clinical, clinic_admin):
    made = [0]

    def make(scopes, admin=None, acting_role=None) -> str:
        made[0] += 1
        client, token = services.api_client_create(actor=admin or clinic_admin, name=f"FHIR {made[0]}", scopes=scopes, valid_days=30)
        if acting_role:
            client.acting_role = acting_role
            client.save(update_fields=["acting_role"])
        return token

    return make


@pytest.fixture
def both(make_token) -> Fhir:
    return Fhir(make_token([Scope.DEMOGRAPHICS_READ, Scope.CLINICAL_READ]))


def _one_of_each(clinic_id) -> dict[str, dict]:
    """The export's first resource of every type: what a read must answer."""
    return {t: next(iter(clinic_resources(clinic_id, t))) for t in RESOURCE_TYPES}


def test_metadata_is_a_valid_capability_statement_naming_every_type_without_a_token(db):
    response = Fhir().get("/fhir/metadata")
    assert response.status_code == 200 and response["Content-Type"].startswith(FHIR_JSON)
    statement = response.json()
    CapabilityStatement.model_validate(statement)
    rest = statement["rest"][0]
    served = [r for r in rest["resource"] if r["type"] != "Group"]  # Group: only its $export (test_bulk_export)
    assert {r["type"] for r in served} == set(RESOURCE_TYPES) == set(TYPES)
    for resource in served:
        assert [i["code"] for i in resource["interaction"]] == ["read", "search-type"]
        assert {"_id", "_count"} <= {p["name"] for p in resource["searchParam"]}
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {"identifier", "name", "family", "given", "birthdate", "_lastUpdated"} <= {p["name"] for p in patient["searchParam"]}
    assert [o["name"] for o in patient["operation"]] == ["everything"]  # the patient's copy (test_patient_copy_fhir)
    assert all("operation" not in r for r in served if r["type"] != "Patient")
    assert rest["security"]["service"][0]["coding"][0]["code"] == "OAuth"
    assert rest["security"]["extension"][0]["extension"][0]["valueUri"].endswith("/o/token/")


def test_every_type_reads_as_the_export_builds_it(full_visit, clinic, both):
    expected = _one_of_each(clinic.pk)
    for resource_type, resource in expected.items():
        response = both.get(f"/fhir/{resource_type}/{resource['id']}")
        assert response.status_code == 200, (resource_type, response.content)
        assert response["Content-Type"].startswith(FHIR_JSON)
        assert response.json() == resource, resource_type


def test_search_of_every_type_is_a_valid_searchset_bundle(full_visit, clinic, both):
    for resource_type in RESOURCE_TYPES:
        exported = list(clinic_resources(clinic.pk, resource_type))
        response = both.get(f"/fhir/{resource_type}", {"_count": 100})
        assert response.status_code == 200, response.content
        bundle = response.json()
        Bundle.model_validate(bundle)
        assert bundle["type"] == "searchset"
        if resource_type != "AuditEvent":  # the log grows with each search
            assert bundle["total"] == len(exported) == len(bundle["entry"]), resource_type
            assert sorted(e["resource"]["id"] for e in bundle["entry"]) == sorted(r["id"] for r in exported)
        assert all(e["search"]["mode"] == "match" for e in bundle["entry"])
        assert all(e["fullUrl"].endswith(f"/fhir/{resource_type}/{e['resource']['id']}") for e in bundle["entry"])


def _walk(api: Fhir, path: str, params: dict) -> tuple[list[str], list[int]]:
    ids, totals = [], []
    response = api.get(path, params)
    for _page in range(50):
        assert response.status_code == 200, response.content
        bundle = response.json()
        totals.append(bundle["total"])
        ids.extend(e["resource"]["id"] for e in bundle["entry"])
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            return ids, totals
        url = urlsplit(following[0])
        response = api.get(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
    raise AssertionError("the next links never ended")


def _register(actor, count: int, family: str = "Paging") -> list[str]:
    return [
        str(
            patients.patient_create(
                actor=actor, data={"given_name": f"Person{n}", "family_name": family, "birth_date": dt.date(1970, 1, 1 + n)}
            ).pk
        )
        for n in range(count)
    ]


def test_next_links_walk_every_match_once_even_when_rows_are_added_meanwhile(clinic_admin, both):
    registered = _register(clinic_admin, 7)
    first = both.get("/fhir/Patient", {"family": "Paging", "_count": 3}).json()
    assert first["total"] == 7 and len(first["entry"]) == 3
    assert [link["relation"] for link in first["link"]] == ["self", "next"]
    ids, totals = _walk(both, "/fhir/Patient", {"family": "Paging", "_count": 3})
    assert sorted(ids) == sorted(registered) and len(ids) == len(set(ids)) == 7 and totals == [7, 7, 7]
    # A page's next link keeps its place while patients are registered between pages.
    next_url = urlsplit(next(link["url"] for link in first["link"] if link["relation"] == "next"))
    _register(clinic_admin, 2, family="Pagingtoo")
    rest = both.get(next_url.path, {k: v[-1] for k, v in parse_qs(next_url.query).items()}).json()
    later = [e["resource"]["id"] for e in rest["entry"]]
    assert not set(later) & {e["resource"]["id"] for e in first["entry"]}


def test_paging_across_the_tables_of_one_type(full_visit, clinic, both):
    """Observation is three tables (measurements, thresholds, ranges of motion): one at a time walks them all."""
    exported = [r["id"] for r in clinic_resources(clinic.pk, "Observation")]
    assert len(exported) >= 4
    ids, totals = _walk(both, "/fhir/Observation", {"_count": 1})
    assert sorted(ids) == sorted(exported) and len(ids) == len(set(ids)) and set(totals) == {len(exported)}


def test_count_defaults_to_20(clinic_admin, both):
    _register(clinic_admin, 21)
    bundle = both.get("/fhir/Patient").json()
    assert bundle["total"] == 21 and len(bundle["entry"]) == 20


def test_patient_search_parameters(patient, clinic_admin, both):
    _register(clinic_admin, 2, family="Hansen")

    def found(**params) -> set[str]:
        response = both.get("/fhir/Patient", params)
        assert response.status_code == 200, response.content
        return {e["resource"]["id"] for e in response.json()["entry"] if e["search"]["mode"] == "match"}

    mine = {str(patient.pk)}
    assert found(identifier=f"{NORWEGIAN_NIN_SYSTEM}|17058512311") == mine
    assert found(identifier="17058512311") == mine
    assert found(identifier="urn:oid:2.16.578.1.12.4.1.4.2|17058512311") == set()
    assert found(name="nord") == mine and found(family="Nordmann") == mine and found(given="Kari") == mine
    assert found(family="Nordmann,Hansen") == mine | found(family="Hansen") and len(found(family="Hansen")) == 2
    assert found(birthdate="1985-05-17") == mine and found(birthdate="1985") == mine and found(birthdate="gt1985-05-17") == set()
    assert found(birthdate="ge1985-05-17", family="Nordmann") == mine
    assert found(_id=str(patient.pk)) == mine and found(_id="not-a-uuid") == set()
    assert found(_lastUpdated=f"ge{(timezone.localdate() - dt.timedelta(days=1)).isoformat()}", family="Nordmann") == mine


def test_clinical_search_by_patient_date_and_code(full_visit, clinic, both, clinic_admin):
    patient_id = str(full_visit.patient_id)
    stranger = _register(clinic_admin, 1, family="Other")[0]

    def found(path, **params) -> list[dict]:
        response = both.get(path, params)
        assert response.status_code == 200, response.content
        return [e["resource"] for e in response.json()["entry"]]

    every = found("/fhir/Observation", _count=100)
    assert found("/fhir/Observation", patient=f"Patient/{patient_id}", _count=100) == every
    assert found("/fhir/Observation", subject=patient_id, _count=100) == every
    assert found("/fhir/Observation", patient=stranger) == [] and found("/fhir/Procedure", patient=stranger) == []
    nprs = found("/fhir/Observation", code="http://loinc.org|72514-3")
    assert len(nprs) == 1 and nprs[0]["code"]["coding"][0]["code"] == "72514-3"
    assert [o["id"] for o in found("/fhir/Observation", code="72514-3")] == [nprs[0]["id"]]
    day = timezone.localdate(full_visit.starts_at).isoformat()  # a date without a zone is the clinic's
    assert len(found("/fhir/Encounter", date=day)) == 1
    assert found("/fhir/Encounter", date=f"lt{day[:4]}") == []
    assert len(found("/fhir/Encounter", date=f"ge{day}", patient=patient_id)) == 1
    assert len(found("/fhir/Procedure", subject=f"Patient/{patient_id}")) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"_count": "0"},
        {"_count": "101"},
        {"_count": "many"},
        {"birthdate": "yesterday"},
        {"birthdate": "xx1985"},
        {"birthdate": "2020-13-45"},
        {"_lastUpdated": "ge2026-01-01T10:00"},
        {"_cursor": "made-up"},
        {"family": ""},
        {"birthdate": "9999-12"},
        {"birthdate": "0001-01-01"},
        {"_lastUpdated": "ge9999-12-31T23:59:59+14:00"},
        {"_id": ",".join(["x"] * 101)},
    ],
)
def test_bad_parameters_are_400_operation_outcomes(params, patient, both):
    response = both.get("/fhir/Patient", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"


def test_bad_dates_of_clinical_searches_are_400(full_visit, both):
    for path, params in (("/fhir/Encounter", {"date": "ap2026"}), ("/fhir/Observation", {"date": "2026-02-30"})):
        response = both.get(path, params)
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


def test_a_cursor_of_another_search_is_refused(clinic_admin, both):
    _register(clinic_admin, 3)
    bundle = both.get("/fhir/Patient", {"family": "Paging", "_count": 1}).json()
    cursor = parse_qs(urlsplit(bundle["link"][1]["url"]).query)["_cursor"][0]
    assert both.get("/fhir/Patient", {"family": "Other", "_cursor": cursor}).status_code == 400
    assert both.get("/fhir/Practitioner", {"_cursor": cursor}).status_code == 400


def test_unknown_parameters_are_reported_or_refused_with_handling_strict(patient, make_token):
    token = make_token([Scope.DEMOGRAPHICS_READ])
    lenient = Fhir(token).get("/fhir/Patient", {"family": "Nordmann", "colour": "blue"})
    assert lenient.status_code == 200
    entries = lenient.json()["entry"]
    assert [e["search"]["mode"] for e in entries] == ["match", "outcome"]
    assert entries[1]["resource"]["resourceType"] == "OperationOutcome" and "colour" in entries[1]["resource"]["issue"][0]["diagnostics"]
    strict = Fhir(token, prefer="return=representation, handling=strict").get("/fhir/Patient", {"family": "Nordmann", "colour": "blue"})
    assert strict.status_code == 400 and "colour" in strict.json()["issue"][0]["diagnostics"]


def test_too_many_query_parameters_are_a_400(both, settings):
    """Refused before the view, by the web shell's 400 handler (the NUL check reads the query first): an OperationOutcome."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = both.get("/fhir/Patient?" + "&".join(f"family=x{n}" for n in range(20)))
    assert response.status_code == 400 and response["Content-Type"].startswith(FHIR_JSON)
    assert response.json()["resourceType"] == "OperationOutcome" and response.json()["issue"][0]["code"] == "invalid"


def test_unknown_types_addresses_and_methods_answer_operation_outcomes(both):
    for path in ("/fhir/Medication", "/fhir/Medication/1", "/fhir/Patient/1/_history", "/fhir/"):
        response = both.get(path)
        assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome", path
    response = both.client.post("/fhir/Patient", {}, headers=both.headers)
    assert response.status_code == 405 and response.json()["resourceType"] == "OperationOutcome"


def test_the_authorization_matrix_of_every_type(full_visit, clinic, other_admin, make_token):
    """No token 401, a token without the scope 403, another clinic's client 404 (its ids are not
    ours to confirm), the scope 200; for read and search of each type."""
    ids = {t: r["id"] for t, r in _one_of_each(clinic.pk).items()}
    demographics, clinical = make_token([Scope.DEMOGRAPHICS_READ]), make_token([Scope.CLINICAL_READ])
    stranger = make_token([Scope.DEMOGRAPHICS_READ, Scope.CLINICAL_READ], admin=other_admin)
    for resource_type in RESOURCE_TYPES:
        right, wrong = (demographics, clinical) if resource_type in DEMOGRAPHIC else (clinical, demographics)
        read = f"/fhir/{resource_type}/{ids[resource_type]}"
        nobody = Fhir().get(read)
        assert nobody.status_code == 401 and nobody["WWW-Authenticate"].startswith("Bearer")
        assert nobody.json()["issue"][0]["code"] == "login"
        refused = Fhir(wrong).get(read)
        assert refused.status_code == 403 and 'error="insufficient_scope"' in refused["WWW-Authenticate"], resource_type
        assert refused.json()["issue"][0]["code"] == "forbidden"
        assert Fhir(stranger).get(read).status_code == 404, resource_type
        assert Fhir(right).get(read).status_code == 200, resource_type
        search = f"/fhir/{resource_type}"
        assert [Fhir(t).get(search).status_code for t in (None, wrong, right)] == [401, 403, 200], resource_type
        theirs = Fhir(stranger).get(search, {"_id": ids[resource_type]}).json()
        assert (theirs["total"], theirs["entry"]) == (0, []), resource_type


def test_the_access_log_needs_a_client_made_by_an_admin(full_visit, make_token):
    practitioner_made = make_token([Scope.CLINICAL_READ], acting_role=Role.PRACTITIONER)
    response = Fhir(practitioner_made).get("/fhir/AuditEvent")
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    assert Fhir(practitioner_made).get("/fhir/Observation").status_code == 200


def test_revoked_and_bad_tokens_are_401(patient, make_token, clinic_admin):
    token = make_token([Scope.DEMOGRAPHICS_READ])
    client = services.ApiClient.objects.get(name="FHIR 1")
    services.api_client_revoke(actor=clinic_admin, client=client)
    for header_token in (token, "nct_nonsense"):
        response = Fhir(header_token).get(f"/fhir/Patient/{patient.pk}")
        assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"


def test_over_the_rate_limit_is_429_with_retry_after(patient, make_token, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    api = Fhir(make_token([Scope.DEMOGRAPHICS_READ]))
    statuses = [api.get("/fhir/Patient").status_code for _n in range(3)]
    assert statuses == [200, 200, 429]
    response = api.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response.json()["issue"][0]["code"] == "throttled"


def test_a_read_writes_one_audit_row_naming_client_scope_patient_and_object(full_visit, clinic, make_token):
    token = make_token([Scope.CLINICAL_READ])
    client = services.ApiClient.objects.get(name="FHIR 1")
    procedure = next(iter(clinic_resources(clinic.pk, "Procedure")))
    before = AuditEvent.objects.count()
    assert Fhir(token).get(f"/fhir/Procedure/{procedure['id']}").status_code == 200
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.order_by("-pk")[0]
    assert (row.action, row.object_type, row.object_id, row.patient_id) == (
        "view",
        "needling_entry",
        procedure["id"],
        full_visit.patient_id,
    )
    assert row.detail["api_client"] == str(client.pk) and row.detail["scope"] == "clinical:read"


def test_a_search_writes_one_audit_row_naming_each_patient_shown(patient, clinic_admin, make_token):
    registered = _register(clinic_admin, 3)
    api = Fhir(make_token([Scope.DEMOGRAPHICS_READ]))
    before = AuditEvent.objects.count()
    bundle = api.get("/fhir/Patient", {"family": "Paging", "_count": 2}).json()
    shown = {e["resource"]["id"] for e in bundle["entry"]}
    [row] = AuditEvent.objects.order_by("pk")[before:]
    assert row.action == "search" and row.patient_id is None and row.detail["scope"] == "demographics:read"
    assert row.detail["shown"] == [[p, [p]] for p in sorted(shown)] and shown < set(registered)
    assert {str(p) for p in AuditSubject.objects.filter(event=row).values_list("patient_id", flat=True)} == shown
    assert str(patient.pk) not in str(row.detail)
    # A search that finds nothing is audited too, naming no one.
    api.get("/fhir/Patient", {"family": "Nobody"})
    last = AuditEvent.objects.order_by("-pk")[0]
    assert last.action == "search" and last.patient_id is None and last.detail["shown"] == []
    assert not AuditSubject.objects.filter(event=last).exists()


def test_the_access_log_by_patient_finds_the_lists_that_showed_them(full_visit, clinic_admin, make_token):
    registered = _register(clinic_admin, 2)
    demographics = Fhir(make_token([Scope.DEMOGRAPHICS_READ]))
    demographics.get("/fhir/Patient", {"family": "Paging", "_count": 1})
    listed = AuditEvent.objects.filter(action="search", detail__has_key="shown").order_by("-pk")[0]
    [[named, _ids]] = listed.detail["shown"]
    other = next(p for p in registered if p != named)
    log = Fhir(make_token([Scope.CLINICAL_READ]))
    found = log.get("/fhir/AuditEvent", {"patient": named, "_count": 100}).json()
    ids = {e["resource"]["id"] for e in found["entry"]}
    assert str(listed.pk) in ids and found["total"] == len(ids)
    resource = next(e["resource"] for e in found["entry"] if e["resource"]["id"] == str(listed.pk))
    assert [e["what"]["reference"] for e in resource["entity"] if "reference" in e["what"]] == [f"Patient/{named}"]
    assert str(listed.pk) not in {e["resource"]["id"] for e in log.get("/fhir/AuditEvent", {"patient": other}).json()["entry"]}
    read = log.get(f"/fhir/AuditEvent/{listed.pk}").json()
    assert [e["what"]["reference"] for e in read["entity"] if "reference" in e["what"]] == [f"Patient/{named}"]


def test_a_search_by_patient_names_of_a_list_that_patient_only(clinic_admin, make_token):
    """A list that showed two patients is found by each one's search, naming that one only; the
    clinic's log (no patient=) names both."""
    first, second = _register(clinic_admin, 2)
    Fhir(make_token([Scope.DEMOGRAPHICS_READ])).get("/fhir/Patient", {"family": "Paging"})
    listed = AuditEvent.objects.filter(action="search", detail__has_key="shown").order_by("-pk")[0]
    assert sorted(p for p, _ids in listed.detail["shown"]) == sorted([first, second])
    log = Fhir(make_token([Scope.CLINICAL_READ]))

    def patients_named(params):
        bundle = log.get("/fhir/AuditEvent", {**params, "_count": 100}).json()
        [resource] = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == str(listed.pk)]
        return [e["what"]["reference"] for e in resource["entity"] if "reference" in e["what"]]

    assert patients_named({"patient": first}) == [f"Patient/{first}"]
    assert patients_named({"patient": second}) == [f"Patient/{second}"]
    assert patients_named({"patient": f"{first},{second}"}) == sorted([f"Patient/{first}", f"Patient/{second}"])
    assert patients_named({}) == sorted([f"Patient/{first}", f"Patient/{second}"])
