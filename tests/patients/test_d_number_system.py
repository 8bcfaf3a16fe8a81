"""A D-number is filed under the D-number system, not the fødselsnummer system (issue 15).

The patient form's one national identity number field filed every number under
``urn:oid:2.16.578.1.12.4.1.4.1``, D-numbers too; HL7 Norway gives D-numbers their own system,
``urn:oid:2.16.578.1.12.4.1.4.2``, and the FHIR Patient carries what is stored.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from needlechart.patients import services
from needlechart.patients.identifiers import NORWEGIAN_D_NUMBER_SYSTEM, NORWEGIAN_NIN_SYSTEM, filed_identifier
from needlechart.patients.models import Patient, PatientIdentifier
from needlechart.patients.selectors import patient_search

FNR, D_NUMBER, H_NUMBER = "17058512311", "57058512305", "17458512485"  # all born 17.05.1985
BORN = dt.date(1985, 5, 17)
FORM = {"given_name": "Kari", "family_name": "Nordmann", "birth_date": "1985-05-17", "sex": "female", "preferred_language": "nb"}


def _identifiers(patient: Patient) -> list[tuple[str, str]]:
    return list(PatientIdentifier.objects.filter(patient=patient).values_list("system", "value"))


@pytest.mark.parametrize(
    ("number", "system"), [(FNR, NORWEGIAN_NIN_SYSTEM), (D_NUMBER, NORWEGIAN_D_NUMBER_SYSTEM), (H_NUMBER, NORWEGIAN_NIN_SYSTEM)]
)
def test_the_form_files_each_number_under_the_system_of_its_kind(client_for, front_desk, number, system):
    response = client_for(front_desk).post(reverse("patient_create"), {**FORM, "national_id": number})
    assert response.status_code == 302
    assert _identifiers(Patient.objects.get(family_name="Nordmann")) == [(system, number)]


def test_the_service_refiles_a_d_number_given_under_the_fodselsnummer_system(front_desk):
    patient = services.patient_create(
        actor=front_desk,
        data={"given_name": "Ola", "family_name": "Hansen", "birth_date": BORN},
        identifiers=[(NORWEGIAN_NIN_SYSTEM, "570585 12305")],
    )
    assert _identifiers(patient) == [(NORWEGIAN_D_NUMBER_SYSTEM, D_NUMBER)]


def test_a_fodselsnummer_given_under_the_d_number_system_is_filed_as_a_fodselsnummer():
    assert filed_identifier(NORWEGIAN_D_NUMBER_SYSTEM, FNR) == (NORWEGIAN_NIN_SYSTEM, FNR)
    assert filed_identifier("Passport", " AB123 ") == ("Passport", "AB123")


def test_a_d_number_is_checked_against_the_date_of_birth_under_its_own_system(front_desk):
    with pytest.raises(ValidationError) as error:
        services.patient_create(
            actor=front_desk,
            data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1985, 5, 18)},
            identifiers=[(NORWEGIAN_D_NUMBER_SYSTEM, D_NUMBER)],
        )
    assert error.value.code == "nin_birth_date"


def test_the_edit_form_shows_the_d_number_in_the_national_identity_field_and_keeps_it(client_for, front_desk):
    patient = services.patient_create(actor=front_desk, data={**FORM, "birth_date": BORN}, identifiers=[(NORWEGIAN_NIN_SYSTEM, D_NUMBER)])
    client = client_for(front_desk)
    page = client.get(reverse("patient_edit", args=[patient.pk])).content.decode()
    assert f'name="national_id" value="{D_NUMBER}"' in page
    assert 'name="other_id_value"' in page and f'name="other_id_value" value="{D_NUMBER}"' not in page
    response = client.post(reverse("patient_edit", args=[patient.pk]), {**FORM, "national_id": D_NUMBER, "phone": "+47 91111111"})
    assert response.status_code == 302
    assert _identifiers(patient) == [(NORWEGIAN_D_NUMBER_SYSTEM, D_NUMBER)]
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert f"<dt>National identity number</dt><dd>{D_NUMBER}</dd>" in chart


def test_search_finds_a_patient_by_d_number(front_desk):
    patient = services.patient_create(actor=front_desk, data={**FORM, "birth_date": BORN}, identifiers=[(NORWEGIAN_NIN_SYSTEM, D_NUMBER)])
    _query, found = patient_search(user=front_desk, text=D_NUMBER)
    assert [row.pk for row in found] == [patient.pk]


def test_the_migration_refiles_the_d_numbers_stored_under_the_fodselsnummer_system(front_desk, patient):
    holder = services.patient_create(actor=front_desk, data={**FORM, "birth_date": BORN})
    PatientIdentifier.objects.create(clinic_id=holder.clinic_id, patient=holder, system=NORWEGIAN_NIN_SYSTEM, value=D_NUMBER)
    migration = importlib.import_module("needlechart.patients.migrations.0005_d_numbers_under_their_own_system")
    migration.d_numbers_to_their_system(apps, None)
    assert _identifiers(holder) == [(NORWEGIAN_D_NUMBER_SYSTEM, D_NUMBER)]
    assert _identifiers(patient) == [(NORWEGIAN_NIN_SYSTEM, FNR)]  # an ordinary number stays where it is
    migration.d_numbers_back(apps, None)
    assert _identifiers(holder) == [(NORWEGIAN_NIN_SYSTEM, D_NUMBER)]
