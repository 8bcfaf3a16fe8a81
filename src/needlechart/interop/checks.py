"""needlechart's own checks of a FHIR resource, beyond what fhir.resources' models check.

The R4B models check structure and types but no codes: ``"status": "bogus"`` passes, as do a
LOINC code with a wrong check digit, a unit ``"degrees"`` and a D-number under the fødselsnummer
system. ``check_resource`` returns every problem it finds (an empty list: none):

- every Coding names a system needlechart's terminology holds (data/terminology.yaml) and a code
  of it: a listed code, or an id of the catalogue behind one of needlechart's own systems;
- every code element with a required value set that needlechart fills holds one of its codes;
- every Quantity is in UCUM, with a code UCUM's grammar accepts;
- every Identifier's system is a URI, and a value under a Norwegian system fits it (a valid
  fødselsnummer that is not a D-number, a D-number, digits for HPR, a valid organisation number);
- every reference is ``Type/id``;
- the elements needlechart's resources must carry (an Observation's coded code, category, subject,
  time and value; a Procedure's coded code and muscle; a DocumentReference's hashed content...),
  and the invariants the models skip (Consent ppc-1: a policy or a policy rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from needlechart.interop.identifiers import is_uri, value_problem
from needlechart.interop.terminology import Terminology, terminology
from needlechart.interop.ucum import is_ucum

UCUM = "http://unitsofmeasure.org"
_REFERENCE = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")
# What needlechart's resources must carry, beyond the base resource's own cardinalities.
REQUIRED: dict[str, tuple[str, ...]] = {
    "Patient": ("name", "gender", "birthDate", "managingOrganization"),
    "Practitioner": ("active",),
    "PractitionerRole": ("practitioner", "organization", "code.coding"),
    "Organization": ("name",),
    "EpisodeOfCare": ("type.coding", "period.start", "managingOrganization"),
    "Encounter": ("subject", "period.start", "participant"),
    "Observation": ("code.coding", "category.coding", "subject", "effectiveDateTime"),
    "Procedure": ("code.coding", "subject", "performedDateTime", "performer", "bodySite.coding"),
    "QuestionnaireResponse": ("questionnaire", "subject", "authored"),
    "Consent": ("patient", "dateTime", "category.coding", "scope.coding"),
    "AdverseEvent": ("event", "date", "seriousness.coding", "severity.coding", "outcome.coding"),
    "DocumentReference": ("subject", "date", "type.coding", "content.attachment.hash", "content.attachment.contentType"),
    "Provenance": ("agent.who", "signature.data", "signature.who"),
    "AuditEvent": ("type.code", "action", "recorded", "agent"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a resource: where (an element path without list positions) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _present(value: Any, path: list[str]) -> bool:
    """Whether the element at ``path`` (list elements are looked into) has a value."""
    if not path:
        return value not in (None, "", [], {})
    if isinstance(value, list):
        return any(_present(item, path) for item in value)
    return isinstance(value, dict) and _present(value.get(path[0]), path[1:])


def _walk(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in the resource with its path (keys joined by dots, list positions left out)."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path)


def _coding(codes: Terminology, path: str, coding: dict[str, Any]) -> Iterator[Problem]:
    system_url, code = coding.get("system"), coding.get("code")
    if not system_url:
        yield Problem(path, f"the code {code!r} names no system")
        return
    system = codes.by_url.get(system_url)
    if system is None:
        yield Problem(path, f"{system_url} is not a code system needlechart knows")
    elif system.kind == "identifier":
        yield Problem(path, f"{system_url} is an identifier system, not a code system")
    elif not isinstance(code, str) or not code:
        yield Problem(path, f"a coding of {system_url} without a code")
    elif system.kind == "units":
        if not is_ucum(code):
            yield Problem(path, f"{code!r} is not a UCUM unit")
    elif not system.knows(code):
        yield Problem(path, f"{code!r} is not a code of {system.name} ({system_url})")


def _quantity(path: str, quantity: dict[str, Any]) -> Iterator[Problem]:
    code = quantity.get("code")
    if quantity.get("system") != UCUM:
        yield Problem(path, f"the unit {quantity.get('unit') or code!r} is not given in UCUM ({UCUM})")
    elif not isinstance(code, str) or not is_ucum(code):
        yield Problem(path, f"{code!r} is not a UCUM unit")


def _identifier(codes: Terminology, path: str, identifier: dict[str, Any]) -> Iterator[Problem]:
    system_url, value = identifier.get("system"), identifier.get("value")
    if system_url is None:
        return  # a free-text system is the identifier's type (interop.identifiers)
    if not is_uri(system_url):
        yield Problem(path, f"the identifier system {system_url!r} is not a URI")
        return
    system = codes.by_url.get(system_url)
    if system is not None and system.kind != "identifier":
        yield Problem(path, f"{system_url} is a code system, not an identifier system")
    elif system is not None:
        problem = value_problem(system.format, value if isinstance(value, str) else "")
        if problem:
            yield Problem(path, f"{value!r} under {system.name}: {problem}")


def _consent(resource: dict[str, Any]) -> Iterator[Problem]:
    if not (resource.get("policy") or resource.get("policyRule")):
        yield Problem("Consent", "ppc-1: a consent needs a policy or a policy rule")
    if not resource.get("patient"):
        yield Problem("Consent.patient", "ppc-5: a treatment consent names its patient")


_INVARIANTS: dict[str, Callable[[dict[str, Any]], Iterator[Problem]]] = {"Consent": _consent}


def _value_of_observation(resource: dict[str, Any]) -> Iterator[Problem]:
    if not any(key.startswith("value") for key in resource) and not resource.get("component") and not resource.get("dataAbsentReason"):
        yield Problem("Observation", "an Observation needs a value, components or a reason for none")


def check_resource(resource: dict[str, Any]) -> list[Problem]:
    """Every problem needlechart's own checks find in ``resource`` (see the module's docstring)."""
    codes = terminology()
    resource_type = resource.get("resourceType", "")
    problems: list[Problem] = []
    for element in REQUIRED.get(resource_type, ()):
        if not _present(resource, element.split(".")):
            problems.append(Problem(f"{resource_type}.{element}", "is required by needlechart's mapping and missing"))
    problems.extend(_INVARIANTS.get(resource_type, lambda _resource: iter(()))(resource))
    if resource_type == "Observation":
        problems.extend(_value_of_observation(resource))
    for path, mapping in _walk(resource, resource_type):
        key = path.rsplit(".", 1)[-1]
        for name, value in mapping.items():
            required = codes.required.get(f"{path}.{name}")
            if required is not None and not required.knows(str(value)):
                problems.append(Problem(f"{path}.{name}", f"{value!r} is not one of {', '.join(required.codes())}"))
            if name == "reference" and isinstance(value, str) and not _REFERENCE.fullmatch(value):
                problems.append(Problem(f"{path}.reference", f"{value!r} is not a reference of the form Type/id"))
        if key == "identifier" or key.endswith("Identifier"):
            problems.extend(_identifier(codes, path, mapping))
        elif "value" in mapping and ("code" in mapping or "unit" in mapping):
            problems.extend(_quantity(path, mapping))
        elif "code" in mapping and ("system" in mapping or key == "coding"):
            problems.extend(_coding(codes, path, mapping))
    return problems
