"""/fhir/ reads go through the access layer, and requests refused before any view (a NUL character,
too many parameters) are OperationOutcomes, never the web shell's HTML page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from needlechart.api.fhir.sources import TYPES
from needlechart.api.scopes import Scope
from needlechart.core.access import Role
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from tests.interop.test_fhir_rest import (  # noqa: F401 - the FHIR tests' client and fixtures
    DEMOGRAPHIC,
    FHIR_JSON,
    Fhir,
    _fresh_rate_counts,
    admins_may_read_clinical,
    both,
    make_token,
)

CLINICAL = [t for t in RESOURCE_TYPES if t not in DEMOGRAPHIC]


def _forbidden(response) -> None:
    assert response.status_code == 403, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "forbidden"


def test_a_token_with_the_scope_whose_role_may_not_read_clinical_records_is_refused(full_visit, clinic, make_token):  # noqa: F811
    """The client has clinical:read, but it acts as front desk, a role without view_clinical: 403 for every clinical type."""
    token = make_token([Scope.CLINICAL_READ], acting_role=Role.FRONT_DESK)
    for resource_type in CLINICAL:
        resource = next(iter(clinic_resources(clinic.pk, resource_type)))
        _forbidden(Fhir(token).get(f"/fhir/{resource_type}/{resource['id']}"))
        _forbidden(Fhir(token).get(f"/fhir/{resource_type}"))


def test_every_clinical_source_asks_the_access_layer(front_desk):
    for resource_type in CLINICAL:
        for source in TYPES[resource_type].sources:
            with pytest.raises(PermissionDenied):
                source.rows(front_desk)


@pytest.mark.parametrize("path", ["/fhir/Patient?family=No%00rdmann", "/fhir/Pat%00ient", "/fhir/$export?_type=Patient%00"])
def test_a_nul_character_is_a_400_operation_outcome(both, path):  # noqa: F811
    response = both.get(path)
    assert response.status_code == 400 and response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and "NUL" in body["issue"][0]["diagnostics"]


def test_too_many_parameters_anywhere_under_fhir_is_an_operation_outcome(both, settings):  # noqa: F811
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    for path in ("/fhir/Observation", "/fhir/$export", "/fhir/metadata"):
        response = both.get(path + "?" + "&".join(f"x{n}=1" for n in range(10)))
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome", path
