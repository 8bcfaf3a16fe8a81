"""The database's part of a backup: copied out and put back with each database's own tools.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one read
transaction, so the copy is consistent while the server writes (WAL mode lets writers go on);
restoring copies that file into place and removes the -wal and -shm files of the database it
replaces (SQLite would replay a stale write-ahead log onto the restored file).

PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --no-owner --clean --if-exists`` in one transaction,
with the connection settings Django uses; a password goes to them in ``PGPASSWORD``, never on
the command line (where every user of the machine could read it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation
from django.db.utils import DatabaseError

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
FILES = {"sqlite": SQLITE_FILE, "postgresql": POSTGRES_FILE}

# What `migrate` fills in an empty database: a database holding only these holds no data.
MIGRATE_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

# Connection options libpq's tools take from the environment.
LIBPQ_OPTIONS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


class DatabaseToolError(Exception):
    """A database that cannot be copied or written, said in words."""


def vendor_supported(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor not in FILES:
        raise DatabaseToolError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- SQLite --------------------------------------------------------------------------------


def sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    if SQLiteCreation.is_in_memory_db(connection.settings_dict["NAME"]):
        raise DatabaseToolError("the configured SQLite database lives in memory: there is no file to restore into")
    return Path(connection.settings_dict["NAME"])


def sqlite_copy_out(connection: BaseDatabaseWrapper, target: Path) -> None:
    """Copy the database, as of one moment, into the new file ``target``."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    except sqlite3.Error as exc:
        raise DatabaseToolError(f"the SQLite backup failed: {exc}") from None
    finally:
        copy.close()
    fsync_path(target)


def sqlite_put_back(connection: BaseDatabaseWrapper, source: Path) -> None:
    """Make ``source`` the configured database file (the server must be stopped)."""
    path = sqlite_path(connection)
    connection.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    incoming = path.with_name(path.name + ".restoring")
    shutil.copyfile(source, incoming)
    fsync_path(incoming)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(incoming, path)
    fsync_path(path.parent)


# --- PostgreSQL ----------------------------------------------------------------------------


def _libpq(settings: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The tools' connection arguments and environment, from Django's settings of the connection."""
    arguments = ["--no-password", "--dbname", settings["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            arguments += [option, str(settings[key])]
    environment = dict(os.environ)
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = settings["PASSWORD"]
    for option, variable in LIBPQ_OPTIONS.items():
        if settings.get("OPTIONS", {}).get(option):
            environment[variable] = str(settings["OPTIONS"][option])
    return arguments, environment


def postgres_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise DatabaseToolError(f"{' and '.join(missing)} not found: install PostgreSQL's client tools (postgresql-client)")


def _run(tool: str, arguments: list[str], environment: dict[str, str]) -> None:
    try:
        done = subprocess.run([tool, *arguments], env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        raise DatabaseToolError(f"{tool} could not be started: {exc}") from None
    if done.returncode != 0:
        raise DatabaseToolError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def postgres_copy_out(connection: BaseDatabaseWrapper, target: Path) -> None:
    postgres_tools("pg_dump")
    arguments, environment = _libpq(connection.settings_dict)
    _run("pg_dump", ["--format=custom", "--file", str(target), *arguments], environment)
    fsync_path(target)


def postgres_put_back(connection: BaseDatabaseWrapper, source: Path) -> None:
    """Restore the dump into the configured database, replacing what the dump holds, in one transaction."""
    connection.close()
    arguments, environment = _libpq(connection.settings_dict)
    options = ["--no-owner", "--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*options, *arguments, str(source)], environment)


# --- either --------------------------------------------------------------------------------


def copy_out(connection: BaseDatabaseWrapper, directory: Path) -> str:
    """Copy the database into ``directory``; the file's name."""
    vendor_supported(connection)
    name = FILES[connection.vendor]
    (sqlite_copy_out if connection.vendor == "sqlite" else postgres_copy_out)(connection, directory / name)
    return name


def put_back(connection: BaseDatabaseWrapper, source: Path) -> None:
    (sqlite_put_back if connection.vendor == "sqlite" else postgres_put_back)(connection, source)


def ready_for_restore(connection: BaseDatabaseWrapper) -> list[str]:
    """Check the configured database can be restored into; the tables in it that hold rows."""
    vendor_supported(connection)
    if connection.vendor == "sqlite":
        path = sqlite_path(connection)
        if not path.exists():
            return []
    else:
        postgres_tools("pg_restore")
    try:
        with connection.cursor() as cursor:
            tables = [t for t in connection.introspection.table_names(cursor) if t not in MIGRATE_TABLES and not t.startswith("sqlite_")]
            quote = connection.ops.quote_name
            holding = []
            for table in tables:
                cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 - names from the database's own catalogue
                if cursor.fetchone():
                    holding.append(table)
    except DatabaseError as exc:
        where = connection.settings_dict.get("HOST") or "the local server"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseToolError(
            f"cannot open the database {connection.settings_dict['NAME']} on {where} ({first_line}); "
            "on PostgreSQL the database must exist: create it first (createdb), empty"
        ) from None
    finally:
        connection.close()
    return holding
