"""Benchmark the FHIR export of the 100,000-patient synthetic clinic: resources per second and memory.

    .venv/bin/python bench/bench_fhir_export.py                          # SQLite data set of bench_chart.py --db sqlite
    .venv/bin/python bench/bench_fhir_export.py --db postgres            # PostgreSQL needlechart_bench
    .venv/bin/python bench/bench_fhir_export.py --limit 0 --types Patient  # every patient
    .venv/bin/python bench/bench_fhir_export.py --writer directory --processes 2 --validate on   # as export-fhir writes it

Streams the clinic's resources type by type through ``needlechart.interop.export.clinic_resources``
(chunked reads, the builders, fhir.resources validation when on: the export's StreamValidator, or with
``--validator model`` each resource's model whole, as the export validated before) and writes each as a line of NDJSON
to a scratch file, as a bulk export does; once with validation and once without (``--validate``).
``--limit`` caps the resources per type (default 100,000; 0: all of them), taken in the export's
own order. ``--processes N`` runs the types in N processes at once, as an export job may write its
NDJSON files side by side. Memory is this process's anonymous resident memory (``RssAnon``, which
leaves out the database pages SQLite maps), sampled every 10,000 resources: flat means the last
sample of a long type is no higher than after its first chunks. The data set is not built here:
run ``bench_chart.py --db sqlite`` (or ``--db postgres``) first. Target: 5,000 resources/s, flat
memory. Writes bench/results/fhir-export-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench_data import CLINIC, RESULTS, SCRATCH

TARGET_PER_SECOND = 5_000
SAMPLE_EVERY = 10_000


def use_database(args: argparse.Namespace) -> None:
    """Point Django at the bench database only (no NEEDLECHART_* setting of the shell leaks in)."""
    for name in [k for k in os.environ if k == "DATABASE_URL" or k.startswith("NEEDLECHART_")]:
        del os.environ[name]
    os.environ |= {"DJANGO_SETTINGS_MODULE": "needlechart.settings", "NEEDLECHART_DATA_DIR": str(args.data_dir)}
    if args.db == "postgres":
        os.environ["DATABASE_URL"] = args.postgres_url


def rss_mb() -> float:
    """This process's anonymous resident memory (Python's heap, SQLite's page cache), in MB.

    File-backed pages are left out: SQLite maps up to 256 MB of the database file (settings:
    mmap_size), which shows in VmRSS as pages are read and is the kernel's page cache, not the
    export's memory."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def export_type(task: tuple[dict[str, Any], str, bool]) -> dict[str, Any]:
    """Export one resource type (in this process, or a pool's): count, times, memory samples."""
    settings, resource_type, validate = task
    import django

    os.environ |= settings
    django.setup()
    from needlechart.clinics.models import Clinic
    from needlechart.interop.export import clinic_resources
    from needlechart.interop.validation import validate_resource

    every_part = validate and settings["BENCH_VALIDATOR"] == "model"

    limit, chunk_size = int(settings["BENCH_LIMIT"]), int(settings["BENCH_CHUNK"])
    clinic_id = Clinic.objects.filter(name=CLINIC).values_list("pk", flat=True).get()
    samples = [rss_mb()]
    count = written = 0
    with tempfile.TemporaryFile(mode="w", encoding="utf-8", dir=settings["BENCH_SCRATCH"]) as out:
        wall, cpu = time.perf_counter(), time.process_time()
        for item in clinic_resources(clinic_id, resource_type, chunk_size=chunk_size, validate=validate and not every_part):
            if every_part:
                validate_resource(item)  # as the export validated before export_validation: every part of every resource
            written += out.write(json.dumps(item, separators=(",", ":"), ensure_ascii=False))
            out.write("\n")
            count += 1
            if count % SAMPLE_EVERY == 0:
                samples.append(rss_mb())
            if count == limit:
                break
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples.append(rss_mb())
    return {
        "type": resource_type,
        "validated": validate,
        "resources": count,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "per_second": round(count / wall) if wall else 0,
        "per_cpu_second": round(count / cpu) if cpu else 0,
        "bytes": written,
        "rss_mb": [round(s, 1) for s in samples],
    }


def run(args: argparse.Namespace, types: list[str], validate: bool) -> dict[str, Any]:
    settings = {
        **{k: v for k, v in os.environ.items() if k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL") or k.startswith("NEEDLECHART_")},
        "BENCH_LIMIT": str(args.limit),
        "BENCH_CHUNK": str(args.chunk_size),
        "BENCH_SCRATCH": str(args.scratch),
        "BENCH_VALIDATOR": args.validator,
    }
    tasks = [(settings, t, validate) for t in types]
    started = time.perf_counter()
    if args.processes > 1:
        from django.db import connections

        connections.close_all()  # forked workers must not share this process's connection (PostgreSQL: one socket)
        with ProcessPoolExecutor(max_workers=args.processes) as pool:
            per_type = list(pool.map(export_type, tasks))
    else:
        per_type = [export_type(task) for task in tasks]
    wall = time.perf_counter() - started
    total = sum(r["resources"] for r in per_type)
    cpu = sum(r["cpu_seconds"] for r in per_type)
    return {
        "validated": validate,
        "validator": args.validator if validate else None,
        "processes": args.processes,
        "resources": total,
        "seconds": round(wall, 1),
        "per_second": round(total / wall),
        "per_cpu_second": round(total / cpu) if cpu else 0,
        "load_average_after": os.getloadavg(),
        "peak_rss_mb": max(max(r["rss_mb"]) for r in per_type),
        "types": per_type,
    }


def run_directory(args: argparse.Namespace, types: list[str], validate: bool) -> dict[str, Any]:
    """The export as ``needlechart export-fhir`` writes it (interop.export_files.export_to_directory:
    every row, its NDJSON files and manifest, fsyncs, ``--processes`` forked writers), into a scratch
    directory: wall time, and the CPU of this process and its children."""
    import shutil

    from needlechart.clinics.models import Clinic
    from needlechart.interop.export_files import export_to_directory, prepare_directory

    clinic_id = Clinic.objects.filter(name=CLINIC).values_list("pk", flat=True).get()
    out = args.scratch / f"export-{'validated' if validate else 'unvalidated'}"
    manifest = prepare_directory(out, clinic_id, types)
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    manifest = export_to_directory(out, clinic_id, manifest, validate=validate, chunk_size=args.chunk_size, processes=args.processes)
    wall = time.perf_counter() - started
    mine_after, children_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in ((mine, mine_after), (children, children_after)))
    shutil.rmtree(out)
    total = sum(entry["count"] for entry in manifest["files"].values())
    return {
        "writer": "directory",
        "validated": validate,
        "processes": args.processes,
        "resources": total,
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "per_second": round(total / wall),
        "per_cpu_second": round(total / cpu) if cpu else 0,
        "load_average_after": os.getloadavg(),
        # ru_maxrss: the largest resident set of this process or of one child (SQLite's mapped pages included)
        "max_rss_mb_with_mapped_pages": round(max(mine_after.ru_maxrss, children_after.ru_maxrss) / 1024, 1),
        "types": [{"type": t, "resources": e["count"], "bytes": e["bytes"]} for t, e in manifest["files"].items()],
    }


def report(result: dict[str, Any]) -> None:
    if result.get("writer") == "directory":
        label = "validated" if result["validated"] else "not validated"
        print(
            f"\n{label}, export_to_directory with {result['processes']} process(es): {result['resources']:,} resources in"
            f" {result['seconds']} s, {result['cpu_seconds']} CPU s: {result['per_second']:,}/s"
            f" ({'PASS' if result['per_second'] >= TARGET_PER_SECOND else 'FAIL'}, target {TARGET_PER_SECOND:,}),"
            f" {result['per_cpu_second']:,} per CPU second; max RSS {result['max_rss_mb_with_mapped_pages']} MB (mapped pages included)"
        )
        return
    label = "validated" if result["validated"] else "not validated"
    print(f"\n{label}, {result['processes']} process(es): {result['resources']:,} resources in {result['seconds']} s")
    print(f"{'type':<22} {'resources':>10} {'/s':>7} {'/cpu s':>7} {'size':>7}  anon RSS MB start, after 10k -> max -> last")
    for r in result["types"]:
        rss = r["rss_mb"]
        size = r["bytes"] / max(r["resources"], 1) / 1024
        print(
            f"{r['type']:<22} {r['resources']:>10,} {r['per_second']:>7,} {r['per_cpu_second']:>7,} {size:>6.2f}K"
            f"  {rss[0]}, {rss[1] if len(rss) > 2 else rss[0]} -> {max(rss)} -> {rss[-1]}"
        )
    verdict = "PASS" if result["per_second"] >= TARGET_PER_SECOND else "FAIL"
    print(
        f"overall {result['per_second']:,} resources/s (target {TARGET_PER_SECOND:,}): {verdict};"
        f" {result['per_cpu_second']:,} per CPU second; peak anon RSS {result['peak_rss_mb']} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/needlechart_bench")
    parser.add_argument("--data-dir", type=Path, default=SCRATCH / "sqlite", help="the SQLite data set's directory")
    parser.add_argument("--types", default="", help="comma-separated resource types (default: all)")
    parser.add_argument("--limit", type=int, default=100_000, help="resources per type at most; 0: all (default 100,000)")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--validate", choices=("both", "on", "off"), default="both")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--writer",
        choices=("stream", "directory"),
        default="stream",
        help="stream: clinic_resources to a scratch file per type, --limit each, memory sampled; directory: export_to_directory"
        " as export-fhir writes it (every row, files, manifest, fsyncs, --processes forked writers)",
    )
    parser.add_argument(
        "--validator",
        choices=("stream", "model"),
        default="stream",
        help="stream: the export's own (interop.export_validation); model: fhir.resources' model on every resource whole, as before",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.data_dir = args.data_dir.resolve()
    args.scratch = Path(tempfile.mkdtemp(prefix="fhir-export-", dir=SCRATCH))
    use_database(args)
    import django

    django.setup()
    from needlechart.audit.models import AuditEvent
    from needlechart.interop.export import RESOURCE_TYPES

    built = AuditEvent.objects.filter(object_type="synthetic_data_set").order_by("-pk").values_list("detail", flat=True).first()
    if built is None:
        parser.error("no synthetic data set in that database: build it with bench/bench_chart.py first")
    types = [t for t in args.types.split(",") if t] or list(RESOURCE_TYPES)
    unknown = sorted(set(types) - set(RESOURCE_TYPES))
    if unknown:
        parser.error(f"unknown resource types: {', '.join(unknown)}")
    runner = run_directory if args.writer == "directory" else run
    runs = [runner(args, types, validate) for validate in {"both": (True, False), "on": (True,), "off": (False,)}[args.validate]]
    for result in runs:
        report(result)
    args.scratch.rmdir()
    out = args.out or RESULTS / f"fhir-export-{args.db}.json"
    summary = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
        "data_set": built,
        "command": " ".join(sys.argv),
        "limit_per_type": args.limit,
        "chunk_size": args.chunk_size,
        "max_rss_mb_of_this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "runs": runs,
    }
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")
    return 0 if all(r["per_second"] >= TARGET_PER_SECOND for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
