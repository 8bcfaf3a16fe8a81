"""/fhir/ serves the export's resources without validating each one with fhir.resources on every
read (api.fhir.sources): these tests are that validation. On a full visit (every resource type,
a signed note, an amended one, an adverse event), every resource a search or a read serves is
valid for its fhir.resources model, passes needlechart's checks, and is byte for byte what the
export builds and validates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache

from needlechart.api.scopes import Scope
from needlechart.interop import validation
from needlechart.interop.checks import check_resource
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.interop.validation import validate_resource
from tests.api.conftest import Api
from tests.interop.conftest import full_visit  # noqa: F401 - the shared fixture
from tests.needling.conftest import ready_session, screened  # noqa: F401 - what full_visit stands on


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()


@pytest.fixture
def fhir(admins_may_read_clinical, token_for) -> Api:
    return Api(token_for((Scope.DEMOGRAPHICS_READ, Scope.CLINICAL_READ)))


def _text(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False)


def _validated_build(clinic_id, resource_type: str) -> dict[str, dict[str, Any]]:
    """The export's resources of a type by id, validated as the export validates them and each whole by its fhir.resources model."""
    built = {r["id"]: r for r in clinic_resources(clinic_id, resource_type, validate=True)}
    for resource in built.values():
        validate_resource(resource)
    return built


def _validated(clinic_id) -> dict[str, dict[str, dict[str, Any]]]:
    return {t: _validated_build(clinic_id, t) for t in RESOURCE_TYPES}


def test_every_resource_searched_or_read_is_valid_and_the_validated_build(full_visit, clinic, fhir):  # noqa: F811
    expected = _validated(clinic.pk)
    assert all(expected[t] for t in RESOURCE_TYPES if t != "AuditEvent")  # the visit has every type
    for resource_type, built in expected.items():
        response = fhir.get(f"/fhir/{resource_type}", {"_count": 100})
        assert response.status_code == 200, (resource_type, response.content)
        served = [e["resource"] for e in response.json()["entry"]]
        for resource in served:
            validate_resource(resource)
            assert check_resource(resource) == [], resource
        if resource_type == "AuditEvent":  # the log grows with each call: the rows the export saw
            served = [r for r in served if r["id"] in built]
        assert sorted(r["id"] for r in served) == sorted(built), resource_type
        assert [_text(r) for r in served] == [_text(built[r["id"]]) for r in served], resource_type
        for resource_id, resource in built.items():
            read = fhir.get(f"/fhir/{resource_type}/{resource_id}")
            assert read.status_code == 200, (resource_type, read.content)
            assert read.content.decode() == _text(resource), resource_type


def test_observations_are_the_validated_build_with_every_source(full_visit, clinic, fhir):  # noqa: F811
    """The benchmark's search (a patient's Observations): measurements with components, a threshold, a range of motion."""
    built = _validated_build(clinic.pk, "Observation")
    response = fhir.get("/fhir/Observation", {"patient": str(full_visit.patient_id)})
    served = [e["resource"] for e in response.json()["entry"]]
    assert len(served) == len(built) == response.json()["total"] >= 4
    assert {c["code"] for r in served for c in r["code"]["coding"]} >= {"72514-3"}  # NPRS by LOINC
    assert any(r.get("component") for r in served) and any(r.get("bodySite") for r in served)
    for resource in served:
        validate_resource(resource)
        assert _text(resource) == _text(built[resource["id"]])


def test_a_search_does_not_validate_each_resource_again(full_visit, fhir, monkeypatch):  # noqa: F811
    """What makes a search cheap: no fhir.resources model is built per resource served (the tests above validate them)."""

    def refuse(resource: dict[str, Any]) -> None:
        raise AssertionError(f"validated on a read: {resource['resourceType']}")

    monkeypatch.setattr(validation, "validate_resource", refuse)
    for resource_type in RESOURCE_TYPES:
        response = fhir.get(f"/fhir/{resource_type}", {"_count": 100})
        assert response.status_code == 200, (resource_type, response.content)
        entries = response.json()["entry"]
        if entries:
            read = fhir.get(f"/fhir/{resource_type}/{entries[0]['resource']['id']}")
            assert read.status_code == 200, (resource_type, read.content)
