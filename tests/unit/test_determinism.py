"""Same data, same numbers: every scan gives bitwise identical results whatever the row order
of its input and however DuckDB's threads split the work, and rankings break ties by a key.

Plain float sums fail these tests (sums of the same amounts in another order differ in the
last bits); exact money sums and ordered results pass them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_lib.data import aggregate, engine
from retention_lib.analytics import lapse_drivers, early_warning, kpis, segments
from retention_lib.analytics.satisfaction.complaints import month_figures as complaints_summary, purchase_counts
from retention_lib.report.satisfaction_display import store_display
from retention_lib.models.summary import calibration_and_holdout, summarise

START = pd.Timestamp("2024-01-01")
END = pd.Timestamp("2025-03-01")          # exclusive: 14 months of data
LAPSE_DAYS = 56
CATEGORIES = np.array(["fresh produce", "dairy", "snacks", "household", "drinks"])


def store_lines(n_customers: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transaction lines of a supermarket (members who drop out, walk-ins, returns, discounts,
    coupons, categories, three stores) and the customers table, with amounts in fen."""
    rng = np.random.default_rng(seed)
    days = (END - START).days
    first = rng.integers(0, days - 20, n_customers)
    last = np.minimum(first + rng.exponential(300.0, n_customers), days)
    visits = 1 + rng.poisson(rng.gamma(2.0, 0.06, n_customers) * (last - first))
    owner = np.repeat(np.arange(n_customers), visits)
    day = first[owner] + np.floor(rng.random(owner.size) * (last - first)[owner])
    home = rng.integers(0, 3, n_customers)[owner]
    store = np.where(rng.random(owner.size) < 0.8, home, rng.integers(0, 3, owner.size))
    customer = np.array([f"C{i:05d}" for i in range(n_customers)], dtype=object)[owner]
    walk_ins = owner.size // 6                       # non-member baskets
    day = np.r_[day, rng.integers(0, days, walk_ins)]
    store = np.r_[store, rng.integers(0, 3, walk_ins)]
    customer = np.r_[customer, np.full(walk_ins, None, dtype=object)]
    n_baskets = day.size
    seconds = rng.integers(8 * 3600, 21 * 3600, n_baskets)
    size = 1 + rng.poisson(4.0, n_baskets)
    b = np.repeat(np.arange(n_baskets), size)
    cents = np.round(rng.lognormal(7.2, 0.9, b.size))
    cents[rng.random(b.size) < 0.03] *= -1                                     # returned items
    discount = np.where(rng.random(b.size) < 0.2, np.round(cents.clip(0) * rng.uniform(0, 0.2, b.size)), 0)
    coupon = np.where((rng.random(n_baskets) < 0.05)[b] & np.r_[True, b[1:] != b[:-1]], 500.0, 0.0)
    lines = pd.DataFrame({
        "customer_id": pd.Series(customer[b], dtype="string"),
        "basket_id": [f"B{i:07d}" for i in b],
        "timestamp": START + pd.to_timedelta(day[b], "D") + pd.to_timedelta(seconds[b], "s"),
        "amount": cents / 100, "store_id": np.array(["S1", "S2", "S3"])[store[b]],
        "category": CATEGORIES[rng.integers(0, len(CATEGORIES), b.size)],
        "discount": discount / 100, "coupon_discount": coupon / 100,
    })
    ids = [f"C{i:05d}" for i in range(n_customers)]
    customers = pd.DataFrame({"customer_id": pd.Series(ids, dtype="string"),
                              "join_date": START + pd.to_timedelta(first - rng.integers(0, 90, n_customers), "D"),
                              "age_band": rng.choice(["18-34", "35-54", "55+"], n_customers)})
    return lines, customers


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def assert_identical(a, b, what: str) -> None:
    """Equal values, dtypes and order, and floats equal bit for bit (not just within 1 ulp)."""
    if isinstance(a, pd.Series):
        a, b = a.to_frame(), b.to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=what)
    for col in a.columns:
        if pd.api.types.is_float_dtype(a[col].dtype):
            x, y = a[col].to_numpy(dtype="float64"), b[col].to_numpy(dtype="float64")
            assert x.tobytes() == y.tobytes(), f"{what}: column {col!r} differs in its bits"


def scans(lines: pd.DataFrame, customers: pd.DataFrame, basket_seed: int | None = None) -> dict:
    """Every per-basket, per-customer and per-month scan of the report, from lines (and, with
    `basket_seed`, from the baskets in a shuffled order)."""
    baskets = aggregate.baskets_from_lines(lines)
    out = {"baskets": baskets}
    if basket_seed is not None:
        baskets = shuffled(baskets, basket_seed)
    bought = baskets.loc[baskets["is_member"] & baskets["is_purchase"], ["customer_id", "timestamp", "amount"]]
    last_day = END - pd.Timedelta(days=1)
    out["summary"] = summarise(bought, observation_end=last_day, freq="D", multiplier=7)
    out["holdout"] = calibration_and_holdout(bought, calibration_end="2024-11-30", observation_end=last_day,
                                             freq="D", multiplier=7)
    out["daily"] = aggregate.daily_coverage(baskets)
    out["membership"] = aggregate.monthly_membership(baskets)
    out["kpis"] = kpis.monthly_kpis(baskets, LAPSE_DAYS)
    out["gaps"] = pd.Series(np.sort(kpis.purchase_gaps(baskets)))
    out["rfm"] = segments.rfm(baskets, END)
    out["early_warning"] = early_warning.early_warning(baskets, END)
    groups = lapse_drivers.comparison_groups(baskets, END, LAPSE_DAYS)
    num, cats = lapse_drivers.features(baskets, groups, lines, customers)
    out["driver_features"], out["driver_categories"] = num, cats
    out["driver_effects"] = lapse_drivers.numeric_effects(num, groups.lapsed)
    return out


@pytest.fixture(scope="module")
def store():
    lines, customers = store_lines(500, seed=5)
    return lines, customers, scans(lines, customers)


def test_the_store_exercises_what_the_scans_compute(store):
    lines, _, ref = store
    assert len(lines) > 30_000 and lines["customer_id"].isna().mean() > 0.1
    assert (ref["baskets"]["amount"] <= 0).any() and ref["baskets"]["returned_amount"].gt(0).any()
    assert ref["summary"]["frequency"].gt(10).sum() > 50
    g = ref["driver_features"]
    assert {"share_fresh produce", "discount_share", "coupon_basket_share"} <= set(g.columns)
    assert ref["early_warning"]["n_reasons"].gt(0).any()
    assert ref["kpis"]["churn_rate"].notna().sum() > 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_lines_and_baskets_give_bitwise_identical_results(store, seed):
    lines, customers, ref = store
    got = scans(shuffled(lines, seed), customers, basket_seed=100 + seed)
    for name in ref:
        assert_identical(got[name], ref[name], name)


def test_money_sums_are_exact_not_float_rounded():
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats but 0.6 in fen; 1e8 + 0.01 - 1e8 loses the fen.
    lines = pd.DataFrame({"customer_id": ["C1"] * 6, "basket_id": ["B1"] * 3 + ["B2"] * 3,
                          "timestamp": pd.to_datetime(["2025-01-02 10:00"] * 3 + ["2025-01-05 10:00"] * 3),
                          "amount": [0.1, 0.2, 0.3, 1e8, 0.01, -1e8], "store_id": "S1"})
    b = aggregate.baskets_from_lines(lines).set_index("basket_id")
    assert b.loc["B1", "amount"] == 0.6 and b.loc["B2", "amount"] == 0.01
    assert b.loc["B2", "gross_amount"] == 100_000_000.01 and b.loc["B2", "returned_amount"] == 1e8
    assert aggregate.monthly_membership(b.reset_index())["member_revenue"].iloc[0] == 0.61


@pytest.mark.slow
def test_repeated_runs_with_several_threads_are_bitwise_identical(request):
    """A store large enough for DuckDB to split every scan across threads (4 on the engine, here)."""
    con = engine.connect()
    threads = con.raw_sql("SELECT current_setting('threads')").fetchone()[0]
    con.raw_sql("SET threads = 4")
    request.addfinalizer(lambda: con.raw_sql(f"SET threads = {threads}"))
    lines, _ = store_lines(5000, seed=9)
    assert len(lines) > 300_000
    runs = []
    for _ in range(3):
        baskets = aggregate.baskets_from_lines(lines)
        bought = baskets.loc[baskets["is_member"] & baskets["is_purchase"], ["customer_id", "timestamp", "amount"]]
        runs.append({"baskets": baskets,
                     "summary": summarise(bought, observation_end=END - pd.Timedelta(days=1), freq="D", multiplier=7),
                     "kpis": kpis.monthly_kpis(baskets, LAPSE_DAYS),
                     "early_warning": early_warning.behaviour(baskets, END)})
    for other in runs[1:]:
        for name in runs[0]:
            assert_identical(other[name], runs[0][name], name)


def test_complaint_rankings_break_ties_by_name_whatever_the_input_order():
    opened = pd.to_datetime(["2025-01-03", "2025-01-05", "2025-01-08", "2025-01-09", "2025-01-12", "2025-01-20"])
    complaints = pd.DataFrame({"complaint_id": [f"K{i}" for i in range(6)], "opened_at": opened,
                               "closed_at": opened + pd.Timedelta(hours=20), "resolved": True,
                               "category": ["staff", "price", "freshness", "price", "staff", "checkout"],
                               "store_id": ["S2", "S1", "S3", "S2", "S1", "S3"]})
    baskets = pd.DataFrame({"timestamp": pd.date_range("2025-01-01", periods=300, freq="2h"),
                            "store_id": ["S1", "S2", "S3"] * 100, "is_purchase": True})
    month = pd.Period("2025-01", "M")
    for seed in range(3):
        s = complaints_summary(shuffled(complaints, seed), purchase_counts(shuffled(baskets, seed)), month)
        assert [(r["category"], r["complaints"]) for r in s["by_category"]] == \
            [("price", 2), ("staff", 2), ("checkout", 1), ("freshness", 1)]
        assert store_display(s["by_store"])["store"].tolist() == ["S1", "S2", "S3"]   # equal rates
