"""The calendar under load: the clinic's week view, the first available time and the public booking page, against the real gunicorn.

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

and eight clients without a session (patients) at the clinic's public booking pages
(``needlechart synthetic_calendar`` publishes them at ``/c/synthetic/``):

- ``public_start``: the booking flow's first page, in Norwegian (types and practitioners to choose from);
- ``public_times``: the free times of a type bookable online with the first available practitioner,
  a week from a random day of the next four weeks.

Targets: the week view's p95 under 100 ms, first available's p95 under 50 ms. Results go to
``bench/results/calendar-<db>.json``. ``--profile ENDPOINT`` instead makes ``--requests`` requests
of one endpoint in one process, on the reused data set, and prints their CPU time and profile.
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

from bench_chart import (
    CEILING,
    Client,
    CpuMeter,
    Endpoint,
    Request,
    Result,
    child_env,
    child_json,
    measure,
    prepare_data_set,
    print_table,
    profile_in_process,
    serve,
    settle,
    stop_server,
)
from bench_data import CLINIC, RESULTS, ROOT, add_data_set_args, check_database_args

WEEK_P95_TARGET_MS = 100.0
FIRST_AVAILABLE_P95_TARGET_MS = 50.0


def _sampled(clinic_name: str) -> dict[str, Any]:
    """With Django set up: whether the calendar is there, and what to ask for."""
    from django.core.management import call_command
    from django.utils import timezone

    from needlechart.clinics.models import Clinic, User
    from needlechart.core.access import Role
    from needlechart.patients.models import Patient
    from needlechart.public.models import PublicProfile
    from needlechart.scheduling.models import Appointment, AppointmentType

    call_command("migrate", verbosity=0, interactive=False)
    clinic = Clinic.objects.filter(name=clinic_name).first()
    types = list(AppointmentType.objects.filter(clinic=clinic).values_list("id", flat=True)) if clinic else []
    profile = PublicProfile.objects.filter(clinic=clinic, published=True).first()
    result: dict[str, Any] = {"ready": bool(types) and profile is not None}
    if result["ready"] and clinic is not None and profile is not None:
        result["types"] = [str(t) for t in types]
        online = AppointmentType.objects.filter(clinic=clinic, bookable_online=True, active=True)
        result["online_types"] = [str(t) for t in online.values_list("id", flat=True)]
        result["slug"] = profile.slug
        practitioners = User.objects.filter(clinic=clinic, role=Role.PRACTITIONER).order_by("username")
        result["practitioners"] = list(practitioners.values_list("pk", flat=True))
        result["appointments"] = Appointment.objects.filter(clinic=clinic).count()
        result["today"] = timezone.localdate().isoformat()
        result["patient"] = str(Patient.objects.filter(clinic=clinic).values_list("id", flat=True).first())
    return result


def _sample(clinic_name: str) -> None:
    """In a child process: _sampled's answer as JSON."""
    import django

    django.setup()
    print(json.dumps(_sampled(clinic_name)))


def _profile(clinic_name: str, endpoint: str, calls: str, top: str) -> None:
    """In a child process: ``calls`` requests of one endpoint through Django's test client in this
    process (bench_chart.profile_in_process), the staff pages as the first practitioner, as the
    served benchmark's clients are practitioners; prints the CPU ms a request and the profile."""
    import django

    django.setup()
    from django.test import Client as DjangoClient

    from needlechart.clinics.models import User

    state = _sampled(clinic_name)
    if not state["ready"]:
        raise SystemExit("no calendar: run bench_calendar.py once without --profile")
    client = DjangoClient()
    if endpoint not in PUBLIC:
        client.force_login(User.objects.get(pk=state["practitioners"][0]))
    make = {e.name: e.make for e in endpoints(state)}[endpoint]
    rng = random.Random(7)
    plain = profile_in_process(client, [make(rng) for _ in range(int(calls))], int(top))
    print(json.dumps({"endpoint": endpoint, "calls": int(calls), "cpu_ms_per_call": round(plain, 2)}))


def sample(args: argparse.Namespace) -> dict[str, Any]:
    return child_json(__file__, ["_sample", CLINIC], child_env(args))


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

    public = f"/c/{state['slug']}/nb/book/"

    def public_start(rng: random.Random) -> Request:
        return public, {}, b'name="practitioner"'

    def public_times(rng: random.Random) -> Request:
        day = today + dt.timedelta(days=rng.randrange(28))
        return f"{public}?type={rng.choice(state['online_types'])}&practitioner=any&day={day.isoformat()}", {}, b'id="times-title"'

    return [
        Endpoint(CEILING, "ceiling: login + one indexed query", ceiling),
        Endpoint("week_clinic", "the clinic's week view, a random week of the year", week_clinic),
        Endpoint("week_own", "one practitioner's week view, a random week", week_own),
        Endpoint("first_available", "free times of a type with any practitioner, next 4 weeks", first_available),
        Endpoint("public_start", "public booking: the first page (nb), no session", public_start),
        Endpoint("public_times", "public booking: a week of free times, first available, no session", public_times),
    ]


PUBLIC = ("public_start", "public_times")


def report(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    ceiling = next(r for r in results if r.name == CEILING)
    rows = [r.summary(ceiling) for r in results]
    print_table(rows)
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
    parser.add_argument(
        "--profile",
        choices=("week_clinic", "week_own", "first_available", "public_start", "public_times"),
        help="instead of serving: --requests requests of this endpoint in one process (Django's test client) under cProfile"
        " with thread CPU time, on the reused data set; prints the CPU ms a request and the profile",
    )
    parser.add_argument("--profile-top", type=int, default=40, help="functions the profile lists, default 40")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 1 <= args.rounds <= args.requests <= 100_000 and 0 <= args.warmup <= 100_000):
        parser.error("--clients must be 1-64, --rounds 1 to --requests, --requests at most 100000")
    check_database_args(args, parser, f"calendar-{args.db}")
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["_sample"]:
        _sample(argv[1])
        return 0
    if argv[:1] == ["_profile"]:
        _profile(*argv[1:5])
        return 0
    args = parse_args(argv)
    if args.profile:
        command = [sys.executable, __file__, "_profile", CLINIC, args.profile, str(args.requests), str(args.profile_top)]
        return subprocess.run(command, env=child_env(args), check=False).returncode
    state, build_seconds = prepare_data_set(args, sample, add=add_calendar)
    # PostgreSQL: VACUUM (ANALYZE) before measuring, as bench_chart does (synthetic_calendar leaves its
    # tables unanalysed, the bench server runs without autovacuum; a real database is analysed by autovacuum).
    settle(args)
    print(f"Calendar: {state['appointments']:,} appointments, {len(state['practitioners'])} practitioners.", flush=True)
    port, server, staff = serve(args)
    patients = [Client(port, timeout=30) for _ in range(args.clients)]  # no session: the public pages
    try:
        meter = CpuMeter(args, server)
        load_before = os.getloadavg()
        results = measure(staff, endpoints(state), args, meter, clients_of=dict.fromkeys(PUBLIC, patients))
        meta = {
            "db": args.db,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "data_set": {"patients": args.patients, "encounters": args.encounters, "appointments": state["appointments"]},
            "clients": args.clients,
            "server": {"worker_class": args.worker_class, "workers": args.workers, "threads": args.threads},
            "requests_per_endpoint": args.requests,
            "rounds": args.rounds,
            "warmup_per_endpoint": args.warmup,
            "build_seconds": round(build_seconds, 1) if build_seconds else None,
            "load_average": {"before": load_before, "after": os.getloadavg()},
        }
        out = report(results, meta)
    finally:
        for client in [*staff, *patients]:
            client.close()
        stop_server(server)
    path = args.out or RESULTS / f"calendar-{args.db}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nWrote {path}")
    return 0 if all(t["pass"] for t in out["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
