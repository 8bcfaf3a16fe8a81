"""Small statistics for the clinic dashboard, in pure Python (no numpy or scipy).

Definitions (also in docs/outcomes-data.md, "Statistics"):

- A proportion (responder rate; adverse-event rate per session = sessions with at least one
  adverse event / sessions) gets the Wilson score interval, which behaves well near 0 and 1
  and for small n, where the textbook p +- z*se interval fails.
- A mean (mean change in a score) gets the Student's t interval. It is computed from n, the
  sum and the sum of squares, so the database can aggregate (COUNT, SUM, SUM of squares).
- t quantiles invert the t distribution function, which is computed from the regularised
  incomplete beta function (a continued fraction, modified Lentz's method), by bisection.
- Median and quartiles of a discrete score given as counts use linear interpolation between
  order statistics: the value at rank h = (n - 1) * p (0-based) of the sorted values, as
  R's default (type 7) and NumPy's default do.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

_FRACTION_TINY = 1e-300
_FRACTION_EPSILON = 1e-15
_FRACTION_MAX_TERMS = 10_000


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class MeanInterval:
    n: int
    mean: float
    sd: float | None  # None (and no interval) for a single value
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Quartiles:
    median: float
    q1: float
    q3: float


def _check_probability(p: float, what: str = "p") -> None:
    if not 0 < p < 1:
        raise ValueError(f"{what} must be between 0 and 1, exclusive (got {p})")


def normal_quantile(p: float) -> float:
    """The standard normal quantile: normal_quantile(0.975) = 1.959964..."""
    _check_probability(p)
    return NormalDist().inv_cdf(p)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval for successes out of n; None when n is 0."""
    _check_probability(confidence, "confidence")
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n (got {successes} of {n})")
    if n == 0:
        return None
    z = normal_quantile(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high)


def mean_interval(n: int, total: float, total_squares: float, confidence: float = 0.95) -> MeanInterval | None:
    """Mean with sample SD and Student's t interval from n, sum and sum of squares; None when n is 0.
    One value gives its mean with no SD or interval."""
    _check_probability(confidence, "confidence")
    if n < 0:
        raise ValueError(f"n must not be negative (got {n})")
    if n == 0:
        return None
    mean = total / n
    if n == 1:
        return MeanInterval(1, mean, None, None, None)
    variance = max(0.0, (total_squares - total * total / n) / (n - 1))  # rounding can push an all-equal sample below 0
    sd = math.sqrt(variance)
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return MeanInterval(n, mean, sd, mean - half, mean + half)


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the distribution function of the beta(a, b) distribution at x."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):  # the continued fraction converges fast here; otherwise use I_x(a, b) = 1 - I_(1-x)(b, a)
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function, by the modified Lentz method."""

    def guarded(value: float) -> float:
        return _FRACTION_TINY if abs(value) < _FRACTION_TINY else value

    c, d = 1.0, 1 / guarded(1 - (a + b) * x / (a + 1))
    fraction = d
    for m in range(1, _FRACTION_MAX_TERMS):
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        for term in (even, odd):
            d = 1 / guarded(1 + term * d)
            c = guarded(1 + term / c)
            fraction *= d * c
        if abs(d * c - 1) < _FRACTION_EPSILON:
            return fraction
    raise ArithmeticError(f"incomplete beta fraction did not converge (x={x}, a={a}, b={b})")


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    return 0.5 * regularized_incomplete_beta(df / (df + t * t), df / 2, 0.5)


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    tail = _t_upper_tail(abs(t), df)
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t value with P(T <= t) = p: t_quantile(0.975, 10) = 2.228139..."""
    _check_probability(p)
    if df <= 0:
        raise ValueError("df must be positive")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    tail = 1 - p  # search on the upper tail, which is computed without cancellation
    low, high = 0.0, 1.0
    while _t_upper_tail(high, df) > tail:
        low, high = high, high * 2
    while high - low > 1e-12 * max(1.0, high):
        middle = (low + high) / 2
        if _t_upper_tail(middle, df) > tail:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def median_and_quartiles_from_counts(counts: Mapping[int, int]) -> Quartiles | None:
    """Median, first and third quartile of a discrete score given as {value: how many}; None when empty.

    Quantile p is the value at 0-based rank h = (n - 1) * p of the sorted values, interpolated
    linearly between the neighbouring ranks (Hyndman & Fan type 7, R's and NumPy's default)."""
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts.values()):
        raise ValueError("counts must be whole numbers, 0 or more")
    runs = sorted((value, count) for value, count in counts.items() if count)
    n = sum(count for _value, count in runs)
    if n == 0:
        return None

    values, ends = [value for value, _count in runs], list(itertools.accumulate(count for _value, count in runs))

    def ranked(rank: int) -> float:
        return values[bisect.bisect_right(ends, rank)]  # the first run that ends after this rank

    def quantile(p: float) -> float:
        h = (n - 1) * p
        below = math.floor(h)
        low, high = ranked(below), ranked(min(below + 1, n - 1))
        return low + (h - below) * (high - low)

    return Quartiles(quantile(0.5), quantile(0.25), quantile(0.75))
