"""The two shapes /fhir/ is described in (api.fhir.sources holds the table): a ``ResourceType``
is one or more ``Source``s, each one table's rows of a clinic and the builder that makes them a
resource."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from needlechart.api.scopes import Scope
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability

Rows = Callable[[User], QuerySet[Any]]  # the rows of the acting user's clinic
Build = Callable[[Any], dict[str, Any]]
PatientPage = Callable[[uuid.UUID, uuid.UUID, int], list[Any]]  # (clinic, patient, limit): rows


def served(build: Callable[..., dict[str, Any]]) -> Build:
    """The builder as /fhir/ calls it: without fhir.resources' validation of each resource served."""
    return functools.partial(build, validate=False)


@dataclass(frozen=True)
class Source:
    """One table behind a resource type.

    ``patient``: the lookup of the row's patient id (for patient=/subject= and the audit row);
    ``date``: the lookup the date parameter compares; ``updated``: _lastUpdated's;
    ``instrument``: the lookup of an outcome instrument id (Observation's code parameter), or
    ``measure``: the one measure every row of the source is (``ppt``, ``rom``).
    """

    query: Rows
    build: Build
    audit_object: str
    patient: str | None = None
    date: str | None = None
    updated: str | None = None
    instrument: str | None = None
    measure: str | None = None
    capability: Capability = Capability.VIEW_CLINICAL
    changed: str | None = None  # the row's creation or change time (a bulk export's _since), when it has one
    # The first rows of one patient in key order, read without the queryset (api.fhir.patient_pages).
    patient_page: PatientPage | None = None
    # patient=/subject= when a row names patients other than through ``patient`` (the access log's
    # lists): the reader's rows (``rows``) narrowed to those that name any of the patients.
    patients_narrow: Callable[[QuerySet[Any], User, list[uuid.UUID]], QuerySet[Any]] | None = None

    def rows(self, user: User) -> QuerySet[Any]:
        """The rows of the user's clinic, once the access layer says the user's role may read them (403 otherwise)."""
        require_capability(user, self.capability)
        return self.query(user)

    def first_of_patient(self, user: User, patient_id: uuid.UUID, limit: int) -> list[Any]:
        """What ``rows(user)`` filtered by the patient gives first, at most ``limit``, by patient_page."""
        require_capability(user, self.capability)
        assert self.patient_page is not None  # the view asks only sources that have one
        return self.patient_page(clinic_id_of(user), patient_id, limit)

    def patient_of(self, row: Any) -> uuid.UUID | None:
        if self.patient is None:
            return None
        value: Any = row
        for part in self.patient.split("__"):
            value = getattr(value, part)
        return value


@dataclass(frozen=True)
class ResourceType:
    """A resource type of /fhir/: its sources, the scope reading it needs and its search parameters
    beyond _id, _count and _lastUpdated (when its sources have a change time)."""

    name: str
    sources: tuple[Source, ...]
    scope: Scope
    params: dict[str, str] = field(default_factory=dict)  # name: FHIR search parameter type
    audit_log: bool = False  # reading it also needs the acting role's view_audit capability

    @property
    def searchable(self) -> dict[str, str]:
        result = {"_id": "token", **self.params}
        if all(source.updated for source in self.sources):
            result["_lastUpdated"] = "date"
        return result
