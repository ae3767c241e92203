"""Interval estimates and tests, each written once. Two-sided 95% unless a level is given.

- `Z95`: the standard normal 97.5% quantile, 1.959964…
- `wilson(k, n)`: Wilson (1927) score interval for a proportion k/n; vectorised, NaN where
  n = 0. Newcombe (1998a), method 3.
- `newcombe(k1, n1, k2, n2)`: p1 − p2 with the hybrid score interval built from the two
  Wilson intervals. Newcombe (1998b), method 10.
- `welch(a, b)`: mean(a) − mean(b) with Welch's t interval (Welch–Satterthwaite df) and
  two-sided p-value, plus Cohen's d (pooled SD) with its large-sample interval,
  var(d) ≈ (n1 + n2) / (n1 n2) + d² / (2 (n1 + n2)) (Hedges & Olkin 1985). Welch (1947).
- `welch_less(...)`: one-sided Welch p-value for mean1 < mean2 from summary statistics
  (vectorised), for when only means, variances and counts are at hand.
- `poisson_interval(k)`: exact interval for a Poisson count, [χ²(α/2; 2k) / 2,
  χ²(1 − α/2; 2k + 2) / 2], lower bound 0 at k = 0. Garwood (1936).
- `mean_interval(values)`: mean ± t(0.975; n − 1) · s / √n (Student's t interval).
- `nps_interval(promoters, detractors, n)`: NPS = 100 (p_P − p_D), Wald interval with the
  trinomial variance (p_P + p_D − (p_P − p_D)²) / n (each response scores +1, 0 or −1 and
  NPS is 100 × their mean; promoters and detractors are not independent), clipped to ±100.
- `difference_interval(diff, se1, se2)`: a difference of two independent estimates,
  diff ± Z95 · √(se1² + se2²).
- `bootstrap(statistic, n, n_boot, seed)` and `percentile_interval(draws)`: seeded
  resampling of n rows with replacement, and the percentile interval of the draws
  (Efron & Tibshirani 1993, ch. 13).

References: Newcombe RG (1998a) Two-sided confidence intervals for the single proportion,
Stat Med 17:857–872; Newcombe RG (1998b) Interval estimation for the difference between
independent proportions, Stat Med 17:873–890; Welch BL (1947) Biometrika 34:28–35; Hedges LV,
Olkin I (1985) Statistical Methods for Meta-Analysis; Garwood F (1936) Biometrika 28:437–442;
Efron B, Tibshirani RJ (1993) An Introduction to the Bootstrap.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054   # the normal's 97.5% point (scipy.stats.norm.ppf(0.975)), two-sided 95%


def dot(u, v) -> float:
    """u @ v for vectors by numpy's own loop (einsum), as every product in a likelihood evaluation is:
    BLAS threads its dot on long vectors, so the order of summation (a fit's last bits) would depend on the
    thread count, and after each call OpenBLAS's threads spin, taking a loaded machine's CPU from the
    element-wise work around it (fits ran 2-6 times slower on a shared 2-core box)."""
    return np.einsum("i,i->", u, v)


def _scipy_stats():
    """scipy.stats, imported on first use: it takes half a second to import, and a month's CLI and
    several of its notebooks never need it (text and charts import this module)."""
    from scipy import stats
    return stats


def _scalar_or_array(x: np.ndarray):
    return float(x) if x.ndim == 0 else x


def wilson(k, n, z: float = Z95):
    """Wilson score interval (lo, hi) for k successes out of n; vectorised, NaN where n = 0."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return _scalar_or_array(centre - half), _scalar_or_array(centre + half)


def newcombe(k1, n1, k2, n2, z: float = Z95):
    """(p1 − p2, lo, hi): Newcombe's hybrid score interval (method 10); NaN where n1 or n2 = 0."""
    k1, n1, k2, n2 = (np.asarray(v, float) for v in (k1, n1, k2, n2))
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _scalar_or_array(d), _scalar_or_array(low), _scalar_or_array(high)


def _welch_se2_df(v1, n1, v2, n2):
    """Squared standard error of mean1 − mean2 and the Welch–Satterthwaite degrees of freedom."""
    s1, s2 = v1 / n1, v2 / n2
    se2 = s1 + s2
    with np.errstate(invalid="ignore", divide="ignore"):
        df = se2**2 / (s1**2 / (n1 - 1) + s2**2 / (n2 - 1))
    return se2, df


@dataclass(frozen=True)
class Welch:
    """mean1 − mean2 by Welch's t, 95% intervals. Everything but n and the means is NaN when a
    group has fewer than two values; with no spread at all the interval is the difference
    itself and p, df and d are NaN."""
    n1: int
    n2: int
    mean1: float
    mean2: float
    difference: float
    lo: float
    hi: float
    df: float
    p_value: float       # two-sided
    cohens_d: float      # difference / pooled SD
    d_lo: float
    d_hi: float


def welch(a, b) -> Welch:
    """mean(a) − mean(b) with Welch's 95% interval and p-value, and Cohen's d with its interval.
    Non-finite values are dropped."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n1, n2 = len(a), len(b)
    m1, m2 = a.mean() if n1 else np.nan, b.mean() if n2 else np.nan
    if n1 < 2 or n2 < 2:
        nan = np.nan
        return Welch(n1, n2, m1, m2, m1 - m2, nan, nan, nan, nan, nan, nan, nan)
    v1, v2 = a.var(ddof=1), b.var(ddof=1)
    se2, df = _welch_se2_df(v1, n1, v2, n2)
    diff = m1 - m2
    if se2 > 0:
        half = _scipy_stats().t.ppf(0.975, df) * np.sqrt(se2)
        p = 2 * _scipy_stats().t.sf(abs(diff) / np.sqrt(se2), df)
    else:
        half, p, df = 0.0, np.nan, np.nan
    pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    d = diff / pooled if pooled > 0 else np.nan
    se_d = np.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2))) if np.isfinite(d) else np.nan
    return Welch(n1, n2, m1, m2, diff, diff - half, diff + half, df, p, d, d - Z95 * se_d, d + Z95 * se_d)


def welch_less(mean1, var1, n1, mean2, var2, n2):
    """One-sided Welch p-value for mean1 < mean2 from means, sample variances and counts
    (vectorised; NaN where the standard error is 0 or undefined)."""
    se2, df = _welch_se2_df(var1, n1, var2, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (mean1 - mean2) / np.sqrt(se2)
    return _scipy_stats().t.cdf(t, df)


def poisson_interval(k, level: float = 0.95):
    """Exact (Garwood) interval (lo, hi) for a Poisson count k; vectorised."""
    k = np.asarray(k, float)
    a = (1 - level) / 2
    lo = np.where(k > 0, _scipy_stats().chi2.ppf(a, 2 * k) / 2, 0.0)
    hi = _scipy_stats().chi2.ppf(1 - a, 2 * (k + 1)) / 2
    return lo, hi


def mean_interval(values) -> dict:
    """{"n", "mean", "lo", "hi"}: the mean with its 95% t interval, NaNs dropped; mean None for
    no values, lo and hi None for fewer than two."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(float)
    n = len(x)
    if n == 0:
        return {"n": 0, "mean": None, "lo": None, "hi": None}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "lo": None, "hi": None}
    half = float(_scipy_stats().t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return {"n": n, "mean": mean, "lo": mean - half, "hi": mean + half}


def nps_interval(promoters: int, detractors: int, n: int) -> tuple[float, float, float, float]:
    """(nps, se, lo, hi) on −100..100: Wald with the trinomial variance, clipped to ±100; NaN for n = 0."""
    if n == 0:
        return (np.nan,) * 4
    p_p, p_d = promoters / n, detractors / n
    value = 100 * (p_p - p_d)
    se = 100 * np.sqrt((p_p + p_d - (p_p - p_d) ** 2) / n)
    return value, float(se), max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se)


@dataclass(frozen=True)
class Difference:
    """A difference of two independent estimates with its 95% normal interval."""
    difference: float
    se: float
    lo: float
    hi: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0."""
        return bool(self.lo > 0 or self.hi < 0)


def difference_interval(diff: float, se1: float, se2: float) -> Difference:
    """diff ± Z95 · √(se1² + se2²), for estimates from independent samples."""
    se = float(np.sqrt(se1**2 + se2**2))
    return Difference(diff, se, diff - Z95 * se, diff + Z95 * se)


def bootstrap(statistic: Callable[[np.ndarray], object], n: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """statistic(rows) over n_boot resamples of the row positions 0..n−1 drawn with replacement,
    one row of the result per resample; the same seed gives the same draws."""
    rng = np.random.default_rng(seed)
    return np.array([statistic(rng.integers(0, n, n)) for _ in range(n_boot)], dtype=float)


def percentile_interval(draws, level: float = 0.95, axis: int = 0):
    """(lo, hi): the (1 − level)/2 and (1 + level)/2 percentiles of bootstrap draws along `axis`."""
    tail = (100 - 100 * level) / 2          # 2.5 exactly for 0.95
    return np.percentile(draws, tail, axis=axis), np.percentile(draws, 100 - tail, axis=axis)


def auc(score, outcome) -> float:
    """The area under the ROC curve: the chance that a random member with the outcome scores above a
    random member without it (ties count half), from ranks (Mann–Whitney); NaN without both kinds."""
    score, outcome = np.asarray(score, dtype=float), np.asarray(outcome, dtype=bool)
    n1, n0 = int(outcome.sum()), int((~outcome).sum())
    if not n1 or not n0:
        return float("nan")
    ranks = _scipy_stats().rankdata(score)
    return float((ranks[outcome].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
