"""One patient's first page of Observations is read in SQL (api.fhir.patient_pages), every other
search through the sources' querysets: both must give the same rows, the same resources and the
same access checks."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from needlechart.api import services
from needlechart.api.fhir.search import source_filter
from needlechart.api.fhir.sources import TYPES
from needlechart.api.fhir.views import _one_patient
from needlechart.api.scopes import Scope
from needlechart.core.access import Role
from tests.api.conftest import Api
from tests.interop.conftest import full_visit  # noqa: F401 - the shared fixture
from tests.needling.conftest import ready_session, screened  # noqa: F401 - what full_visit stands on

CLINICAL = (Scope.DEMOGRAPHICS_READ, Scope.CLINICAL_READ)


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()


@pytest.fixture
def fhir(admins_may_read_clinical, token_for) -> Api:
    return Api(token_for(CLINICAL))


def _entries(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [e["resource"] for e in response.json()["entry"]]


def test_only_a_search_by_one_patient_alone_takes_the_sql_read():
    kind, other = TYPES["Observation"], uuid.uuid4()
    patient = uuid.uuid4()
    assert _one_patient(kind, [("patient", str(patient))]) == patient
    assert _one_patient(kind, [("subject", f"Patient/{patient}")]) == patient
    for filters in (
        [("patient", f"{patient},{other}")],
        [("patient", str(patient)), ("date", "ge2020")],
        [("patient", f"Group/{patient}")],
        [("patient", "not-an-id")],
        [("code", "72514-3")],
    ):
        assert _one_patient(kind, filters) is None, filters
    assert _one_patient(TYPES["Encounter"], [("patient", str(patient))]) is None  # its source has no SQL read


def test_each_sources_sql_read_is_its_querysets_first_rows(full_visit, practitioner):  # noqa: F811
    user, patient = practitioner, full_visit.patient_id
    for source in TYPES["Observation"].sources:
        queryset = source_filter(TYPES["Observation"], source, source.rows(user), [("patient", str(patient))]).order_by("pk")
        for limit in (1, 2, 100):
            expected = list(queryset[:limit])
            read = source.first_of_patient(user, patient, limit)
            assert [r.pk for r in read] == [r.pk for r in expected]
            assert [source.build(r) for r in read] == [source.build(r) for r in expected]
        assert read, source.audit_object  # the visit has rows of every source


def test_the_sql_read_and_the_querysets_answer_the_same(full_visit, fhir):  # noqa: F811
    patient = str(full_visit.patient_id)
    fast = fhir.get("/fhir/Observation", {"patient": patient})
    by_querysets = fhir.get("/fhir/Observation", {"patient": f"{patient},{uuid.uuid4()}"})
    assert _entries(fast) == _entries(by_querysets) and len(_entries(fast)) >= 4
    assert fast.json()["total"] == by_querysets.json()["total"] == len(_entries(fast))
    assert _entries(fhir.get("/fhir/Observation", {"subject": f"Patient/{patient}"})) == _entries(fast)


def test_a_first_page_read_in_sql_counts_and_links_to_the_next(full_visit, fhir):  # noqa: F811
    patient = str(full_visit.patient_id)
    every = [r["id"] for r in _entries(fhir.get("/fhir/Observation", {"patient": patient}))]
    response = fhir.get("/fhir/Observation", {"patient": patient, "_count": 2})
    ids, totals = [r["id"] for r in _entries(response)], [response.json()["total"]]
    while following := [link["url"] for link in response.json()["link"] if link["relation"] == "next"]:
        url = urlsplit(following[0])
        response = fhir.get(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
        ids += [r["id"] for r in _entries(response)]
        totals.append(response.json()["total"])
    assert ids == every and set(totals) == {len(every)}


def test_the_sql_read_keeps_the_clinic_and_the_role_checks(full_visit, admins_may_read_clinical, token_for, other_admin, clinic_admin):  # noqa: F811
    patient = str(full_visit.patient_id)
    other = Api(token_for(CLINICAL, admin=other_admin))
    assert _entries(other.get("/fhir/Observation", {"patient": patient})) == []
    client, token = services.api_client_create(actor=clinic_admin, name="Front desk system", scopes=list(CLINICAL), valid_days=1)
    client.acting_role = Role.FRONT_DESK
    client.save(update_fields=["acting_role"])
    refused = Api(token).get("/fhir/Observation", {"patient": patient})
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
