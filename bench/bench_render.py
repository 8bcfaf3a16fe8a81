"""What drawing a page costs: the chart, search results, the visit page and the day list, in process.

    .venv/bin/python bench/bench_render.py                       # this tree
    cd /work/before && .venv/bin/python /work/main/bench/bench_render.py   # another tree, same script

Builds a small synthetic clinic (``needlechart synthetic``: 500 patients, 10,000 visits by default)
in a throwaway SQLite database in a new temporary directory (deleted afterwards unless --keep),
signs in as a synthetic practitioner with Django's test Client and times N requests of each page
through Django's whole request path (middleware, session, the view, its reads, the audit row
each page view writes, the template). The pages take turns, in rounds, so that a machine whose
speed drifts weighs on all of them alike. It prints the CPU time of this thread per request
(p50 / p95 / mean, in ms: the figure to compare on a shared machine) and the wall time.

The script runs against whichever needlechart the interpreter imports: the synthetic command is
``needlechart_bench``'s (bench/, ``NEEDLECHART_BENCH=1``) in this tree and ``needlechart.core``'s in
trees from before it moved. The same ``--seed`` on the same day gives the same data set in both,
so two trees' figures compare like with like; ``--dump DIR`` writes one page of each kind to DIR
to compare what they draw. The ``ceiling`` page is bench_chart.py's (needlechart_bench's view: the
middleware, the session, one indexed query), so the chart's cost can be read against it in process;
``--data-dir`` reuses a data set that ``--keep`` kept, instead of building one.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib.util
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CLINIC = "Render clinic"
PASSWORD = "synthetic-password"  # noqa: S105 - the synthetic users' password


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--encounters", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=400, help="timed requests per page (default 400)")
    parser.add_argument("--warmup", type=int, default=60, help="untimed requests per page first (default 60)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated pages: ceiling,chart,search,search_htmx,visit,today")
    parser.add_argument("--dump", type=Path, help="write one page of each kind to this directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--data-dir", type=Path, help="use the data set a --keep run kept there (not built, not deleted)")
    parser.add_argument("--profile", metavar="PAGE", help="profile this page's requests (cProfile, thread CPU time): where it went")
    parser.add_argument("--profile-out", type=Path, help="with --profile: also write the profile to this file (pstats)")
    return parser.parse_args()


def setup_django(data_dir: Path) -> None:
    """Django on a new SQLite database in ``data_dir``; none of the shell's NEEDLECHART_* settings."""
    for name in [k for k in os.environ if k.startswith("NEEDLECHART_") or k == "DATABASE_URL"]:
        del os.environ[name]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="needlechart.settings",
        NEEDLECHART_DATA_DIR=str(data_dir),
        NEEDLECHART_BENCH="1",  # this tree: installs needlechart_bench (the synthetic command)
        NEEDLECHART_IDLE_TIMEOUT_MINUTES="240",
    )
    sys.path.insert(0, str(BENCH))
    import django

    django.setup()


def build(args: argparse.Namespace) -> float:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    options = {"patients": args.patients, "encounters": args.encounters, "seed": args.seed, "clinic": CLINIC, "password": PASSWORD}
    call_command("synthetic", jobs=1, **options)
    return time.perf_counter() - started


def requests_by_page(args: argparse.Namespace) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """For each page, the paths (and headers) to request: drawn from the data set with a fixed seed."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from needlechart.charting.models import Encounter, Note
    from needlechart.clinics.models import Clinic
    from needlechart.patients.models import Patient

    clinic = Clinic.objects.get(name=CLINIC)
    rng = random.Random(args.seed)
    patients = list(Patient.objects.filter(clinic=clinic).order_by("family_name", "given_name", "birth_date", "phone"))
    signed = Note.objects.filter(clinic=clinic, signed_at__isnull=False).values_list("encounter_id", flat=True)
    visits = list(
        Encounter.objects.filter(clinic=clinic, pk__in=signed).order_by("starts_at", "patient__family_name").values_list("pk", flat=True)
    )
    today = timezone.localdate().isoformat()
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}
    names = ("ceiling", "chart", "search", "search_htmx", "visit", "today")
    pages: dict[str, list[tuple[str, dict[str, str]]]] = {name: [] for name in names}
    for _ in range(256):
        patient = rng.choice(patients)
        with contextlib.suppress(NoReverseMatch):  # bench_chart.py's ceiling, in trees whose bench app routes it
            pages["ceiling"].append((reverse("bench_ceiling", args=[patient.pk]), {}))
        pages["chart"].append((reverse("patient_chart", args=[patient.pk]), {}))
        words = f"{patient.family_name[: rng.randint(3, 6)]}"  # the start of a family name, as typed
        pages["search"].append((f"{reverse('patient_list')}?q={words}", {}))
        pages["search_htmx"].append((f"{reverse('patient_list')}?q={words}", htmx))
        pages["visit"].append((reverse("encounter_detail", args=[rng.choice(visits)]), {}))
        pages["today"].append((f"{reverse('today')}?date={today}&all=1", {}))
    if args.only:
        wanted = set(args.only.split(","))
        pages = {name: paths for name, paths in pages.items() if name in wanted}
    return {name: paths for name, paths in pages.items() if paths}


class ChartDrawing:
    """The chart's drawing, timed on its own: how long each chart took to draw (its template here;
    in trees from before the pages app, patients.chart_page's format strings), and the charts
    kept to draw their timeline again alone (the episodes and visits: the loop the page repeats most)."""

    def __init__(self) -> None:
        self.draw: list[float] = []
        self.kept: list[tuple[object, object]] = []
        self.recording = False
        if importlib.util.find_spec("needlechart.pages") is not None:
            self._install_template()
        else:
            self._install_before()

    def _timed(self, draw, request, *args, **kwargs):
        start = time.thread_time_ns()
        response = draw(request, *args, **kwargs)
        if self.recording:
            self.draw.append((time.thread_time_ns() - start) / 1e6)
            if len(self.kept) < 64:
                self.kept.append((request, args))
        return response

    def _install_template(self) -> None:
        from django.template import engines

        from needlechart.pages import chart

        render = chart.render
        chart.render = lambda request, *args, **kwargs: self._timed(render, request, *args, **kwargs)  # type: ignore[assignment]
        source = '{% from "pages/_timeline.html" import episode_timelines with context %}{{ episode_timelines(timeline) }}'
        template = engines["jinja2"].from_string(source)

        def timeline(request, args) -> str:
            _name, context = args[0], args[1]
            return template.render({"timeline": context["timeline"]}, request)

        self.timeline = timeline

    def _install_before(self) -> None:
        from needlechart.patients.templatetags.timeline import episode_timelines

        from needlechart.patients import views

        respond = views.chart_response
        views.chart_response = lambda request, *args, **kwargs: self._timed(respond, request, *args, **kwargs)

        def timeline(request, args) -> str:
            page = args[0]
            context = {"request": request, "user": request.user, "nav": page.nav, "show_clinical": page.show_clinical}
            return episode_timelines(context, page.timeline)

        self.timeline = timeline

    def timelines(self, times: int) -> list[float]:
        """Each kept chart's timeline drawn alone, ``times`` in all: CPU ms per drawing."""
        result = []
        for i in range(times):
            request, args = self.kept[i % len(self.kept)]
            start = time.thread_time_ns()
            self.timeline(request, args)
            result.append((time.thread_time_ns() - start) / 1e6)
        return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    args = parse_args()
    reused = args.data_dir is not None
    data_dir = args.data_dir.resolve() if reused else Path(tempfile.mkdtemp(prefix="needlechart-render-"))
    try:
        setup_django(data_dir)
        import django
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        from needlechart.clinics.models import User

        print(f"needlechart at {Path(sys.modules['needlechart'].__file__).parent}, Django {django.get_version()}, {connection.vendor}")
        if reused:
            print(f"data set: the one kept in {data_dir}")
        else:
            seconds = build(args)
            size = f"{args.patients} patients, {args.encounters} visits (seed {args.seed})"
            print(f"data set: {size}, built in {seconds:.1f} s in {data_dir}")
        assert not settings.DEBUG, "measure with DEBUG off"
        client = Client()
        client.force_login(User.objects.get(username="synth-p01"))
        drawing = ChartDrawing()
        pages = requests_by_page(args)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for name, paths in pages.items():
                path, headers = paths[0]
                (args.dump / f"{name}.html").write_bytes(client.get(path, **headers).content)
        cpu: dict[str, list[float]] = {name: [] for name in pages}
        wall: dict[str, list[float]] = {name: [] for name in pages}
        for name, paths in pages.items():  # warm up: caches, SQLite's pages, the first compile of every template
            for i in range(args.warmup):
                path, headers = paths[i % len(paths)]
                assert client.get(path, **headers).status_code == 200, (name, path)
        per_round = max(1, args.requests // args.rounds)
        drawing.recording = True
        profiler = cProfile.Profile(time.thread_time)  # CPU, not wall: a commit's fsync or a busy machine's waits are not this page's work
        for _round in range(args.rounds):
            for name, paths in pages.items():
                for i in range(per_round):
                    path, headers = paths[(len(cpu[name]) + i) % len(paths)]
                    cpu_start, wall_start = time.thread_time_ns(), time.perf_counter_ns()
                    if name == args.profile:
                        profiler.enable()
                    response = client.get(path, **headers)
                    profiler.disable()
                    cpu[name].append((time.thread_time_ns() - cpu_start) / 1e6)
                    wall[name].append((time.perf_counter_ns() - wall_start) / 1e6)
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: {path} answered {response.status_code}")
        drawing.recording = False
        if drawing.draw:
            cpu["chart: draw"] = drawing.draw
            for _ in range(args.warmup):
                drawing.timelines(1)
            cpu["chart: timeline"] = drawing.timelines(per_round * args.rounds)
        print(f"\n{per_round * args.rounds} timed requests per page after {args.warmup} untimed, in {args.rounds} rounds; ms per request")
        print(f"{'page':<16} {'cpu p50':>8} {'cpu p95':>8} {'cpu mean':>9} {'wall p50':>9} {'wall p95':>9}")
        for name, c in cpu.items():
            w = wall.get(name)
            walls = f" {percentile(w, 0.5):9.2f} {percentile(w, 0.95):9.2f}" if w else f" {'':>9} {'':>9}"
            print(f"{name:<16} {percentile(c, 0.5):8.2f} {percentile(c, 0.95):8.2f} {statistics.fmean(c):9.2f}{walls}")
        print("(chart: draw = drawing the chart within its request; chart: timeline = its episodes and visits drawn alone)")
        if args.profile:
            print(f"\nprofile of {args.profile} (the profiler's own cost inflates the figures)")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
        return 0
    finally:
        if args.keep or reused:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
