"""What the benchmarks share: the synthetic data set's database, built by ``needlechart synthetic``.

That command and the chart benchmark's ceiling view live in the dev-only app ``bench/needlechart_bench``,
outside the product package: ``bench_app_env`` turns it on (``NEEDLECHART_BENCH=1``, ``bench/`` on
``PYTHONPATH``) for every child process a benchmark starts.

Each benchmark keeps its data set in a database of its own (PostgreSQL: ``--postgres-url``;
SQLite: a file in ``--data-dir``) and only ever deletes what it made itself: data directories
hold a marker file, and PostgreSQL URLs must point at a loopback host.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"  # holds the dev-only app needlechart_bench
RESULTS = BENCH / "results"
SCRATCH = Path("/tmp/needlechart-bench")  # noqa: S108 - scratch data, claimed with a marker file
MARKER = ".needlechart-bench"  # in data dirs a benchmark made, so that it never deletes anything else
CLINIC = "Synthetic clinic"  # needlechart synthetic's default
PASSWORD = "synthetic-password"  # noqa: S105 - the synthetic users' password, printed on purpose
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_data_set_args(parser: argparse.ArgumentParser, *, postgres_db: str, data_dir_name: str, encounters: int) -> None:
    """The options every benchmark's data set takes: where it lives, whether to reuse it, its size."""
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--postgres-url", default=f"postgres://postgres@127.0.0.1:5432/{postgres_db}")
    parser.add_argument("--data-dir", type=Path, help=f"default: {SCRATCH}/{data_dir_name}")
    parser.add_argument("--reuse", action="store_true", help="reuse the data set from an earlier run if it is complete")
    parser.add_argument("--drop", action="store_true", help="drop the bench database and data dir at the end")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--encounters", type=int, default=encounters, help=f"default {encounters:,}")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--build-timeout", type=float, default=7200, help="seconds the build may take, default 7200")


def check_database_args(args: argparse.Namespace, parser: argparse.ArgumentParser, data_dir_name: str) -> None:
    """Fill in ``data_dir`` (by default ``SCRATCH/data_dir_name``) and ``db_name``; refuse a
    PostgreSQL server that is not on this machine, or a database name that is not plain."""
    args.data_dir = (args.data_dir or SCRATCH / data_dir_name).resolve()
    parts = urlsplit(args.postgres_url)
    args.db_name = parts.path.lstrip("/")
    if args.db == "postgres" and (parts.hostname not in LOOPBACK or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name)):
        parser.error("--postgres-url must name a loopback host and a plain database name")


def postgres_admin(args: argparse.Namespace, *statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the server's maintenance database."""
    import psycopg
    from psycopg import sql

    admin_url = urlunsplit(urlsplit(args.postgres_url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(args.db_name)))


def claim_data_dir(path: Path) -> None:
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise SystemExit(f"{path} is not empty and was not made by a benchmark; choose another --data-dir.")
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()


def reset_database(args: argparse.Namespace) -> None:
    if args.db == "postgres":
        postgres_admin(args, "DROP DATABASE IF EXISTS {db} WITH (FORCE)", "CREATE DATABASE {db}")
    else:
        for suffix in ("", "-wal", "-shm"):
            (args.data_dir / f"needlechart.sqlite3{suffix}").unlink(missing_ok=True)


def drop_database(args: argparse.Namespace) -> None:
    if args.db == "postgres":
        postgres_admin(args, "DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    shutil.rmtree(args.data_dir, ignore_errors=True)


def bench_app_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a child process that needs needlechart_bench (``needlechart synthetic``, the ceiling
    view): ``NEEDLECHART_BENCH=1`` installs the app and routes its URLs, ``bench/`` first on
    ``PYTHONPATH`` makes it importable."""
    path = [str(BENCH), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(BENCH))]
    return {**env, "NEEDLECHART_BENCH": "1", "PYTHONPATH": os.pathsep.join(path)}


def build(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> float:
    """Run ``needlechart synthetic`` for the asked size; the seconds it took."""
    command = [sys.executable, "-m", "needlechart.cli", "synthetic", "--clinic", CLINIC, "--password", PASSWORD]
    command += ["--patients", str(args.patients), "--encounters", str(args.encounters), "--seed", str(args.seed)]
    print(f"Building the data set: {' '.join(command[2:])}", flush=True)
    started = time.monotonic()
    env = bench_app_env(os.environ if env is None else env)
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=args.build_timeout)
    return time.monotonic() - started
