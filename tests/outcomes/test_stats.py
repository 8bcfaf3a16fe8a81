"""The dashboard statistics against published tables, closed forms and hand calculation.

Independent checks: Wilson limits from Newcombe (1998), Table I, and as roots of the quadratic
that defines them; t quantiles from standard tables and from the exact formulas for 1 and 2
degrees of freedom; a mean interval worked by hand; quartiles against the standard library's
``statistics.quantiles(method="inclusive")``, which is the same type 7 definition.
"""

from __future__ import annotations

import math
import statistics

import pytest

from needlechart.outcomes.stats import (
    Interval,
    mean_interval,
    median_and_quartiles_from_counts,
    normal_quantile,
    regularized_incomplete_beta,
    t_cdf,
    t_quantile,
    wilson_interval,
)

Z95 = 1.959963984540054  # standard normal 0.975 quantile


def _wilson_by_quadratic(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson limits are the p with (p_hat - p)^2 = z^2 p (1 - p) / n: solve a p^2 + b p + c = 0."""
    p_hat = successes / n
    a, b, c = 1 + z * z / n, -(2 * p_hat + z * z / n), p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # Newcombe 1998, Table I
        (1, 10, 0.0179, 0.4042),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),  # mirror of 0/10
        (29, 29, 0.8830, 1.0),  # Newcombe 1998, Table I
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert interval.estimate == pytest.approx(successes / n)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (1, 10), (5, 10), (81, 263), (3, 7629), (7628, 7629), (1, 1)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_solves_its_defining_equation(successes, n, confidence):
    interval = wilson_interval(successes, n, confidence)
    low, high = _wilson_by_quadratic(successes, n, normal_quantile(0.5 + confidence / 2))
    assert interval.low == pytest.approx(max(0.0, low), abs=1e-12)
    assert interval.high == pytest.approx(min(1.0, high), abs=1e-12)


def test_wilson_interval_with_no_events_has_the_closed_form_upper_limit():
    # 0 of n: upper limit z^2 / (n + z^2)
    assert wilson_interval(0, 7629).high == pytest.approx(Z95**2 / (7629 + Z95**2), rel=1e-12)
    assert wilson_interval(0, 7629).low == 0.0


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(1, 1) == Interval(1.0, pytest.approx(0.2065, abs=5e-5), 1.0)
    for bad in ((-1, 10), (11, 10)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(*bad)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, confidence=1)


@pytest.mark.parametrize(
    ("df", "q975", "q995"),
    [  # standard t tables
        (1, 12.706204736, 63.656741163),
        (2, 4.302652730, 9.924843201),
        (5, 2.570581836, 4.032142984),
        (10, 2.228138852, 3.169272673),
        (30, 2.042272456, 2.749995654),
        (100, 1.983971519, 2.625890521),
    ],
)
def test_t_quantile_matches_tables(df, q975, q995):
    assert t_quantile(0.975, df) == pytest.approx(q975, abs=1e-6)
    assert t_quantile(0.995, df) == pytest.approx(q995, abs=1e-6)
    assert t_quantile(0.025, df) == pytest.approx(-q975, abs=1e-6)


@pytest.mark.parametrize("p", [0.5, 0.6, 0.75, 0.9, 0.975, 0.999, 0.9995, 0.01, 0.3])
def test_t_quantile_matches_the_closed_forms_for_one_and_two_degrees_of_freedom(p):
    cauchy = math.tan(math.pi * (p - 0.5))  # df = 1
    two = (2 * p - 1) / math.sqrt(2 * p * (1 - p))  # df = 2
    assert t_quantile(p, 1) == pytest.approx(cauchy, rel=1e-9, abs=1e-9)
    assert t_quantile(p, 2) == pytest.approx(two, rel=1e-9, abs=1e-9)


def test_t_quantile_approaches_the_normal_and_inverts_the_cdf():
    assert t_quantile(0.975, 1_000_000) == pytest.approx(Z95, abs=1e-5)
    for df in (1, 3.5, 7, 40):
        for p in (0.05, 0.5, 0.8, 0.99):
            assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


def test_t_and_normal_quantiles_refuse_impossible_input():
    for p in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError):
            t_quantile(p, 5)
        with pytest.raises(ValueError):
            normal_quantile(p)
    with pytest.raises(ValueError, match="df"):
        t_quantile(0.9, 0)


def test_normal_quantile():
    assert normal_quantile(0.975) == pytest.approx(Z95, abs=1e-12)
    assert normal_quantile(0.5) == 0
    assert normal_quantile(0.005) == pytest.approx(-2.5758293035489, abs=1e-9)


@pytest.mark.parametrize("x", [0.01, 0.2, 0.5, 0.77, 0.99])
def test_incomplete_beta_closed_forms(x):
    assert regularized_incomplete_beta(x, 1, 1) == pytest.approx(x, abs=1e-14)
    assert regularized_incomplete_beta(x, 3, 1) == pytest.approx(x**3, abs=1e-14)
    assert regularized_incomplete_beta(x, 1, 4) == pytest.approx(1 - (1 - x) ** 4, abs=1e-14)
    assert regularized_incomplete_beta(x, 2.5, 7) == pytest.approx(1 - regularized_incomplete_beta(1 - x, 7, 2.5), abs=1e-14)
    assert regularized_incomplete_beta(0.5, 6.5, 6.5) == pytest.approx(0.5, abs=1e-14)
    assert (regularized_incomplete_beta(0, 2, 3), regularized_incomplete_beta(1, 2, 3)) == (0, 1)


def test_mean_interval_worked_by_hand():
    # 2, 4, 4, 4, 5, 5, 7, 9: n = 8, sum 40, sum of squares 232; mean 5;
    # variance (232 - 40^2/8) / 7 = 32/7; sd 2.13809; t(0.975, 7) = 2.364624;
    # half width 2.364624 * 2.13809 / sqrt(8) = 1.78749 -> 3.21251 to 6.78749.
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    result = mean_interval(len(values), sum(values), sum(v * v for v in values))
    assert (result.n, result.mean) == (8, 5)
    assert result.sd == pytest.approx(math.sqrt(32 / 7), rel=1e-12)
    assert result.sd == pytest.approx(statistics.stdev(values), rel=1e-12)
    assert result.low == pytest.approx(3.21251, abs=1e-5)
    assert result.high == pytest.approx(6.78749, abs=1e-5)


def test_mean_interval_of_changes_and_small_samples():
    changes = [-3, -1, -2]  # mean -2, sd 1, t(0.975, 2) = 4.302653: -2 +- 4.302653 / sqrt(3)
    result = mean_interval(3, sum(changes), sum(c * c for c in changes))
    assert (result.mean, result.sd) == (-2, 1)
    assert result.low == pytest.approx(-2 - 4.302653 / math.sqrt(3), abs=1e-6)
    assert result.high == pytest.approx(-2 + 4.302653 / math.sqrt(3), abs=1e-6)
    single = mean_interval(1, 4.5, 20.25)
    assert (single.mean, single.sd, single.low, single.high) == (4.5, None, None, None)
    assert mean_interval(0, 0, 0) is None
    same = mean_interval(4, 12.3, 4 * 3.075**2)  # all 3.075: rounding must not make the variance negative
    assert same.sd == pytest.approx(0, abs=1e-6)
    assert same.low == pytest.approx(3.075, abs=1e-6)


@pytest.mark.parametrize(
    "values",
    [
        [1, 2, 3, 4],
        [7],
        [0, 0, 0, 10],
        [3, 3, 4, 5, 5, 5, 6, 8, 8, 10, 2],
        [6, 2, 9, 9, 9, 1, 0, 4, 4, 7, 3, 3, 8, 10],
    ],
)
def test_quartiles_from_counts_match_the_standard_library(values):
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    result = median_and_quartiles_from_counts(counts)
    expected = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    assert (result.q1, result.median, result.q3) == pytest.approx(expected, abs=1e-12)


def test_quartiles_from_counts_by_hand_and_edges():
    # 1, 2, 3, 4: ranks 0..3; q1 at rank 0.75 -> 1.75, median at 1.5 -> 2.5, q3 at 2.25 -> 3.25
    result = median_and_quartiles_from_counts({4: 1, 1: 1, 3: 1, 2: 1})
    assert (result.median, result.q1, result.q3) == (2.5, 1.75, 3.25)
    assert median_and_quartiles_from_counts({0: 0, 3: 2}).median == 3
    assert median_and_quartiles_from_counts({}) is None
    assert median_and_quartiles_from_counts({5: 0}) is None
    with pytest.raises(ValueError):
        median_and_quartiles_from_counts({5: -1})
    with pytest.raises(ValueError):
        median_and_quartiles_from_counts({5: 1.5})
