"""BG/CNBD-k and MBG/CNBD-k: BG/NBD and MBG/NBD at k = 1, BTYDplus on CDNOW, Monte Carlo for the
predictions at k > 1, and the simulator's ground truth."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from retention_lib.data.sources.cdnow import CALIBRATION_WEEKS, load_cdnow_transactions
from retention_lib.data.sources.demo import simulate_store
from retention_lib.models import btyd, cnbd
from retention_lib.models.histories import Histories
from retention_lib.models.summary import summarise

P = {"r": 0.8, "alpha": 2.1, "a": 0.6, "b": 3.0}
PAIRS = [("bgnbd", "bgcnbd"), ("mbgnbd", "mbgcnbd")]


@pytest.fixture(scope="module")
def histories():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.integers(0, 60, n)
    T = rng.uniform(2, 80, n)
    t_x = np.where(x > 0, T * rng.uniform(0.05, 1, n), 0.0)
    return x, t_x, T


@pytest.fixture(scope="module")
def cdnow():
    tx = load_cdnow_transactions()
    cal_end = tx["date"].min() + pd.Timedelta(weeks=CALIBRATION_WEEKS) - pd.Timedelta(days=1)
    return tx, summarise(tx, observation_end=cal_end, freq="D", multiplier=7, time_col="date", log_gaps=True)


# ------------------------------------------------------------------ k = 1 is BG/NBD and MBG/NBD

@pytest.mark.parametrize("plain,regular", PAIRS)
def test_at_k_1_the_likelihood_and_predictions_are_bgnbd_and_mbgnbd(plain, regular, histories):
    x, t_x, T = histories
    d = cnbd.DROPOUT_AT_ZERO[regular]
    theirs = btyd.LOGLIK[plain](tuple(P.values()), x, t_x, T)
    np.testing.assert_allclose(cnbd.loglik((1, *P.values()), d, x, t_x, T, np.zeros(len(x))), theirs, rtol=1e-12)
    one, general = btyd.BTYDModel(plain, P), btyd.BTYDModel(regular, {"k": 1, **P})
    np.testing.assert_allclose(general.p_alive(x, t_x, T), one.p_alive(x, t_x, T), rtol=1e-12)
    for t in (1.0, 4.35, 13.0, 52.0):
        np.testing.assert_allclose(general.p_no_purchase(t, x, t_x, T), one.p_no_purchase(t, x, t_x, T), rtol=1e-11)
        # the general series against the closed form (its k = 1 case is not special-cased)
        series = cnbd.expected_if_alive_by_phase((1, *P.values()), d, x, T, t)[..., 0]
        np.testing.assert_allclose(series, one.expected_purchases_if_alive(t, x, T), rtol=1e-10)


@pytest.mark.parametrize("plain,regular", PAIRS)
def test_at_k_1_the_fit_is_the_bgnbd_and_mbgnbd_fit(plain, regular, cdnow):
    _, summary = cdnow
    one, general = btyd.fit(summary, plain), btyd.fit(summary, regular, k=1)
    assert general.k == 1 and general.name == btyd.NAMES[plain].replace("NBD", "CNBD-1")
    for name, value in one.params.items():
        assert general.params[name] == pytest.approx(value, rel=1e-5), name
    assert general.log_likelihood == pytest.approx(one.log_likelihood, abs=1e-6)


# ------------------------------------------------------------------ against BTYDplus on CDNOW

BTYDPLUS = {  # BTYDplus 1.2.0 on CDNOW, weeks, calibration to 1997-09-30
    ("bgcnbd", None): ({"k": 1, "r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, -9582.43),
    ("bgcnbd", 2): ({"k": 2, "r": 0.2269, "alpha": 1.4629, "a": 0.9440, "b": 2.0743}, -9855.33),
    ("mbgcnbd", None): ({"k": 1, "r": 0.5248, "alpha": 6.1831, "a": 0.8914, "b": 1.6140}, -9582.14),
    ("mbgcnbd", 2): ({"k": 2, "r": 0.5799, "alpha": 2.2882, "a": 1.1343, "b": 1.5848}, -9853.25),
}


@pytest.mark.parametrize("kind,k", list(BTYDPLUS))
def test_cdnow_fits_are_btydplus_figures(kind, k, cdnow):
    _, summary = cdnow
    model = btyd.fit(summary, kind, k=k)
    params, ll = BTYDPLUS[kind, k]
    assert model.k == params["k"]
    for name, value in params.items():
        assert model.params[name] == pytest.approx(value, rel=5e-4), name
    assert model.log_likelihood == pytest.approx(ll, abs=0.005)
    if k is None:   # k = 2 fits worse, so the search stopped there
        assert set(model.fitted_on["log_likelihood_by_k"]) == {"1", "2"}
        ref = {"bgcnbd": (1.2259, 0.7266), "mbgcnbd": (1.2627, 0.7061)}[kind]
        assert float(model.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(ref[0], abs=1e-4)
        assert float(model.p_alive(2, 30.43, 38.86)) == pytest.approx(ref[1], abs=1e-4)


# ------------------------------------------------------------------ the likelihood and its gradient

@pytest.fixture
def small_blocks(monkeypatch):
    """The fitter's terms sum their rows in blocks: 1,000 rows each, so that the 3,000 here take several."""
    monkeypatch.setattr(cnbd, "_BLOCK", 1000)


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("d", [0, 1])
@pytest.mark.parametrize("no_dropout", [False, True])
def test_gradient_is_the_likelihoods_derivative(k, d, no_dropout, histories, small_blocks):
    terms = cnbd.CNBDTerms(Histories(*histories), k, d, no_dropout=no_dropout)
    at = np.log(list(P.values()))[:2 if no_dropout else 4]
    numeric = approx_fprime(at, lambda v: terms.nll_and_grad(v, 0.3)[0], 1e-7)
    np.testing.assert_allclose(terms.nll_and_grad(at, 0.3)[1], numeric, atol=5e-6)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("d", [0, 1])
@pytest.mark.parametrize("every", [1, 16])
def test_fitter_terms_are_the_per_customer_likelihood_without_its_constant(k, d, every, histories, small_blocks):
    """On all distinct rows and on the warm start's sample of every 16th."""
    x, t_x, T = histories
    h = Histories(x, t_x, T)
    terms = cnbd.CNBDTerms(h, k, d, every=every)
    f, rec, T, w = (v[::every] for v in (h.frequency, h.recency, h.T, h.weight))
    per = cnbd.loglik((k, *P.values()), d, f, rec, T, np.zeros(len(f)))
    constant = -f * math.lgamma(k)
    assert -terms.nll_and_grad(np.log(list(P.values())))[0] * terms.total == pytest.approx(
        float(w @ (per - constant)), rel=1e-12)


@pytest.mark.parametrize("k", [1, 2])
def test_no_dropout_check_is_the_maximum_of_the_process_alone(k, cdnow):
    """The nested model the likelihood-ratio check compares with, fitted to a loose gradient
    tolerance, is within a millionth of a unit of a tight maximisation; at k = 1 it is the NBD."""
    from scipy.optimize import minimize

    _, summary = cdnow
    rows = Histories(summary["frequency"], summary["recency"], summary["T"])
    model = btyd.fit(summary, "bgcnbd", k=k)
    ours = btyd._cnbd_no_dropout(rows, k, 0, (model.params["r"], model.params["alpha"]),
                                 btyd.FitBudget("BG/CNBD-k", "CDNOW"))
    terms = cnbd.CNBDTerms(rows, k, 0, no_dropout=True)
    tight = minimize(lambda v: terms.nll_and_grad(v)[0], np.zeros(2), method="Nelder-Mead",
                     options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 10_000})
    assert ours == pytest.approx(-tight.fun * terms.total, abs=1e-6)
    if k == 1:
        x, T = rows.frequency.astype(float), rows.T
        nbd = btyd._nbd_log_likelihood(x, T, rows.weight.astype(float), 0.5, 5.0, btyd.FitBudget("NBD", "CDNOW"))
        assert ours == pytest.approx(nbd, abs=1e-6)
    full = cnbd.CNBDTerms(rows, k, 0)
    core = -full.nll_and_grad(np.log([model.params[n] for n in ("r", "alpha", "a", "b")]))[0] * full.total
    assert core - ours > 100       # CDNOW shows plenty of dropout


# ------------------------------------------------------------------ predictions at k > 1, by simulation

def _simulate_ahead(rng, params, d, x, t_x, T, t, draws):
    """Purchases in (T, T+t] for members with this history, drawn from the posterior: alive or not by
    P(alive), phase by its weights, then lambda and p from their conditional posteriors."""
    k, r, alpha, a, b = params
    alive = rng.random(draws) < cnbd.p_alive(params, d, x, t_x, T)
    phase = rng.choice(k, draws, p=cnbd.phase_weights(params, x, t_x, T))
    lam = rng.gamma(r + k * x + phase, 1 / (alpha + T))
    p = rng.beta(a, b + x + d, draws)
    count, clock, need = np.zeros(draws), np.zeros(draws), k - phase
    while alive.any():
        clock = clock + rng.gamma(need, 1 / lam)
        bought = alive & (clock <= t)
        count += bought
        alive = bought & (rng.random(draws) >= p)
        need = np.full(draws, k)
    return count


@pytest.mark.parametrize("kind", ["bgcnbd", "mbgcnbd"])
@pytest.mark.parametrize("k,history", [(2, (5, 20.0, 30.0)), (3, (12, 40.0, 52.0)), (4, (0, 0.0, 10.0))])
def test_expected_purchases_and_quiet_chance_match_simulation(kind, k, history):
    model = btyd.BTYDModel(kind, {"k": k, **P})
    rng = np.random.default_rng(20 + k)
    draws, t = 400_000, 10.0
    ahead = _simulate_ahead(rng, model.p, cnbd.DROPOUT_AT_ZERO[kind], *history, t, draws)
    se = ahead.std() / np.sqrt(draws)
    assert float(model.expected_purchases(t, *history)) == pytest.approx(ahead.mean(), abs=4 * se)
    quiet = (ahead == 0).mean()
    assert float(model.p_no_purchase(t, *history)) == pytest.approx(quiet, abs=4 * np.sqrt(quiet * (1 - quiet) / draws))


def test_predictions_are_finite_for_heavy_buyers_and_recency_matters():
    model = btyd.BTYDModel("mbgcnbd", {"k": 3, **P})
    x = np.array([0, 1, 50, 400, 2000])
    T = np.full(5, 104.0)
    for t_x in (T, T - 2.0, T * 0.5):
        out = model.score(pd.DataFrame({"frequency": x, "recency": np.where(x > 0, t_x, 0.0), "T": T}),
                          {"month": 4.35, "year": 52.0})
        assert np.isfinite(out.to_numpy()).all()
    # a member who just bought is early in the rhythm: less likely to buy within a few days than
    # one whose next purchase is due, and heavy buyers with a long silence are gone
    just = model.p_no_purchase(0.5, 100, 100.0, 100.0)
    due = model.p_no_purchase(0.5, 100, 99.0, 100.0)
    assert just > due
    assert float(model.p_alive(400, 50.0, 104.0)) < 1e-6


def test_the_fit_counts_the_customers_whose_expectations_are_not_finite(cdnow, monkeypatch):
    """The fit's check sums the series on the youngest and oldest (frequency, T) pair of each
    frequency; once one of them is not finite, on every pair, to count the customers affected."""
    _, summary = cdnow
    series, sizes = cnbd.expected_if_alive_by_phase, []

    def failing_for_heavy_buyers(params, d, x, T, t):
        sizes.append(np.size(x))
        return np.where(np.asarray(x)[..., None] >= 10, np.nan, series(params, d, x, T, t))

    monkeypatch.setattr(cnbd, "expected_if_alive_by_phase", failing_for_heavy_buyers)
    heavy = int((summary["frequency"] >= 10).sum())
    with pytest.raises(btyd.ModelUnusable, match=rf"^BG/CNBD-2 gives non-finite predictions for {heavy:,} of "
                                                 rf"{len(summary):,} customers"):
        btyd.fit(summary, "bgcnbd", k=2)
    assert sizes == [2 * summary["frequency"].nunique() - (summary.groupby("frequency")["T"].nunique() == 1).sum(),
                     len(summary.groupby(["frequency", "T"]))]


def test_model_round_trips_through_json(tmp_path):
    model = btyd.BTYDModel("bgcnbd", {"k": 3, **P}, n_customers=10, log_likelihood=-123.5)
    loaded = btyd.BTYDModel.from_json(model.to_json(tmp_path / "m.json"))
    assert loaded == model and loaded.k == 3 and loaded.name == "BG/CNBD-3"
    x, t_x, T = 7, 20.0, 30.0
    assert float(loaded.expected_purchases(13.0, x, t_x, T)) == float(model.expected_purchases(13.0, x, t_x, T))


# ------------------------------------------------------------------ the summary's log inter-purchase times

def test_log_gap_sums_are_the_members_own_and_need_only_choosing_k(cdnow):
    tx, summary = cdnow
    cal = tx[tx["date"] <= tx["date"].min() + pd.Timedelta(weeks=CALIBRATION_WEEKS) - pd.Timedelta(days=1)]
    days = cal.assign(d=cal["date"].dt.normalize()).drop_duplicates(["customer_id", "d"]).sort_values("d")
    gaps = days.groupby("customer_id")["d"].diff().dt.days / 7
    own = np.log(gaps.dropna()).groupby(days.loc[gaps.notna(), "customer_id"]).sum()
    expected = own.reindex(summary.index, fill_value=0.0)
    np.testing.assert_allclose(summary["litt"], expected, atol=1e-9)
    assert (summary.loc[summary["frequency"] == 0, "litt"] == 0).all()
    portable = summarise(tx, observation_end=cal["date"].max(), freq="D", multiplier=7, time_col="date",
                         log_gaps=True, portable=True)
    assert portable["litt"].equals(summary["litt"])
    with pytest.raises(ValueError, match="log inter-purchase times"):
        btyd.fit(summary.drop(columns="litt"), "bgcnbd")
    assert btyd.fit(summary.drop(columns="litt"), "bgcnbd", k=1).k == 1


# ------------------------------------------------------------------ the simulator's ground truth

@pytest.mark.parametrize("k", [2, 3])
def test_erlang_store_gives_back_its_regularity_and_parameters(k):
    store = simulate_store(seed=7, n_customers=5000, regularity=k, campaigns=False)
    tx = store.tables["transactions"]
    baskets = tx.groupby("basket_id").agg(customer_id=("customer_id", "first"), timestamp=("timestamp", "first"),
                                          amount=("amount", "sum"))
    members = baskets[baskets["customer_id"].notna()]
    summary = summarise(members, observation_end=store.truth.end, freq="D", multiplier=7, log_gaps=True)
    model = btyd.fit(summary, "bgcnbd")
    assert model.k == k
    for name, true in store.truth.bgcnbd.items():
        assert model.params[name] == pytest.approx(true, rel=0.10), name
