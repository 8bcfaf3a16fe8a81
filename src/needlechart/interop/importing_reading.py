"""Reading an import's input: a FHIR Bundle (JSON text or parsed) or NDJSON text, one resource a line.

Each resource read becomes an ``Incoming``: its label for the report, the resource and its
``fullUrl``; what makes an entry unreadable (no resource, not JSON) is kept as its problems, so
that the entry is rejected with its reason. Input that is no import at all raises ``InvalidImport``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

BUNDLE_TYPES = ("transaction", "collection")


class InvalidImport(ValueError):
    """Input that is no import at all (not JSON, not a Bundle, a Bundle of another type): a 4xx / exit 2."""


@dataclass
class Incoming:
    """One resource to import: where it came from (for the report) and the keys references may use."""

    label: str
    resource: Any
    full_url: str = ""
    problems: list[str] = field(default_factory=list)  # found before the resource could be read

    @property
    def resource_type(self) -> str:
        return self.resource.get("resourceType", "") if isinstance(self.resource, dict) else ""


def bundle_entries(bundle: Any, source: str = "bundle") -> list[Incoming]:
    """The entries of a Bundle (already parsed JSON); ``InvalidImport`` for anything but a transaction or collection."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidImport(f"{source}: not a FHIR Bundle (resourceType must be Bundle)")
    if bundle.get("type") not in BUNDLE_TYPES:
        raise InvalidImport(f"{source}: a Bundle of type {bundle.get('type')!r} is not imported (transaction or collection)")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidImport(f"{source}: Bundle.entry must be a list")
    found: list[Incoming] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            found.append(Incoming(f"entry {number}", {}, problems=["the entry holds no resource"]))
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else ""
        label = f"entry {number}" + (f" ({full_url})" if full_url else "")
        found.append(Incoming(label, entry["resource"], full_url=full_url or ""))
    return found


def parse_json(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidImport(f"{source}: not JSON ({error})") from None


def ndjson_entries(text: str, source: str) -> list[Incoming]:
    """One resource a line (FHIR Bulk Data output); a line that is not a JSON object is an entry rejected with its reason."""
    found: list[Incoming] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{source} line {number}"
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as error:
            found.append(Incoming(label, {}, problems=[f"not JSON ({error.msg} at column {error.colno})"]))
            continue
        if not isinstance(resource, dict):
            found.append(Incoming(label, {}, problems=["not a JSON object"]))
            continue
        found.append(Incoming(label, resource))
    return found
