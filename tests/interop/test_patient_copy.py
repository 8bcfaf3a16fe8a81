"""``interop.patient_copy``: one patient's resources as a collection Bundle, nothing of another patient."""

from __future__ import annotations

import json
from collections import Counter

from fhir.resources.R4B.bundle import Bundle

from needlechart.interop.checks import check_resource
from needlechart.interop.export import clinic_resources
from needlechart.interop.patient_copy import patient_bundle, patient_resources
from needlechart.patients.models import Patient
from tests.interop.conftest import full_visit  # noqa: F401 - the shared fixture


def test_the_bundle_validates_and_holds_the_patients_whole_record(full_visit, practitioner):  # noqa: F811
    patient = full_visit.patient
    other = Patient.objects.create(clinic_id=patient.clinic_id, family_name="Andersdatter", given_name="Ragnhild", birth_date="1970-02-03")
    bundle = patient_bundle(patient.pk)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        assert check_resource(resource) == [], resource
    counts = Counter(r["resourceType"] for r in resources)
    for resource_type in (
        "Patient",
        "Encounter",
        "Observation",
        "Procedure",
        "QuestionnaireResponse",
        "Consent",
        "AdverseEvent",
        "DocumentReference",
    ):
        expected = [r for r in clinic_resources(patient.clinic_id, resource_type, validate=False) if str(patient.pk) in json.dumps(r)]
        assert counts[resource_type] == len(expected) > 0, resource_type
        assert {r["id"] for r in resources if r["resourceType"] == resource_type} == {r["id"] for r in expected}
    # a signature's Provenance targets the note: the only patient with signed notes is this one
    provenance = {r["id"] for r in clinic_resources(patient.clinic_id, "Provenance", validate=False)}
    assert {r["id"] for r in resources if r["resourceType"] == "Provenance"} == provenance != set()
    text = json.dumps(bundle)
    assert str(other.pk) not in text and "Ragnhild" not in text and "Andersdatter" not in text
    assert Patient.objects.count() == 2
    assert [r["id"] for r in resources if r["resourceType"] == "Patient"] == [str(patient.pk)]
    assert len(list(patient_resources(other.pk))) == 2  # the clinic and the patient: nothing of the first
