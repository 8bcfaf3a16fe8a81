"""``needlechart export-fhir --clinic ID --out DIR [--types T ...] [--no-validate] [--user USERNAME] [--processes N]``.

Writes the clinic's FHIR resources as NDJSON, one ``<Type>.ndjson`` per resource type, with
``manifest.json`` (types, counts, SHA-256 per file, times); rerun after an interruption with the
same arguments to continue where it stopped (interop.export_files). A progress bar on a terminal,
plain lines (type, count, rate) otherwise. Types are written ``--processes`` at a time (by default
one per core), each in a process of its own. One audit row per run names the clinic and the operator
(``--user``, a staff member of the clinic, or the system).

Exit codes: 0 written, 2 refused (unknown clinic, type or user, a directory that cannot be
written or holds another clinic's export).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import Clinic, User
from needlechart.interop.export import RESOURCE_TYPES
from needlechart.interop.export_files import FLUSH_EVERY, ExportRefused, Progress, check_types, export_to_directory, prepare_directory

BAR = 30


class Command(BaseCommand):
    help = (
        "Export a clinic's FHIR R4 resources as NDJSON files (one per resource type) with a manifest; "
        "resumable: rerun with the same arguments after an interruption. Exit 2 for refused input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, metavar="ID", help="the clinic's id")
        parser.add_argument(
            "--out", type=Path, required=True, metavar="DIR", help="a new or empty directory, or an unfinished export of this clinic"
        )
        parser.add_argument(
            "--types", nargs="+", metavar="TYPE", help=f"resource types to write (default all: {', '.join(RESOURCE_TYPES)})"
        )
        parser.add_argument("--no-validate", action="store_true", help="do not validate each resource with fhir.resources")
        parser.add_argument("--user", metavar="USERNAME", help="the staff member running the export (default: the system)")
        parser.add_argument("--chunk-size", type=int, default=2000, help="rows read per database query")
        parser.add_argument(
            "--flush-every", type=int, default=FLUSH_EVERY, help="resources written between fsyncs of the file and manifest"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="types written at once, each in a process of its own (default: the machine's cores)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic_id = uuid.UUID(str(options["clinic"]))
        except ValueError:
            raise CommandError(f"Unknown clinic {options['clinic']!r}: not a clinic id.", returncode=2) from None
        if not Clinic.objects.filter(pk=clinic_id).exists():
            raise CommandError(f"Unknown clinic {clinic_id}.", returncode=2)
        operator: User | None = None
        if options["user"]:
            operator = User.objects.filter(clinic_id=clinic_id, username=options["user"], is_active=True).first()
            if operator is None:
                raise CommandError(f"No active staff member {options['user']!r} in clinic {clinic_id}.", returncode=2)
        if options["chunk_size"] < 1 or options["flush_every"] < 1 or not 1 <= options["processes"] <= 64:
            raise CommandError("--chunk-size and --flush-every must be at least 1, --processes 1 to 64.", returncode=2)
        out: Path = options["out"]
        try:
            types = check_types(options["types"])
            manifest = prepare_directory(out, clinic_id, types)
        except ExportRefused as refused:
            raise CommandError(str(refused), returncode=2) from None
        resumed = bool(manifest["files"])
        audit_record(
            actor=operator,
            action=AuditAction.EXPORT,
            object_type=AuditObject.CLINIC,
            object_id=clinic_id,
            clinic_id=clinic_id,
            detail={
                "export": "fhir-ndjson",
                "operator": operator.username if operator else "system",
                "types": types,
                "resumed": resumed,
            },
        )
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        if resumed:
            self.stdout.write(f"Continuing the export in {out}.")
        manifest = export_to_directory(
            out,
            clinic_id,
            manifest,
            validate=not options["no_validate"],
            chunk_size=options["chunk_size"],
            flush_every=options["flush_every"],
            progress=self._bar if tty else self._line,
            processes=options["processes"],
        )
        total = sum(entry["count"] for entry in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Exported {total} resources of {len(manifest['files'])} types to {out} ({manifest['seconds']} s).")
        )

    def _line(self, progress: Progress) -> None:
        if progress.done:
            rate = progress.count / progress.seconds if progress.seconds else 0.0
            self.stdout.write(f"{progress.resource_type}\t{progress.count}\t{rate:,.0f}/s")

    def _bar(self, progress: Progress) -> None:
        rate = progress.count / progress.seconds if progress.seconds else 0.0
        filled = BAR if progress.done else (progress.count // FLUSH_EVERY) % (BAR + 1)
        bar = "#" * filled + "-" * (BAR - filled)
        sys.stdout.write(f"\r{progress.resource_type:<22} [{bar}] {progress.count:>9,} {rate:>8,.0f}/s")
        if progress.done:
            sys.stdout.write("\n")
        sys.stdout.flush()
