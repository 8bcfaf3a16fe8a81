"""The published benchmarks load, carry the figures of the papers, each with a source, and a
broken benchmarks file fails with a message naming the entry. No database is needed."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlechart.content import ContentError as KnowledgeDataError
from needlechart.outcomes.benchmarks import load_benchmarks, published_benchmarks
from needlechart.outcomes.instrument_loading import CONDITIONS, DATA_DIR, outcome_sources


@pytest.fixture(scope="module")
def benchmarks():
    return published_benchmarks()


def test_adverse_event_studies(benchmarks):
    brady, boyce = benchmarks.adverse_events
    assert (brady.id, brady.source, brady.sessions) == ("brady_2014", "brady-2014", 7629)
    assert brady.rate("mild").percent == 19.18
    assert (brady.rate("significant").events, brady.rate("significant").percent, brady.rate("significant").upper_percent) == (0, 0, 0.04)
    assert (boyce.id, boyce.source, boyce.sessions) == ("boyce_2020", "boyce-2020", 20464)
    assert boyce.rate("mild").percent == 36.7
    assert boyce.rate("significant").events == 20
    assert boyce.rate("significant").percent == pytest.approx(100 * 20 / 20464)
    assert boyce.rate("significant").percent < 0.1
    assert brady.rate("serious") is None


FIGURES = {  # id: (source, conditions, outcome, measure, estimate, ci_low, ci_high)
    "liu_2015_pain_short": ("liu-2015", ("neck", "shoulder"), "pain", "smd", -1.91, -3.10, -0.73),
    "liu_2015_pain_medium": ("liu-2015", ("neck", "shoulder"), "pain", "smd", -1.07, -1.87, -0.27),
    "navarro_santana_2020_pain_immediate": ("navarro-santana-2020", ("neck",), "pain", "md_nprs", -1.53, -2.29, -0.76),
    "navarro_santana_2020_pain_short": ("navarro-santana-2020", ("neck",), "pain", "md_nprs", -2.31, -3.64, -0.99),
    "navarro_santana_2020_disability_short": ("navarro-santana-2020", ("neck",), "disability", "smd", -0.87, -1.60, -0.14),
    "gattie_2017_pain": ("gattie-2017", ("neck", "shoulder", "low_back", "other"), "pain", "smd", -0.70, -1.06, -0.34),
    "liu_2018_pain": ("liu-2018", ("low_back",), "pain", "smd", -1.06, -1.77, -0.36),
    "liu_2018_disability": ("liu-2018", ("low_back",), "disability", "smd", -0.76, -1.46, -0.06),
    "pourahmadi_2021_disability_tension_type": ("pourahmadi-2021", ("headache",), "disability", "smd", -2.28, None, None),
    "pourahmadi_2021_disability_cervicogenic": ("pourahmadi-2021", ("headache",), "disability", "smd", -0.72, None, None),
    "kietrys_2013_pain": ("kietrys-2013", ("neck", "shoulder"), "pain", "grade", None, None, None),
}


def test_meta_analysis_figures(benchmarks):
    figures = {figure.id: figure for figure in benchmarks.meta_analyses}
    assert set(figures) == set(FIGURES)
    for figure_id, expected in FIGURES.items():
        figure = figures[figure_id]
        assert (
            figure.source,
            figure.conditions,
            figure.outcome,
            figure.measure,
            figure.estimate,
            figure.ci_low,
            figure.ci_high,
        ) == expected
    assert figures["kietrys_2013_pain"].grade == "A"
    assert (figures["liu_2015_pain_short"].trials, figures["navarro_santana_2020_pain_short"].trials) == (20, 28)


def test_every_figure_has_a_cited_source_and_bilingual_context(benchmarks):
    sources = outcome_sources()
    for study in benchmarks.adverse_events:
        assert sources[study.source].citation
        assert study.population.nb and study.note.nb
    for figure in benchmarks.meta_analyses:
        assert sources[figure.source].citation, figure.id
        assert figure.time_point.nb and figure.comparison.nb and figure.note.nb
        assert set(figure.conditions) <= set(CONDITIONS)
        if figure.ci_low is not None:
            assert figure.ci_low <= figure.estimate <= figure.ci_high


def test_figures_for_a_condition(benchmarks):
    assert [f.id for f in benchmarks.for_condition("low_back")] == ["gattie_2017_pain", "liu_2018_pain", "liu_2018_disability"]
    assert {f.source for f in benchmarks.for_condition("headache")} == {"pourahmadi-2021"}
    assert benchmarks.for_condition("whiplash") == ()
    assert published_benchmarks() is benchmarks


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    return directory


def _break(directory: Path, mutate: Callable[[dict[str, Any]], None]) -> None:
    path = directory / "benchmarks.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _figure(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda content: content["meta_analyses"][index].update(changes)


def _rate(study: int, index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda content: content["adverse_events"][study]["rates"][index].update(changes)


BREAKAGES = [
    (_figure(0, source="liu-2016"), "liu_2015_pain_short", "source 'liu-2016' is missing"),
    (_figure(0, source=None), "liu_2015_pain_short", "every figure needs a source"),
    (_figure(0, ci_low=-1.5), "liu_2015_pain_short", "must contain the estimate"),
    (_figure(0, ci_high=None), "liu_2015_pain_short", "ci_low and ci_high go together"),
    (_figure(0, conditions=["knee"]), "liu_2015_pain_short", "conditions must list condition ids"),
    (_figure(0, outcome="function"), "liu_2015_pain_short", "outcome must be one of pain, disability"),
    (_figure(0, measure="or"), "liu_2015_pain_short", "measure must be one of smd, md_nprs, grade"),
    (_figure(0, estimate=None), "liu_2015_pain_short", "a smd figure needs an estimate and no grade"),
    (_figure(10, estimate=0.5), "kietrys_2013_pain", "a grade figure needs grade and no estimate"),
    (_figure(1, id="liu_2015_pain_short"), "liu_2015_pain_short", "duplicate id"),
    (_figure(2, time_point={"en": "Now"}), "navarro_santana_2020_pain_immediate", "time_point needs non-empty 'en' and 'nb'"),
    (_figure(2, trials=0), "navarro_santana_2020_pain_immediate", "trials must be a whole number of at least 1"),
    (_figure(2, pooled=True), "navarro_santana_2020_pain_immediate", "unknown key(s) pooled"),
    (_rate(1, 1, percent=0.5), "boyce_2020", "significant: percent 0.5 does not match 20 of 20464 sessions"),
    (_rate(0, 0, percent=None), "brady_2014", "mild: needs events, percent or both"),
    (_rate(0, 1, events=9000), "brady_2014", "significant: more events than sessions"),
    (_rate(0, 1, upper_percent=-1), "brady_2014", "upper_percent at least percent"),
    (_rate(0, 1, severity="major"), "brady_2014", "severity must be one of mild, significant, serious"),
    (lambda c: c["adverse_events"][0].update(sessions=0), "brady_2014", "sessions must be a whole number of at least 1"),
    (
        lambda c: c["adverse_events"][0]["rates"].append(copy.deepcopy(c["adverse_events"][0]["rates"][0])),
        "brady_2014",
        "each severity once",
    ),
    (lambda c: c["meta_analyses"].__setitem__(0, ["liu"]), "?", "a meta-analysis figure must be a mapping"),
    (lambda c: c.update(trials=[]), "-", "the file has unknown key(s) trials"),
]


@pytest.mark.parametrize(("mutate", "entry", "message"), BREAKAGES)
def test_broken_benchmarks_file_names_the_entry(data_dir, mutate, entry, message):
    _break(data_dir, mutate)
    with pytest.raises(KnowledgeDataError) as caught:
        load_benchmarks(data_dir)
    assert f"benchmarks.yaml: entry '{entry}': " in str(caught.value)
    assert message in str(caught.value)


def test_copied_benchmarks_load_unchanged(data_dir):
    assert load_benchmarks(data_dir) == published_benchmarks()
