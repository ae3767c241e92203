"""BG/NBD with static covariates (retention_lib.models.covariates).

References: the BG/NBD without covariates (btyd.fit and bgnbd_loglik, held to lifetimes and the
published CDNOW figures in test_btyd), finite differences of the likelihood, scipy's polygamma,
and simulations with known effects.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import polygamma

from retention_lib.models import btyd, covariates
from retention_lib.models.btyd_likelihoods import bgnbd_loglik
from retention_lib.models.covariates import CovariateModel, Encoding, ModelUnusable

SEEDS = range(5)
TRUE = {("purchase", "card"): 0.5, ("dropout_a", "detractor"): 0.7}   # every other gamma is 0


def simulate(n, seed, *, r=2.0, alpha=2.0, a=0.5, b=10.0, card=0.5, detractor=0.7, T_range=(26.0, 78.0)):
    """BG/NBD members (weeks) with three 0/1 covariates: `card` multiplies the purchase rate by
    exp(card) (alpha_i = alpha e^-card), `detractor` multiplies a by exp(detractor) (more leave after
    each purchase), `noise` does nothing.

    Vectorised, as test_btyd.simulate_bgnbd in distribution: purchases after time 0 are Poisson(lambda)
    events; the member leaves after the N-th, N ~ Geometric(p), so x = min(K, N) with K the events in
    (0, T], and the x-th of K uniform event times on (0, T] is T times a Beta(x, K - x + 1).
    """
    rng = np.random.default_rng(seed)
    index = pd.Index(np.arange(n), name="customer_id")
    z = pd.DataFrame({"card": rng.random(n) < 0.4, "detractor": rng.random(n) < 0.3,
                      "noise": rng.random(n) < 0.5}, index=index).astype(float)
    lam = rng.gamma(r, 1 / (alpha * np.exp(-card * z["card"].to_numpy())))
    p = rng.beta(a * np.exp(detractor * z["detractor"].to_numpy()), b)
    T = rng.uniform(*T_range, n)
    K = rng.poisson(lam * T)
    x = np.minimum(K, rng.geometric(p))
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), K - x + 1), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T}, index=index), z


@pytest.fixture(scope="module")
def fits():
    """Per seed: the fit with card and detractor on both processes, and the one with noise alone
    (both from the same BG/NBD without covariates)."""
    out = []
    for seed in SEEDS:
        summary, z = simulate(20_000, seed)
        base = btyd.fit(summary, "bgnbd")
        out.append(tuple(covariates.fit(summary, z[c], base=base) for c in (["card", "detractor"], ["noise"])))
    return out


@pytest.fixture(scope="module")
def small():
    summary, z = simulate(3000, 11)
    z["age"] = np.random.default_rng(3).normal(size=len(z)).round(1)
    return summary, z


# ------------------------------------------------------------------ the likelihood

def test_gradient_and_hessian_equal_finite_differences(small):
    summary, z = small
    rows = covariates._Rows(summary, z[["card", "detractor", "age"]].to_numpy())
    terms = covariates._Terms(rows, rows.patterns, rows.patterns[:, :2] - 0.3)
    rng = np.random.default_rng(0)
    theta = np.r_[np.log([1.5, 2.5]), rng.normal(0, 0.3, 3), np.log(0.7), rng.normal(0, 0.3, 2),
                  np.log(8.0), rng.normal(0, 0.3, 2)]
    _, grad, hess = terms(theta)
    eps, steps = 1e-6, np.eye(len(theta))
    numeric_grad = [(terms(theta + eps * e)[0] - terms(theta - eps * e)[0]) / (2 * eps) for e in steps]
    numeric_hess = [(terms(theta + eps * e)[1] - terms(theta - eps * e)[1]) / (2 * eps) for e in steps]
    np.testing.assert_allclose(grad, numeric_grad, atol=1e-7)
    np.testing.assert_allclose(hess, numeric_hess, atol=1e-7)
    np.testing.assert_array_equal(hess, hess.T)


def test_likelihood_with_zero_effects_is_bgnbd(small):
    """Whatever the covariates, with every gamma 0 the likelihood is BG/NBD's, customer by customer summed."""
    summary, z = small
    rows = covariates._Rows(summary, z.to_numpy())
    terms = covariates._Terms(rows, rows.patterns, rows.patterns)
    params = np.array([1.5, 2.5, 0.7, 8.0])
    theta = np.zeros(sum(terms.sizes))
    theta[np.cumsum([0] + terms.sizes)[:4]] = np.log(params)
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    assert terms.log_likelihood(theta) == pytest.approx(bgnbd_loglik(params, x, t_x, T).sum(), rel=1e-12)


def test_likelihood_is_the_per_member_sum_with_own_parameters():
    """On summaries in whole weeks with a home store (compressed to fewer rows than members), the fitted
    log-likelihood is the sum over members of BG/NBD's with each member's own parameters."""
    summary, z = simulate(6000, 5, alpha=8.0, T_range=(8.0, 20.0))
    summary[["recency", "T"]] = summary[["recency", "T"]].round()
    store = pd.Series(np.random.default_rng(1).choice(["S01", "S02", "S03"], len(z), p=[0.5, 0.3, 0.2]),
                      index=z.index, name="home store")
    encoding = Encoding.learn(pd.DataFrame({"home store": store, "card": z["card"] > 0}))
    Z = encoding.transform(pd.DataFrame({"home store": store, "card": z["card"] > 0}))
    model = covariates.fit(summary, Z, encoding=encoding)
    assert model.n_distinct_rows < 0.75 * len(summary)
    members = model.members(Z)
    own = np.column_stack([np.broadcast_to(members.params[k], len(Z)) for k in ("r", "alpha", "a", "b")])
    total = 0.0
    for params in np.unique(own, axis=0):   # one BG/NBD per (store, card) pattern
        at = (own == params).all(axis=1)
        history = (summary.loc[at, c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        total += bgnbd_loglik(params, *history).sum()
    assert model.log_likelihood == pytest.approx(total, rel=1e-10)


def test_trigamma_equals_scipy():
    z = np.r_[1e-3, 0.3, 1.0, 5.0, 9.999, 10.0, 10.001, 55.5, 1e3, 1e8]
    np.testing.assert_allclose(covariates._trigamma(z), polygamma(1, z), rtol=1e-12)


# ------------------------------------------------------------------ the fit

def test_without_covariates_the_fit_is_btyd_fit(small):
    summary, _ = small
    model = covariates.fit(summary, pd.DataFrame(index=summary.index))
    base = btyd.fit(summary, "bgnbd")
    assert model.params == pytest.approx(base.params, rel=1e-7)
    assert model.log_likelihood == pytest.approx(base.log_likelihood, rel=1e-12)
    assert model.effects == [] and model.likelihood_ratio["p_value"] == 1.0


def test_recovers_known_effects(fits):
    """The true gamma is inside the 95% interval in at least 4 of 5 seeds, for each of the six; the
    two real effects have their sign and size (within 4 standard errors) in every seed."""
    inside = {}
    for model, _ in fits:
        for e in model.effects:
            truth = TRUE.get((e["process"], e["covariate"]), 0.0)
            inside.setdefault((e["process"], e["covariate"]), []).append(e["low"] <= truth <= e["high"])
            if truth:
                assert abs(e["gamma"] - truth) < 4 * e["se"]
    assert len(inside) == 6
    assert all(sum(hits) >= 4 for hits in inside.values()), inside
    assert all(model.likelihood_ratio["p_value"] < 1e-10 for model, _ in fits)


def test_the_odds_of_leaving_move_by_the_difference_of_the_two_dropout_effects(fits):
    """A detractor's a is e^0.7 times, b the same: the odds of leaving after a purchase, a/b, are e^0.7 times
    (inside the 95% interval in at least 4 of 5 seeds); the card moves neither."""
    inside = {"detractor": [], "card": []}
    for model, _ in fits:
        gamma = {(e["process"], e["covariate"]): e["gamma"] for e in model.effects}
        for odds in model.leaving:
            name = odds["covariate"]
            assert odds["log_odds"] == pytest.approx(gamma["dropout_a", name] - gamma["dropout_b", name])
            assert odds["low"] < odds["log_odds"] < odds["high"]
            inside[name].append(odds["low"] <= (0.7 if name == "detractor" else 0.0) <= odds["high"])
    assert all(sum(hits) >= 4 for hits in inside.values()), inside


def test_the_tied_model_is_nested_in_the_free_one(small):
    """CLVTools' model (gamma_a = gamma_b, held to its figures by verify-models) lies between the
    BG/NBD without covariates and ours: its log-likelihood is no higher than the free fit's and no
    lower than the base's, its two dropout gammas are one, and its odds of leaving do not move."""
    summary, z = small
    base = btyd.fit(summary, "bgnbd")
    free = covariates.fit(summary, z, base=base)
    tied = covariates.fit(summary, z, base=base, tie_dropout=True)
    assert base.log_likelihood < tied.log_likelihood <= free.log_likelihood + 1e-9
    np.testing.assert_array_equal(tied.gammas("dropout_a"), tied.gammas("dropout_b"))
    assert tied.tied_dropout and not free.tied_dropout and tied.leaving == [] and len(free.leaving) == 4
    assert tied.likelihood_ratio["df"] == len(tied.purchase) + len(tied.dropout) == len(free.effects) - 4


def test_likelihood_ratio_finds_no_effect_of_a_covariate_without_one(fits):
    p_values = [null.likelihood_ratio["p_value"] for _, null in fits]
    assert all(null.likelihood_ratio["df"] == 3 for _, null in fits)
    assert sum(p > 0.05 for p in p_values) >= 4, p_values


def test_fit_is_deterministic(small, tmp_path):
    summary, z = small
    first = covariates.fit(summary, z).to_json(tmp_path / "a.json").read_text()
    assert covariates.fit(summary, z).to_json(tmp_path / "b.json").read_text() == first


def test_scores_use_each_members_own_parameters(small, tmp_path):
    """score() equals the BG/NBD with the member's alpha_i, a_i, b_i, member by member, and a member
    with every covariate 0 is scored with the baseline; the model survives JSON."""
    summary, z = small
    model = covariates.fit(summary, z)
    model = CovariateModel.from_json(model.to_json(tmp_path / "model.json"))
    horizons = {"13w": 13.0}
    z = z.copy()
    z.iloc[0] = 0.0
    scores = model.score(summary, z.sample(frac=1.0, random_state=0), horizons)   # looked up by customer
    for i in (0, 1, 2, 7):
        zi = z.iloc[i].to_numpy()
        gamma = {p: model.gammas(p) for p in covariates.PROCESSES}
        own = btyd.BTYDModel("bgnbd", {"r": model.params["r"],
                                       "alpha": model.params["alpha"] * np.exp(-zi @ gamma["purchase"]),
                                       "a": model.params["a"] * np.exp(zi @ gamma["dropout_a"]),
                                       "b": model.params["b"] * np.exp(zi @ gamma["dropout_b"])})
        expected = own.score(summary.iloc[[i]], horizons)
        pd.testing.assert_frame_equal(scores.iloc[[i]], expected, rtol=1e-12)
    reference = btyd.BTYDModel("bgnbd", model.params).score(summary.iloc[[0]], horizons)
    pd.testing.assert_frame_equal(scores.iloc[[0]], reference, rtol=1e-12)


# ------------------------------------------------------------------ ends that say why

def test_unusable_covariates_say_why(small):
    summary, z = small
    with pytest.raises(ModelUnusable, match="same for every customer"):
        covariates.fit(summary, z.assign(card=1.0))
    with pytest.raises(ModelUnusable, match="collinear"):
        covariates.fit(summary, z.assign(no_card=1.0 - z["card"]))
    # 8 members, none of whom repeats: their purchase rate runs to 0, and their dropout is never seen
    never = z.assign(tiny=summary.index.isin(summary.index[summary["frequency"] == 0][:8]).astype(float))
    with pytest.raises(ModelUnusable, match=r"flat along tiny \(purchase\), tiny \(dropout_a\), tiny \(dropout_b\)"):
        covariates.fit(summary, never)
    with pytest.raises(ModelUnusable, match="did not converge within 1 iteration"):
        covariates.fit(summary, z, max_iter=1)
    with pytest.raises(ValueError, match="base must be the BG/NBD fitted on this summary"):
        covariates.fit(summary, z, base=btyd.fit(summary.iloc[1:], "bgnbd"))
    with pytest.raises(ValueError, match="missing for 1 customers"):
        covariates.fit(summary, z.iloc[1:])
    with pytest.raises(ValueError, match="must be numbers"):
        covariates.fit(summary, z.assign(card="yes"))


# ------------------------------------------------------------------ raw attributes to covariates

@pytest.fixture
def raw():
    rng = np.random.default_rng(0)
    n = 1000
    nps = pd.Series(rng.integers(0, 11, n).astype(float)).where(rng.random(n) > 0.3)
    return pd.DataFrame({
        "home store": rng.choice(["S01", "S02", "S03", "S04", "S05"], n, p=[0.5, 0.3, 0.17, 0.02, 0.01]),
        "income band": pd.Series(rng.choice([1, 2, 3], n)).where(rng.random(n) > 0.1),
        "detractor (NPS 0–6)": (nps <= 6).astype(object).where(nps.notna()),
        "age": pd.Series(rng.normal(45, 12, n)).where(rng.random(n) > 0.05),
        "country": "CN",
    }, index=pd.Index(np.arange(100, 100 + n), name="customer_id"))


def test_encoding_names_references_and_missing(raw):
    encoding = Encoding.learn(raw, categorical=["income band"])
    Z = encoding.transform(raw)
    assert Z.index.equals(raw.index)
    # the most frequent store (S01) is the reference; S04 and S05 have fewer than 30 members: "other"
    assert list(Z.columns) == ["home store = S02", "home store = S03", "home store = other",
                               *[c for c in Z.columns if c.startswith("income band")],
                               "detractor (NPS 0–6)", "detractor (NPS 0–6): missing", "age", "age: missing"]
    levels = [level for level in (1, 2, 3) if level != raw["income band"].mode()[0]]
    assert [c for c in Z.columns if c.startswith("income band")] == \
        [f"income band = {level}" for level in sorted(levels, key=lambda v: -(raw["income band"] == v).sum())] \
        + ["income band: missing"]
    assert ((Z["home store = other"] == 1) == raw["home store"].isin(["S04", "S05"])).all()
    assert ((Z["home store = S02"] == 1) == (raw["home store"] == "S02")).all()
    detractor = raw["detractor (NPS 0–6)"]
    assert (Z["detractor (NPS 0–6): missing"] == detractor.isna()).all()
    assert (Z["detractor (NPS 0–6)"] == detractor.fillna(False).astype(bool)).all()
    age = Z.loc[raw["age"].notna(), "age"]
    assert age.mean() == pytest.approx(0, abs=1e-12) and age.std(ddof=0) == pytest.approx(1)
    assert (Z.loc[raw["age"].isna(), "age"] == 0).all() and "country" not in " ".join(Z.columns)


def test_encoding_of_later_members(raw):
    """A saved encoding encodes new members alike; a store it has not seen counts as the reference."""
    encoding = Encoding(Encoding.learn(raw).columns)
    later = raw.iloc[:3].copy()
    later["home store"] = ["S02", "S09", "S01"]
    Z = encoding.transform(later)
    assert Z["home store = S02"].tolist() == [1, 0, 0]
    assert (Z.filter(like="home store").iloc[1:] == 0).all().all()
    pd.testing.assert_series_equal(Z["age"], encoding.transform(raw)["age"].iloc[:3])
