"""Intervals from parameter uncertainty (retention_lib.models.uncertainty).

Standard errors against lifetimes (autograd's exact Hessian at lifetimes' own fit), the headline
figures' interpolation against exact evaluation of every draw, and coverage against a simulator's truth.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest

from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
from retention_lib.models import uncertainty
from retention_lib.models.btyd import BTYDModel, ModelUnusable, fit
from retention_lib.models.clv import WEEKS_PER_MONTH, clv, fit_gamma_gamma
from test_btyd import simulate_bgnbd

LIFETIMES = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter}


@pytest.fixture(scope="module")
def cdnow():
    """lifetimes' CDNOW calibration summary with monetary value (2,357 customers, 946 repeat buyers)."""
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def spend(cdnow):
    return fit_gamma_gamma(cdnow)


def quietly(fitter, *columns):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fitter.fit(*columns)


def contains_point(iv: uncertainty.Interval) -> bool:
    return iv.low <= iv.point <= iv.high


# ------------------------------------------------------------------ standard errors

@pytest.mark.parametrize("kind", ["bgnbd", "mbgnbd"])
def test_standard_errors_equal_lifetimes(kind, cdnow):
    """lifetimes' se(coef) comes from autograd's Hessian at its own fit (BFGS to gtol 1e-7, ~1e-6 from ours);
    ours from central differences of BG/NBD's analytic gradient, or of MBG/NBD's likelihood. They agree to
    1e-6 (measured: 6e-7 and 1e-6); the tolerance is 1e-5."""
    ref = quietly(LIFETIMES[kind](), cdnow["frequency"], cdnow["recency"], cdnow["T"])
    ours = uncertainty.model_covariance(fit(cdnow, kind), cdnow).standard_errors
    for name, se in ours.items():
        assert se == pytest.approx(float(ref.standard_errors_[name]), rel=1e-5), name


def test_gamma_gamma_standard_errors_equal_lifetimes(cdnow, spend):
    """Both take the analytic Hessian (lifetimes' by autograd): they agree to 1e-8 (measured 1.2e-8)."""
    repeat = cdnow[(cdnow["frequency"] > 0) & (cdnow["monetary_value"] > 0)]
    ref = quietly(GammaGammaFitter(), repeat["frequency"], repeat["monetary_value"])
    ours = uncertainty.spend_covariance(spend, cdnow).standard_errors
    for name, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert ours[name] == pytest.approx(float(ref.standard_errors_[theirs]), rel=1e-7), name


@pytest.mark.parametrize("kind, nested, tol", [("bgcnbd", "bgnbd", 1e-7), ("mbgcnbd", "mbgnbd", 1e-5)])
def test_cnbd_at_k1_has_its_nested_models_covariance(kind, nested, tol, cdnow):
    """At k = 1 the CNBD-k models are BG/NBD and MBG/NBD: the CNBD-k gradient's Hessian against BG/NBD's
    gradient and against MBG/NBD's second differences of the likelihood (measured: 3e-8 and 1e-6 of the
    covariance's largest entry)."""
    ours = uncertainty.model_covariance(fit(cdnow, kind, k=1), cdnow)
    theirs = uncertainty.model_covariance(fit(cdnow, nested), cdnow)
    assert ours.names == theirs.names == ("r", "alpha", "a", "b")
    np.testing.assert_allclose(ours.cov, theirs.cov, rtol=0, atol=tol * np.abs(theirs.cov).max())


def test_no_interval_where_the_hessian_is_not_positive_definite():
    """Nobody has bought twice: the likelihood does not depend on a and b, so they have no uncertainty to
    estimate; the covariance says why and the figures raise it."""
    summary = pd.DataFrame({"frequency": 0, "recency": 0.0, "T": np.linspace(10, 50, 500).round(1)})
    model = BTYDModel("bgnbd", {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}, n_customers=500)
    cov = uncertainty.model_covariance(model, summary)
    assert cov.cov is None and "not positive definite" in cov.reason
    with pytest.raises(ModelUnusable, match="not positive definite"):
        uncertainty.headline(model, summary)
    with pytest.raises(ModelUnusable, match="not positive definite"):
        uncertainty.model_draws(model, cov)


def test_no_interval_where_the_likelihood_is_nearly_flat():
    flat = uncertainty._from_hessian("BG/NBD", ("r", "alpha", "a", "b"), np.zeros(4), np.diag([1, 1, 1, 1e-6]), 100)
    assert flat.cov is None and "nearly flat along b" in flat.reason


def test_covariance_needs_the_summary_of_the_fit(cdnow, spend):
    model = fit(cdnow, "bgnbd")
    with pytest.raises(ValueError, match="fitted on 2,357 customers, this summary has 2,000"):
        uncertainty.model_covariance(model, cdnow.iloc[:2000])
    with pytest.raises(ValueError, match="fitted on 946 customers"):
        uncertainty.spend_covariance(spend, cdnow.iloc[:2000])


# ------------------------------------------------------------------ the headline figures against exact draws

@pytest.mark.parametrize("kind", ["bgnbd", "paretonbd"])
def test_headline_equals_exact_evaluation_of_the_draws(kind, cdnow, spend):
    """The same 200 draws evaluated exactly (a model per draw, clv.clv and the churn rule per member) and by
    headline's quadratics. CDNOW is small: the parameters' standard errors are 5-30%, the hardest case for
    the quadratics. Measured: the ends within 2.5% of the interval's width (the at-risk count within one
    member); the tolerance is 5%. The points are the exact figures."""
    f, rec, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    among = np.random.default_rng(1).random(len(cdnow)) < 0.6      # the members who can be at risk
    model = fit(cdnow, kind)
    model_cov, spend_cov = uncertainty.model_covariance(model, cdnow), uncertainty.spend_covariance(spend, cdnow)
    draws = [(model, spend), *zip(uncertainty.model_draws(model, model_cov), uncertainty.spend_draws(spend, spend_cov))]

    @cache
    def exact(i: int) -> tuple[float, ...]:
        m, s = draws[i]
        value = clv(m, s, cdnow)
        at_risk = (m.p_no_purchase(WEEKS_PER_MONTH, f, rec, T) >= 0.5) & among
        stake = value / np.maximum(m.p_alive(f, rec, T), 1e-12) - value
        return (m.expected_purchases(WEEKS_PER_MONTH, f, rec, T).sum(), at_risk.sum(), value.sum(),
                value[at_risk].sum(), stake[at_risk].sum())

    ours = uncertainty.headline(model, cdnow, spend, model_cov=model_cov, spend_cov=spend_cov, at_risk_among=among)
    assert tuple(ours) == uncertainty.FIGURES
    for i, name in enumerate(uncertainty.FIGURES):
        ref = uncertainty.interval(lambda d: exact(d)[i], 0, range(1, len(draws)))
        width = ref.high - ref.low
        assert width > 0 and contains_point(ours[name]), name
        assert ours[name].point == pytest.approx(ref.point, rel=1e-12), name
        assert abs(ours[name].low - ref.low) <= max(0.05 * width, 1.0 if i == 1 else 0.0), name
        assert abs(ours[name].high - ref.high) <= max(0.05 * width, 1.0 if i == 1 else 0.0), name


def test_headline_is_deterministic_and_nested_by_level(cdnow, spend):
    model = fit(cdnow, "bgnbd")
    first = uncertainty.headline(model, cdnow, spend, seed=3)
    assert uncertainty.headline(model, cdnow, spend, seed=3) == first
    assert uncertainty.headline(model, cdnow, spend, seed=4) != first
    half = uncertainty.headline(model, cdnow, spend, seed=3, level=0.5)
    for name, iv in first.items():
        assert contains_point(iv) and contains_point(half[name]) and iv.level == 0.9, name
        assert iv.low <= half[name].low <= half[name].high <= iv.high, name
    # without spend, the purchase figures alone, the same
    purchases = uncertainty.headline(model, cdnow, seed=3)
    assert purchases == {name: first[name] for name in uncertainty.FIGURES[:2]}


def test_model_and_spend_draws_are_seeded_and_independent(cdnow, spend):
    model = fit(cdnow, "bgnbd")
    cov, spend_cov = uncertainty.model_covariance(model, cdnow), uncertainty.spend_covariance(spend, cdnow)
    a, b = uncertainty.model_draws(model, cov, 50, seed=7), uncertainty.model_draws(model, cov, 50, seed=7)
    assert [m.params for m in a] == [m.params for m in b]
    log_r = np.log([m.params["r"] for m in a])
    log_p = np.log([s.p for s in uncertainty.spend_draws(spend, spend_cov, 50, seed=7)])
    assert log_r.std() == pytest.approx(np.sqrt(cov.cov[0, 0]), rel=0.3)
    assert abs(np.corrcoef(log_r, log_p)[0, 1]) < 0.4      # the same seed, other normal scores


def test_an_interval_always_contains_its_point(cdnow):
    """A statistic at its minimum at the fit: every draw is above the point, whose value then bounds the
    interval from below."""
    model = fit(cdnow, "bgnbd")
    draws = uncertainty.model_draws(model, uncertainty.model_covariance(model, cdnow))
    iv = uncertainty.interval(lambda m: (np.log(m.params["r"] / model.params["r"])) ** 2, model, draws)
    assert iv.point == iv.low == 0.0 < iv.high


# ------------------------------------------------------------------ coverage of the simulator's truth

TRUE = {"r": 1.2, "alpha": 4.0, "a": 0.8, "b": 3.0}


def test_intervals_cover_the_truth_nine_times_in_ten():
    """50 BG/NBD populations of 1,000 customers at known parameters (observed 52-104 weeks): the 90% interval of
    each parameter, and of the expected purchases over the next month summed over the customers (the sum
    under the true parameters, on the same histories), covers the truth. If the intervals are right, the
    coverage is Binomial(50, 0.9): fewer than 40 hits has probability 2.5% and all 50 0.5%, so 40 to 49 are
    accepted. Measured here: 44 to 47; over 300 seeds 87-92% for each."""
    hits = dict.fromkeys([*TRUE, "purchases"], 0)
    truth = BTYDModel("bgnbd", TRUE)
    for seed in range(50):
        summary = simulate_bgnbd(1000, **TRUE, seed=seed)
        model = fit(summary, "bgnbd")
        cov = uncertainty.model_covariance(model, summary)
        draws = uncertainty.model_draws(model, cov, seed=seed)
        for name, value in TRUE.items():
            hits[name] += contains(uncertainty.interval(lambda m: m.params[name], model, draws), value)
        expected = truth.expected_purchases(WEEKS_PER_MONTH, summary["frequency"], summary["recency"], summary["T"])
        figures = uncertainty.headline(model, summary, model_cov=cov, seed=seed)
        hits["purchases"] += contains(figures["expected_purchases_next_month"], expected.sum())
    assert all(40 <= h <= 49 for h in hits.values()), hits


def contains(iv: uncertainty.Interval, value: float) -> bool:
    return iv.low <= value <= iv.high
