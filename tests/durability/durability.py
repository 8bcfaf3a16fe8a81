"""Durability under a crash: no write the server acknowledged is lost when it is killed.

    scripts/durability sqlite
    scripts/durability postgres [--postgres-url postgres://postgres@127.0.0.1:5432/needlechart_durability]

Builds the demo clinic in a database of its own (SQLite: a scratch NEEDLECHART_DATA_DIR; PostgreSQL:
a scratch database, dropped and created here), starts gunicorn as the README runs it in
production (one process per core plus one, one thread each), and runs concurrent clients for
--seconds: practitioners booking visits, signing their notes and creating follow-up links,
patients answering follow-up questions through their links, all through the pages and forms a
browser uses (clients.py). At --kill-at seconds, while requests are in flight, the whole gunicorn
process group is killed with SIGKILL; it is started again at once and the clients go on to the
end. Then every write the server acknowledged is looked up (database.py check) and
``needlechart verify-records`` and ``needlechart verify-audit`` must pass.

Requests in flight at the kill may have been written or not: only acknowledged writes count.
Exit status 1 names every lost write, every answer that was not a success, a failed verification,
or a run that proves nothing (no write acknowledged before the kill or after the restart).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from browse import Browser
from clients import Run, patient, practitioner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEMO_PASSWORD = "needlechart-demo"  # needlechart.web.demo.DEMO_PASSWORD
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MIN_AFTER_RESTART = 5.0  # seconds the clients go on at least once the server is back


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/needlechart_durability")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, half practitioners, half patients (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the run (default 20)")
    parser.add_argument("--kill-at", type=float, default=10, help="seconds into the run to kill the server (default 10)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn processes (default one per core plus one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and data directory")
    args = parser.parse_args(argv)
    if not (2 <= args.clients <= 64 and 0 < args.kill_at < args.seconds <= 600 and 1 <= args.workers <= 16):
        parser.error("--clients must be 2-64, --workers 1-16, and 0 < --kill-at < --seconds <= 600")
    parts = urlsplit(args.postgres_url)
    args.db_name = parts.path.lstrip("/")
    if args.db == "postgres" and (parts.hostname not in LOOPBACK or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name)):
        parser.error("--postgres-url must name a loopback host and a plain database name")
    return args


def child_env(args: argparse.Namespace, data_dir: Path) -> dict[str, str]:
    """The scratch database for every child; other NEEDLECHART_* settings of the caller are not passed on."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("NEEDLECHART_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "needlechart.settings",
        "NEEDLECHART_DATA_DIR": str(data_dir),
        "NEEDLECHART_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",  # the alerts' e-mails, not in the log
        "PYTHONUNBUFFERED": "1",
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = args.postgres_url
    return env


def postgres_admin(args: argparse.Namespace, *statements: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(urlunsplit(urlsplit(args.postgres_url)._replace(path="/postgres")), autocommit=True) as conn:
        for statement in statements:
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(args.db_name)))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in a process group of its own, so that one signal reaches the master and every worker."""

    def __init__(self, port: int, workers: int, env: dict[str, str], log: IO[bytes]) -> None:
        self.port, self.workers, self.env, self.log = port, workers, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        command = [sys.executable, "-m", "gunicorn", "needlechart.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(self.workers), "--threads", "1", "--logger-class", "needlechart.web.logging.AccessLogWithoutSecrets"]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"durability: the server exited with {self.process.returncode}; see {self.log.name}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        raise SystemExit(f"durability: the server did not answer within {timeout:.0f} s; see {self.log.name}")

    def _group_alive(self) -> bool:
        """Whether any process of the group still runs (zombies waiting to be reaped do not)."""
        assert self.process is not None
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid and fields[0] != "Z":
                return True
        return False

    def _signal(self, signum: int, timeout: float) -> bool:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process.poll()
            if not self._group_alive():
                self.process.wait()
                return True
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        if not self._signal(signal.SIGKILL, 10):
            raise SystemExit("durability: gunicorn's processes outlived SIGKILL for 10 s")

    def stop(self) -> None:
        if self.process is not None and not self._signal(signal.SIGTERM, 30):
            self.kill()


def drive(args: argparse.Namespace, server: Server, prepared: dict, report: dict) -> Run:
    """The clients, and the kill in the middle; the run's record."""
    run = Run(server.port, args.seconds)
    for path in prepared["links"]:
        run.links.put(path)
    threads = []
    for n in range(args.clients):
        rng = random.Random(f"durability-{n}")
        if n % 2 == 0:
            username = prepared["practitioners"][(n // 2) % len(prepared["practitioners"])]
            browser = Browser(server.port, run.in_flight)
            browser.sign_in(username, DEMO_PASSWORD)
            target, client_args = practitioner, (run, browser, f"practitioner-{n // 2 + 1}", username, prepared["episodes"], rng)
        else:
            target, client_args = patient, (run, f"patient-{n // 2 + 1}", rng)
        threads.append(threading.Thread(target=target, args=client_args, daemon=True))
    run.started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, args.kill_at - run.clock()))
    waited_until = time.monotonic() + 2
    while run.in_flight.count == 0 and time.monotonic() < waited_until:  # kill under load, not between requests
        time.sleep(0.001)
    report["in_flight"] = run.in_flight.count
    report["killed_at"] = run.clock()
    server.kill()
    server.start()
    report["back_at"] = run.clock()
    run.seconds = max(run.seconds, report["back_at"] + MIN_AFTER_RESTART)  # a slow restart still leaves time to write
    for thread in threads:
        thread.join(timeout=args.seconds + 60)
    if any(thread.is_alive() for thread in threads):
        raise SystemExit("durability: a client did not finish (a request hung for a minute)")
    server.stop()
    return run


def check(env: dict[str, str], run: Run, report: dict, scratch: Path) -> list[str]:
    """Every failure of the run, in words; empty when it passed."""
    writes = run.acknowledged_json()
    report["acknowledged"] = len(writes)
    acked = scratch / "acknowledged.json"
    acked.write_text(json.dumps(writes))
    # The three read the database side by side: the lookup of every acknowledged write and the two verifications.
    children = {
        "lookup": [str(HERE / "database.py"), "check", str(acked)],
        "verify-records": ["-m", "needlechart.cli", "verify-records"],
        "verify-audit": ["-m", "needlechart.cli", "verify-audit"],
    }
    running = {
        name: subprocess.Popen([sys.executable, *command], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, command in children.items()
    }
    done = {name: (child, *child.communicate(timeout=600)) for name, child in running.items()}
    failures = []
    child, out, err = done.pop("lookup")
    if child.returncode != 0:
        failures.append(f"looking up the acknowledged writes failed:\n{err[-3000:]}")
    else:
        lost = json.loads(out)["problems"]
        report["lost"] = len(lost)
        failures += [f"LOST: {problem}" for problem in lost]
    for command, (child, out, err) in done.items():
        report[command] = (out.strip().splitlines() or [err.strip()[-300:]])[-1]
        if child.returncode != 0:
            failures.append(f"needlechart {command} failed:\n{(out + err)[-3000:]}")
    failures += [f"the server answered wrongly at {at:.2f} s: {what}" for at, what in run.wrong]
    for kind in ("note", "answer"):
        if not any(w["kind"] == kind and w["at"] < report["killed_at"] for w in writes):
            failures.append(f"no {kind} was acknowledged before the kill: the run proves nothing")
        if not any(w["kind"] == kind and w["at"] > report["back_at"] for w in writes):
            failures.append(f"no {kind} was acknowledged after the restart: the server did not recover")
    return failures


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix=f"needlechart-durability-{args.db}-"))
    env = child_env(args, scratch)
    report: dict = {}
    failures = ["the run did not finish"]
    server = None
    started = time.monotonic()
    try:
        if args.db == "postgres":
            postgres_admin(args, "DROP DATABASE IF EXISTS {db} WITH (FORCE)", "CREATE DATABASE {db}")
        command = [sys.executable, str(HERE / "database.py"), "prepare", str(scratch / "prepared.json")]
        prepared = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
        if prepared.returncode != 0:
            raise SystemExit(f"durability: building the demo clinic failed:\n{prepared.stderr[-3000:]}")
        report["built_s"] = time.monotonic() - started
        with (scratch / "server.log").open("ab") as log:
            server = Server(free_port(), args.workers, env, log)
            server.start()
            run = drive(args, server, json.loads((scratch / "prepared.json").read_text()), report)
        checking = time.monotonic()
        failures = check(env, run, report, scratch)
        report["checked_s"] = time.monotonic() - checking
    finally:
        if server is not None:
            server.stop()
        if failures or args.keep:
            kept = f"database {args.db_name}, " if args.db == "postgres" else ""
            print(f"durability {args.db}: kept for inspection: {kept}{scratch} (server.log, acknowledged.json)", file=sys.stderr)
        else:
            if args.db == "postgres":
                postgres_admin(args, "DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            shutil.rmtree(scratch, ignore_errors=True)
    kinds = {kind: sum(1 for w in run.writes if w.kind == kind) for kind in ("visit", "note", "link", "answer")}
    cut = sum(1 for at, _what in run.unanswered if report["killed_at"] <= at <= report["back_at"])
    for failure in failures:
        print(f"durability {args.db}: {failure}", file=sys.stderr)
    for at, what in run.unanswered:
        if not report["killed_at"] <= at <= report["back_at"]:
            print(f"durability {args.db}: unanswered at {at:.2f} s, with the server up: {what}", file=sys.stderr)
    print(
        f"durability {args.db}: {', '.join(f'{n} {kind}s' for kind, n in kinds.items())} acknowledged by {args.clients} clients"
        f" in {run.seconds:.0f} s; {report['in_flight']} requests in flight at the kill, {cut} cut or refused until the server"
        f" was back at {report['back_at']:.1f} s; {report.get('verify-records', '-')} {report.get('verify-audit', '-')}"
        f" (demo built in {report['built_s']:.0f} s, checked in {report['checked_s']:.0f} s, {time.monotonic() - started:.0f} s in all)"
    )
    lost = report.get("lost", "?")
    found = report["acknowledged"] - lost if isinstance(lost, int) else "?"
    print(
        f"durability {args.db}: {report['acknowledged']} acknowledged, {found} found, {lost} lost,"
        f" server killed at {report['killed_at']:.1f} s" + (" - FAILED" if failures else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
