"""API reads under 8 clients against the real server: v1 patient read and search, FHIR Observation search.

    .venv/bin/python bench/bench_api.py --db sqlite|postgres [--patients 5000] [--reuse]

The data set is the synthetic clinic of the other benchmarks (``needlechart synthetic``), by
default 5,000 patients and 50,000 encounters (the full set's 10 a patient; ``--patients 100000
--encounters 1000000`` is the issue's size and takes 30 minutes and more to build). A child
process then makes a bench API client of the clinic with demographics:read and clinical:read and
its personal access token (see ``make_token``). gunicorn serves as in bench_chart.py, with the
API's rate limit raised out of the way (the limit is counted on every call all the same).

Eight clients take turns, in rounds, at:

- ``ceiling``: the chart benchmark's ceiling (a signed-in page doing one indexed query);
- ``patient_read``: ``GET /api/v1/patients/<id>``, a random patient;
- ``patient_search``: ``GET /api/v1/patients/search?name=...``, what someone types (bench_chart's name queries);
- ``observation_search``: ``GET /fhir/Observation?patient=<id>``, a random patient's first page (20).

The API clients send the bearer token and no cookie. The target is each read's throughput at
least 50 % of the ceiling's; the server's CPU time a request says what it costs when the shared
machine's latency is noisy. Results go to ``bench/results/api-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench_chart import (
    CEILING,
    CEILING_RATIO_TARGET,
    Client,
    CpuMeter,
    Endpoint,
    Request,
    Result,
    child_env,
    child_json,
    data_set_state,
    measure,
    name_query,
    prepare_data_set,
    print_table,
    profile_in_process,
    serve,
    stop_server,
)
from bench_data import CLINIC, RESULTS, add_data_set_args, check_database_args, drop_database

CLIENT_NAME = "bench_api"  # the API client's name starts with this; each run makes a new one
RATE_LIMIT = "100000000"  # calls a minute: the benchmark measures reads, not 429s


def make_token(clinic_name: str) -> str:
    """With Django set up: a new API client of the clinic with demographics:read and clinical:read, its token.

    No role both manages API clients and reads clinical records, so a clinic admin cannot give
    clinical:read today. The child making the client widens the admin's role for that one call
    (as tests/interop/test_fhir_rest.py does) and lets the client act as a practitioner; the
    server's roles are unchanged. Earlier bench clients are revoked."""
    from needlechart.api import services
    from needlechart.api.models import ApiClient
    from needlechart.api.scopes import Scope
    from needlechart.clinics.models import User
    from needlechart.core import access

    admin = User.objects.get(clinic__name=clinic_name, username="synth-admin")
    for old in ApiClient.objects.filter(clinic_id=admin.clinic_id, name__startswith=CLIENT_NAME, revoked_at__isnull=True):
        services.api_client_revoke(actor=admin, client=old)
    roles = access.ROLE_CAPABILITIES
    access.ROLE_CAPABILITIES = roles | {access.Role.CLINIC_ADMIN: roles[access.Role.CLINIC_ADMIN] | {access.Capability.VIEW_CLINICAL}}
    try:
        scopes = [Scope.DEMOGRAPHICS_READ, Scope.CLINICAL_READ]
        client, token = services.api_client_create(actor=admin, name=f"{CLIENT_NAME} {time.time():.0f}", scopes=scopes, valid_days=1)
    finally:
        access.ROLE_CAPABILITIES = roles
    client.acting_role = access.Role.PRACTITIONER
    client.save(update_fields=["acting_role"])
    return token


def _setup(clinic_name: str) -> None:
    """In a child process: bench_chart's data set state, a token when the data set is complete, and the Observations' count."""
    import django

    django.setup()
    from needlechart.outcomes.models import Measurement

    state = data_set_state(clinic_name)
    if state["ready"]:
        state["token"] = make_token(clinic_name)
        state["counts"]["measurements"] = Measurement.objects.filter(clinic__name=clinic_name).count()
    print(json.dumps(state))


def _profile(clinic_name: str, endpoint: str, calls: str, top: str) -> None:
    """In a child process: ``calls`` calls of one endpoint through Django's test client, in this
    process (bench_chart.profile_in_process); prints the CPU ms a call and the ``top`` functions,
    then the JSON summary."""
    import django

    django.setup()
    from django.test import Client as DjangoClient

    state = data_set_state(clinic_name)
    if not state["ready"]:
        raise SystemExit("no complete data set: run bench_api.py once without --profile")
    token, patients = make_token(clinic_name), state["patients"]
    make = {e.name: e.make for e in endpoints(patients, token)}[endpoint]
    rng = random.Random(7)
    requests = [make(rng) for _ in range(int(calls))]
    plain = profile_in_process(DjangoClient(), requests, int(top))
    print(json.dumps({"endpoint": endpoint, "calls": len(requests), "cpu_ms_per_call": round(plain, 2)}))


def setup(args: argparse.Namespace) -> dict[str, Any]:
    return child_json(__file__, ["_setup", CLINIC], child_env(args))


def endpoints(patients: list[dict[str, Any]], token: str) -> list[Endpoint]:
    api = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    fhir = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}

    def ceiling(rng: random.Random) -> Request:
        return f"/bench/ceiling/{rng.choice(patients)['id']}/", {}, b"ok"

    def patient_read(rng: random.Random) -> Request:
        return f"/api/v1/patients/{rng.choice(patients)['id']}", api, b'"family_name"'

    def patient_search(rng: random.Random) -> Request:
        return f"/api/v1/patients/search?name={quote(name_query(patients, rng))}", api, b'"items"'

    def observation_search(rng: random.Random) -> Request:
        return f"/fhir/Observation?patient={rng.choice(patients)['id']}", fhir, b'"searchset"'

    return [
        Endpoint(CEILING, "ceiling: login + one indexed query", ceiling),
        Endpoint("patient_read", "GET /api/v1/patients/<id>, random patients", patient_read),
        Endpoint("patient_search", "GET /api/v1/patients/search?name=, name prefixes", patient_search),
        Endpoint("observation_search", "GET /fhir/Observation?patient=<id>, first page of 20", observation_search),
    ]


def report(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    ceiling = next(r for r in results if r.name == CEILING)
    rows = [r.summary(ceiling) for r in results]
    print_table(rows)
    checks = []
    for r in results:
        if r.name != CEILING:
            ratio = r.throughput / ceiling.throughput if ceiling.throughput else 0.0
            checks.append((f"{r.name} throughput >= 50% of the ceiling", ratio >= CEILING_RATIO_TARGET, f"{ratio:.0%}"))
    checks += [(f"{r.name}: no errors", r.errors + r.warmup_errors == 0 and r.complete, f"{r.errors} + {r.warmup_errors}") for r in results]
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  ({value})")
    return {**meta, "endpoints": rows, "targets": [{"check": label, "pass": ok, "value": value} for label, ok, value in checks]}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_set_args(parser, postgres_db="needlechart_bench_api", data_dir_name="api-<db>", encounters=50_000)
    parser.set_defaults(patients=5_000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads), default 8")
    parser.add_argument("--requests", type=int, default=1_000, help="measured requests per endpoint, default 1000")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests per endpoint first, default 300")
    parser.add_argument("--rounds", type=int, default=5, help="the endpoints take turns in this many rounds, default 5")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn processes, default one per core plus one")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per endpoint at most, default 300")
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/api-<db>.json")
    parser.add_argument(
        "--profile",
        choices=("patient_read", "patient_search", "observation_search"),
        help="instead of serving: --requests calls of this endpoint in one process (Django's test client) under cProfile"
        " with thread CPU time, on the reused data set; prints the CPU ms a call and the profile",
    )
    parser.add_argument("--profile-top", type=int, default=40, help="functions the profile lists, default 40")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 1 <= args.rounds <= args.requests <= 100_000 and 0 <= args.warmup <= 100_000):
        parser.error("--clients must be 1-64, --rounds 1 to --requests, --requests at most 100000, --warmup 0-100000")
    if not (1 <= args.workers <= 16 and 1 <= args.threads <= 64 and 1 <= args.time_limit <= 3600 and args.patients >= 100):
        parser.error("--workers must be 1-16, --threads 1-64, --time-limit 1-3600, --patients at least 100")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("the sync worker runs one thread: use --worker-class gthread with --threads")
    check_database_args(args, parser, f"api-{args.db}")
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["_setup"]:
        _setup(argv[1])
        return 0
    if argv[:1] == ["_profile"]:
        _profile(*argv[1:5])
        return 0
    args = parse_args(argv)
    if args.profile:
        env = child_env(args) | {"NEEDLECHART_API_RATE_LIMIT_PER_MINUTE": RATE_LIMIT}
        command = [sys.executable, __file__, "_profile", CLINIC, args.profile, str(args.requests), str(args.profile_top)]
        return subprocess.run(command, env=env, check=False).returncode
    state, build_seconds = prepare_data_set(args, setup)
    patients = state["patients"]
    print(f"Data set: {state['counts']}; sampled {len(patients)} patients.", flush=True)
    port, server, signed_in = serve(args, env=child_env(args) | {"NEEDLECHART_API_RATE_LIMIT_PER_MINUTE": RATE_LIMIT})
    api_clients = [Client(port, timeout=30) for _ in range(args.clients)]  # the token, no cookie
    try:
        chosen = endpoints(patients, state["token"])
        meter = CpuMeter(args, server)
        load_before = os.getloadavg()
        results = measure(api_clients, chosen, args, meter, clients_of={CEILING: signed_in})
        meta = {
            "db": args.db,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "data_set": state["counts"],
            "build_seconds": round(build_seconds, 1) if build_seconds else None,
            "server": {"worker_class": args.worker_class, "workers": args.workers, "threads": args.threads},
            "clients": args.clients,
            "requests_per_endpoint": args.requests,
            "rounds": args.rounds,
            "warmup_per_endpoint": args.warmup,
        }
        summary = report(results, meta)
    finally:
        for client in [*signed_in, *api_clients]:
            client.close()
        stop_server(server)
    out = (args.out or RESULTS / f"api-{args.db}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nWrote {out}")
    if args.drop:
        drop_database(args)
    return 0 if all(t["pass"] for t in summary["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
