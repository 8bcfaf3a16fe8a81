"""Server time to sign a needling session, on a large synthetic data set.

    .venv/bin/python bench/bench_sign.py [--database-url postgres://postgres@127.0.0.1:5432/needlechart_bench] [--sessions 300]
    .venv/bin/python bench/bench_sign.py --sqlite /tmp/needlechart-bench/sqlite/needlechart.sqlite3 [--synchronous NORMAL]

Uses the synthetic clinic built by ``needlechart synthetic`` (bench/bench_chart.py builds it
into ``needlechart_bench``; run that first, or pass --build to build it here). Each round
prepares a complete session outside the clock (encounter, two needled muscles, consent,
needle count, draft note), then times the real request that signs it: a POST to the note
form with sign=1, through Django's full request handling, in process (no network). The
signing gates, the canonical JSON, the digest, the audit row and the triggers all run.
Prints p50/p95/p99 in ms and writes bench/results/sign-<db>.json.

Besides the wall time it measures what the machine's load does not disturb: the request's CPU
time in this process (``time.thread_time``), the database server's CPU time for it (PostgreSQL:
the backend's utime + stime from /proc, in clock ticks, so only the mean over many signs is
meaningful), and the SQL statements it sends (on both databases). ``--profile FILE`` writes a
cProfile of the timed signs (clock: ``time.thread_time``), to read with ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_data import bench_app_env

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/needlechart_bench")
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--build", action="store_true", help="build the 100k/1M synthetic data set first")
    parser.add_argument("--sqlite", type=Path, help="an SQLite database (bench_chart.py --db sqlite builds one) instead of --database-url")
    parser.add_argument(
        "--synchronous", choices=["FULL", "NORMAL"], help="SQLite: override needlechart's synchronous setting, to measure what it costs"
    )
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/sign-<db>.json")
    parser.add_argument("--profile", type=Path, help="write a cProfile (thread CPU time) of the timed signs to this file")
    args = parser.parse_args()
    if not 10 <= args.sessions <= 10_000:
        parser.error("--sessions must be between 10 and 10000")
    if args.sqlite:
        if not args.sqlite.is_file():
            parser.error(f"--sqlite {args.sqlite}: no such database")
        os.environ.pop("DATABASE_URL", None)
        os.environ["NEEDLECHART_SQLITE_PATH"] = str(args.sqlite)
        os.environ["NEEDLECHART_DATA_DIR"] = str(args.sqlite.parent)
        os.environ["NEEDLECHART_CONN_MAX_AGE"] = "86400"  # one connection throughout: --synchronous holds
    else:
        os.environ["DATABASE_URL"] = args.database_url
        os.environ["NEEDLECHART_CONN_MAX_AGE"] = "86400"  # one backend throughout: its CPU time is read from /proc
    os.environ.setdefault("NEEDLECHART_DATA_DIR", str(ROOT / "var" / "bench-sign"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "needlechart.settings"
    if args.build:
        subprocess.run([sys.executable, "-m", "needlechart.cli", "migrate", "-v", "0"], check=True)
        subprocess.run(
            [sys.executable, "-m", "needlechart.cli", "synthetic", "--patients", "100000", "--encounters", "1000000"],
            env=bench_app_env(os.environ),  # the command lives in bench/needlechart_bench
            check=True,
        )

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench_sessions import certify, ready_visit
    from needlechart.charting.models import Encounter, Note
    from needlechart.clinics.models import Clinic, User
    from needlechart.core.access import Role
    from needlechart.needling.session import session_state
    from needlechart.patients.models import Episode, Patient

    if args.synchronous and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={args.synchronous}")
    with connection.cursor() as cursor:
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0] if connection.vendor == "sqlite" else None

    clinic = Clinic.objects.filter(name="Synthetic clinic").first()
    if clinic is None:
        print("No synthetic clinic: run bench/bench_chart.py first or pass --build.", file=sys.stderr)
        return 2
    practitioner = User.objects.filter(clinic=clinic, role=Role.PRACTITIONER).order_by("username").first()
    certify(practitioner)
    sizes = {
        "patients": Patient.objects.filter(clinic=clinic).count(),
        "encounters": Encounter.objects.filter(clinic=clinic).count(),
        "notes": Note.objects.filter(clinic=clinic).count(),
    }
    rng = random.Random(7)
    episodes = list(practitioner.encounters.values_list("episode_id", flat=True)[:5000])
    client = Client()
    client.force_login(practitioner)
    backend_cpu = _backend_cpu_reader(connection)
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    timings, cpu_times, db_cpu_times, statements = [], [], [], []
    for round_number in range(args.sessions + 10):
        episode = Episode.objects.select_related("patient").get(pk=rng.choice(episodes))
        encounter = ready_visit(practitioner, episode, rng)
        url = reverse("note_save", args=[encounter.pk])
        data = {"subjective": f"Benchmark session {round_number}", "objective": "", "assessment": "", "plan": "", "sign": "1"}
        counted = round_number >= 10
        sent = [0]
        with connection.execute_wrapper(_counting(sent)):
            db_before = backend_cpu()
            if profiler and counted:
                profiler.enable()
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = client.post(url, data)
            cpu = (time.thread_time() - cpu_started) * 1000
            elapsed = (time.perf_counter() - started) * 1000
            if profiler and counted:
                profiler.disable()
            db_after = backend_cpu()
        if response.status_code != 302:
            problems = session_state(encounter).signing_problems()
            print(f"signing failed with {response.status_code}: {problems}", file=sys.stderr)
            return 1
        if counted:  # warm-up rounds are not counted
            timings.append(elapsed)
            cpu_times.append(cpu)
            statements.append(sent[0])
            if db_before is not None and db_after is not None:
                db_cpu_times.append(db_after - db_before)
    if profiler:
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(args.profile)
    timings.sort()
    quantile = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    result = {
        "db": connection.vendor,
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(synchronous) if synchronous is not None else None,
        "sessions": len(timings),
        "data_set": sizes,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(quantile(0.95), 2),
        "p99_ms": round(quantile(0.99), 2),
        "max_ms": round(timings[-1], 2),
        "cpu_p50_ms": round(statistics.median(cpu_times), 2),
        "cpu_mean_ms": round(statistics.fmean(cpu_times), 2),
        "db_cpu_mean_ms": round(statistics.fmean(db_cpu_times), 2) if db_cpu_times else None,
        "statements_per_sign": sorted(set(statements)),
    }
    print(f"signing a needling session on {result['db']} ({sizes}, synchronous={result['synchronous']}):")
    print(f"  p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms over {len(timings)} sessions")
    print(
        f"  CPU in process p50 {result['cpu_p50_ms']} ms (mean {result['cpu_mean_ms']}), database server CPU mean "
        f"{result['db_cpu_mean_ms']} ms, statements per sign {result['statements_per_sign']}"
    )
    out = args.out or ROOT / "bench" / "results" / f"sign-{result['db']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _counting(sent: list[int]):
    """An execute wrapper counting the statements sent (cheaper than Django's debug cursor, which
    formats every statement and would add its own CPU time to the sign's)."""

    def wrapper(execute, sql, params, many, context):
        sent[0] += 1
        return execute(sql, params, many, context)

    return wrapper


def _backend_cpu_reader(connection):
    """A function giving the CPU milliseconds the connection's PostgreSQL backend has used (None on
    SQLite, where the database's work is this process's, or when /proc does not show the backend)."""
    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) * tick_ms  # utime, stime

    return read


if __name__ == "__main__":
    sys.exit(main())
