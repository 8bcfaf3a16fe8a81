"""Backups: the database, the media directory and the checkpoint log in one self-describing directory.

A backup directory holds the database (``database.sqlite3`` or ``database.pgdump``, see
``backup_database``), ``media/`` (uploaded certification evidence, as stored) and, when given,
``checkpoints.jsonl`` (a copy of the audit checkpoint log), and ``manifest.json``, written last:
the format, when it was made, the database's vendor, the latest applied migration of every app
and the SHA-256 and size of every file. A directory without a manifest is not a backup.

A restore proves every file against the manifest before it writes anything, so a damaged or
altered backup is refused whole; it refuses a database or media directory that already holds
data unless forced, and a backup made by a newer needlechart (a migration this code does not know).

The database and the media directory are restored; the checkpoint log and its key are what a
restore is proven against (``verify-audit --checkpoints``), so they must also be kept away from
the backups: a backup holds a copy of the log only to carry it to a new machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from needlechart.core.backup_database import FILES, DatabaseToolError, copy_out, fsync_path, put_back, ready_for_restore

FORMAT = "needlechart.backup/1"
MANIFEST = "manifest.json"
MEDIA = "media"
CHECKPOINTS = "checkpoints.jsonl"


class BackupError(Exception):
    """A backup that cannot be made or restored, said in words; ``usage``: the arguments were wrong."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def file_digest(path: Path) -> dict[str, Any]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return {"sha256": sha.hexdigest(), "size": size}


def migration_state(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The latest applied migration of every app, in the order they were applied."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).migration_qs.order_by("id").values_list("app", "name"):
        latest[app] = name
    return dict(sorted(latest.items()))


def _files_under(root: Path) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            yield Path(folder) / name


# --- making a backup -----------------------------------------------------------------------


def backup_write(out: Path, *, connection: BaseDatabaseWrapper, media_root: Path, checkpoints: Path | None) -> dict[str, Any]:
    """Write a backup into the empty (or new) directory ``out``; its manifest."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} is not an empty directory: a backup goes into a new or empty one", usage=True)
    if checkpoints is not None and not checkpoints.is_file():
        raise BackupError(f"the checkpoint log {checkpoints} is not a file", usage=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        # Read before the copy: if a migration ran meanwhile, the restore asks for `migrate` again (harmless).
        migrations = migration_state(connection)
        names = [copy_out(connection, out)]
        for source in _files_under(media_root) if media_root.is_dir() else ():
            name = f"{MEDIA}/{source.relative_to(media_root).as_posix()}"
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out / name)
            names.append(name)
        if checkpoints is not None:
            shutil.copyfile(checkpoints, out / CHECKPOINTS)
            names.append(CHECKPOINTS)
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "needlechart": _version(),
            "database": {"vendor": connection.vendor, "file": names[0]},
            "migrations": migrations,
            "files": {name: file_digest(out / name) for name in names},
        }
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for name in [*names, MANIFEST]:
            fsync_path(out / name)
        fsync_path(out)
    except (DatabaseToolError, OSError) as exc:
        for child in out.iterdir() if out.is_dir() else ():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        raise BackupError(f"the backup failed, and what it had written is removed: {exc}") from None
    return manifest


def _version() -> str:
    try:
        return version("needlechart")
    except PackageNotFoundError:
        return "unknown"


# --- reading and restoring one -------------------------------------------------------------


def _safe_name(name: object, database_file: str) -> bool:
    """Only the names a backup writes: nothing absolute, nothing that climbs out of the directory."""
    if not isinstance(name, str):
        return False
    path = PurePosixPath(name)
    inside = not path.is_absolute() and ".." not in path.parts and "\\" not in name
    return inside and (name in (database_file, CHECKPOINTS) or (path.parts[0] == MEDIA and len(path.parts) > 1))


def backup_read(directory: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists is proven to be as it was written."""
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory", usage=True)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: it is not a needlechart backup (or not a complete one)", usage=True) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{directory / MANIFEST} cannot be read as a backup's manifest: {exc}") from None
    database = manifest.get("database") if isinstance(manifest, dict) else None
    if not isinstance(database, dict) or manifest.get("format") != FORMAT or FILES.get(str(database.get("vendor"))) != database.get("file"):
        raise BackupError(f"{directory / MANIFEST} is not a manifest of the form {FORMAT}")
    files = manifest.get("files")
    if not isinstance(files, dict) or database["file"] not in files or not isinstance(manifest.get("migrations"), dict):
        raise BackupError(f"{directory / MANIFEST} lists no database file or no migrations")
    for name, expected in sorted(files.items()):
        if not _safe_name(name, database["file"]) or not isinstance(expected, dict):
            raise BackupError(f"{directory / MANIFEST} lists a file a backup never holds: {name!r}")
        path = directory / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup; nothing was restored")
        if file_digest(path) != {"sha256": expected.get("sha256"), "size": expected.get("size")}:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: the backup is damaged or altered; nothing was restored")
    return manifest


@dataclass
class Restored:
    vendor: str
    media_files: int
    checkpoints_written: Path | None
    checkpoints_left: bool  # the backup holds a checkpoint log that was not asked for
    migrate_needed: list[str] = field(default_factory=list)  # apps whose migrations this code is ahead in


def _migrations_against_code(recorded: dict[str, str]) -> list[str]:
    """Refuse a backup made by a newer needlechart; the apps this code has newer migrations for."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = [f"{app}.{name}" for app, name in sorted(recorded.items()) if (app, name) not in loader.disk_migrations]
    if unknown:
        raise BackupError(f"the backup was made by a newer needlechart (migrations this code does not know: {', '.join(unknown)})")
    leaves = dict(loader.graph.leaf_nodes())
    return sorted(app for app, name in leaves.items() if recorded.get(app) != name)


def restore(directory: Path, *, connection: BaseDatabaseWrapper, media_root: Path, checkpoints_to: Path | None, force: bool) -> Restored:
    """Check the backup, the database and the media directory, then put the backup in place."""
    manifest = backup_read(directory)
    vendor = manifest["database"]["vendor"]
    has_checkpoints = CHECKPOINTS in manifest["files"]
    if checkpoints_to is not None and not has_checkpoints:
        raise BackupError("the backup holds no checkpoint log to write (it was made without --checkpoints)", usage=True)
    if checkpoints_to is not None and checkpoints_to.exists():
        raise BackupError(f"{checkpoints_to} exists: a checkpoint log is never overwritten; give a new path", usage=True)
    if vendor != connection.vendor:
        raise BackupError(f"the backup is of a {vendor} database and this needlechart is configured for {connection.vendor}")
    migrate_needed = _migrations_against_code(manifest["migrations"])
    try:
        holding = ready_for_restore(connection)
    except DatabaseToolError as exc:
        raise BackupError(str(exc)) from None
    media_in_use = media_root.is_dir() and next(_files_under(media_root), None) is not None
    if (holding or media_in_use) and not force:
        what = f"the database holds data ({', '.join(holding[:5])}{', ...' if len(holding) > 5 else ''})" if holding else ""
        what += (" and " if what else "") + (f"the media directory {media_root} holds files" if media_in_use else "")
        raise BackupError(f"{what}: restore into an empty database, or give --force to replace it (stop the server first)")
    media = [name for name in manifest["files"] if name.startswith(f"{MEDIA}/")]
    try:
        put_back(connection, directory / manifest["database"]["file"])
        for name in media:
            target = media_root / PurePosixPath(name).relative_to(MEDIA)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / name, target)
        if checkpoints_to is not None:
            checkpoints_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / CHECKPOINTS, checkpoints_to)
    except (DatabaseToolError, OSError) as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    return Restored(vendor, len(media), checkpoints_to, has_checkpoints and checkpoints_to is None, migrate_needed)
