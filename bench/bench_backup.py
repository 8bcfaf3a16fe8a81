"""Time `needlechart backup` and `needlechart restore` on the 100,000-patient synthetic clinic.

    .venv/bin/python bench/bench_backup.py --db sqlite --reuse      # or --db postgres

Uses (with --reuse) or builds the chart benchmark's data set (bench_chart.py: the same database,
the same size), backs it up with `needlechart backup` into a scratch directory, restores that into a
scratch database (SQLite: a new data directory; PostgreSQL: the database ``<bench db>_restore``,
created empty for each run and dropped at the end; never the bench database itself) with
`needlechart restore`, and checks that the restored database holds as many patients, encounters
and notes. Each command is timed as an operator runs it (wall clock, its process's start
included). See bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench_chart import child_env, sample
from bench_data import RESULTS, ROOT, SCRATCH, add_data_set_args, build, check_database_args, claim_data_dir, reset_database


def postgres(url: str, statement: str) -> Any:
    """One statement's first row, if it gives any (CREATE/DROP DATABASE on the maintenance database)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchone() if cursor.description else None


def maintenance(args: argparse.Namespace) -> str:
    return urlunsplit(urlsplit(args.postgres_url)._replace(path="/postgres"))


def restore_target(args: argparse.Namespace, scratch: Path) -> argparse.Namespace:
    """The arguments of the scratch database a backup is restored into, emptied."""
    target = copy.copy(args)
    target.data_dir = scratch / "restored"
    shutil.rmtree(target.data_dir, ignore_errors=True)
    if args.db == "postgres":
        target.db_name = f"{args.db_name}_restore"
        target.postgres_url = urlunsplit(urlsplit(args.postgres_url)._replace(path=f"/{target.db_name}"))
        postgres(maintenance(args), f'DROP DATABASE IF EXISTS "{target.db_name}" WITH (FORCE)')
        postgres(maintenance(args), f'CREATE DATABASE "{target.db_name}"')
    return target


def drop_target(args: argparse.Namespace, target: argparse.Namespace) -> None:
    if args.db == "postgres":
        postgres(maintenance(args), f'DROP DATABASE IF EXISTS "{target.db_name}" WITH (FORCE)')
    shutil.rmtree(target.data_dir, ignore_errors=True)


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    command = [sys.executable, "-m", "needlechart.cli", *command]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:])} failed:\n{done.stderr[-3000:]}")
    print(f"  {command[3]}: {seconds:.1f} s  {done.stdout.strip().splitlines()[0]}", flush=True)
    return seconds


def database_bytes(args: argparse.Namespace) -> int:
    if args.db == "postgres":
        return int(postgres(args.postgres_url, "SELECT pg_database_size(current_database())")[0])
    return sum(path.stat().st_size for path in args.data_dir.glob("needlechart.sqlite3*"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_set_args(parser, postgres_db="needlechart_bench", data_dir_name="<db>", encounters=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="backups and restores to time, default 3")
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/backup-<db>.json")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be 1-20")
    check_database_args(args, parser, args.db)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    claim_data_dir(args.data_dir)
    state = sample(args) if args.reuse else {"ready": False}
    build_seconds = None
    if not state["ready"]:
        reset_database(args)
        build_seconds = build(args, env=child_env(args))
        state = sample(args)
    print(f"Data set: {state['counts']}", flush=True)
    scratch = SCRATCH / f"backup-{args.db}"
    claim_data_dir(scratch)
    runs: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    for run in range(args.runs):
        print(f"run {run + 1} of {args.runs}", flush=True)
        out = scratch / "backup"
        shutil.rmtree(out, ignore_errors=True)
        before = sample(args)["counts"]  # other benchmarks may write to the bench database meanwhile
        backup_seconds = timed(["backup", "--out", str(out)], child_env(args))
        after = sample(args)["counts"]
        manifest = json.loads((out / "manifest.json").read_text())
        target = restore_target(args, scratch)
        restore_seconds = timed(["restore", str(out)], child_env(target))
        restored = sample(target)["counts"]
        if not all(before[kind] <= restored[kind] <= after[kind] for kind in restored):
            raise SystemExit(f"the restored database holds {restored}; the original held {before} before the backup, {after} after")
        runs.append(
            {
                "backup_seconds": round(backup_seconds, 1),
                "restore_seconds": round(restore_seconds, 1),
                "backup_bytes": sum(entry["size"] for entry in manifest["files"].values()),
                "database_file_bytes": manifest["files"][manifest["database"]["file"]]["size"],
                "restored_database_bytes": database_bytes(target),
            }
        )
    drop_target(args, target)
    shutil.rmtree(scratch / "backup", ignore_errors=True)
    summary = {
        "db": args.db,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "data_set": state["counts"],
        "build_seconds": round(build_seconds, 1) if build_seconds else None,
        "database_bytes": database_bytes(args),
        "backup_file": manifest["database"]["file"],
        "median": {key: statistics.median(run[key] for run in runs) for key in ("backup_seconds", "restore_seconds")},
        "runs": runs,
    }
    print(
        f"\n{args.db}: database {summary['database_bytes'] / 1e9:.2f} GB, backup {runs[-1]['backup_bytes'] / 1e9:.2f} GB; "
        f"median backup {summary['median']['backup_seconds']:.1f} s, restore {summary['median']['restore_seconds']:.1f} s"
    )
    out_path = (args.out or RESULTS / f"backup-{args.db}.json").resolve()
    out_path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"Wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
