"""Patient identifier systems and the Norwegian national identity number check.

A Norwegian national identity number (fødselsnummer) has 11 digits: birth date (DDMMYY),
a three-digit individual number, and two modulus-11 check digits. D-numbers add 4 to the
first digit; H-numbers add 4 to the third; synthetic test numbers add 8 to the third.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NORWEGIAN_NIN_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"

_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    remainder = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    value = 11 - remainder
    if value == 11:
        return 0
    return None if value == 10 else value


def nin_check_digits(first_nine: str) -> str | None:
    """The two check digits for nine leading digits, or None if no valid number exists."""
    digits = [int(c) for c in first_nine]
    k1 = _check_digit(digits, _WEIGHTS_1)
    if k1 is None:
        return None
    k2 = _check_digit([*digits, k1], _WEIGHTS_2)
    return None if k2 is None else f"{k1}{k2}"


def nin_birth_date(value: str) -> dt.date | None:
    """The birth date a national identity number encodes, or None if it encodes none."""
    day, month, year2 = int(value[0:2]), int(value[2:4]), int(value[4:6])
    individual = int(value[6:9])
    if day > 40:  # D-number
        day -= 40
    if month > 80:  # synthetic test number
        month -= 80
    elif month > 40:  # H-number
        month -= 40
    if individual <= 499:
        century = 1900
    elif individual <= 749 and year2 >= 54:
        century = 1800
    elif individual <= 999 and year2 <= 39:
        century = 2000
    else:
        century = 1900
    try:
        return dt.date(century + year2, month, day)
    except ValueError:
        return None


def validate_norwegian_nin(value: str) -> None:
    if len(value) != 11 or not value.isdigit():
        raise ValidationError(_("A Norwegian national identity number has exactly 11 digits."), code="nin_format")
    if nin_birth_date(value) is None:
        raise ValidationError(_("The first six digits are not a valid date of birth."), code="nin_date")
    if nin_check_digits(value[:9]) != value[9:]:
        raise ValidationError(_("The check digits do not match: please check the number for typing errors."), code="nin_checksum")


def normalise_identifier(system: str, value: str) -> str:
    value = value.strip()
    if system == NORWEGIAN_NIN_SYSTEM:
        return value.replace(" ", "")
    return value


def validate_identifier(system: str, value: str) -> None:
    if system == NORWEGIAN_NIN_SYSTEM:
        validate_norwegian_nin(value)
    elif not value:
        raise ValidationError(_("Enter the identifier."), code="required")
