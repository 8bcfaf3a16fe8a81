from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from needlechart.patients.identifiers import nin_birth_date, nin_check_digits, validate_norwegian_nin
from needlechart.web.demo import synthetic_nin


@pytest.mark.parametrize(
    "number, born",
    [
        ("17058512311", dt.date(1985, 5, 17)),  # ordinary number
        ("57058512305", dt.date(1985, 5, 17)),  # D-number: day + 40
        ("17858512387", dt.date(1985, 5, 17)),  # synthetic test number: month + 80
        ("01010050053", dt.date(2000, 1, 1)),  # individual number 500-999 with year <= 39: 2000s
    ],
)
def test_valid_numbers_pass_and_encode_their_birth_date(number, born):
    assert nin_check_digits(number[:9]) == number[9:], "fixture must be valid"
    validate_norwegian_nin(number)
    assert nin_birth_date(number) == born


@pytest.mark.parametrize(
    "number, code",
    [
        ("17058512312", "nin_checksum"),  # second check digit wrong
        ("17058512301", "nin_checksum"),  # first check digit wrong
        ("1705851231", "nin_format"),  # too short
        ("1705851231a", "nin_format"),
        ("32058512311", "nin_date"),  # day 32
        ("17138512311", "nin_date"),  # month 13
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(ValidationError) as error:
        validate_norwegian_nin(number)
    assert error.value.code == code


def test_a_single_typing_error_is_always_caught():
    number = "17058512311"
    for position in range(11):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            with pytest.raises(ValidationError):
                validate_norwegian_nin(typo)


def test_the_demo_generator_makes_valid_synthetic_numbers():
    import random

    rng = random.Random(1)
    for year in (1931, 1985, 2004):
        number = synthetic_nin(rng, dt.date(year, 2, 28))
        validate_norwegian_nin(number)
        assert int(number[2:4]) == 82 and nin_birth_date(number) == dt.date(year, 2, 28)
