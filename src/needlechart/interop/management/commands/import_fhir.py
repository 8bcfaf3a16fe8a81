"""``needlechart import-fhir PATH --clinic ID --user USERNAME [--dry-run]``: move patients in from another system.

PATH is a Bundle (``transaction`` or ``collection``) as JSON, an NDJSON file of one resource a
line (FHIR Bulk Data output, ``*.ndjson``), or a directory of those (its ``*.json`` and
``*.ndjson`` files, read in name order). Everything PATH holds is imported as one unit, so that an
Observation in Observation.ndjson may refer to a Patient in Patient.ndjson: all of it is written or
none of it (interop.importing). The report names every entry: created, matched or rejected with
its reasons.

Exit codes: 0 imported (or, with ``--dry-run``, would import), 1 an entry was rejected (nothing
written), 2 no import at all (a file that cannot be read or is not JSON, not a Bundle, an unknown
clinic or staff member).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlechart.clinics.models import Clinic, User
from needlechart.interop.importing import Incoming, InvalidImport, bundle_entries, import_resources, ndjson_entries, parse_json

SUFFIXES = (".json", ".ndjson")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidImport(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise InvalidImport(f"{path}: cannot be read ({error.strerror or error})") from None


def read_path(path: Path) -> list[Incoming]:
    """Every resource the file or directory holds; ``InvalidImport`` when it holds no import."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise InvalidImport(f"{path}: the directory holds no .json or .ndjson file")
    elif path.exists():
        files = [path]
    else:
        raise InvalidImport(f"{path}: no such file or directory")
    found: list[Incoming] = []
    for file in files:
        text = _read(file)
        if file.suffix.lower() == ".ndjson":
            found.extend(ndjson_entries(text, file.name))
        else:
            found.extend(bundle_entries(parse_json(text, file.name), file.name))
    return found


class Command(BaseCommand):
    help = "Import FHIR Patient, Practitioner, EpisodeOfCare and Observation resources (a Bundle, NDJSON, or a directory) into a clinic."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a Bundle (.json), an NDJSON file, or a directory of them")
        parser.add_argument("--clinic", required=True, help="the id of the clinic to import into")
        parser.add_argument("--user", help="the username of the staff member the import is recorded as (a practitioner for Observations)")
        parser.add_argument("--dry-run", action="store_true", help="report what would be imported and write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic = self._clinic(options["clinic"])
            actor = self._actor(clinic, options["user"])
            path = Path(options["path"])
            incoming = read_path(path)
            report = import_resources(clinic, actor, incoming, dry_run=options["dry_run"], source=str(path))
        except InvalidImport as error:
            raise CommandError(str(error), returncode=2) from None
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.rejected)} of {len(report.entries)} entries rejected: nothing imported", returncode=1)

    def _clinic(self, value: str) -> Clinic:
        try:
            return Clinic.objects.get(pk=uuid.UUID(value))
        except (ValueError, Clinic.DoesNotExist):
            raise InvalidImport(f"no clinic has the id {value!r}") from None

    def _actor(self, clinic: Clinic, username: str | None) -> User:
        if not username:
            raise InvalidImport("name the staff member the import is recorded as with --user USERNAME")
        actor = User.objects.filter(clinic=clinic, username=username, is_active=True).first()
        if actor is None:
            raise InvalidImport(f"{clinic.name} has no active staff member {username!r}")
        return actor
