"""Identifiers as FHIR Identifiers, and whether a value fits its system.

needlechart stores an identifier's system as the user gave it: a URI for the national numbers
and the HPR register (patients.identifiers, clinics.models.RegistrationNumber.HPR_SYSTEM), free
text for others ("Passport", "BC College roster"). FHIR's ``Identifier.system`` is a URI, so a
free-text system becomes the identifier's ``type.text`` and the identifier has no system.

A clinic's organisation number is a Norwegian one only if it is nine digits with a valid
modulus-11 check digit; anything else (a Canadian business number, a number mistyped) is sent
without the Norwegian system rather than under it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from needlechart.interop.terminology import terminology
from needlechart.patients.identifiers import nin_kind, validate_norwegian_nin

_URI = re.compile(r"(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|https?://\S+)", re.IGNORECASE)
_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def is_uri(system: str) -> bool:
    return bool(_URI.fullmatch(system))


def identifier(system: str, value: str, *, use: str | None = None) -> dict[str, Any]:
    """A stored (system, value) as a FHIR Identifier: a URI system as such, any other as the type's text."""
    result: dict[str, Any] = {"use": use} if use else {}
    if is_uri(system):
        result["system"] = system
    else:
        result["type"] = {"text": system}
    result["value"] = value
    return result


def norwegian_organisation_number(value: str) -> str | None:
    """The nine digits of a valid Norwegian organisation number written in ``value`` (spaces allowed), or None."""
    digits = value.replace(" ", "")
    if len(digits) != 9 or not digits.isdigit():
        return None
    remainder = sum(int(d) * w for d, w in zip(digits, _ORGNR_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return digits if check != 10 and check == int(digits[8]) else None


def organisation_identifier(value: str) -> dict[str, Any]:
    digits = norwegian_organisation_number(value)
    if digits is not None:
        return {"system": terminology().url("organisation-number"), "value": digits}
    return {"type": {"text": "Organisation number"}, "value": value.strip()}


def value_problem(system_format: str, value: str) -> str | None:
    """Why ``value`` cannot be an identifier of a system with ``system_format`` (terminology.yaml), or None."""
    if system_format in ("fnr", "d-number"):
        try:
            validate_norwegian_nin(value)
        except ValidationError as error:
            return " ".join(str(m) for m in error.messages)
        is_d_number = nin_kind(value) == "d"
        if system_format == "fnr" and is_d_number:
            return "a D-number filed under the fødselsnummer system (it belongs under the D-number system)"
        if system_format == "d-number" and not is_d_number:
            return "not a D-number (the first digit of a D-number is the day plus 4)"
        return None
    if system_format == "digits":
        return None if value.isdigit() else "must be digits only"
    if system_format == "orgnr":
        valid = norwegian_organisation_number(value) == value
        return None if valid else "not a valid Norwegian organisation number (nine digits, modulus 11)"
    if system_format == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return "must be a UUID"
    return None
