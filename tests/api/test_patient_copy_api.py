"""The patient's copy through the API: ``GET /api/v1/patients/{id}/copy``, the ZIP, for a clinical:read
client acting for a role that may disclose records, audited as a disclosure, and never of another
clinic or patient (FHIR's ``$everything``: test_patient_copy_fhir.py, with these fixtures)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile

import pytest
from django.core.cache import cache
from django.utils import timezone

from needlechart.api import services
from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditAction, AuditEvent, AuditObject
from needlechart.charting import services as charting
from needlechart.clinics.models import Role
from needlechart.core import access
from needlechart.core.access import Capability
from needlechart.patients import services as patients
from tests.api.conftest import Api
from tests.outcomes.conftest import sign


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()


@pytest.fixture
def clinical_token(monkeypatch, clinic_admin, other_admin):
    """A clinical:read token made by a clinic admin (widened: no admin may read clinical records
    today), its client acting for ``role``."""
    widened = dict(access.ROLE_CAPABILITIES) | {Role.CLINIC_ADMIN: access.ROLE_CAPABILITIES[Role.CLINIC_ADMIN] | {Capability.VIEW_CLINICAL}}
    monkeypatch.setattr(access, "ROLE_CAPABILITIES", widened)
    made = [0]

    def make(role=Role.PRACTITIONER, scopes=(Scope.CLINICAL_READ,), admin=None) -> str:
        made[0] += 1
        client, token = services.api_client_create(actor=admin or clinic_admin, name=f"Copy {made[0]}", scopes=scopes, valid_days=30)
        ApiClient.objects.filter(pk=client.pk).update(acting_role=role)
        return token

    return make


@pytest.fixture
def neighbour(front_desk, practitioner):
    other = patients.patient_create(
        actor=front_desk, data={"given_name": "Ragnhild", "family_name": "Andersdatter", "birth_date": dt.date(1970, 2, 3)}
    )
    episode = patients.episode_create(
        actor=front_desk, patient=other, complaint="Low back", condition="low_back", started_on=timezone.localdate()
    )
    encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    sign(practitioner, encounter, "The neighbour's own words")
    return other


@pytest.fixture
def stranger(other_admin):
    """Another clinic's patient."""
    return patients.patient_create(
        actor=other_admin, data={"given_name": "Kari", "family_name": "Nordmann", "birth_date": dt.date(1980, 1, 1)}
    )


def _copy_rows(patient_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY, patient_id=patient_id).order_by("seq"))


def test_the_api_gives_the_zip_and_audits_the_request_and_the_delivery(clinical_token, patient, signed_note, neighbour):
    response = Api(clinical_token()).get(f"/api/v1/patients/{patient.pk}/copy")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "record.json", "record.pdf"]
        bundle = archive.read("record.json").decode()
    assert str(patient.pk) in bundle and str(neighbour.pk) not in bundle and "Andersdatter" not in bundle
    requested, delivered = _copy_rows(patient.pk)
    assert (requested.action, delivered.action) == (AuditAction.EXPORT, AuditAction.DOWNLOAD)
    assert requested.detail["requested_by"] == "api" and requested.detail["scope"] == Scope.CLINICAL_READ
    assert requested.actor_username == "api:Copy 1" and delivered.detail["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_a_client_acting_for_a_role_that_may_not_disclose_is_refused(clinical_token, patient):
    response = Api(clinical_token(role=Role.CLINIC_ADMIN)).get(f"/api/v1/patients/{patient.pk}/copy")
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert "practitioner" in response.json()["detail"]
    assert _copy_rows(patient.pk) == []


def test_without_the_clinical_scope_or_a_token_there_is_no_copy(clinical_token, patient):
    path = f"/api/v1/patients/{patient.pk}/copy"
    refused = Api(clinical_token(scopes=(Scope.DEMOGRAPHICS_READ,))).get(path)
    assert refused.status_code == 403 and 'error="insufficient_scope", scope="clinical:read"' in refused["WWW-Authenticate"]
    assert Api().get(path).status_code == 401
    assert _copy_rows(patient.pk) == []


def test_another_clinics_patient_answers_as_a_missing_one(clinical_token, patient, stranger):
    api = Api(clinical_token())
    foreign, absent = api.get(f"/api/v1/patients/{stranger.pk}/copy"), api.get(f"/api/v1/patients/{uuid.uuid4()}/copy")
    assert foreign.status_code == absent.status_code == 404 and foreign.json() == absent.json()
    assert AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY).count() == 0


def test_the_openapi_document_declares_the_zip_and_every_error(db):
    document = Api().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/patients/{patient_id}/copy"]["get"]
    assert operation["responses"]["200"]["content"] == {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    assert {"400", "401", "403", "404", "429"} <= set(operation["responses"])
    assert operation["security"][0] == {"ClientToken": ["clinical:read"]}
