"""core.stats against published tables, scipy and exact arithmetic."""
import numpy as np
import pytest
from scipy import optimize, stats

from retention_lib.core.stats import (Z95, bootstrap, difference_interval, mean_interval, newcombe, nps_interval,
                                      percentile_interval, poisson_interval, welch, welch_less, wilson)


def test_z95_is_the_normal_975_quantile():
    assert Z95 == stats.norm.ppf(0.975) and round(Z95, 6) == 1.959964


# Newcombe (1998a), Stat Med 17:857, table I, method 3 (Wilson score)
@pytest.mark.parametrize("k, n, lo, hi", [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                          (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_newcombes_single_proportion_examples(k, n, lo, hi):
    low, high = wilson(k, n)
    assert isinstance(low, float) and (round(low, 4), round(high, 4)) == (lo, hi)


def test_wilson_is_vectorised_with_nan_where_n_is_zero():
    lo, hi = wilson([81, 0, 3], [263, 20, 0])
    assert lo[:2] == pytest.approx([wilson(81, 263)[0], 0.0]) and hi[1] == pytest.approx(wilson(0, 20)[1])
    assert np.isnan(lo[2]) and np.isnan(hi[2])


# Newcombe (1998b), Stat Med 17:873, table II, method 10 (hybrid score), including zero events
@pytest.mark.parametrize("k1, n1, k2, n2, lo, hi", [
    (56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090), (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926), (0, 10, 0, 20, -0.1611, 0.2775), (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0), (10, 10, 0, 10, 0.6075, 1.0)])
def test_newcombe_matches_the_published_method_10_intervals(k1, n1, k2, n2, lo, hi):
    d, low, high = newcombe(k1, n1, k2, n2)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert (round(low, 4), round(high, 4)) == (lo, hi)


def test_newcombe_is_nan_for_an_empty_group():
    assert all(np.isnan(v) for v in newcombe(3, 10, 0, 0))


def test_welch_interval_df_and_p_match_scipy():
    rng = np.random.default_rng(11)
    a, b = rng.normal(5.0, 3.0, 40), rng.normal(4.0, 1.0, 65)
    w = welch(a, b)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert (w.n1, w.n2) == (40, 65) and (w.mean1, w.mean2) == pytest.approx((a.mean(), b.mean()))
    assert w.difference == pytest.approx(a.mean() - b.mean())
    assert (w.lo, w.hi) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert w.df == pytest.approx(res.df, rel=1e-12) and w.p_value == pytest.approx(res.pvalue, rel=1e-10)


def test_cohens_d_interval_agrees_with_the_exact_noncentral_t_interval_in_large_samples():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0.5, 1.0, 400), rng.normal(0.0, 1.0, 400)
    w = welch(a, b)
    pooled = np.sqrt((399 * a.var(ddof=1) + 399 * b.var(ddof=1)) / 798)
    assert w.cohens_d == pytest.approx((a.mean() - b.mean()) / pooled)
    # exact: invert the noncentral t of the pooled t statistic, d = ncp·√(1/n1 + 1/n2)
    scale, df = np.sqrt(2 / 400), 798
    t_obs = w.cohens_d / scale
    lo = optimize.brentq(lambda ncp: stats.nct.sf(t_obs, df, ncp) - 0.025, -5, 20)
    hi = optimize.brentq(lambda ncp: stats.nct.cdf(t_obs, df, ncp) - 0.025, -5, 20)
    assert (w.d_lo, w.d_hi) == pytest.approx((lo * scale, hi * scale), abs=1e-3)


def test_welch_edge_cases():
    short = welch([1.0], [2.0, 3.0])
    assert short.difference == -1.5 and np.isnan(short.lo) and np.isnan(short.p_value)
    flat = welch(np.full(4, 2.0), np.full(6, 1.0))
    assert flat.lo == flat.hi == flat.difference == 1.0 and np.isnan(flat.p_value) and np.isnan(flat.df)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=20), rng.normal(size=30)
    holed = welch(np.r_[a, np.nan, np.inf], b)          # non-finite values are dropped
    assert holed.n1 == 20 and (holed.lo, holed.hi) == pytest.approx((welch(a, b).lo, welch(a, b).hi))


def test_one_sided_welch_from_summary_statistics_matches_scipy():
    m1, v1, n1 = np.array([40.0, 95.0]), np.array([100.0, 400.0]), np.array([5.0, 9.0])
    m2, v2, n2 = np.array([55.0, 100.0]), np.array([64.0, 100.0]), np.array([20.0, 26.0])
    p = welch_less(m1, v1, n1, m2, v2, n2)
    ref = stats.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m2, np.sqrt(v2), n2, equal_var=False,
                                     alternative="less").pvalue
    assert p == pytest.approx(ref, rel=1e-10)


def test_poisson_interval_matches_garwoods_values():
    lo, hi = poisson_interval([0, 10])
    assert lo[0] == 0 and round(hi[0], 3) == 3.689
    assert round(lo[1], 3) == 4.795 and round(hi[1], 2) == 18.39


def test_poisson_interval_bounds_are_the_exact_tail_solutions():
    k = np.arange(1, 31)
    lo, hi = poisson_interval(k)
    assert stats.poisson.sf(k - 1, lo) == pytest.approx(0.025, rel=1e-8)    # P(X ≥ k | lo)
    assert stats.poisson.cdf(k, hi) == pytest.approx(0.025, rel=1e-8)       # P(X ≤ k | hi)


def test_mean_interval_matches_scipys_t_interval():
    x = [3.1, 4.7, 2.2, 5.9, 4.4, 3.8, np.nan, 4.1]
    m = mean_interval(x)
    finite = np.array([v for v in x if not np.isnan(v)])
    lo, hi = stats.t.interval(0.95, len(finite) - 1, loc=finite.mean(), scale=stats.sem(finite))
    assert m["n"] == 7 and m["mean"] == pytest.approx(finite.mean())
    assert (m["lo"], m["hi"]) == pytest.approx((lo, hi))
    assert mean_interval([]) == {"n": 0, "mean": None, "lo": None, "hi": None}
    assert mean_interval([2.0]) == {"n": 1, "mean": 2.0, "lo": None, "hi": None}


def test_nps_interval_uses_the_variance_of_the_plus_one_zero_minus_one_scores():
    promoters, passives, detractors = 50, 30, 20
    scores = np.r_[np.ones(promoters), np.zeros(passives), -np.ones(detractors)]
    n = len(scores)
    value, se, lo, hi = nps_interval(promoters, detractors, n)
    hand_se = 100 * np.sqrt(scores.var() / n)                # population variance of the scores
    assert value == pytest.approx(100 * scores.mean()) == pytest.approx(30.0)
    assert se == pytest.approx(hand_se)
    assert (lo, hi) == pytest.approx((30 - stats.norm.ppf(0.975) * hand_se, 30 + stats.norm.ppf(0.975) * hand_se))


def test_nps_interval_is_clipped_to_the_scale():
    value, se, lo, hi = nps_interval(9, 0, 10)               # 90 ± 1.96·9.49 would pass 100
    assert value == pytest.approx(90.0) and se > 0 and hi == 100.0 and lo < 90
    assert nps_interval(0, 10, 10)[2:] == (-100.0, -100.0)
    assert all(np.isnan(v) for v in nps_interval(0, 0, 0))


def test_difference_interval_adds_independent_variances():
    se1, se2 = np.sqrt(0.3 * 0.7 / 200), np.sqrt(0.2 * 0.8 / 300)
    d = difference_interval(0.1, se1, se2)
    se = np.sqrt(0.3 * 0.7 / 200 + 0.2 * 0.8 / 300)
    assert d.se == pytest.approx(se)
    assert (d.lo, d.hi) == pytest.approx((0.1 - stats.norm.ppf(0.975) * se, 0.1 + stats.norm.ppf(0.975) * se))
    assert d.significant and difference_interval(-0.1, se1, se2).significant
    assert not difference_interval(0.05, se1, se2).significant


def test_bootstrap_draws_are_seeded_resamples_of_rows():
    x = np.arange(10.0)
    draws = bootstrap(lambda idx: x[idx].sum(), 10, 5, seed=3)
    rng = np.random.default_rng(3)
    assert draws.tolist() == [x[rng.integers(0, 10, 10)].sum() for _ in range(5)]
    assert np.array_equal(bootstrap(lambda idx: x[idx], 10, 4, seed=3), bootstrap(lambda idx: x[idx], 10, 4, seed=3))
    assert bootstrap(lambda idx: x[idx], 10, 4, seed=3).shape == (4, 10)


def test_percentile_interval_of_a_bootstrapped_mean_is_close_to_the_t_interval():
    draws = np.random.default_rng(0).normal(size=(200, 3))
    lo, hi = percentile_interval(draws)
    assert np.array_equal(lo, np.percentile(draws, 2.5, axis=0))
    assert np.array_equal(hi, np.percentile(draws, 97.5, axis=0))
    assert np.array_equal(percentile_interval(draws, 0.9)[0], np.percentile(draws, 5, axis=0))
    x = np.random.default_rng(1).normal(10.0, 2.0, 400)
    means = bootstrap(lambda idx: x[idx].mean(), len(x), 2000, seed=5)
    lo, hi = percentile_interval(means)
    t_lo, t_hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    half = (t_hi - t_lo) / 2
    assert lo == pytest.approx(t_lo, abs=0.15 * half) and hi == pytest.approx(t_hi, abs=0.15 * half)
