"""Latency of the trigger-point suggestion engine over the full atlas.

Run from the project root:

    .venv/bin/python bench/bench_suggest.py [--calls 10000] [--seed 20240611]

Loads the shipped knowledge catalogue (not timed), warms up, then times ``suggest_muscles``,
``suggest_paraspinals`` and the two together (what the chart does for one pain map), each over
``--calls`` calls with a fresh random 10-region pain map per call. Each call is timed on its own
with ``time.perf_counter_ns``. Reports p50/p95/p99/max in milliseconds, the atlas size and the
top-5 accuracy on the clinical vignettes, checks p99 against the target and writes JSON to
``bench/results/suggest.json``. Exits 1 when any measurement misses the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

TARGET_P99_MS = 2.0
REGIONS_PER_MAP = 10
TOP_N = 5
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "suggest.json"


def _setup_django(data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "needlechart.settings"
    os.environ["NEEDLECHART_DATA_DIR"] = data_dir  # never touch the real var/ directory
    import django

    django.setup()


def _percentile(sorted_ns: list[int], percent: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(percent / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1]


def _pain_maps(region_ids: list[str], count: int, seed: int) -> list[dict[str, int]]:
    rng = random.Random(seed)
    return [{region: rng.randint(1, 10) for region in rng.sample(region_ids, REGIONS_PER_MAP)} for _ in range(count)]


def _time_calls(function: Callable[[Mapping[str, int]], Any], maps: list[dict[str, int]]) -> tuple[list[int], list[int]]:
    """Wall-clock (perf_counter_ns) and this thread's CPU time for each call, in ns."""
    wall, cpu = [], []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for pain in maps:
        cpu_start = cpu_clock()
        start = clock()
        function(pain)
        end = clock()
        cpu.append(cpu_clock() - cpu_start)
        wall.append(end - start)
    return wall, cpu


def _summary(wall_ns: list[int], cpu_ns: list[int]) -> dict[str, float]:
    ordered, ordered_cpu = sorted(wall_ns), sorted(cpu_ns)
    ms = 1_000_000
    return {
        "calls": len(ordered),
        "mean_ms": sum(ordered) / len(ordered) / ms,
        "p50_ms": _percentile(ordered, 50) / ms,
        "p95_ms": _percentile(ordered, 95) / ms,
        "p99_ms": _percentile(ordered, 99) / ms,
        "max_ms": ordered[-1] / ms,
        # CPU time spent by this thread: the same calls without time lost to other processes.
        "cpu_p50_ms": _percentile(ordered_cpu, 50) / ms,
        "cpu_p99_ms": _percentile(ordered_cpu, 99) / ms,
    }


def _vignette_accuracy(cat: Any, suggest_muscles: Callable[..., list[Any]]) -> dict[str, Any]:
    misses = []
    for vignette in cat.vignettes.values():
        top = [s.muscle.id for s in suggest_muscles(vignette.pain_map(), limit=TOP_N)]
        if not set(vignette.expected) & set(top):
            misses.append({"vignette": vignette.id, "expected": list(vignette.expected), "top": top})
    total = len(cat.vignettes)
    return {"vignettes": total, "hits": total - len(misses), "accuracy": (total - len(misses)) / total if total else 0.0, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000, help="timed calls per measurement (default 10000)")
    parser.add_argument("--warmup", type=int, default=1_000, help="untimed calls per measurement first (default 1000)")
    parser.add_argument("--seed", type=int, default=20240611, help="seed for the random pain maps")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="where to write the JSON results")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="needlechart-bench-") as data_dir:
        _setup_django(data_dir)
        from needlechart.knowledge.catalog import catalog
        from needlechart.knowledge.suggest import suggest_muscles, suggest_paraspinals

        # Not timed: load and validate the catalogue, and build the suggestion index.
        started = time.perf_counter()
        cat = catalog()
        load_s = time.perf_counter() - started
        region_ids = sorted(cat.regions)

        def both(pain: Mapping[str, int]) -> None:
            suggest_muscles(pain)
            suggest_paraspinals(pain)

        measurements: dict[str, Callable[[Mapping[str, int]], Any]] = {
            "suggest_muscles": suggest_muscles,
            "suggest_paraspinals": suggest_paraspinals,
            "muscles + paraspinals": both,
        }
        warmup_maps = _pain_maps(region_ids, args.warmup, args.seed + 1)
        timed_maps = _pain_maps(region_ids, args.calls, args.seed)
        results = {}
        for name, function in measurements.items():
            _time_calls(function, warmup_maps)
            results[name] = _summary(*_time_calls(function, timed_maps))
        accuracy = _vignette_accuracy(cat, suggest_muscles)

    load_average = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for stats in results.values():
        stats["pass"] = stats["p99_ms"] < TARGET_P99_MS
    passed = all(stats["pass"] for stats in results.values())

    print(f"needlechart suggestion benchmark: {len(cat.muscles)} muscles, {len(cat.regions)} regions ({len(cat.base_regions)} base)")
    print(f"{args.calls} calls each, random {REGIONS_PER_MAP}-region pain maps (seed {args.seed}), {args.warmup} warm-up calls")
    print(f"catalogue load (not timed): {load_s * 1000:.0f} ms; load average {load_average}, {os.cpu_count()} CPUs\n")
    print(f"{'measurement':<24}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cpu p99':>9}  target p99 < {TARGET_P99_MS:g} ms")
    for name, stats in results.items():
        verdict = "PASS" if stats["pass"] else "FAIL"
        figures = "".join(f"{stats[key]:>9.3f}" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "cpu_p99_ms"))
        print(f"{name:<24}{figures}  {verdict}")
    print("(p50-max: wall clock per call; cpu p99: this thread's CPU time, i.e. without time lost to other processes)")
    print(f"\ntop-{TOP_N} vignette accuracy: {accuracy['hits']}/{accuracy['vignettes']} = {accuracy['accuracy']:.1%}")
    for miss in accuracy["misses"]:
        print(f"  miss: {miss['vignette']} expected {', '.join(miss['expected'])}; top {TOP_N}: {', '.join(miss['top'])}")
    print(f"\n{'PASS' if passed else 'FAIL'}: p99 {'<' if passed else 'not <'} {TARGET_P99_MS:g} ms for every measurement")

    report = {
        "benchmark": "suggest",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load_average,
        "calls": args.calls,
        "warmup_calls": args.warmup,
        "seed": args.seed,
        "regions_per_map": REGIONS_PER_MAP,
        "muscles": len(cat.muscles),
        "regions": len(cat.regions),
        "base_regions": len(cat.base_regions),
        "catalogue_load_ms": round(load_s * 1000, 1),
        "target_p99_ms": TARGET_P99_MS,
        "results": {name: {k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()} for name, stats in results.items()},
        "top5_vignette_accuracy": accuracy,
        "pass": passed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {args.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
