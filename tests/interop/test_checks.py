"""needlechart's own checks catch what fhir.resources lets through: a wrong identifier system, a
missing required code, a unit that is not UCUM, an unknown code, a status outside its value set."""

from __future__ import annotations

import copy

import pytest

from needlechart.interop.checks import check_resource
from needlechart.interop.validation import InvalidResource, validate_resource
from tests.interop.test_observation import EXPECTED_NPRS
from tests.interop.test_procedure import EXPECTED as PROCEDURE

FNR, D_NUMBER = "urn:oid:2.16.578.1.12.4.1.4.1", "urn:oid:2.16.578.1.12.4.1.4.2"


def _patient(*identifiers: dict) -> dict:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": list(identifiers),
        "name": [{"family": "Nordmann", "given": ["Kari"]}],
        "gender": "female",
        "birthDate": "1985-05-17",
        "managingOrganization": {"reference": "Organization/c1"},
    }


def _problems(resource: dict) -> list[str]:
    validate_resource(resource)  # fhir.resources accepts every bad case here: the checks are what catch them
    return [str(problem) for problem in check_resource(resource)]


def test_a_correct_patient_passes():
    assert _problems(_patient({"system": FNR, "value": "17058512311"}, {"system": D_NUMBER, "value": "57058512305"})) == []


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ({"system": FNR, "value": "57058512305"}, "a D-number filed under the fødselsnummer system"),
        ({"system": D_NUMBER, "value": "17058512311"}, "not a D-number"),
        ({"system": FNR, "value": "17058512312"}, "The check digits do not match"),
        ({"system": "Passport", "value": "AB12"}, "the identifier system 'Passport' is not a URI"),
        ({"system": "http://loinc.org", "value": "17058512311"}, "http://loinc.org is a code system, not an identifier system"),
        ({"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": "999888777"}, "not a valid Norwegian organisation number"),
    ],
)
def test_a_wrong_identifier_system_or_value_is_caught(identifier, message):
    (problem,) = _problems(_patient(identifier))
    assert problem.startswith("Patient.identifier: ") and message in problem


def test_a_missing_required_code_is_caught():
    observation = copy.deepcopy(EXPECTED_NPRS)
    observation["code"] = {"text": "Pain"}  # valid FHIR, but not coded
    assert _problems(observation) == ["Observation.code.coding: is required by needlechart's mapping and missing"]
    procedure = copy.deepcopy(PROCEDURE)
    del procedure["bodySite"][0]["coding"]
    assert _problems(procedure) == ["Procedure.bodySite.coding: is required by needlechart's mapping and missing"]


def test_a_unit_that_is_not_ucum_is_caught():
    observation = copy.deepcopy(EXPECTED_NPRS)
    observation["valueQuantity"] = {"value": 30, "unit": "degrees", "system": "http://unitsofmeasure.org", "code": "degrees"}
    assert _problems(observation) == ["Observation.valueQuantity: 'degrees' is not a UCUM unit"]
    observation["valueQuantity"] = {"value": 30, "unit": "degrees"}
    assert _problems(observation) == ["Observation.valueQuantity: the unit 'degrees' is not given in UCUM (http://unitsofmeasure.org)"]
    procedure = copy.deepcopy(PROCEDURE)
    procedure["extension"][0]["extension"][0]["valueQuantity"]["code"] = "MM"  # UCUM is case-sensitive
    assert _problems(procedure) == ["Procedure.extension.extension.valueQuantity: 'MM' is not a UCUM unit"]


def test_an_unknown_code_or_code_system_is_caught():
    observation = copy.deepcopy(EXPECTED_NPRS)
    observation["code"]["coding"][0]["code"] = "72514-4"  # a check digit away
    observation["category"][0]["coding"][0]["system"] = "http://example.org/categories"
    assert _problems(observation) == [
        "Observation.category.coding: http://example.org/categories is not a code system needlechart knows",
        "Observation.code.coding: '72514-4' is not a code of LOINC (http://loinc.org)",
    ]
    procedure = copy.deepcopy(PROCEDURE)
    procedure["bodySite"][0]["coding"][0]["code"] = "trapezius_upper"
    assert _problems(procedure) == [
        "Procedure.bodySite.coding: 'trapezius_upper' is not a code of needlechart atlas muscles (https://needlechart.org/fhir/CodeSystem/muscle)"
    ]


def test_a_code_outside_its_required_value_set_and_a_malformed_reference_are_caught():
    procedure = copy.deepcopy(PROCEDURE)
    procedure["status"] = "done"
    procedure["subject"] = {"reference": "patient 17"}
    assert _problems(procedure) == [
        "Procedure.status: 'done' is not one of preparation, in-progress, not-done, on-hold, stopped, completed, entered-in-error, unknown",
        "Procedure.subject.reference: 'patient 17' is not a reference of the form Type/id",
    ]


def test_a_consent_without_a_policy_is_caught():
    consent = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/p1"},
        "dateTime": "2026-11-30T09:00:00+00:00",
    }
    assert _problems(consent) == ["Consent: ppc-1: a consent needs a policy or a policy rule"]


def test_fhir_resources_refuses_what_is_not_fhir_and_says_which_resource():
    with pytest.raises(InvalidResource, match=r"(?s)Observation/o1: .*code\s+Field required"):
        validate_resource({"resourceType": "Observation", "id": "o1", "status": "final"})
