"""Churn drivers: the interval statistics, the compared groups, and the simulator's truth."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import write_demo_config
from retention_lib.analytics import lapse_drivers, kpis
from retention_lib.core.stats import newcombe, welch, wilson
from retention_lib.data.prepare import open_run
from retention_lib.report import text


def test_wilson_and_newcombe_match_published_values():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    d, low, high = newcombe(56, 70, 48, 80)        # Newcombe (1998), method 10
    assert d == pytest.approx(0.2) and (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_welch_interval_matches_scipy_and_cohens_d_is_standardised():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 2.0, 80), rng.normal(0.0, 1.0, 120)
    w = welch(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (w.lo, w.hi) == pytest.approx((ci.low, ci.high))
    pooled = np.sqrt((79 * a.var(ddof=1) + 119 * b.var(ddof=1)) / 198)
    assert w.cohens_d == pytest.approx((a.mean() - b.mean()) / pooled)
    assert w.d_lo < w.cohens_d < w.d_hi
    same = welch(np.ones(5), np.ones(5))
    assert same.difference == 0 and np.isnan(same.cohens_d)


def basket_rows(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "store_id", "day", "amount", "coupon_discount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=11)
    out["date"] = out["timestamp"].dt.normalize()
    out["basket_id"] = [f"B{i}" for i in range(len(out))]
    out["gross_amount"], out["discount"] = out["amount"], 0.0
    out["is_member"], out["is_purchase"] = True, out["amount"] > 0
    return out


def test_groups_features_and_categories_on_a_hand_built_store():
    b = basket_rows([
        ("A", "S1", "2024-01-10", 100, 0), ("A", "S1", "2024-03-20", 100, 5),     # retained
        ("B", "S2", "2024-01-05", 50, 5), ("B", "S2", "2024-02-01", 50, 5),       # lapsed
        ("C", "S1", "2024-03-15", 80, 0),                                          # too recent to judge
        ("D", "S1", "2022-12-01", 80, 0),                                          # before the window
    ])
    lines = b[["customer_id", "timestamp", "amount"]].assign(category=["fresh produce", "snacks", "snacks",
                                                                       "snacks", "fresh produce", "snacks"])
    customers = pd.DataFrame({"customer_id": list("ABCD"), "join_date": pd.to_datetime(["2023-06-01"] * 4),
                              "age_band": ["25-34", "65+", None, None]})
    g = lapse_drivers.comparison_groups(b, pd.Timestamp("2024-04-01"), 30)
    assert g.lapsed.to_dict() == {"A": False, "B": True}
    assert g.window_start == pd.Timestamp("2023-04-01")          # 12 months to the end; D bought before
    num, cats = lapse_drivers.features(b, g, lines, customers)
    assert num.loc["A", "share_fresh produce"] == pytest.approx(50.0)
    assert num.loc["B", "share_fresh produce"] == pytest.approx(0.0)
    assert num.loc["B", "coupon_basket_share"] == pytest.approx(100.0)
    assert num.loc["A", "tenure_months"] == pytest.approx((pd.Timestamp("2024-03-31") - pd.Timestamp("2023-06-01")).days
                                                          / (365.25 / 12))
    assert cats.loc["B", "main_store"] == "S2" and cats.loc["A", "age_band"] == "25-34"
    assert "Share of spend: fresh produce (%)" in {text.feature_label(f) for f in num}
    cat = lapse_drivers.categorical_effects(cats, g.lapsed).set_index(["variable", "level"])
    assert cat.loc[("main_store", "S2"), "difference"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("drivers-store")
    cfg = write_demo_config(root, seed=11, n_customers=1500, months=18)
    run = open_run(cfg, "2025-06", root / "run")
    lapse = kpis.lapse_rule(run)
    return run, lapse_drivers.for_month(run, lapse.days)


@pytest.mark.slow
def test_simulated_lapsers_buy_less_fresh_produce_and_use_more_coupons(simulated):
    _, result = simulated
    n = result.numeric.set_index("feature")
    fresh, coupon = n.loc["share_fresh produce"], n.loc["coupon_basket_share"]
    assert fresh["difference"] < 0 and fresh["ci_high"] < 0 and fresh["d_high"] < 0
    assert coupon["difference"] > 0 and coupon["ci_low"] > 0 and coupon["d_low"] > 0
    assert fresh["n_lapsed"] > 100 and fresh["n_retained"] > 100


@pytest.mark.slow
def test_simulated_categories_and_headline(simulated):
    run, result = simulated
    cat = result.categorical
    assert {"main_store", "age_band", "gender"} <= set(cat["variable"])
    for _, g in cat.groupby("variable"):
        assert g["lapsed_share"].sum() == pytest.approx(1.0) and g["retained_share"].sum() == pytest.approx(1.0)
    assert (cat["ci_low"] <= cat["difference"]).all() and (cat["difference"] <= cat["ci_high"]).all()
    top = [h["feature"] for h in result.headline()]
    assert "share_fresh produce" in top[:3]
    lapse_drivers.save(run, result)
    saved = run.read("drivers")
    assert saved["lapsed"] == int(result.groups.lapsed.sum()) and "lapsed" in text.say(saved["groups"])


@pytest.mark.parametrize("category", ["absent", "all missing"])
def test_drivers_without_categories_compare_the_rest_and_say_why(tmp_path, category):
    b = basket_rows([("A", "S1", "2024-01-10", 100, 0), ("A", "S1", "2024-03-20", 100, 5),
                     ("E", "S1", "2024-01-12", 60, 0), ("E", "S2", "2024-03-25", 80, 0),
                     ("B", "S2", "2024-01-05", 50, 5), ("B", "S2", "2024-02-01", 50, 5),
                     ("F", "S2", "2024-01-08", 40, 0), ("F", "S1", "2024-02-02", 30, 0)])
    # The required transaction columns only (customer_id, basket_id, timestamp, amount, store_id).
    lines = b[["customer_id", "basket_id", "timestamp", "amount", "store_id"]]
    if category == "all missing":
        lines = lines.assign(category=pd.Series([None] * len(lines), dtype="string"))
    path = tmp_path / "transactions.parquet"
    lines.to_parquet(path, index=False)
    for source in (lines, path):
        result = lapse_drivers.drivers(b, pd.Timestamp("2024-04-01"), 30, lines=source)
        assert result.groups.lapsed.to_dict() == {"A": False, "B": True, "E": False, "F": True}
        assert not result.has_categories
        assert not result.numeric["feature"].str.startswith("share_").any()
        assert {"spend_per_basket", "coupon_basket_share"} <= set(result.numeric["feature"])
        assert result.numeric.set_index("feature").loc["spend_per_basket", "lapsed"] == pytest.approx(42.5)
        assert any("no product categories" in text.say(n) and "map a category column in the config" in text.say(n)
                   for n in result.notes)


@pytest.mark.slow
def test_simulated_drivers_have_categories(simulated):
    run, result = simulated
    assert result.has_categories and not any("categories" in text.say(n) for n in result.notes)
    lapse_drivers.save(run, result)
    assert run.read("drivers")["has_categories"] is True
