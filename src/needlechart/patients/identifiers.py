"""Patient identifier systems and the Norwegian national identity number check.

A Norwegian national identity number (fødselsnummer) has 11 digits: birth date (DDMMYY),
a three-digit individual number, and two modulus-11 check digits. D-numbers add 4 to the
first digit; H-numbers add 4 to the third; synthetic test numbers add 8 to the third. The
birth date the number encodes must be the patient's date of birth (``validate_nin_birth_date``).

A D-number is filed under its own system (HL7 Norway's basis profiles: fødselsnummer
``urn:oid:2.16.578.1.12.4.1.4.1``, D-number ``urn:oid:2.16.578.1.12.4.1.4.2``), whichever of the
two a caller names: ``filed_identifier`` decides by the number itself. H-numbers and synthetic
test numbers stay under the fødselsnummer system, as before.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from needlechart.core.formatting import date as date_text

NORWEGIAN_NIN_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
NORWEGIAN_D_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
# The systems the national identity number field files under (the form's one field takes either).
NATIONAL_ID_SYSTEMS = (NORWEGIAN_NIN_SYSTEM, NORWEGIAN_D_NUMBER_SYSTEM)

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


def nin_kind(value: str) -> str:
    """What kind of number an 11-digit national identity number is: "d" (D-number), "h" (H-number)
    or "fnr" (an ordinary number, or a synthetic test number)."""
    if value[0] in "4567":
        return "d"
    if value[2] in "4567":
        return "h"
    return "fnr"


_MISMATCH = {
    "fnr": _(
        "This national identity number gives the date of birth %(encoded)s, but the date of birth entered is %(typed)s. "
        "Check which of the two is wrong."
    ),
    "d": _(
        "This D-number gives the date of birth %(encoded)s, but the date of birth entered is %(typed)s. Check which of the two is wrong."
    ),
    "h": _(
        "This H-number gives the date of birth %(encoded)s, but the date of birth entered is %(typed)s. Check which of the two is wrong."
    ),
}


def nin_birth_date_mismatch(value: str, birth_date: dt.date | None) -> dt.date | None:
    """The birth date a valid number encodes if it is not ``birth_date``; None if they agree (or either is unknown)."""
    encoded = nin_birth_date(value) if len(value) == 11 and value.isdigit() else None
    return encoded if encoded is not None and birth_date is not None and encoded != birth_date else None


def nin_birth_date_error(value: str, encoded: dt.date, birth_date: dt.date) -> ValidationError:
    """The error for a number whose birth date differs from the date of birth entered: both dates, in the active language."""
    return ValidationError(
        _MISMATCH[nin_kind(value)],
        code="nin_birth_date",
        params={"encoded": date_text(encoded), "typed": date_text(birth_date)},
    )


def validate_nin_birth_date(value: str, birth_date: dt.date | None) -> None:
    """Refuse a number whose encoded birth date (D- and H-numbers included) is not ``birth_date``."""
    encoded = nin_birth_date_mismatch(value, birth_date)
    if encoded is not None and birth_date is not None:
        raise nin_birth_date_error(value, encoded, birth_date)


def validate_norwegian_nin(value: str) -> None:
    if len(value) != 11 or not value.isdigit():
        raise ValidationError(_("A Norwegian national identity number has exactly 11 digits."), code="nin_format")
    if nin_birth_date(value) is None:
        raise ValidationError(_("The first six digits are not a valid date of birth."), code="nin_date")
    if nin_check_digits(value[:9]) != value[9:]:
        raise ValidationError(_("The check digits do not match: please check the number for typing errors."), code="nin_checksum")


def national_id_system(value: str) -> str:
    """The system an 11-digit national identity number belongs to: the D-number system for a
    D-number, the fødselsnummer system otherwise."""
    return NORWEGIAN_D_NUMBER_SYSTEM if len(value) == 11 and value.isdigit() and nin_kind(value) == "d" else NORWEGIAN_NIN_SYSTEM


def normalise_identifier(system: str, value: str) -> str:
    value = value.strip()
    if system in NATIONAL_ID_SYSTEMS:
        return value.replace(" ", "")
    return value


def filed_identifier(system: str, raw: str) -> tuple[str, str]:
    """The (system, value) an identifier is stored as: normalised, and a national identity number
    under the system of its kind (a D-number given as a fødselsnummer is filed as a D-number)."""
    value = normalise_identifier(system, raw)
    if system in NATIONAL_ID_SYSTEMS:
        return national_id_system(value), value
    return system, value


def validate_identifier(system: str, value: str, *, birth_date: dt.date | None = None) -> None:
    """Refuse a malformed identifier; a national identity number must also encode ``birth_date`` (when given)."""
    if system in NATIONAL_ID_SYSTEMS:
        validate_norwegian_nin(value)
        validate_nin_birth_date(value, birth_date)
    elif not value:
        raise ValidationError(_("Enter the identifier."), code="required")
