"""Campaign uplift: intervals by hand, and the simulated win-back's known effect recovered."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retention_lib.analytics import campaigns
from retention_lib.core.stats import newcombe, welch, wilson
from retention_lib.data.aggregate import baskets_from_lines
from retention_lib.data.sources.demo import simulate_store


def test_wilson_and_newcombe_match_hand_computation():
    lo, hi = wilson(30, 100)
    z = stats.norm.ppf(0.975)
    p, n = 0.3, 100
    centre = (p + z * z / 200) / (1 + z * z / 100)
    half = z * np.sqrt(p * (1 - p) / n + z * z / 40000) / (1 + z * z / 100)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    # Newcombe (1998) table II example: 56/70 vs 48/80 -> 0.2, CI 0.0524 to 0.3339
    d, lo, hi = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0524, 0.3339), abs=5e-4)


def test_welch_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 3, 80), rng.normal(8, 5, 50)
    w = welch(a, b)
    d, lo, hi = w.difference, w.lo, w.hi
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert d == pytest.approx(a.mean() - b.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


@pytest.fixture(scope="module")
def store():
    return simulate_store(seed=5, n_customers=3000, months=24)


@pytest.mark.slow
def test_simulated_winback_effect_falls_inside_the_interval(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    table = campaigns.evaluate(store.tables["campaigns"], baskets, pd.Timestamp("2026-01-01"))
    [cid] = [c for c, t in store.truth.campaigns.items() if t["has_control"]]
    truth = store.truth.campaigns[cid]
    rows = table[table["campaign_id"] == cid].set_index("measure")
    for measure, key in (("reactivated", "true_uplift_reactivation"), ("visits", "true_uplift_visits"),
                         ("spend", "true_uplift_spend")):
        assert rows.loc[measure, "low"] <= truth[key] <= rows.loc[measure, "high"], measure
        assert rows.loc[measure, "significant"]
    revenue = rows.loc["incremental revenue"]
    assert revenue["uplift"] == pytest.approx(rows.loc["spend", "uplift"] * truth["n_treatment"])


@pytest.mark.slow
def test_campaign_without_control_is_not_estimated(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    table = campaigns.evaluate(store.tables["campaigns"], baskets, pd.Timestamp("2026-06-01"))
    [cid] = [c for c, t in store.truth.campaigns.items() if not t["has_control"]]
    row = table[table["campaign_id"] == cid]
    assert len(row) == 1 and "cannot be estimated" in row["status"].iloc[0]
    assert pd.isna(row.get("uplift", pd.Series([np.nan])).iloc[0])


@pytest.mark.slow
def test_incomplete_window_is_not_measured_yet(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    cid = next(c for c, t in store.truth.campaigns.items() if t["has_control"])
    sent = store.tables["campaigns"].loc[store.tables["campaigns"]["campaign_id"] == cid, "sent_at"].min()
    table = campaigns.evaluate(store.tables["campaigns"], baskets, sent + pd.Timedelta(weeks=4))
    row = table[table["campaign_id"] == cid]
    assert len(row) == 1 and "not complete" in row["status"].iloc[0]


@pytest.mark.slow
def test_targeted_vs_untargeted_is_labelled_not_an_effect(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    out = campaigns.targeted_vs_untargeted(store.tables["campaigns"], baskets, pd.Timestamp("2026-06-01"))
    assert len(out) == 3 and (out["note"] == "not an effect: targeting was not random").all()
