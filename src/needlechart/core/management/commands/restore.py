"""``needlechart restore DIR``: put a backup back, once every file is proven against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from needlechart.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `needlechart backup` into the configured database and media directory (stop the server "
        "first). Every file is checked against the manifest before anything is written; a database or media directory that "
        "holds data is replaced only with --force. Exit 2 for wrong arguments, 1 when refused or failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR", help="the backup's directory")
        parser.add_argument("--checkpoints-to", type=Path, metavar="FILE", help="write the backup's checkpoint log here (a new file)")
        parser.add_argument("--force", action="store_true", help="replace a database and media directory that hold data")

    def handle(self, *args: Any, directory: Path, checkpoints_to: Path | None, force: bool, **options: Any) -> None:
        try:
            media_root = Path(settings.MEDIA_ROOT)
            done = restore(directory, connection=connection, media_root=media_root, checkpoints_to=checkpoints_to, force=force)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2 if exc.usage else 1) from None
        self.stdout.write(self.style.SUCCESS(f"Restored the {done.vendor} database and {done.media_files} media files from {directory}."))
        if done.checkpoints_written:
            self.stdout.write(f"The checkpoint log is written to {done.checkpoints_written}.")
        if done.checkpoints_left:
            self.stdout.write("The backup holds a checkpoint log; give --checkpoints-to FILE to write it out.")
        if done.migrate_needed:
            self.stdout.write(f"This needlechart has newer migrations ({', '.join(done.migrate_needed)}): run `needlechart migrate`.")
        self.stdout.write("Prove it: needlechart verify-audit --checkpoints FILE --key KEY, then needlechart verify-records.")
