"""The export reads a clinic in chunks with a fixed number of queries per chunk, whatever the rows hold,
and reads only that clinic."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.screening import services as screening
from tests.outcomes.conftest import needled_and_signed, second_patient
from tests.screening.test_intake_pages import healthy_answers

# The most queries a chunk of each type costs (interop.selectors), and those sent once per export.
# AuditEvent: the rows, and the patients their lists named (audit.selectors.with_subjects).
PER_CHUNK = {
    "Patient": 2,
    "AdverseEvent": 2,
    "Observation": 3,
    "DocumentReference": 2,
    "Provenance": 2,
    "AuditEvent": 2,
}
ONCE = {"Organization": 1, "Practitioner": 3, "PractitionerRole": 3}


def _many_patients(front_desk, count: int) -> None:
    for number in range(count):
        patients.patient_create(
            actor=front_desk,
            data={"given_name": f"Kari{number}", "family_name": "Nordmann", "birth_date": dt.date(1985, 5, 17)},
            identifiers=[(NORWEGIAN_NIN_SYSTEM, "17058512311")] if number == 0 else [("Passport", f"P{number}")],
        )


@pytest.mark.parametrize("count", [3, 12])
def test_patients_cost_two_queries_per_chunk_however_many_patients(front_desk, django_assert_max_num_queries, count):
    _many_patients(front_desk, count)
    chunk_size = 5
    with django_assert_max_num_queries(2 * math.ceil(count / chunk_size)):
        resources = list(clinic_resources(front_desk.clinic_id, "Patient", chunk_size=chunk_size))
    assert len(resources) == count and all(r["identifier"] for r in resources)


def test_every_type_costs_a_fixed_number_of_queries_per_chunk(full_visit, practitioner, front_desk, django_assert_max_num_queries):
    other, _episode, encounter = second_patient(front_desk, practitioner)
    screening.intake_record_by_staff(actor=practitioner, patient=other, raw_answers={**healthy_answers(), "able_to_consent": "yes"})
    needled_and_signed(practitioner, encounter)
    chunk_size = 2
    for resource_type in RESOURCE_TYPES:
        with django_assert_max_num_queries(100) as captured:
            count = sum(1 for _ in clinic_resources(full_visit.clinic_id, resource_type, chunk_size=chunk_size))
        chunks = max(1, math.ceil(count / chunk_size))
        bound = ONCE.get(resource_type) or PER_CHUNK.get(resource_type, 1) * chunks + (2 if resource_type == "Observation" else 0)
        assert len(captured) <= bound, (resource_type, count, [q["sql"][:120] for q in captured.captured_queries])


def test_an_export_reads_only_its_clinic(full_visit, other_practitioner):
    other = patients.patient_create(
        actor=other_practitioner, data={"given_name": "Per", "family_name": "Utenfor", "birth_date": dt.date(1970, 1, 1)}
    )
    for resource_type in ("Patient", "Procedure", "Observation", "AuditEvent"):
        mine = list(clinic_resources(full_visit.clinic_id, resource_type))
        assert mine and str(other.pk) not in str(mine)
    assert [r["id"] for r in clinic_resources(other.clinic_id, "Patient")] == [str(other.pk)]


def test_validation_can_be_left_out_for_speed_and_the_resource_is_the_same(full_visit, monkeypatch):
    validated = list(clinic_resources(full_visit.clinic_id, "Procedure"))

    def refuse(resource):
        raise AssertionError("validated although told not to")

    monkeypatch.setattr("needlechart.interop.validation.validate_resource", refuse)
    assert list(clinic_resources(full_visit.clinic_id, "Procedure", validate=False)) == validated
