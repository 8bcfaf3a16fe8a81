"""Load test: many practitioners at once on the 100,000-patient clinic, opening charts, searching
patients by name and signing notes, against the real server.

    .venv/bin/python bench/bench_load.py                  # PostgreSQL needlechart_bench, 32 clients, 60 s
    .venv/bin/python bench/bench_load.py --clients 8 --seconds 30

Uses the synthetic clinic that ``bench_chart.py --db postgres`` builds (run that first; this
script never builds or drops a database). Before the clock it makes ready-to-sign needling
visits for every synthetic practitioner (bench_sessions.ready_visit, as bench_sign.py does; those
the run leaves are signed at the end),
then starts gunicorn as bench_chart.py does (the README's production command line: one process
per core plus one, one thread each), signs every client in through the login form and runs the
mix: each client sends its next request as soon as the last one is answered (a closed loop),
choosing by --mix among a chart (a random patient's chart page), a name search (the HTMX
fragment the search box asks for as a name is typed) and a sign (the POST of a ready visit's
note with ``sign``, as the visit page sends it); --think pauses each client after every answer.
--warmup seconds of the same mix come first, unmeasured. Reports requests, errors, p50/p95/p99
and throughput per kind, the server's CPU time per request (gunicorn and the PostgreSQL
backends) and writes bench/results/load-<db>.json. Targets: no errors, p95 < 200 ms for every
kind. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bench_chart
from bench_chart import CpuMeter, Result, child_env, endpoints, free_port, sample, start_server, stop_server
from bench_data import PASSWORD, RESULTS, check_database_args

P95_TARGET_MS = 200.0
KINDS = ("chart", "search", "sign")


class Client(bench_chart.Client):
    """A signed-in practitioner's browser, with the visits ready for them to sign."""

    def __init__(self, port: int, username: str, visits: queue.SimpleQueue[str]) -> None:
        super().__init__(port, timeout=60)
        self.username, self.visits = username, visits

    def sign(self, encounter: str, rng: random.Random) -> tuple[int, bytes, str]:
        path = f"/encounters/{encounter}/note/"
        form = {
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            "subjective": f"Load test: neck and shoulder pain {rng.randint(2, 8)}/10.",
            "objective": "Taut band, upper trapezius; twitch response.",
            "assessment": "Myofascial pain.",
            "plan": "Needling again in a week.",
            "sign": "1",
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/encounters/{encounter}/"}
        status, body = self.request("POST", path, urlencode(form), headers)
        return status, body, path


def machine_busy() -> float:
    """CPU seconds all the machine's processors have spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _prepare(per_practitioner: int) -> None:
    """In a child process with Django set up: ready visits for every synthetic practitioner, as JSON."""
    import django

    django.setup()
    from bench_data import CLINIC
    from bench_sessions import certify, ready_visit
    from needlechart.clinics.models import User
    from needlechart.core.access import Role
    from needlechart.patients.models import Episode

    rng = random.Random(11)
    ready: dict[str, list[str]] = {}
    for practitioner in User.objects.filter(clinic__name=CLINIC, role=Role.PRACTITIONER).order_by("username"):
        certify(practitioner)
        episodes = list(practitioner.encounters.values_list("episode_id", flat=True)[:5000])
        ready[practitioner.username] = [
            str(ready_visit(practitioner, Episode.objects.select_related("patient").get(pk=rng.choice(episodes)), rng).pk)
            for _ in range(per_practitioner)
        ]
    print(json.dumps(ready))


def _finish() -> None:
    """In a child process with Django set up: sign the ready visits the run left (their ids on stdin),
    so that the bench database keeps no half-documented visits, only signed sessions like its others."""
    import django

    django.setup()
    from needlechart.charting import services as charting
    from needlechart.charting.models import Encounter

    for encounter in Encounter.objects.filter(pk__in=json.load(sys.stdin), note__isnull=True).select_related("practitioner"):
        note = charting.note_save_draft(
            actor=encounter.practitioner, encounter=encounter, subjective="Load test: visit left unsigned by the run."
        )
        charting.note_sign(actor=encounter.practitioner, note=note)


def prepare(args: argparse.Namespace) -> dict[str, list[str]]:
    command = [sys.executable, __file__, "_prepare", str(args.sign_pool)]
    out = subprocess.run(command, env=child_env(args), capture_output=True, text=True, timeout=3600, check=False)
    if out.returncode != 0:
        raise SystemExit(f"Could not prepare the visits to sign:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def finish(args: argparse.Namespace, pools: dict[str, queue.SimpleQueue[str]]) -> int:
    """Sign what is left of the ready visits (after the server has stopped); how many there were."""
    left = [pool.get() for pool in pools.values() for _ in range(pool.qsize())]
    command = [sys.executable, __file__, "_finish"]
    out = subprocess.run(command, env=child_env(args), input=json.dumps(left), capture_output=True, text=True, timeout=3600, check=False)
    if out.returncode != 0:
        raise SystemExit(f"Could not sign the ready visits left:\n{out.stderr[-3000:]}")
    return len(left)


class Load:
    """The clients' shared record of one phase (warm-up or measured)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results = {kind: Result(kind, "") for kind in KINDS}
        self.pool_ran_dry = 0

    def record(self, kind: str, started: float, problem: str) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            result = self.results[kind]
            result.requests += 1
            result.latencies_ms.append(elapsed)
            if problem:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(problem)


def drive(clients: list[Client], seconds: float, mix: dict[str, float], seed: int, make: dict[str, Any], think: float) -> Load:
    """Every client in a closed loop for ``seconds``, choosing each request by ``mix``, pausing
    ``think`` seconds on average (exponentially distributed) after each answer."""
    load = Load()
    deadline = time.monotonic() + seconds

    def run(client: Client, rng: random.Random) -> None:
        while time.monotonic() < deadline:
            kind = rng.choices(list(mix), weights=list(mix.values()))[0]
            if kind == "sign":
                try:
                    encounter = client.visits.get_nowait()
                except queue.Empty:
                    with load.lock:
                        load.pool_ran_dry += 1
                    kind = "chart"
            started = time.perf_counter()
            try:
                if kind == "sign":
                    status, body, path = client.sign(encounter, rng)
                    problem = "" if status == 302 else f"HTTP {status} POST {path}"
                else:
                    path, headers, marker = make[kind](rng)
                    status, body = client.request("GET", path, headers=headers)
                    problem = "" if status == 200 and marker in body else f"HTTP {status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__} {kind}"
            load.record(kind, started, problem)
            if think:
                time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=run, args=(c, random.Random(f"{seed}:{i}"))) for i, c in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in load.results.values():
        result.seconds = time.monotonic() - started
    return load


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/needlechart_bench")
    parser.add_argument("--data-dir", type=Path, help="the server's log (SQLite: the database too), default bench_chart.py's")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, default 32")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds, default 60")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured seconds of the same mix first, default 10")
    parser.add_argument("--mix", default="chart=45,search=45,sign=10", help="weights of the kinds, default chart=45,search=45,sign=10")
    parser.add_argument("--think", type=float, default=0, help="mean seconds a client pauses after each answer, default 0 (none)")
    parser.add_argument(
        "--sign-pool",
        type=int,
        default=120,
        help="ready visits per practitioner (ten of them), default 120; those left are signed at the end",
    )
    cores = os.cpu_count() or 1
    parser.add_argument("--workers", type=int, default=cores + 1, help=f"gunicorn processes, default one per core plus one ({cores + 1})")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="the JSON report, default bench/results/load-<db>.json")
    args = parser.parse_args(argv)
    try:
        args.mix = {kind: float(weight) for kind, weight in (part.split("=") for part in args.mix.split(","))}
    except ValueError:
        parser.error("--mix takes kind=weight pairs: chart=45,search=45,sign=10")
    if not set(args.mix) <= set(KINDS) or not sum(args.mix.values()) > 0:
        parser.error(f"--mix: the kinds are {', '.join(KINDS)}, with weights adding up to more than 0")
    if not (1 <= args.clients <= 128 and 1 <= args.seconds <= 3600 and 0 <= args.warmup <= 600 and 1 <= args.workers <= 16):
        parser.error("--clients must be 1-128, --seconds 1-3600, --warmup 0-600, --workers 1-16")
    if not (0 <= args.sign_pool <= 10_000 and 0 <= args.think <= 60):
        parser.error("--sign-pool must be 0-10000, --think 0-60")
    args.threads, args.worker_class = 1, "sync"  # as the README runs it; start_server reads both
    check_database_args(args, parser, args.db)
    return args


def report(load: Load, warmup: Load, meta: dict[str, Any], cpu: dict[str, float]) -> dict[str, Any]:
    results = [load.results[kind] for kind in KINDS if load.results[kind].requests]
    for result in results:
        result.warmup_errors = warmup.results[result.name].errors
        result.error_samples += warmup.results[result.name].error_samples[:2]
    total = sum(r.requests for r in results)
    seconds = max(r.seconds for r in results)
    print(f"\n{'kind':<8} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8}")
    for r in results:
        print(
            f"{r.name:<8} {r.requests:>8} {r.errors:>6} {r.percentile(50):>8.1f} {r.percentile(95):>8.1f} {r.percentile(99):>8.1f}"
            f" {max(r.latencies_ms):>8.1f} {r.throughput:>8.1f}"
        )
    cpu_ms = {part: round(used * 1000 / max(1, total), 2) for part, used in cpu.items()}
    print(f"{'all':<8} {total:>8} {sum(r.errors for r in results):>6} {'':>35} {total / seconds:>8.1f}")
    print(f"server CPU per request: {cpu_ms} ms (app: gunicorn, db: PostgreSQL backends)")
    print(f"client CPU {meta['client_cpu_seconds']} s; other work on the machine: {meta['other_work_cores']} cores on average")
    checks = [(f"{r.name} p95 < {P95_TARGET_MS:.0f} ms", r.percentile(95) < P95_TARGET_MS, f"{r.percentile(95):.1f} ms") for r in results]
    checks += [(f"{r.name}: no errors", r.errors + r.warmup_errors == 0, f"{r.errors} + {r.warmup_errors} in warm-up") for r in results]
    checks.append(("the ready visits lasted the run", load.pool_ran_dry + warmup.pool_ran_dry == 0, f"{load.pool_ran_dry} signs not sent"))
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  ({value})")
    kinds = [{k: v for k, v in r.summary(None).items() if k not in ("complete", "what", "cpu_ms_per_request")} for r in results]
    summary = {"throughput_rps": round(total / seconds, 1), "requests": total, "cpu_ms_per_request": cpu_ms}
    return {
        **meta,
        "all": summary,
        "kinds": kinds,
        "targets": [{"check": label, "pass": ok, "value": value} for label, ok, value in checks],
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["_prepare"]:
        _prepare(int(argv[1]))
        return 0
    if argv[:1] == ["_finish"]:
        _finish()
        return 0
    args = parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    state = sample(args)
    if not state["ready"]:
        raise SystemExit(f"No complete synthetic clinic in the {args.db} bench database: run bench/bench_chart.py --db {args.db} first.")
    make = {(e.name if e.name != "search_name_htmx" else "search"): e.make for e in endpoints(state["patients"])}
    started = time.monotonic()
    ready = prepare(args) if args.mix.get("sign") else {}
    prepare_seconds = time.monotonic() - started
    print(f"Data set: {state['counts']}; {sum(map(len, ready.values()))} visits ready to sign ({prepare_seconds:.0f} s).", flush=True)
    pools: dict[str, queue.SimpleQueue[str]] = {}
    for username, visits in ready.items():
        pools[username] = queue.SimpleQueue()
        for visit in visits:
            pools[username].put(visit)
    port, log = free_port(), args.data_dir / "server.log"
    server = start_server(args, port, log)
    clients: list[Client] = []
    try:
        usernames = sorted(ready) or [f"synth-p{n:02d}" for n in range(1, 11)]
        for i in range(args.clients):
            username = usernames[i % len(usernames)]
            client = Client(port, username, pools.get(username, queue.SimpleQueue()))
            client.login(username, PASSWORD)
            clients.append(client)
        pause = f", pausing {args.think} s on average" if args.think else ", no pause"
        print(
            f"{args.warmup:.0f} s of warm-up, then {args.seconds:.0f} s measured; {args.clients} clients{pause}, mix {args.mix}", flush=True
        )
        warmup = drive(clients, args.warmup, args.mix, args.seed, make, args.think)
        meter = CpuMeter(args, server)
        load_before, cpu_before, server_before, busy_before = os.getloadavg(), time.process_time(), meter.snapshot(), machine_busy()
        load = drive(clients, args.seconds, args.mix, args.seed + 1, make, args.think)
        cpu = CpuMeter.used(server_before, meter.snapshot())
        client_cpu, busy = time.process_time() - cpu_before, machine_busy() - busy_before
        others = max(0.0, busy - sum(cpu.values()) - client_cpu) / args.seconds
        meta = {
            "db": args.db,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "data_set": state["counts"],
            "server": {"worker_class": "sync", "workers": args.workers, "threads": 1},
            "clients": args.clients,
            "think_seconds": args.think,
            "seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "mix": args.mix,
            "visits_ready": sum(map(len, ready.values())),
            "prepare_seconds": round(prepare_seconds, 1),
            "client_cpu_seconds": round(client_cpu, 1),
            "other_work_cores": round(others, 2),
        }
        summary = report(load, warmup, meta, cpu)
    finally:
        for client in clients:
            client.close()
        stop_server(server)
        print(f"Signed the {finish(args, pools)} ready visits the run left.")
    out = (args.out or RESULTS / f"load-{args.db}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nWrote {out}")
    return 0 if all(t["pass"] for t in summary["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
