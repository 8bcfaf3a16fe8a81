"""``needlechart backup --out DIR``: the database, the media directory and the checkpoint log, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from needlechart.core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a backup into a new or empty directory: the database (consistent while the server runs), the media directory "
        "and, with --checkpoints, a copy of the audit checkpoint log, with a manifest of every file's SHA-256. "
        "Exit 2 for wrong arguments, 1 when the backup fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new or empty directory for the backup")
        parser.add_argument("--checkpoints", type=Path, metavar="FILE", help="the audit checkpoint log to copy into the backup")

    def handle(self, *args: Any, out: Path, checkpoints: Path | None, **options: Any) -> None:
        try:
            manifest = backup_write(out, connection=connection, media_root=Path(settings.MEDIA_ROOT), checkpoints=checkpoints)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2 if exc.usage else 1) from None
        files = manifest["files"]
        size = sum(entry["size"] for entry in files.values())
        media = sum(1 for name in files if name.startswith("media/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup of the {manifest['database']['vendor']} database written to {out}: {len(files)} files "
                f"({media} from the media directory), {size / 1e6:,.1f} MB."
            )
        )
