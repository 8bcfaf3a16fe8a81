"""The calendar under load: the clinic's week view and the first available time, against the real gunicorn.

    .venv/bin/python bench/bench_calendar.py --db sqlite|postgres [--reuse]

The data set is a synthetic clinic (``needlechart synthetic``, 5,000 patients by default) with a
year of calendar added by ``needlechart synthetic_calendar``: 10 practitioners, 3 rooms, three
appointment types, everyone's working week, and appointments from 26 weeks back to 26 weeks ahead
(about 70 % of the working time booked). Eight clients, signed in as the practitioners, then take
turns at:

- ``ceiling``: the chart benchmark's ceiling (sign-in, one indexed query);
- ``week_clinic``: the whole clinic's week view (columns per practitioner) of a random week of the year;
- ``week_own``: one practitioner's week view of a random week;
- ``first_available``: the free times of an appointment type with any practitioner over the next 4 weeks
  (the booking form's "first available").

Targets: the week view's p95 under 100 ms, first available's p95 under 50 ms. Results go to
``bench/results/calendar-<db>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_chart import CEILING, Client, CpuMeter, Endpoint, Request, Result, child_env, drive, free_port, start_server, stop_server
from bench_data import (
    CLINIC,
    PASSWORD,
    RESULTS,
    ROOT,
    add_data_set_args,
    build,
    check_database_args,
    claim_data_dir,
    reset_database,
)

WEEK_P95_TARGET_MS = 100.0
FIRST_AVAILABLE_P95_TARGET_MS = 50.0


def _sample(clinic_name: str) -> None:
    """In a child process with Django set up: whether the calendar is there, and what to ask for."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from needlechart.clinics.models import Clinic, User
    from needlechart.core.access import Role
    from needlechart.patients.models import Patient
    from needlechart.scheduling.models import Appointment, AppointmentType

    call_command("migrate", verbosity=0, interactive=False)
    clinic = Clinic.objects.filter(name=clinic_name).first()
    types = list(AppointmentType.objects.filter(clinic=clinic).values_list("id", flat=True)) if clinic else []
    result: dict[str, Any] = {"ready": bool(types)}
    if types and clinic is not None:
        result["types"] = [str(t) for t in types]
        practitioners = User.objects.filter(clinic=clinic, role=Role.PRACTITIONER).order_by("username")
        result["practitioners"] = list(practitioners.values_list("pk", flat=True))
        result["appointments"] = Appointment.objects.filter(clinic=clinic).count()
        result["today"] = timezone.localdate().isoformat()
        result["patient"] = str(Patient.objects.filter(clinic=clinic).values_list("id", flat=True).first())
    print(json.dumps(result))


def sample(args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "_sample", CLINIC], env=child_env(args), capture_output=True, text=True, timeout=300, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"Could not read the bench database:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def add_calendar(args: argparse.Namespace) -> float:
    started = time.monotonic()
    command = [sys.executable, "-m", "needlechart.cli", "synthetic_calendar", "--clinic", CLINIC, "--seed", str(args.seed)]
    subprocess.run(command, env=child_env(args), cwd=ROOT, check=True, timeout=args.build_timeout)
    return time.monotonic() - started


def endpoints(state: dict[str, Any]) -> list[Endpoint]:
    today, patient_id = dt.date.fromisoformat(state["today"]), state["patient"]
    weeks = [today + dt.timedelta(weeks=n) for n in range(-26, 26)]
    practitioners, types = state["practitioners"], state["types"]

    def ceiling(rng: random.Random) -> Request:
        return f"/bench/ceiling/{patient_id}/", {}, b"ok"

    def week_clinic(rng: random.Random) -> Request:
        return f"/calendar/?view=week&date={rng.choice(weeks).isoformat()}&practitioner=", {}, b"<table"

    def week_own(rng: random.Random) -> Request:
        practitioner = rng.choice(practitioners)
        return f"/calendar/?view=week&date={rng.choice(weeks).isoformat()}&practitioner={practitioner}", {}, b'class="cal-scroll"'

    def first_available(rng: random.Random) -> Request:
        return f"/calendar/free/?appointment_type={rng.choice(types)}&date={today.isoformat()}", {}, b"<"

    return [
        Endpoint(CEILING, "ceiling: login + one indexed query", ceiling),
        Endpoint("week_clinic", "the clinic's week view, a random week of the year", week_clinic),
        Endpoint("week_own", "one practitioner's week view, a random week", week_own),
        Endpoint("first_available", "free times of a type with any practitioner, next 4 weeks", first_available),
    ]


def report(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    ceiling = next(r for r in results if r.name == CEILING)
    rows = [r.summary(ceiling) for r in results]
    print(f"\n{'endpoint':<16} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'÷ ceiling':>9} {'CPU ms/req':>10}")
    for row in rows:
        print(
            f"{row['name']:<16} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}"
            f" {row['throughput_rps']:>8.1f} {row['ratio_to_ceiling']:>9.0%} {row['cpu_ms_per_request']['total']:>10.1f}"
        )
    by_name = {r.name: r for r in results}
    checks = [
        (f"{name} p95 < {target:.0f} ms", by_name[name].percentile(95) < target, f"{by_name[name].percentile(95):.1f} ms")
        for name, target in (
            ("week_clinic", WEEK_P95_TARGET_MS),
            ("week_own", WEEK_P95_TARGET_MS),
            ("first_available", FIRST_AVAILABLE_P95_TARGET_MS),
        )
    ]
    checks += [(f"{r.name}: no errors", r.errors + r.warmup_errors == 0 and r.complete, f"{r.errors} + {r.warmup_errors}") for r in results]
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  ({value})")
    return {**meta, "endpoints": rows, "targets": [{"check": label, "pass": ok, "value": value} for label, ok, value in checks]}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_set_args(parser, postgres_db="needlechart_bench_calendar", data_dir_name="calendar-<db>", encounters=20_000)
    parser.set_defaults(patients=5_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="measured requests per endpoint, default 500")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--time-limit", type=float, default=300)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 1 <= args.rounds <= args.requests <= 100_000 and 0 <= args.warmup <= 100_000):
        parser.error("--clients must be 1-64, --rounds 1 to --requests, --requests at most 100000")
    check_database_args(args, parser, f"calendar-{args.db}")
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["_sample"]:
        _sample(argv[1])
        return 0
    args = parse_args(argv)
    claim_data_dir(args.data_dir)
    state = sample(args) if args.reuse else {"ready": False}
    build_seconds = None
    if not state["ready"]:
        reset_database(args)
        build_seconds = build(args, env=child_env(args)) + add_calendar(args)
        state = sample(args)
    print(f"Calendar: {state['appointments']:,} appointments, {len(state['practitioners'])} practitioners.", flush=True)
    port = free_port()
    server = start_server(args, port, args.data_dir / "server.log")
    clients: list[Client] = []
    try:
        for i in range(args.clients):
            client = Client(port, timeout=30)
            client.login(f"synth-p{i % 10 + 1:02d}", PASSWORD)
            clients.append(client)
        chosen = endpoints(state)
        meter = CpuMeter(args, server)
        results = []
        for endpoint in chosen:
            warmup = drive(clients, endpoint, args.warmup, args.time_limit, args.seed + 1, meter)
            results.append(Result(endpoint.name, endpoint.what, warmup_errors=warmup.errors, error_samples=warmup.error_samples[:2]))
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            for endpoint, result in zip(chosen, results, strict=True):
                share = (args.requests * (round_ + 1)) // args.rounds - (args.requests * round_) // args.rounds
                result.add(drive(clients, endpoint, share, args.time_limit / args.rounds, args.seed + 1000 * round_, meter))
        meta = {
            "db": args.db,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "appointments": state["appointments"],
            "clients": args.clients,
            "workers": args.workers,
            "build_seconds": build_seconds,
            "load_average": os.getloadavg(),
        }
        out = report(results, meta)
    finally:
        for client in clients:
            client.close()
        stop_server(server)
    path = args.out or RESULTS / f"calendar-{args.db}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nWrote {path}")
    return 0 if all(t["pass"] for t in out["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
