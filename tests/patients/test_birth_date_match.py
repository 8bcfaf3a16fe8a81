"""A national identity number must encode the date of birth typed with it (issue 13).

Ordinary numbers, D-numbers (first digit + 4) and H-numbers (third digit + 4) all carry the
birth date; a number that is well formed but gives another date was accepted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from needlechart.patients import services
from needlechart.patients.identifiers import (
    NORWEGIAN_NIN_SYSTEM,
    nin_birth_date,
    nin_check_digits,
    nin_kind,
    validate_identifier,
    validate_nin_birth_date,
)
from needlechart.patients.models import Patient

BORN = dt.date(1985, 5, 17)
NUMBERS = {
    "fnr": "17058512311",  # 17.05.85
    "d": "57058512305",  # D-number: 17 + 40
    "h": "17458512485",  # H-number: month 05 + 40
    "synthetic": "17858512387",  # synthetic test number: month 05 + 80
}
FORM = {
    "given_name": "Kari",
    "family_name": "Nordmann",
    "sex": "female",
    "preferred_language": "nb",
    "phone": "",
    "email": "",
}


@pytest.mark.parametrize("number", NUMBERS.values())
def test_the_numbers_are_valid_and_encode_the_same_birth_date(number):
    assert nin_check_digits(number[:9]) == number[9:]
    assert nin_birth_date(number) == BORN
    validate_nin_birth_date(number, BORN)
    validate_identifier(NORWEGIAN_NIN_SYSTEM, number, birth_date=BORN)


def test_the_kinds():
    assert [nin_kind(number) for number in NUMBERS.values()] == ["fnr", "d", "h", "fnr"]


@pytest.mark.parametrize("number", NUMBERS.values())
@pytest.mark.parametrize("typed", [dt.date(1985, 5, 18), dt.date(1985, 6, 17), dt.date(1958, 5, 17), dt.date(2085, 5, 17)])
def test_a_number_of_another_birth_date_is_refused(number, typed):
    with pytest.raises(ValidationError) as error:
        validate_identifier(NORWEGIAN_NIN_SYSTEM, number, birth_date=typed)
    assert error.value.code == "nin_birth_date"


def _post(client, url, number, born, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    try:
        return client.post(url, {**FORM, "birth_date": born, "national_id": number})
    finally:
        translation.activate("en")


def _errors(html: str, field: str) -> str:
    """The text of a field's error messages on the form page (web/_forms.html)."""
    start = html.index(f'name="{field}"')
    block = html[html.rindex("<div", 0, start) : html.index("</div>", start)]
    return block


@pytest.mark.parametrize(
    ("kind", "english"),
    [
        ("fnr", "This national identity number gives the date of birth 17 May 1985"),
        ("d", "This D-number gives the date of birth 17 May 1985"),
        ("h", "This H-number gives the date of birth 17 May 1985"),
    ],
)
def test_the_form_says_which_dates_disagree_in_english(client_for, front_desk, kind, english):
    response = _post(client_for(front_desk), reverse("patient_create"), NUMBERS[kind], "1985-05-18")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{english}, but the date of birth entered is 18 May 1985. Check which of the two is wrong." in html
    assert "This is not the date of birth the identity number gives (17 May 1985)." in html
    assert not Patient.objects.filter(family_name="Nordmann").exists()


@pytest.mark.parametrize(
    ("kind", "norwegian"),
    [
        ("fnr", "Fødselsnummeret gir fødselsdatoen 17. mai 1985"),
        ("d", "D-nummeret gir fødselsdatoen 17. mai 1985"),
        ("h", "H-nummeret gir fødselsdatoen 17. mai 1985"),
    ],
)
def test_the_form_says_which_dates_disagree_in_norwegian(client_for, front_desk, kind, norwegian):
    response = _post(client_for(front_desk), reverse("patient_create"), NUMBERS[kind], "1985-05-18", "nb")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{norwegian}, men fødselsdatoen som er fylt inn, er 18. mai 1985. Sjekk hvilken av dem som er feil." in html
    assert "Dette er ikke fødselsdatoen i identitetsnummeret (17. mai 1985)." in html
    assert not Patient.objects.filter(family_name="Nordmann").exists()


def test_the_errors_stand_at_both_fields(client_for, front_desk):
    html = _post(client_for(front_desk), reverse("patient_create"), NUMBERS["d"], "1985-05-18").content.decode()
    assert "This D-number gives the date of birth" in _errors(html, "national_id")
    assert "This is not the date of birth the identity number gives" in _errors(html, "birth_date")


@pytest.mark.parametrize("kind", ["fnr", "d", "h"])
def test_a_matching_number_is_registered(client_for, front_desk, kind):
    response = _post(client_for(front_desk), reverse("patient_create"), NUMBERS[kind], "1985-05-17")
    assert response.status_code == 302
    assert Patient.objects.get(family_name="Nordmann").identifiers.get().value == NUMBERS[kind]


def test_the_service_refuses_a_mismatch_too(front_desk):
    with pytest.raises(ValidationError) as error:
        services.patient_create(
            actor=front_desk,
            data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1985, 5, 18)},
            identifiers=[(NORWEGIAN_NIN_SYSTEM, NUMBERS["d"])],
        )
    assert error.value.code == "nin_birth_date"
    assert not Patient.objects.filter(family_name="Hansen").exists()


def test_changing_only_the_date_of_birth_is_checked_against_the_number_kept(front_desk, patient):
    with pytest.raises(ValidationError) as error:
        services.patient_update(
            actor=front_desk, patient=patient, data={"given_name": "Kari", "family_name": "Nordmann", "birth_date": dt.date(1985, 5, 18)}
        )
    assert error.value.code == "nin_birth_date"
    patient.refresh_from_db()
    assert patient.birth_date == BORN


def test_editing_with_a_wrong_date_of_birth_keeps_the_patient_as_they_were(client_for, front_desk, patient):
    response = _post(client_for(front_desk), reverse("patient_edit", args=[patient.pk]), NUMBERS["fnr"], "1985-06-17")
    assert response.status_code == 400 and "but the date of birth entered is 17 Jun 1985" in response.content.decode()
    patient.refresh_from_db()
    assert patient.birth_date == BORN
