"""Store-level figures: every member counts in one home store, so the stores' member counts add
up to the chain's, while baskets and revenue stay where they happened; the home-store rule is
checked against a pandas computation, hand-built ties and the simulator's registered home store."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import kpis, lifecycle
from retention_lib.data.aggregate import baskets_from_lines
from retention_lib.data.sources.demo import simulate_store
from retention_lib.report import text

N = 35
MEMBER_COUNTS = ["active_customers", "new_customers", "reactivated_customers", "lapsed_customers", "active_base_start",
                 "base_end", "dormant_customers", "lost_customers", "returning_customers"]


@pytest.fixture(scope="module")
def chain():
    """A simulated chain of four stores over 14 months, its baskets and its monthly KPIs."""
    store = simulate_store(seed=5, n_customers=400, months=14, n_stores=4)
    b = baskets_from_lines(store.tables["transactions"])
    return store, b, kpis.monthly_kpis(b, N)


def baskets(rows) -> pd.DataFrame:
    """rows: (customer or None, store, 'YYYY-MM-DD', amount) → canonical baskets."""
    out = pd.DataFrame(rows, columns=["customer_id", "store_id", "day", "amount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=10)
    out["date"] = out["timestamp"].dt.normalize()
    out["basket_id"] = [f"B{i:04d}" for i in range(len(out))]
    out["is_member"] = out["customer_id"].notna()
    out["is_purchase"] = out["amount"] > 0
    return out


def home_by_pandas(b: pd.DataFrame, month: str) -> pd.Series:
    """The home-store rule, written again in pandas: most purchase baskets in the 12 months to the
    month's end, then the latest visit, then the lower store id."""
    m = pd.Period(month, "M")
    p = b[b["is_member"] & b["is_purchase"] & (pd.to_datetime(b["date"]) <= m.end_time)].copy()
    p["recent"] = pd.to_datetime(p["date"]) >= (m - 11).start_time
    g = p.groupby(["customer_id", "store_id"]).agg(recent=("recent", "sum"), last=("date", "max")).reset_index()
    g = g.sort_values(["customer_id", "recent", "last", "store_id"], ascending=[True, False, False, True])
    return g.drop_duplicates("customer_id").set_index("customer_id")["store_id"].astype(str)


def test_store_member_counts_add_up_to_the_chain_every_month(chain):
    _, b, monthly = chain
    total = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    stores = monthly[monthly["scope"] != kpis.TOTAL]
    assert stores["scope"].nunique() == 4
    for col in MEMBER_COUNTS:
        summed = stores.groupby("month")[col].sum(min_count=1)
        # warm-up months leave the same columns empty in the total and in every store
        assert np.array_equal(summed.to_numpy(float), total[col].to_numpy(float), equal_nan=True), col
    assert stores.groupby("month")["baskets"].sum().tolist() == total["baskets"].tolist()
    assert stores.groupby("month")["revenue"].sum().to_numpy() == pytest.approx(total["revenue"].to_numpy())
    # revenue where it happened: the raw baskets of each store
    june = b[pd.to_datetime(b["date"]).dt.strftime("%Y-%m") == total.index[-1]]
    last = stores[stores["month"] == total.index[-1]].set_index("scope")
    assert last["revenue"].to_dict() == pytest.approx(june.groupby("store_id")["amount"].sum().to_dict())


def test_active_members_count_in_the_home_store_of_the_pandas_rule(chain):
    _, b, monthly = chain
    for month in ("2024-06", "2025-02"):
        home = home_by_pandas(b, month)
        in_month = b[b["is_member"] & b["is_purchase"]
                     & (pd.to_datetime(b["date"]).dt.strftime("%Y-%m") == month)]["customer_id"].unique()
        expected = home.loc[in_month].value_counts().to_dict()
        got = monthly[(monthly["month"] == month) & (monthly["scope"] != kpis.TOTAL)].set_index("scope")
        assert got["active_customers"].to_dict() == {s: expected.get(s, 0) for s in got.index}


def test_the_home_store_is_mostly_the_one_the_simulator_registered(chain):
    store, b, monthly = chain
    month = monthly["month"].max()
    registered = store.tables["customers"].set_index("customer_id")["home_store_id"].astype(str)
    home = home_by_pandas(b, month)
    assert (home == registered.reindex(home.index)).mean() > 0.9
    active = b[b["is_member"] & b["is_purchase"] & (pd.to_datetime(b["date"]).dt.strftime("%Y-%m") == month)]
    by_registered = registered.loc[active["customer_id"].unique()].value_counts()
    got = monthly[(monthly["month"] == month) & (monthly["scope"] != kpis.TOTAL)].set_index("scope")
    assert (got["active_customers"] - by_registered.reindex(got.index)).abs().sum() <= 0.05 * by_registered.sum()


# X: two baskets at S1 in 2023-01, then one at S2 in 2024-02: the S1 visits fell out of the 12 months.
# Y: one basket at S1 (Feb 3) and one at S2 (Feb 10): equal counts, the later visit wins (S2).
# Z: one basket at S3 and one at S1 on the same day: the lower store id wins (S1).
# W: a non-member basket at S4, which is home to no member.
TIES = baskets([
    ("X", "S1", "2023-01-05", 10), ("X", "S1", "2023-01-20", 10), ("X", "S2", "2024-02-15", 10),
    ("Y", "S1", "2024-02-03", 10), ("Y", "S2", "2024-02-10", 10),
    ("Z", "S3", "2024-02-07", 10), ("Z", "S1", "2024-02-07", 10),
    (None, "S4", "2024-02-08", 25),
])


def test_home_store_window_and_ties():
    monthly = kpis.monthly_kpis(TIES, N)
    feb = monthly[monthly["month"] == "2024-02"].set_index("scope")
    assert feb["active_customers"].to_dict() == {kpis.TOTAL: 3, "S1": 1, "S2": 2, "S3": 0, "S4": 0}
    assert feb.loc["S3", "revenue"] == 10 and feb.loc["S4", "revenue"] == 25   # baskets where they happened
    jan = monthly[monthly["month"] == "2023-01"].set_index("scope")
    assert jan.loc["S1", "active_customers"] == 1                              # X, at S1 then
    assert home_by_pandas(TIES, "2024-02").to_dict() == {"X": "S2", "Y": "S2", "Z": "S1"}


def test_ratios_of_baskets_to_home_members_are_not_given_per_store():
    monthly = kpis.monthly_kpis(TIES, N)
    stores = monthly[monthly["scope"] != kpis.TOTAL]
    assert stores[["visits_per_active", "revenue_per_active"]].isna().all().all()
    total = monthly[(monthly["scope"] == kpis.TOTAL) & (monthly["month"] == "2024-02")].iloc[0]
    assert total["visits_per_active"] == pytest.approx(5 / 3)


def test_store_table_rows_add_up_and_the_rest_is_one_line(chain):
    _, _, monthly = chain
    month = monthly["month"].max()
    table = kpis.store_table(monthly, month, top=2)
    assert list(table.index[:1]) == [kpis.TOTAL] and table.index[-1] == kpis.MORE_STORES
    assert table.at[kpis.MORE_STORES, "stores"] == 2 and table.at[kpis.TOTAL, "stores"] == 4
    parts = table.drop(index=kpis.TOTAL)
    for col in ("active_customers", "lapsed_customers", "baskets"):
        assert parts[col].sum() == table.at[kpis.TOTAL, col], col
    assert parts["revenue"].sum() == pytest.approx(table.at[kpis.TOTAL, "revenue"])
    # the summed line's rates come from its stores' sums, not an average of their rates
    rows = monthly[(monthly["month"] == month) & (monthly["scope"] != kpis.TOTAL)]
    rest = rows.sort_values(["revenue", "scope"], ascending=[False, True]).iloc[2:]
    # (every lapse is one from the base at the month's start, so lapsed ÷ base is the churn of the line)
    assert table.at[kpis.MORE_STORES, "churn_rate"] == pytest.approx(
        rest["lapsed_customers"].sum() / rest["active_base_start"].sum())
    assert table.at[kpis.MORE_STORES, "lapsed_customers"] == rest["lapsed_customers"].sum() > 0
    assert table.at[kpis.MORE_STORES, "avg_basket_value"] == pytest.approx(
        rest["revenue"].sum() / rest["baskets"].sum())
    shown = text.stores_display(table, "CNY")
    assert list(shown.index) == ["All stores", *table.index[1:-1], "2 more stores"]
    assert "revenue" in shown.columns    # one money form: the currency is in the cells
    assert shown["revenue"].str.endswith(" CNY").all()


def test_store_facts_count_the_stores_of_the_month(chain):
    _, b, monthly = chain
    month = monthly["month"].max()
    facts = kpis.store_facts(monthly, month, top=3)
    in_month = b[pd.to_datetime(b["date"]).dt.strftime("%Y-%m") == month]
    assert facts["stores_with_baskets"] == in_month["store_id"].nunique() == 4
    assert facts["stores_in_data"] == b["store_id"].nunique()
    assert facts["home_store_months"] == lifecycle.HOME_STORE_MONTHS
    assert len(facts["rows"]) == 1 + 3 + 1


def test_the_members_share_column_is_left_out_when_every_basket_is_a_members():
    assert "member_revenue_share" in kpis.store_table(kpis.monthly_kpis(TIES, N), "2024-02").columns
    members_only = kpis.monthly_kpis(TIES[TIES["is_member"]], N)
    assert "member_revenue_share" not in kpis.store_table(members_only, "2024-02").columns


def test_a_month_without_any_basket_is_empty_not_zero_in_every_store():
    # April has no basket at all (a missing extract): nobody is counted as shopping or lapsed there.
    # N = 35, data from Jan 5: January and February are warm-up (Feb 1 − 35 days < Jan 5), March is measured.
    # A (S1): Jan 5, Mar 10, May 3.  Lapse day Feb 9: out of the base at March's start, back in March.
    # B (S2): Feb 2, Mar 2.          In the base at March's start (silent 27 days on Feb 29), bought again.
    #                                Lapse day Apr 6: lapsed in April, dormant at May's end (silent 90 days).
    # C (S1): Feb 10.                In the base at March's start, lapse day Mar 16: lapsed in March.
    b = baskets([("A", "S1", "2024-01-05", 10), ("B", "S2", "2024-02-02", 10), ("C", "S1", "2024-02-10", 10),
                 ("B", "S2", "2024-03-02", 10), ("A", "S1", "2024-03-10", 10), ("A", "S1", "2024-05-03", 10)])
    monthly = kpis.monthly_kpis(b, N)
    april = monthly[monthly["month"] == "2024-04"]
    assert len(april) == 3
    assert april[["active_customers", "lapsed_customers", "active_base_start", "base_end", "dormant_customers",
                  "revenue", "baskets"]].isna().all().all()
    march = monthly[monthly["month"] == "2024-03"].set_index("scope")
    assert not march["warm_up"].any()
    assert march["active_base_start"].to_dict() == {kpis.TOTAL: 2, "S1": 1, "S2": 1}      # C, B
    assert march["active_customers"].to_dict() == {kpis.TOTAL: 2, "S1": 1, "S2": 1}       # A, B
    assert march["lapsed_customers"].to_dict() == {kpis.TOTAL: 1, "S1": 1, "S2": 0}       # C
    assert march["base_end"].to_dict() == {kpis.TOTAL: 2, "S1": 1, "S2": 1}               # A, B
    may = monthly[monthly["month"] == "2024-05"].set_index("scope")
    # B's lapse fell in the missing month: May starts from the base at April's end (nobody: A lapsed Apr 14)
    assert may["active_base_start"].to_dict() == {kpis.TOTAL: 0, "S1": 0, "S2": 0}
    assert may["active_customers"].to_dict() == {kpis.TOTAL: 1, "S1": 1, "S2": 0}         # A
    assert may["dormant_customers"].to_dict() == {kpis.TOTAL: 2, "S1": 1, "S2": 1}        # C (111 days), B
    assert may.loc["S2", "lapsed_customers"] == 0 and may.loc["S2", "revenue"] == 0       # zero, not empty


def test_the_churn_drivers_use_the_same_home_store_as_the_store_table(chain):
    """One rule: a compared member's home store in the drivers is the one the store table counts
    them in (the drivers' window is the same 12 months to the month's end)."""
    from retention_lib.analytics import lapse_drivers

    _, b, _ = chain
    groups = lapse_drivers.comparison_groups(b, pd.Timestamp("2025-02-01"), N)
    assert groups.window_start == pd.Timestamp("2024-02-01")
    _, cats = lapse_drivers.features(b, groups)
    expected = home_by_pandas(b, "2025-01").reindex(cats.index)
    assert cats["home_store"].nunique() == 4            # four stores: none pooled
    assert (cats["home_store"].astype(str) == expected).all()
