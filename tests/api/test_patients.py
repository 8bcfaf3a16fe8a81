"""Patients through the API: read with ETags, register and change (If-Match), list a page at a
time with changes since, search, episodes of care; each call audited in the client's name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from needlechart.api.models import ApiClient
from needlechart.audit.models import AuditEvent
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM, nin_check_digits
from needlechart.patients.models import Patient
from tests.api.conftest import READ, Api

D_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"


def _number(first_six: str) -> str:
    """A valid 11-digit number starting with ``first_six`` (the first individual number that has check digits)."""
    for individual in range(100, 500):
        digits = nin_check_digits(f"{first_six}{individual}")
        if digits:
            return f"{first_six}{individual}{digits}"
    raise AssertionError(first_six)


def _register(front_desk, given: str, family: str, born: dt.date = dt.date(1970, 1, 1)) -> Patient:
    return patients.patient_create(actor=front_desk, data={"given_name": given, "family_name": family, "birth_date": born})


def test_a_patient_is_read_with_its_identifiers_and_an_etag(api, patient):
    response = api.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["given_name"] == "Kari" and body["family_name"] == "Nordmann" and body["birth_date"] == "1985-05-17"
    assert body["identifiers"] == [{"system": NORWEGIAN_NIN_SYSTEM, "value": "17058512311", "kind": "fodselsnummer"}]
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34


def test_the_same_etag_answers_304_without_a_body_until_the_patient_changes(api, patient, front_desk):
    etag = api.get(f"/api/v1/patients/{patient.pk}")["ETag"]
    unchanged = api.get(f"/api/v1/patients/{patient.pk}", headers={"If-None-Match": f'W/{etag}, "other"'})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    patients.patient_update(actor=front_desk, patient=patient, data={"phone": "+47 95555555"})
    changed = api.get(f"/api/v1/patients/{patient.pk}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["phone"] == "+47 95555555" and changed["ETag"] != etag


def test_each_read_is_audited_in_the_clients_name_with_its_scope(api, patient):
    before = AuditEvent.objects.count()
    api.get(f"/api/v1/patients/{patient.pk}")
    event = AuditEvent.objects.order_by("-at", "-seq").first()
    client = ApiClient.objects.get()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.object_id, event.patient_id) == ("view", "patient", str(patient.pk), patient.pk)
    assert event.actor_id is None and event.actor_username == f"api:{client.name}" and event.actor_role == "clinic_admin"
    assert event.detail == {"api_client": str(client.pk), "scope": "demographics:read"}
    assert event.clinic_id == patient.clinic_id


def test_a_registered_patient_is_where_location_says_with_the_etag_given(api, clinic):
    body = {
        "given_name": " Ola ",
        "family_name": "Hansen",
        "birth_date": "1990-01-02",
        "identifiers": [{"system": "urn:example:passport", "value": "P123"}],
    }
    created = api.send("POST", "/api/v1/patients", body)
    assert created.status_code == 201, created.content
    assert created.json()["given_name"] == "Ola" and created.json()["sex"] == "unknown" and created.json()["preferred_language"] == "nb"
    read = api.get(created["Location"])
    assert read.status_code == 200 and read.json() == created.json() and read["ETag"] == created["ETag"]
    patient = Patient.objects.get(pk=created.json()["id"])
    assert patient.clinic_id == clinic.pk
    # The service's own audit row names the client too (audit.context.current_detail).
    event = AuditEvent.objects.get(action="create", object_type="patient", object_id=str(patient.pk))
    assert event.detail["api_client"] == str(ApiClient.objects.get().pk) and event.detail["scope"] == "demographics:write"


@pytest.mark.parametrize("system", [NORWEGIAN_NIN_SYSTEM, D_NUMBER_SYSTEM])
def test_a_d_number_is_shown_under_its_own_system_whichever_it_was_given_under(api, system):
    d_number = _number("570585")  # born 17.05.1985: a D-number adds 4 to the first digit
    body = {"given_name": "Kari", "family_name": "Dahl", "birth_date": "1985-05-17", "identifiers": [{"system": system, "value": d_number}]}
    created = api.send("POST", "/api/v1/patients", body)
    assert created.status_code == 201, created.content
    assert created.json()["identifiers"] == [{"system": D_NUMBER_SYSTEM, "value": d_number, "kind": "d-number"}]
    checked = api.send("POST", "/api/v1/patients", body | {"identifiers": [{"system": system, "value": d_number[:-1] + "0"}]})
    assert checked.status_code == 422  # a D-number's check digits are checked like a fødselsnummer's


@pytest.mark.parametrize(
    ("change", "where", "code"),
    [
        ({"identifiers": [{"system": NORWEGIAN_NIN_SYSTEM, "value": "17058512312"}]}, ["body"], "nin_checksum"),
        (
            {"identifiers": [{"system": NORWEGIAN_NIN_SYSTEM, "value": "17058512311"}], "birth_date": "1985-05-18"},
            ["body"],
            "nin_birth_date",
        ),
        ({"given_name": "Ola\nHansen"}, ["body", "given_name"], "value_error"),
        ({"given_name": "   "}, ["body", "given_name"], "string_too_short"),
        ({"birth_date": "1899-12-31"}, ["body", "birth_date"], "value_error"),
        ({"birth_date": "not a date"}, ["body", "birth_date"], "date_from_datetime_parsing"),
        ({"sex": "robot"}, ["body", "sex"], "enum"),
        ({"given_name": 42}, ["body", "given_name"], "string_type"),
        ({"nickname": "Ola"}, ["body", "nickname"], "extra_forbidden"),
        ({"email": "not an address"}, ["body", "email"], "invalid"),
        ({"phone": "1" * 41}, ["body", "phone"], "string_too_long"),
    ],
)
def test_invalid_registrations_are_422_problems_naming_the_field_and_write_nothing(api, change, where, code):
    body = {"given_name": "Ola", "family_name": "Hansen", "birth_date": "1985-05-17"} | change
    before = (Patient.objects.count(), AuditEvent.objects.filter(action="create").count())
    response = api.send("POST", "/api/v1/patients", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:needlechart:problem:validation" and problem["status"] == 422
    assert {"loc": where, "type": code} in [{"loc": e["loc"], "type": e["type"]} for e in problem["errors"]], problem
    assert (Patient.objects.count(), AuditEvent.objects.filter(action="create").count()) == before


def test_an_identifier_another_patient_has_is_refused(api, patient):
    body = {
        "given_name": "Ola",
        "family_name": "Hansen",
        "birth_date": "1985-05-17",
        "identifiers": [{"system": NORWEGIAN_NIN_SYSTEM, "value": "17058512311"}],
    }
    response = api.send("POST", "/api/v1/patients", body)
    assert response.status_code == 422 and "already has the identifier" in response.json()["detail"]


def test_a_change_needs_the_etag_of_the_version_read(api, patient):
    url = f"/api/v1/patients/{patient.pk}"
    etag = api.get(url)["ETag"]
    missing = api.send("PATCH", url, {"phone": "1"})
    assert missing.status_code == 428 and missing.json()["type"] == "urn:needlechart:problem:precondition-required"
    changed = api.send(
        "PATCH", url, {"phone": "+47 93333333", "city": "Oslo"}, content_type="application/merge-patch+json", headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["phone"] == "+47 93333333" and changed.json()["city"] == "Oslo" and changed.json()["given_name"] == "Kari"
    assert changed.json()["identifiers"][0]["value"] == "17058512311"  # left out: kept
    assert changed["ETag"] == api.get(url)["ETag"] != etag
    updated_at = Patient.objects.get(pk=patient.pk).updated_at
    stale = api.send("PATCH", url, {"phone": "+47 94444444"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["type"] == "urn:needlechart:problem:precondition-failed"
    assert Patient.objects.get(pk=patient.pk).updated_at == updated_at and api.get(url).json()["phone"] == "+47 93333333"


def test_a_change_replaces_the_identifiers_when_it_gives_them_and_refuses_null(api, patient):
    url = f"/api/v1/patients/{patient.pk}"
    cleared = api.send("PATCH", url, {"identifiers": []}, headers={"If-Match": "*"})
    assert cleared.status_code == 200 and cleared.json()["identifiers"] == []
    nulled = api.send("PATCH", url, {"given_name": None}, headers={"If-Match": "*"})
    assert nulled.status_code == 422 and nulled.json()["errors"][0]["loc"] == ["body", "given_name"]
    event = AuditEvent.objects.filter(action="update", object_id=str(patient.pk)).order_by("-at", "-seq").first()
    assert event.detail["fields"] == ["identifiers"] and event.detail["scope"] == "demographics:write"


def _reads(queries: CaptureQueriesContext) -> list[str]:
    """The statements of a call but its audit rows' (one for each patient a list shows: api.read_audit)."""
    return [q["sql"] for q in queries.captured_queries if "audit_audit" not in q["sql"] and "SAVEPOINT" not in q["sql"]]


def test_the_list_comes_a_page_at_a_time_in_order_of_change(api, front_desk, patient):
    for n in range(6):
        _register(front_desk, f"Given{n}", f"Family{n}")
    seen, cursor = [], None
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/api/v1/patients", {"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        assert len(_reads(queries)) <= 9  # the first also writes the client's "last used"
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and len({p["id"] for p in seen}) == 7
    assert [p["updated_at"] for p in seen] == sorted(p["updated_at"] for p in seen)


def test_the_lists_queries_do_not_grow_with_the_page(api, front_desk):
    for n in range(30):
        patients.patient_create(
            actor=front_desk,
            data={"given_name": f"G{n}", "family_name": "F", "birth_date": dt.date(1970, 1, 1)},
            identifiers=[("urn:example", f"x{n}")],
        )
    api.get("/api/v1/patients", {"limit": 1})  # the client's "last used" is written once a minute: not in the counts below
    counts = []
    for limit in (1, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get("/api/v1/patients", {"limit": limit}).json()["items"]) == limit
        counts.append(len(_reads(queries)))
    assert counts[0] == counts[1]


def test_changed_since_lists_only_what_changed_at_or_after_it(api, front_desk, patient):
    old = _register(front_desk, "Old", "One")
    Patient.objects.filter(pk__in=[old.pk, patient.pk]).update(updated_at=timezone.now() - dt.timedelta(days=3))
    new = _register(front_desk, "New", "One")
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert [p["id"] for p in api.get("/api/v1/patients", {"updated_since": since}).json()["items"]] == [str(new.pk)]
    naive = api.get("/api/v1/patients", {"updated_since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["loc"] == ["query", "updated_since"]


@pytest.mark.parametrize("cursor", ["nonsense", "eyJvIjoiYSJ9:1abc:xyz"])
def test_a_cursor_the_list_did_not_give_is_a_400_problem(api, cursor):
    response = api.get("/api/v1/patients", {"cursor": cursor})
    assert response.status_code == 400 and response.json()["type"] == "urn:needlechart:problem:malformed-request"


def test_a_cursor_of_another_list_is_refused(api, clinic_admin, front_desk, practitioner):
    staff_cursor = api.get("/api/v1/staff", {"limit": 1}).json()["next_cursor"]
    assert staff_cursor
    assert api.get("/api/v1/patients", {"cursor": staff_cursor}).status_code == 400


def test_search_finds_by_name_birth_date_or_identifier(api, patient, front_desk):
    _register(front_desk, "Kari", "Olsen", dt.date(1985, 5, 17))
    by_name = api.get("/api/v1/patients/search", {"name": "nordm kar"}).json()
    assert [p["id"] for p in by_name["items"]] == [str(patient.pk)] and by_name["complete"] is True
    assert len(api.get("/api/v1/patients/search", {"birth_date": "1985-05-17"}).json()["items"]) == 2
    assert [p["id"] for p in api.get("/api/v1/patients/search", {"identifier": "17058512311"}).json()["items"]] == [str(patient.pk)]
    assert api.get("/api/v1/patients/search", {"name": "17058512311"}).json()["items"] == []  # a name, not an identifier
    event = AuditEvent.objects.filter(action="search").order_by("-at", "-seq").first()
    assert event.detail["shown"] == [] and event.patient_id is None and event.detail["api_client"]


@pytest.mark.parametrize("query", [{}, {"name": "Kari", "birth_date": "1985-05-17"}, {"name": ""}])
def test_search_takes_exactly_one_criterion(api, query):
    response = api.get("/api/v1/patients/search", query)
    assert response.status_code == 422 and response.json()["errors"]


def test_a_search_that_finds_more_than_it_answers_says_it_is_incomplete(api, front_desk):
    for n in range(51):
        _register(front_desk, f"Per{n}", "Many")
    result = api.get("/api/v1/patients/search", {"name": "many"}).json()
    assert len(result["items"]) == 50 and result["complete"] is False


def test_episodes_changed_since_include_one_closed_since(api, patient, episode, front_desk):
    path = f"/api/v1/patients/{patient.pk}/episodes"
    mark = timezone.now()
    assert api.get(path, {"updated_since": mark.isoformat()}).json()["items"] == []
    patients.episode_close(actor=front_desk, episode=episode, ended_on=timezone.localdate())
    changed = api.get(path, {"updated_since": mark.isoformat()}).json()["items"]
    assert [(e["id"], e["ended_on"]) for e in changed] == [(str(episode.pk), timezone.localdate().isoformat())]
    assert dt.datetime.fromisoformat(changed[0]["updated_at"]) >= mark


def test_episodes_are_listed_for_their_patient_and_read_one_by_one(api, patient, episode, front_desk, django_assert_max_num_queries):
    second = patients.episode_create(
        actor=front_desk, patient=patient, complaint="Low back", condition="low_back", started_on=timezone.localdate()
    )
    with django_assert_max_num_queries(9):
        first_page = api.get(f"/api/v1/patients/{patient.pk}/episodes", {"limit": 1}).json()
    assert [e["id"] for e in first_page["items"]] == [str(episode.pk)]
    rest = api.get(f"/api/v1/patients/{patient.pk}/episodes", {"cursor": first_page["next_cursor"]}).json()
    assert [e["id"] for e in rest["items"]] == [str(second.pk)] and rest["next_cursor"] is None
    read = api.get(f"/api/v1/episodes/{second.pk}").json()
    assert read["patient_id"] == str(patient.pk) and read["condition"] == "low_back" and read["ended_on"] is None
    event = AuditEvent.objects.get(action="view", object_type="episode", object_id=str(second.pk))
    assert event.patient_id == patient.pk and event.detail["scope"] == "demographics:read"


def test_staff_are_listed_with_registrations_and_certifications(api, clinic_admin, practitioner, front_desk, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        staff = api.get("/api/v1/staff").json()["items"]
    by_id = {member["id"]: member for member in staff}
    assert set(by_id) == {clinic_admin.pk, practitioner.pk, front_desk.pk}
    certified = by_id[practitioner.pk]["practitioner"]
    assert certified["discipline"] == "physiotherapist" and certified["certifications"][0]["course"] == "IMS course"
    assert by_id[front_desk.pk]["practitioner"] is None and by_id[front_desk.pk]["role"] == "front_desk"
    assert "email" not in by_id[practitioner.pk] and "username" not in by_id[practitioner.pk]
    assert api.get(f"/api/v1/staff/{practitioner.pk}").json() == by_id[practitioner.pk]


def test_a_token_is_used_in_its_own_name_only(token_for, patient):
    first, second = Api(token_for(READ)), Api(token_for(READ))
    first.get(f"/api/v1/patients/{patient.pk}")
    second.get(f"/api/v1/patients/{patient.pk}")
    names = list(AuditEvent.objects.filter(object_type="patient", action="view").order_by("seq").values_list("actor_username", flat=True))
    assert names == ["api:System 1", "api:System 2"]


def test_a_page_view_after_an_api_call_names_no_client(api, patient, client_for, front_desk):
    api.get(f"/api/v1/patients/{patient.pk}")
    assert client_for(front_desk).get(f"/patients/{patient.pk}/").status_code == 200
    event = AuditEvent.objects.filter(action="view", patient_id=patient.pk).order_by("-at", "-seq").first()
    assert event.actor_id == front_desk.pk and "api_client" not in event.detail
