"""Importing FHIR resources into a clinic: Patient, Practitioner, EpisodeOfCare and Observation.

``import_bundle(clinic, actor, bundle_json, dry_run)`` takes a Bundle (``transaction`` or
``collection``); ``import_resources`` takes resources already read (the command's NDJSON files,
a directory of them). Both return an ``ImportReport``: one line per entry, ``created``,
``matched`` (an existing record, not duplicated) or ``rejected`` with every reason found.

How an import runs:

- Each entry is checked with fhir.resources' R4B model and needlechart's own checks
  (``checks.check_resource``: code systems and codes, UCUM units, identifier systems and the check
  digits of a fødselsnummer or D-number). A type other than the four is rejected with its reason.
- References are resolved to an entry of the same import (its ``fullUrl``, ``urn:uuid:...`` or
  otherwise, or ``Type/id`` of its resource) or to a record already in the clinic (``Type/id``
  with needlechart's own id). Anything else rejects the entry that refers to it, as does a
  reference to a rejected entry.
- Patients are matched by identifier (the national identity number or D-number, or any other
  identifier the clinic holds): a match is reported ``matched`` and the existing record is used,
  never changed. Practitioners are matched by HPR number to the clinic's staff and linked; import
  never creates a staff account: a Practitioner no staff member of the clinic is registered with
  is rejected (create the account with its HPR number first). An episode of care with the same
  patient, start, condition and complaint, and a measurement with the same patient, measure,
  time and score, are matched too, so an import run twice creates nothing the second time.
- All or nothing: the writes run in one transaction, each entry in a savepoint of its own so
  that every rejected entry is found, and are rolled back if any entry is rejected, or always in
  a dry run (which therefore reports what a real import would do, the database's checks included,
  and writes nothing). Created patients and episodes are audited by the patients app's services,
  measurements as the outcomes app audits them; one more audit row per import (not per dry run)
  names the actor, the source and the counts, whether the import was written or not.

The parts: ``importing_reading`` (a Bundle's entries, NDJSON lines), ``importing_checks`` (an
entry's problems before the database is asked), ``importing_writers`` (one writer a resource
type, resolving references) and ``importing_report``; this module runs them as one unit.

The caller has checked that ``actor`` may import into ``clinic`` (the command's operator, the
API's client scope); the services still check the actor's capabilities entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics.models import Clinic, User
from needlechart.interop.importing_checks import IMPORTED_TYPES, entry_problems
from needlechart.interop.importing_reading import Incoming, InvalidImport, bundle_entries, ndjson_entries, parse_json
from needlechart.interop.importing_report import REJECTED, EntryResult, ImportReport
from needlechart.interop.importing_writers import WRITERS, ImportRun, target_of

# What the command and the API import from here.
__all__ = [
    "ImportReport",
    "Incoming",
    "InvalidImport",
    "bundle_entries",
    "import_bundle",
    "import_resources",
    "ndjson_entries",
    "parse_json",
]


class _Rollback(Exception):
    pass


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    if isinstance(error, IntegrityError):
        return "the database refused it (a record of this clinic already holds one of its unique values)"
    return str(error) or "not permitted for this staff member"


def import_resources(clinic: Clinic, actor: User, incoming: Iterable[Incoming], *, dry_run: bool, source: str = "") -> ImportReport:
    """Import the resources into the clinic as one unit (see the module's docstring); the report says what happened."""
    items = list(incoming)
    report = ImportReport(source=source or "import", dry_run=dry_run)
    report.entries = [EntryResult(item.label, item.resource_type) for item in items]
    if actor.clinic_id != clinic.pk:
        raise InvalidImport(f"{actor.username} is not a staff member of {clinic.name}")
    for item, result in zip(items, report.entries, strict=True):
        for problem in entry_problems(item):
            result.reject(problem)
    run = ImportRun(clinic, actor, items, report.entries)
    try:
        with transaction.atomic():
            for resource_type in IMPORTED_TYPES:
                for index, (item, result) in enumerate(zip(items, report.entries, strict=True)):
                    if item.resource_type != resource_type or result.outcome == REJECTED:
                        continue
                    try:
                        with transaction.atomic():
                            record = WRITERS[resource_type](run, item.resource, result)
                    except (ValidationError, PermissionDenied, IntegrityError) as error:
                        result.reject(_message(error))
                        continue
                    run.written[index] = record
                    result.target = target_of(record)
            if not dry_run and report.ok:
                _audit_import(report, actor, clinic)
                report.written = True
            else:
                raise _Rollback
    except _Rollback:
        pass
    if not dry_run and not report.written:
        with transaction.atomic():
            _audit_import(report, actor, clinic)
    return report


def _audit_import(report: ImportReport, actor: User, clinic: Clinic) -> None:
    by_type: dict[str, dict[str, int]] = {}
    for entry in report.entries:
        counts = by_type.setdefault(entry.resource_type or "unknown", {})
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="fhir_import",
        clinic_id=clinic.pk,
        detail={"source": report.source[:300], "written": not report.rejected, **report.counts(), "by_type": by_type},
    )


def import_bundle(
    clinic: Clinic, actor: User, bundle_json: str | bytes | Mapping[str, Any], *, dry_run: bool, source: str = "bundle"
) -> ImportReport:
    """Import one Bundle (JSON text or parsed): ``InvalidImport`` if it is no Bundle; otherwise the report."""
    bundle = parse_json(bundle_json, source) if isinstance(bundle_json, (str, bytes)) else bundle_json
    return import_resources(clinic, actor, bundle_entries(bundle, source), dry_run=dry_run, source=source)
