"""Benchmark the clinic dashboard over 100,000 patients and 1,000,000 needling sessions.

    .venv/bin/python bench/bench_dashboard.py --db postgres     # or --db sqlite; add --reuse to measure an earlier data set

Builds (or, with --reuse, reuses) the data set with ``needlechart synthetic`` in a database of its own, then times the
dashboard page (/analytics/) and its CSV export through Django's whole request path, in this process, for several filter
combinations: warm-up requests first, then --runs timed ones each. Then it times every aggregate query of
``analytics.report.clinic_report`` on its own and records its plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite). Targets: p95 under 1 s on PostgreSQL, under 3 s on SQLite. Writes bench/results/dashboard-<db>.json and a readable
dashboard-<db>-plans.txt. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench_data import CLINIC, RESULTS, add_data_set_args, build, check_database_args, claim_data_dir, drop_database, reset_database

TARGET_MS = {"postgres": 1_000.0, "sqlite": 3_000.0}
# The queries clinic_report() sends, in order; the script stops if report.py sends another number of them.
QUERY_NAMES = ("sessions, patients and adverse events by month", "patients in the period", "outcomes by condition", "sessions to response")


# --- the data set --------------------------------------------------------------------------


def use_database(args: argparse.Namespace) -> None:
    """Point Django, in this process and the build's, at the bench database only."""
    for name in [k for k in os.environ if k == "DATABASE_URL" or k.startswith("NEEDLECHART_")]:
        del os.environ[name]
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "needlechart.settings",
        "NEEDLECHART_DATA_DIR": str(args.data_dir),
        "NEEDLECHART_IDLE_TIMEOUT_MINUTES": "240",  # a long run must not sign the user out
        "NEEDLECHART_CONN_MAX_AGE": "3600",  # PostgreSQL: one backend serves the whole run, so its CPU time can be read
    }
    if args.db == "postgres":
        os.environ["DATABASE_URL"] = args.postgres_url


def ready(args: argparse.Namespace) -> bool:
    """Whether the database holds a complete synthetic data set of the asked size, with the dashboard's rows."""
    from django.db import DatabaseError

    from needlechart.audit.models import AuditEvent

    try:
        event = AuditEvent.objects.filter(object_type="synthetic_data_set").order_by("-pk").first()
    except DatabaseError:  # no database, or no tables yet
        return False
    detail = event.detail if event else {}
    return detail.get("session_facts", 0) > 0 and (detail["patients"], detail["encounters"]) == (args.patients, args.encounters)


def settle() -> None:
    """On PostgreSQL, vacuum and analyse the reporting tables, as autovacuum soon does after a load: index-only scans need
    the visibility map. (SQLite keeps the statistics ``needlechart synthetic`` gathered; Django itself never gathers any.)"""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) analytics_sessionfact, analytics_episodeoutcome")


def data_set() -> dict[str, int]:
    from needlechart.analytics.models import EpisodeOutcome, SessionFact
    from needlechart.charting.models import Encounter
    from needlechart.needling.models import AdverseEvent
    from needlechart.outcomes.models import Measurement
    from needlechart.patients.models import Patient

    models = {"patients": Patient, "encounters": Encounter, "session_facts": SessionFact, "episode_outcomes": EpisodeOutcome}
    models |= {"measurements": Measurement, "adverse_events": AdverseEvent}
    return {name: model._default_manager.count() for name, model in models.items()}


# --- measuring -----------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process and, on PostgreSQL, of the backend serving it: unlike wall time, other work on the machine
    hardly changes it."""
    from django.db import connection

    total = time.process_time()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def timed(call: Callable[[], Any], warmup: int, runs: int) -> dict[str, float]:
    """Wall time per call (p50, p95, max) and CPU time per call, after the warm-up calls."""
    for _ in range(warmup):
        call()
    samples = []
    cpu_before = cpu_seconds()
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    cpu_ms = (cpu_seconds() - cpu_before) * 1000 / runs
    samples.sort()
    p50, p95 = samples[(runs - 1) // 2], samples[max(0, math.ceil(0.95 * runs) - 1)]
    return {"runs": runs, "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "max_ms": round(samples[-1], 1), "cpu_ms": round(cpu_ms, 1)}


def filter_sets(today: dt.date, practitioner_id: int) -> dict[str, dict[str, str]]:
    """Query strings of the dashboard, as a clinic would use it."""
    return {
        "default (last 12 months)": {},
        "all 3 years": {"start": (today - dt.timedelta(days=3 * 365 + 1)).isoformat(), "end": today.isoformat()},
        "one practitioner, 12 months": {"practitioner": str(practitioner_id)},
        "one condition, 12 months": {"condition": "low_back"},
        "practitioner + condition, 3 months": {
            "practitioner": str(practitioner_id),
            "condition": "neck",
            "start": (today - dt.timedelta(days=91)).isoformat(),
        },
    }


def measure_pages(client, params: dict[str, str], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The page and the CSV through the whole request path: middleware, session, view, template, audit row."""
    results = {}
    for endpoint, path, marker in (("page", "/analytics/", b'data-testid="session-count"'), ("csv", "/analytics/export.csv", b"measure,")):
        url = f"{path}?{urlencode(params)}"

        def get(url: str = url, marker: bytes = marker) -> None:
            response = client.get(url)
            if response.status_code != 200 or marker not in response.content:
                raise SystemExit(f"GET {url}: HTTP {response.status_code}, expected {marker!r} in the answer")

        results[endpoint] = timed(get, args.warmup, args.runs)
    return results


def capture_report_queries(clinic_id, filters) -> list[tuple[str, tuple]]:
    """The SQL and parameters clinic_report() sends, in order."""
    from django.db import connection

    from needlechart.analytics.report import clinic_report

    captured: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        captured.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        clinic_report(clinic_id, filters)
    if len(captured) != len(QUERY_NAMES):
        raise SystemExit(f"clinic_report() sent {len(captured)} queries, not {len(QUERY_NAMES)}: update QUERY_NAMES in {__file__}")
    return captured


def explain(sql: str, params: tuple, vendor: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if vendor == "postgresql":
        return "\n".join(row[0] for row in rows)
    depth = {0: -1}  # SQLite: (id, parent, notused, detail), drawn as a tree
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append(f"{'  ' * depth[node]}{detail}")
    return "\n".join(lines)


def measure_queries(clinic_id, filters, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each aggregate query of the report on its own: sent and all its rows fetched, then its plan."""
    from django.db import connection

    queries = []
    for name, (sql, params) in zip(QUERY_NAMES, capture_report_queries(clinic_id, filters), strict=True):

        def run(sql: str = sql, params: tuple = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        timing = timed(run, args.warmup, args.runs)
        queries.append(
            {"name": name, **timing, "sql": sql, "params": [str(p) for p in params], "plan": explain(sql, params, connection.vendor)}
        )
    return queries


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.http import QueryDict
    from django.test import Client
    from django.utils import timezone

    from needlechart.analytics.report import clinic_report, parse_filters
    from needlechart.clinics.models import Clinic, User

    clinic = Clinic.objects.get(name=CLINIC)
    admin = User.objects.get(username="synth-admin")
    practitioner = User.objects.get(username="synth-p01")
    client = Client()
    client.force_login(admin)
    results = {}
    for label, params in filter_sets(timezone.localdate(), practitioner.pk).items():
        print(f"{label}: {args.warmup} warm-up + {args.runs} timed requests of the page and the CSV, then each query", flush=True)
        filters = parse_filters(QueryDict(urlencode(params)), clinic.pk)
        report = clinic_report(clinic.pk, filters)
        results[label] = {
            "params": params,
            "period": [filters.start.isoformat(), filters.end.isoformat()],
            "sessions": report.sessions,
            "episodes": sum(row.episodes for row in report.outcomes if row.condition != "all"),
            **measure_pages(client, params, args),
            "queries": measure_queries(clinic.pk, filters, args),
        }
    return results


# --- report --------------------------------------------------------------------------------


def report(results: dict[str, Any], target_ms: float) -> list[dict[str, Any]]:
    print(f"\n{'filters':<36} {'sessions':>9} {'endpoint':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>8}")
    for label, result in results.items():
        for endpoint in ("page", "csv"):
            row = result[endpoint]
            print(
                f"{label:<36} {result['sessions']:>9,} {endpoint:>8} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}"
                f" {row['cpu_ms']:>8.1f}"
            )
    print("(CPU ms: CPU time per request of this process and, on PostgreSQL, of its database backend.)")
    print(f"\n{'slowest query of each filter set':<36} {'query':<48} {'p50 ms':>8} {'p95 ms':>8}")
    for label, result in results.items():
        slowest = max(result["queries"], key=lambda q: q["p50_ms"])
        print(f"{label:<36} {slowest['name']:<48} {slowest['p50_ms']:>8.1f} {slowest['p95_ms']:>8.1f}")
    targets = [
        {
            "check": f"{label}: {endpoint} p95 < {target_ms:.0f} ms",
            "pass": result[endpoint]["p95_ms"] < target_ms,
            "value": result[endpoint]["p95_ms"],
        }
        for label, result in results.items()
        for endpoint in ("page", "csv")
    ]
    print()
    for target in targets:
        print(f"{'PASS' if target['pass'] else 'FAIL'}  {target['check']}  ({target['value']:.1f} ms)")
    return targets


def write_plans(path: Path, results: dict[str, Any], meta: dict[str, Any]) -> None:
    lines = [f"Dashboard query plans, {meta['db']}, {meta['when']}; data set {meta['data_set']}", ""]
    for label, result in results.items():
        lines += ["=" * 100, f"{label}: {json.dumps(result['params'])}, {result['sessions']:,} sessions", "=" * 100, ""]
        for query in result["queries"]:
            timing = ", ".join(f"{key[:-3]} {query[key]} ms" for key in ("p50_ms", "p95_ms", "max_ms", "cpu_ms"))
            lines += [f"--- {query['name']}: {timing}", query["sql"], f"params: {query['params']}", "", query["plan"], ""]
    path.write_text("\n".join(lines))


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    # 1,050,000 visits: about 1,000,000 signed sessions
    add_data_set_args(parser, postgres_db="needlechart_bench_dashboard", data_dir_name="dashboard-<db>", encounters=1_050_000)
    parser.add_argument("--runs", type=int, default=20, help="timed requests (and query runs) per measurement, default 20")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured ones first, default 3")
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/dashboard-<db>.json (plans next to it)")
    args = parser.parse_args(argv)
    if not (20 <= args.runs <= 10_000 and 0 <= args.warmup <= 1_000):
        parser.error("--runs must be 20-10000, --warmup 0-1000")
    check_database_args(args, parser, f"dashboard-{args.db}")
    args.out = (args.out or RESULTS / f"dashboard-{args.db}.json").resolve()
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    claim_data_dir(args.data_dir)
    use_database(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    build_seconds = None
    if not (args.reuse and ready(args)):
        if args.reuse:
            print("No complete data set of that size to reuse; building one.")
        connections.close_all()
        reset_database(args)
        build_seconds = build(args)
        print(f"Data set built in {build_seconds:.1f} s.", flush=True)
    call_command("migrate", verbosity=0, interactive=False)  # a reused data set gets the reporting indexes added since
    settle()
    load_before = os.getloadavg()
    meta = {
        "db": args.db,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data_set": data_set(),
        "build_seconds": round(build_seconds, 1) if build_seconds else None,
        "runs": args.runs,
        "warmup": args.warmup,
        "target_p95_ms": TARGET_MS[args.db],
    }
    print(f"Data set: {meta['data_set']}", flush=True)
    results = measure(args)
    meta["load_average"] = {"before": load_before, "after": os.getloadavg()}
    targets = report(results, TARGET_MS[args.db])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**meta, "filters": results, "targets": targets}, indent=2) + "\n")
    plans = args.out.with_name(f"{args.out.stem}-plans.txt")
    write_plans(plans, results, meta)
    print(f"\nWrote {args.out} and {plans}")
    if args.drop:
        connections.close_all()
        drop_database(args)
    return 0 if all(t["pass"] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
