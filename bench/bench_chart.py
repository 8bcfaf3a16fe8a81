"""Benchmark patient search and the patient chart against a large synthetic clinic.

    .venv/bin/python bench/bench_chart.py --db sqlite      # or --db postgres

Builds (or, with --reuse, reuses) a data set of 100,000 patients and 1,000,000 encounters
with ``needlechart synthetic`` in a database of its own, starts the real server (gunicorn,
one process per core plus one, one thread each) on a free loopback port, signs each client in through the login
form, then drives every endpoint from concurrent keep-alive clients and reports latency
percentiles and throughput, against a ceiling: a minimal authenticated view doing one
indexed query. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench_data import (
    CLINIC,
    PASSWORD,
    RESULTS,
    ROOT,
    add_data_set_args,
    bench_app_env,
    build,
    check_database_args,
    claim_data_dir,
    drop_database,
    reset_database,
)

CHART_P95_TARGET_MS = 50.0
CEILING_RATIO_TARGET = 0.5
SAMPLE_SIZE = 5_000
CEILING = "ceiling"


# --- the data set --------------------------------------------------------------------------


def child_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of every child process: the bench database, needlechart_bench (so the ceiling view) on."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("NEEDLECHART_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "needlechart.settings",
        "NEEDLECHART_DATA_DIR": str(args.data_dir),
        "NEEDLECHART_IDLE_TIMEOUT_MINUTES": "240",  # a long run must not sign the clients out
        "PYTHONUNBUFFERED": "1",
        "NEEDLECHART_CONN_MAX_AGE": "3600",  # PostgreSQL: the same backends all run long, so their CPU can be measured
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = args.postgres_url
    return bench_app_env(env)


def child_json(script: str, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``script argv`` in a child process (Django set up there) and read the JSON it prints last."""
    out = subprocess.run([sys.executable, script, *argv], env=env, capture_output=True, text=True, timeout=300, check=False)
    if out.returncode != 0:
        raise SystemExit(f"Could not read the bench database:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def sample(args: argparse.Namespace) -> dict[str, Any]:
    """Ask a child process what the database holds (runs ``_sample`` below)."""
    return child_json(__file__, ["_sample", CLINIC], child_env(args))


def _sample(clinic_name: str) -> None:
    """In a child process: print ``data_set_state``."""
    import django

    django.setup()
    print(json.dumps(data_set_state(clinic_name)))


def data_set_state(clinic_name: str) -> dict[str, Any]:
    """With Django set up: whether the data set is complete, its size and a random sample of patients."""
    from django.core.management import call_command

    from needlechart.audit.models import AuditEvent
    from needlechart.charting.models import Encounter, Note
    from needlechart.clinics.models import Clinic
    from needlechart.patients.models import Patient, PatientIdentifier

    call_command("migrate", verbosity=0, interactive=False)
    clinic = Clinic.objects.filter(name=clinic_name).first()
    done = clinic is not None and AuditEvent.objects.filter(clinic_id=clinic.pk, object_type="synthetic_data_set").exists()
    result: dict[str, Any] = {"clinic_exists": clinic is not None, "ready": done}
    if clinic is not None and done:
        ids = list(Patient.objects.filter(clinic=clinic).values_list("id", flat=True))
        chosen = random.Random(1).sample(ids, min(SAMPLE_SIZE, len(ids)))
        nins = dict(PatientIdentifier.objects.filter(patient_id__in=chosen).values_list("patient_id", "value"))
        patients = Patient.objects.filter(pk__in=chosen)
        result["patients"] = [
            {"id": str(p.pk), "given": p.given_name, "family": p.family_name, "birth": p.birth_date.isoformat(), "nin": nins.get(p.pk)}
            for p in patients
        ]
        result["counts"] = {
            "patients": len(ids),
            "encounters": Encounter.objects.filter(clinic=clinic).count(),
            "notes": Note.objects.filter(clinic=clinic).count(),
        }
    return result


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: argparse.Namespace, port: int, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """gunicorn with ``env`` (default ``child_env(args)``), once it answers /healthz."""
    command = [sys.executable, "-m", "gunicorn", "needlechart.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--worker-class", args.worker_class, "--workers", str(args.workers), "--threads", str(args.threads)]
    with log.open("ab") as out:  # the server's own log and Django's errors
        server = subprocess.Popen(command, env=env or child_env(args), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server exited with {server.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"The server did not answer within 60 s; see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class CpuMeter:
    """CPU seconds used by the server's processes: gunicorn's and, on PostgreSQL, the backends
    serving it. Unlike latency, this does not change when other work shares the machine."""

    def __init__(self, args: argparse.Namespace, server: subprocess.Popen[bytes]) -> None:
        self.server_pid, self.db_url = server.pid, args.postgres_url if args.db == "postgres" else None

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def _app_pids(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.server_pid:
                    children.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        return [self.server_pid, *children]

    def _db_pids(self) -> list[int]:
        if self.db_url is None:
            return []
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return [row[0] for row in rows]

    def snapshot(self) -> dict[str, dict[int, float]]:
        return {"app": {p: self._cpu(p) for p in self._app_pids()}, "db": {p: self._cpu(p) for p in self._db_pids()}}

    @staticmethod
    def used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        return {part: sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items()) for part in after}


# --- the clients ---------------------------------------------------------------------------


class Client:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        for attempt in (1, 2):  # the server closes idle keep-alive connections; reconnect once
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest, http.client.BadStatusLine):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"Login page: HTTP {status}, no CSRF token")
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/accounts/login/"}
        status, _ = self.request("POST", "/accounts/login/", form, headers)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"Signing in as {username} failed: HTTP {status}")

    def close(self) -> None:
        self.conn.close()


def signed_in_clients(port: int, count: int) -> list[Client]:
    """``count`` clients, each signed in as one of the synthetic practitioners in turn."""
    clients = []
    try:
        for i in range(count):
            client = Client(port, timeout=30)
            clients.append(client)
            client.login(f"synth-p{i % 10 + 1:02d}", PASSWORD)
    except BaseException:
        for client in clients:
            client.close()
        raise
    return clients


def prepare_data_set(
    args: argparse.Namespace,
    state_of: Callable[[argparse.Namespace], dict[str, Any]],
    *,
    add: Callable[[argparse.Namespace], float] | None = None,
) -> tuple[dict[str, Any], float | None]:
    """Every benchmark's start: claim the data dir; with ``--reuse`` keep the data set when ``state_of``
    finds it complete (``"ready"``), else build it anew (``needlechart synthetic``, then ``add``, which
    returns its seconds). The data set's state and the seconds the build took (None: reused)."""
    claim_data_dir(args.data_dir)
    state = state_of(args) if args.reuse else {"ready": False}
    if state["ready"]:
        return state, None
    if args.reuse:
        print("No complete data set to reuse; building one.")
    reset_database(args)
    build_seconds = build(args, env=child_env(args))
    if add is not None:
        build_seconds += add(args)
    print(f"Data set built in {build_seconds:.1f} s.", flush=True)
    return state_of(args), build_seconds


def serve(args: argparse.Namespace, env: dict[str, str] | None = None) -> tuple[int, subprocess.Popen[bytes], list[Client]]:
    """gunicorn on a free port (``start_server``, its log in the data dir) and ``args.clients`` clients
    signed in as the practitioners: the port, the server and the clients (the caller closes them and
    stops the server; a failed sign-in stops it here)."""
    port = free_port()
    server = start_server(args, port, args.data_dir / "server.log", env=env)
    try:
        return port, server, signed_in_clients(port, args.clients)
    except BaseException:
        stop_server(server)
        raise


Request = tuple[str, dict[str, str], bytes]  # path, headers, a string the answer must contain


@dataclass
class Endpoint:
    name: str
    what: str
    make: Callable[[random.Random], Request]


HTMX = {"HX-Request": "true", "HX-Target": "search-results"}


def profile_in_process(client: Any, requests: list[Request], top: int) -> float:
    """``requests`` through a Django test ``client`` in this process (a fifth of them first as a
    warm-up), timed with this thread's CPU clock, then again under cProfile with the same clock;
    prints the ``top`` functions by cumulative and by own time to stderr and returns the CPU ms a
    request took unprofiled (with SQLite that includes the database's work, with PostgreSQL not)."""
    import cProfile
    import pstats

    def run(batch: list[Request]) -> None:
        for path, headers, expect in batch:
            answer = client.get(path, headers=headers)
            if answer.status_code != 200 or expect not in answer.content:
                raise SystemExit(f"{path}: {answer.status_code} {answer.content[:300]!r}")

    run(requests[: max(1, len(requests) // 5)])
    started = time.thread_time()
    run(requests)
    plain = (time.thread_time() - started) / len(requests) * 1000
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    run(requests)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return plain


def name_query(patients: list[dict[str, Any]], rng: random.Random) -> str:
    """What someone types to find one of the patients: the start of a family name, family and given, or a given name."""
    p = rng.choice(patients)
    family, given = p["family"].split()[0].split("-")[0], p["given"].split()[0].split("-")[0]
    kind = rng.random()
    if kind < 0.5:  # the start of the family name, as typed
        return family[: rng.randint(3, len(family))]
    if kind < 0.8:  # family and given name
        return f"{family} {given[: rng.randint(2, len(given))]}"
    return given[: rng.randint(3, len(given))]


def endpoints(patients: list[dict[str, Any]]) -> list[Endpoint]:
    def names(rng: random.Random) -> str:
        return name_query(patients, rng)

    def search(text: Callable[[random.Random], str], partial: bool) -> Callable[[random.Random], Request]:
        marker = b'class="' if partial else b'id="search-results"'  # the fragment alone, or the page around it
        return lambda rng: (f"/patients/?q={quote(text(rng))}", HTMX if partial else {}, marker)

    def birth(rng: random.Random) -> str:
        year, month, day = rng.choice(patients)["birth"].split("-")
        return f"{day}.{month}.{year}"

    numbers = [p["nin"] for p in patients if p["nin"]]

    def nin(rng: random.Random) -> str:
        return rng.choice(numbers)

    def chart(rng: random.Random) -> Request:
        return f"/patients/{rng.choice(patients)['id']}/", {}, b'id="patient-name"'

    def ceiling(rng: random.Random) -> Request:
        return f"/bench/ceiling/{rng.choice(patients)['id']}/", {}, b"ok"

    return [
        Endpoint(CEILING, "ceiling: login + one indexed query", ceiling),
        Endpoint("search_name_htmx", "search by name prefix, HTMX fragment", search(names, True)),
        Endpoint("search_name_page", "search by name prefix, full page", search(names, False)),
        Endpoint("search_birth_htmx", "search by date of birth, HTMX fragment", search(birth, True)),
        Endpoint("search_birth_page", "search by date of birth, full page", search(birth, False)),
        Endpoint("search_nin_htmx", "search by identity number, HTMX fragment", search(nin, True)),
        Endpoint("search_nin_page", "search by identity number, full page", search(nin, False)),
        Endpoint("chart", "patient chart page, random patients", chart),
    ]


@dataclass
class Result:
    name: str
    what: str
    requests: int = 0
    errors: int = 0
    warmup_errors: int = 0
    seconds: float = 0.0
    complete: bool = True
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # server CPU: app (gunicorn), db (PostgreSQL backends)

    def add(self, part: Result) -> None:
        """Count another round of this endpoint's requests in."""
        self.requests += part.requests
        self.errors += part.errors
        self.seconds += part.seconds
        self.complete = self.complete and part.complete
        self.latencies_ms += part.latencies_ms
        self.error_samples += part.error_samples[: max(0, 5 - len(self.error_samples))]
        for key, seconds in part.cpu_seconds.items():
            self.cpu_seconds[key] = self.cpu_seconds.get(key, 0.0) + seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU time per request, application and database together."""
        return sum(self.cpu_seconds.values()) * 1000 / self.requests if self.requests else float("nan")

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self, ceiling: Result | None) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("latencies_ms", "cpu_seconds")}
        data |= {f"p{q}_ms": round(self.percentile(q), 2) for q in (50, 95, 99)}
        data["mean_ms"] = round(sum(self.latencies_ms) / max(1, len(self.latencies_ms)), 2)
        data["max_ms"] = round(max(self.latencies_ms, default=0), 2)
        data |= {"throughput_rps": round(self.throughput, 1), "seconds": round(self.seconds, 2)}
        data["cpu_ms_per_request"] = {part: round(cpu * 1000 / max(1, self.requests), 2) for part, cpu in self.cpu_seconds.items()}
        data["cpu_ms_per_request"]["total"] = round(self.cpu_ms, 2)
        if ceiling is not None:
            data["ratio_to_ceiling"] = round(self.throughput / ceiling.throughput, 3) if ceiling.throughput else None
            data["cpu_ratio_to_ceiling"] = round(ceiling.cpu_ms / self.cpu_ms, 3) if self.cpu_ms else None
        return data


def drive(clients: list[Client], endpoint: Endpoint, count: int, time_limit: float, seed: int, meter: CpuMeter) -> Result:
    """``count`` requests shared by all clients, as fast as they are answered, within ``time_limit``."""
    result = Result(endpoint.name, endpoint.what)
    cpu_before = meter.snapshot()
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + time_limit

    def run(client: Client, rng: random.Random) -> None:
        nonlocal issued
        while True:
            with lock:
                if issued >= count or time.monotonic() > deadline:
                    return
                issued += 1
            path, headers, marker = endpoint.make(rng)
            started = time.perf_counter()
            try:
                status, body = client.request("GET", path, headers=headers)
                problem = "" if status == 200 and marker in body else f"HTTP {status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__} {path}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result.requests += 1
                result.latencies_ms.append(elapsed)
                if problem:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(problem)

    threads = [threading.Thread(target=run, args=(c, random.Random(f"{seed}:{endpoint.name}:{i}"))) for i, c in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    result.complete = result.requests >= count
    result.cpu_seconds = CpuMeter.used(cpu_before, meter.snapshot())
    return result


def measure(
    clients: list[Client],
    chosen: list[Endpoint],
    args: argparse.Namespace,
    meter: CpuMeter,
    clients_of: dict[str, list[Client]] | None = None,
) -> list[Result]:
    """Warm every endpoint up (``args.warmup`` requests, not counted), then measure ``args.requests`` of each in
    ``args.rounds`` rounds within ``args.time_limit`` seconds each; ``clients_of`` names endpoints other clients drive."""
    results = []
    for endpoint in chosen:
        print(f"{endpoint.name}: {args.warmup} warm-up requests, {len(clients)} clients", flush=True)
        warmup = drive((clients_of or {}).get(endpoint.name, clients), endpoint, args.warmup, args.time_limit, args.seed + 1, meter)
        results.append(Result(endpoint.name, endpoint.what, warmup_errors=warmup.errors, error_samples=warmup.error_samples[:2]))
    # The endpoints take turns, a share of their requests each round, so that a machine whose
    # speed drifts (other work, a busy neighbour) weighs on all of them alike.
    for round_ in range(args.rounds):
        print(f"round {round_ + 1} of {args.rounds}: {', '.join(e.name for e in chosen)}", flush=True)
        for endpoint, result in zip(chosen, results, strict=True):
            share = (args.requests * (round_ + 1)) // args.rounds - (args.requests * round_) // args.rounds
            time_limit = args.time_limit / args.rounds
            driving = (clients_of or {}).get(endpoint.name, clients)
            result.add(drive(driving, endpoint, share, time_limit, args.seed + 1000 * round_, meter))
    return results


# --- report --------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]]) -> None:
    """The endpoints' summaries (``Result.summary`` with a ceiling) as a table."""
    print(
        f"\n{'endpoint':<19} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'÷ ceiling':>9}", end=""
    )
    print(f" {'CPU ms/req':>10} {'ceiling ÷':>9}")
    for row in rows:
        print(
            f"{row['name']:<19} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f}"
            f" {row['throughput_rps']:>8.1f} {row['ratio_to_ceiling']:>9.0%}"
            f" {row['cpu_ms_per_request']['total']:>10.1f} {row['cpu_ratio_to_ceiling'] or 0:>9.0%}"
        )
    print("(CPU ms/req: server CPU time per request, app + database; 'ceiling ÷': the ceiling's CPU cost over this one's.)")


def report(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    ceiling = next(r for r in results if r.name == CEILING)
    rows = [r.summary(ceiling) for r in results]
    print_table(rows)
    chart = next(r for r in results if r.name == "chart")
    checks = [("chart page p95 < 50 ms", chart.percentile(95) < CHART_P95_TARGET_MS, f"{chart.percentile(95):.1f} ms")]
    for r in results:
        if r.name != CEILING:
            ratio = r.throughput / ceiling.throughput if ceiling.throughput else 0.0
            checks.append((f"{r.name} throughput >= 50% of the ceiling", ratio >= CEILING_RATIO_TARGET, f"{ratio:.0%}"))
    checks += [
        (
            f"{r.name}: no errors, all requests done",
            r.errors + r.warmup_errors == 0 and r.complete,
            f"{r.errors} + {r.warmup_errors} in warm-up",
        )
        for r in results
    ]
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  ({value})")
    return {**meta, "endpoints": rows, "targets": [{"check": label, "pass": ok, "value": value} for label, ok, value in checks]}


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_set_args(parser, postgres_db="needlechart_bench", data_dir_name="<db>", encounters=1_000_000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads), default 8")
    parser.add_argument("--requests", type=int, default=1_000, help="measured requests per endpoint, default 1000")
    # Each gunicorn process keeps its own SQLite page cache: a new process's first thousand charts
    # cost about twice what later ones do, so the run is measured once the caches are warm.
    parser.add_argument("--warmup", type=int, default=1000, help="unmeasured requests per endpoint first, default 1000")
    parser.add_argument("--rounds", type=int, default=5, help="the endpoints take turns in this many rounds, default 5")
    cores = os.cpu_count() or 1
    parser.add_argument("--workers", type=int, default=cores + 1, help=f"gunicorn processes, default one per core plus one ({cores + 1})")
    parser.add_argument("--threads", type=int, default=1, help="threads per process, default 1")
    parser.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        default="sync",
        help="gunicorn's worker class, default sync (what the README's production command runs with one thread)",
    )
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per endpoint at most, default 300")
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/chart-<db>.json")
    parser.add_argument("--only", help="comma-separated endpoint names (the ceiling and chart always run)")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 1 <= args.requests <= 100_000 and 0 <= args.warmup <= 100_000):
        parser.error("--clients must be 1-64, --requests 1-100000, --warmup 0-100000")
    if not (1 <= args.workers <= 16 and 1 <= args.threads <= 64 and 1 <= args.time_limit <= 3600):
        parser.error("--workers must be 1-16, --threads 1-64, --time-limit 1-3600")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("the sync worker runs one thread: use --worker-class gthread with --threads")
    if not 1 <= args.rounds <= args.requests:
        parser.error("--rounds must be 1 to --requests")
    check_database_args(args, parser, args.db)
    return args


def settle(args: argparse.Namespace) -> float:
    """On PostgreSQL, vacuum and analyse the bench database before measuring, as autovacuum does
    soon after a load in production; the seconds it took (0 on SQLite).

    The reference server runs with autovacuum off, and ``needlechart synthetic`` only analyses its
    tables: without a vacuum no page is marked all-visible, so every index-only scan (the name and
    birth-date searches read only their covering indexes) visits the table for each row it finds:
    100 heap fetches a name search, about 0.06 ms of the database's CPU (bench/README.md, 2026-12-03).
    Every run, not only after a build: a set built before this step, and the audit rows each run
    appends, are vacuumed too (a few seconds once vacuumed).
    """
    if args.db != "postgres":
        return 0.0
    import psycopg

    started = time.monotonic()
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:  # VACUUM cannot run in a transaction
        conn.execute("VACUUM (ANALYZE)")
    seconds = time.monotonic() - started
    print(f"Vacuumed and analysed the bench database in {seconds:.1f} s.", flush=True)
    return seconds


def main(argv: list[str]) -> int:
    if argv[:1] == ["_sample"]:
        _sample(argv[1])
        return 0
    args = parse_args(argv)
    state, build_seconds = prepare_data_set(args, sample)
    settle_seconds = settle(args)
    patients = state["patients"]
    print(f"Data set: {state['counts']}; sampled {len(patients)} patients.", flush=True)
    _port, server, clients = serve(args)
    try:
        chosen = endpoints(patients)
        if args.only:
            wanted = {CEILING, "chart", *args.only.split(",")}
            chosen = [e for e in chosen if e.name in wanted]
        meter = CpuMeter(args, server)
        load_before = os.getloadavg()
        cpu_before = time.process_time()
        results = measure(clients, chosen, args, meter)
        meta = {
            "db": args.db,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "data_set": state["counts"],
            "build_seconds": round(build_seconds, 1) if build_seconds else None,
            "vacuum_seconds": round(settle_seconds, 1) if args.db == "postgres" else None,
            "server": {"worker_class": args.worker_class, "workers": args.workers, "threads": args.threads},
            "clients": args.clients,
            "requests_per_endpoint": args.requests,
            "rounds": args.rounds,
            "warmup_per_endpoint": args.warmup,
            "client_cpu_seconds": round(time.process_time() - cpu_before, 1),
        }
        summary = report(results, meta)
    finally:
        for client in clients:
            client.close()
        stop_server(server)
    out = (args.out or RESULTS / f"chart-{args.db}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nWrote {out}")
    if args.drop:
        drop_database(args)
    return 0 if all(t["pass"] for t in summary["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
