"""Lines into baskets (DuckDB), on hand-built tables whose answer is known; exact money sums
against fraction arithmetic."""
import statistics
from fractions import Fraction

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from retention_lib.data import aggregate, engine


def lines(rows):
    return pd.DataFrame(rows, columns=["customer_id", "basket_id", "timestamp", "amount", "store_id", "discount"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"]))


def test_returns_are_netted_inside_the_basket():
    out = aggregate.baskets_from_lines(lines([
        ("C1", "B1", "2025-03-01 10:00", 30.0, "S1", 1.0),
        ("C1", "B1", "2025-03-01 10:00", 12.5, "S1", 0.0),
        ("C1", "B1", "2025-03-01 10:01", -10.0, "S1", 0.0),
    ])).set_index("basket_id")
    assert out.loc["B1", "amount"] == pytest.approx(32.5)
    assert out.loc["B1", "gross_amount"] == pytest.approx(42.5)
    assert out.loc["B1", "returned_amount"] == pytest.approx(10.0)
    assert out.loc["B1", "n_lines"] == 3
    assert out.loc["B1", "discount"] == pytest.approx(1.0)
    assert out.loc["B1", "timestamp"] == pd.Timestamp("2025-03-01 10:00")
    assert bool(out.loc["B1", "is_purchase"])


def test_same_day_baskets_stay_separate_and_return_only_baskets_are_not_purchases():
    out = aggregate.baskets_from_lines(lines([
        ("C1", "B1", "2025-03-01 09:00", 20.0, "S1", 0.0),
        ("C1", "B2", "2025-03-01 18:00", 15.0, "S1", 0.0),
        ("C1", "B3", "2025-03-02 11:00", -8.0, "S1", 0.0),
    ])).set_index("basket_id")
    assert list(out.index) == ["B1", "B2", "B3"]
    assert out["is_purchase"].tolist() == [True, True, False]
    assert out["amount"].sum() == pytest.approx(27.0)


def test_non_member_baskets_are_kept_and_flagged():
    out = aggregate.baskets_from_lines(lines([
        (None, "N1", "2025-03-01 09:00", 5.0, "S1", 0.0),
        ("C1", "B1", "2025-03-01 10:00", 7.0, "S2", 0.0),
    ])).set_index("basket_id")
    assert out.loc["N1", "is_member"] == False  # noqa: E712
    assert pd.isna(out.loc["N1", "customer_id"])
    assert out.loc["B1", "is_member"] == True  # noqa: E712


def test_daily_coverage_fills_days_without_baskets_with_zero():
    baskets = aggregate.baskets_from_lines(lines([
        ("C1", "B1", "2025-03-01 09:00", 20.0, "S1", 0.0),
        ("C1", "B2", "2025-03-03 09:00", 10.0, "S2", 0.0),
    ]))
    daily = aggregate.daily_coverage(baskets)
    assert len(daily) == 3 * 2  # 3 days x 2 stores
    zero = daily[(daily["date"] == pd.Timestamp("2025-03-02")) & (daily["store_id"] == "S1")]
    assert int(zero["baskets"].iloc[0]) == 0


def test_monthly_membership_counts():
    baskets = aggregate.baskets_from_lines(lines([
        (None, "N1", "2025-03-01 09:00", 5.0, "S1", 0.0),
        ("C1", "B1", "2025-03-05 10:00", 7.0, "S1", 0.0),
        ("C1", "B2", "2025-04-05 10:00", 9.0, "S1", 0.0),
    ]))
    m = aggregate.monthly_membership(baskets).set_index("month")
    assert m.loc["2025-03", "member_baskets"] == 1 and m.loc["2025-03", "non_member_baskets"] == 1
    assert m.loc["2025-04", "member_revenue"] == pytest.approx(9.0)
    assert m.loc["2025-04", "non_member_revenue"] == 0


def test_baskets_from_the_required_columns_only():
    only = lines([("C1", "B1", "2025-03-01 10:00", 30.0, "S1", 0.0)]).drop(columns="discount")
    out = aggregate.baskets_from_lines(only)
    assert out["discount"].tolist() == [0.0] and out["coupon_discount"].tolist() == [0.0]


def _sql(con, expr_sql, values):
    con.register("v", pd.DataFrame({"x": values}))   # money_sum is SQL for DuckDB (the summary's fast path)
    return con.execute(f"SELECT {expr_sql} FROM v").fetchall()[0][0]


def test_money_sums_match_exact_decimal_arithmetic():
    rng = np.random.default_rng(4)
    cents = rng.integers(-50_000, 500_000, 20_000)
    values = cents / 100
    exact = Fraction(int(cents.sum()), 100)                          # ground truth, in fen
    con = duckdb.connect()
    assert _sql(con, aggregate.money_sum("x"), values) == float(exact)
    assert _sql(con, aggregate.money_sum("x", "x > 0"), values) == float(Fraction(int(cents[cents > 0].sum()), 100))
    assert float(exact) != sum(values.tolist())                      # plain float addition is off here
    # More than four decimals are rounded to the nearest 0.0001 before summing.
    assert _sql(con, aggregate.money_sum("x"), [1.23456, 2.00004]) == 3.2346


def _stats(values, where=None):
    t = ibis.memtable(pd.DataFrame({"x": values}))
    figures = aggregate.money_stats(t.x, t.x.notnull() if where is None else where(t.x))
    return engine.connect().to_pyarrow(t.aggregate(**figures)).to_pylist()[0]


def test_money_mean_and_variance_match_exact_fractions():
    rng = np.random.default_rng(5)
    cents = rng.integers(1, 100_000, 5_000)
    exact = [Fraction(int(c), 100) for c in cents]
    got = _stats(cents / 100)
    assert got["n"] == len(cents)
    assert got["mean"] == pytest.approx(float(statistics.mean(exact)), rel=1e-15)
    assert got["var"] == pytest.approx(float(statistics.variance(exact)), rel=1e-15)
    assert got["var"] == pytest.approx(np.var(cents / 100, ddof=1), rel=1e-12)
    assert _stats([5.0])["var"] is None                          # one value: no sample variance
    assert _stats([5.0, 7.0], lambda x: x > 6)["n"] == 1         # only where the condition holds
    # A large level with a small spread: sums of squares in floats would cancel away the digits.
    level = [1e9 + c for c in (0.01, 0.02, 0.03)]
    assert _stats(level)["var"] == pytest.approx(1e-4, rel=1e-12)


def test_an_amount_beyond_any_sale_is_a_plain_error():
    bad = lines([("C1", "B1", "2025-03-01 10:00", 6.9e15, "S1", 0.0)])   # a barcode mapped as amount
    with pytest.raises(ValueError, match="check which column .* is mapped to amount"):
        aggregate.baskets_from_lines(bad)
