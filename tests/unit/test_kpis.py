"""KPI definitions on a hand-built store whose answers are known by construction, the lapse
rule, month-on-month/year-on-year changes, cohorts, and the Complete Journey end to end."""
import numpy as np
import pandas as pd
import pytest
from retention_lib.report import text

from retention_lib.analytics import cohorts, kpis
from retention_lib.core.config import load_config
from retention_lib.core.run import Run
from retention_lib.data.prepare import open_run

N = 10  # lapse days in the hand-built store


def baskets(rows) -> pd.DataFrame:
    """rows: (customer or None, store, 'YYYY-MM-DD', amount) → canonical baskets."""
    out = pd.DataFrame(rows, columns=["customer_id", "store_id", "day", "amount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=10)
    out["date"] = out["timestamp"].dt.normalize()
    out["basket_id"] = [f"B{i:04d}" for i in range(len(out))]
    out["gross_amount"] = out["amount"].clip(lower=0)
    out["discount"] = 0.0
    out["coupon_discount"] = 0.0
    out["is_member"] = out["customer_id"].notna()
    out["is_purchase"] = out["amount"] > 0
    return out


# A: lapses in Jan (last Jan 20 → Jan 30), comes back Feb 5 (reactivated), lapses Feb 15 (a return on
#    Feb 6 is not a purchase), back Mar 1, lapses Mar 11.
# B: one purchase Jan 5, lapses Jan 15.
# C: Jan 25, in the base at Feb's start, lapses Feb 4; back Mar 10 (reactivated), lapses Mar 20.
# D: new in Feb at S2 (Feb 10) and S1 (Feb 12), lapses Feb 22 (not from the base).
# E: Jan 28, Feb 3, a 17-day gap that lapses on Feb 13 but returns Feb 20 (not counted), lapses Mar 1.
STORE = baskets([
    ("A", "S1", "2024-01-02", 100), ("A", "S1", "2024-01-20", 100), ("A", "S1", "2024-02-05", 100),
    ("A", "S1", "2024-02-06", -10), ("A", "S1", "2024-03-01", 100),
    ("B", "S1", "2024-01-05", 100),
    ("C", "S1", "2024-01-25", 100), ("C", "S1", "2024-03-10", 100),
    ("D", "S2", "2024-02-10", 40), ("D", "S1", "2024-02-12", 60),
    ("E", "S2", "2024-01-28", 100), ("E", "S2", "2024-02-03", 100), ("E", "S2", "2024-02-20", 100),
    (None, "S1", "2024-02-01", 50), (None, "S3", "2024-03-15", 30),
])
COMPLAINTS = pd.DataFrame({"complaint_id": ["K1", "K2", "K3"],
                           "opened_at": pd.to_datetime(["2024-02-02", "2024-02-25", "2024-03-03"]),
                           "store_id": ["S1", None, "S2"]})
SURVEYS = pd.DataFrame({"response_id": ["R1", "R2", "R3", "R4"],
                        "submitted_at": pd.to_datetime(["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"]),
                        "nps": [10, 9, 5, 7], "csat": [5, 4, 3, 2], "store_id": ["S1", "S1", "S2", "S2"]})


@pytest.fixture(scope="module")
def monthly():
    return kpis.monthly_kpis(STORE, N, complaints=COMPLAINTS, surveys=SURVEYS)


def at(monthly, month, scope=kpis.TOTAL):
    return monthly[(monthly["scope"] == scope) & (monthly["month"] == month)].iloc[0]


def test_customer_counts_of_a_month_with_full_history(monthly):
    feb = at(monthly, "2024-02")
    assert (feb["active_customers"], feb["new_customers"], feb["returning_customers"]) == (3, 1, 2)
    assert feb["active_base_start"] == 2            # C and E; A had lapsed on Jan 30
    assert feb["reactivated_customers"] == 1        # A
    assert feb["lapsed_customers"] == 3             # C (from the base), A (back on Feb 5, silent since)
    #                                                 and D (new this month)
    assert feb["lapsed_from_base"] == 1
    assert feb["churn_rate"] == pytest.approx(0.5)
    assert feb["retention_rate"] == pytest.approx(0.5)


def test_a_lapse_followed_by_a_purchase_in_the_same_month_is_not_churn(monthly):
    # E's 17-day gap crossed N on Feb 13 but E bought again on Feb 20.
    mar = at(monthly, "2024-03")
    assert mar["active_base_start"] == 1            # only E (Feb 20 + 10 = Mar 1)
    assert mar["lapsed_customers"] == 3             # E from the base; A and C, who came back in March
    assert mar["churn_rate"] == pytest.approx(1.0)
    assert mar["reactivated_customers"] == 2 and mar["new_customers"] == 0


def test_repurchase_visits_and_spend(monthly):
    feb = at(monthly, "2024-02")
    assert feb["repurchase_rate"] == pytest.approx(2 / 4)       # of A, B, C, E active in Jan: A and E
    assert feb["visits_per_active"] == pytest.approx(5 / 3)     # A's return basket is not a visit
    assert feb["baskets"] == 6 and feb["non_member_baskets"] == 1
    assert feb["revenue"] == pytest.approx(440)                  # the return nets out
    assert feb["avg_basket_value"] == pytest.approx(440 / 6)
    assert feb["revenue_per_active"] == pytest.approx(390 / 3)
    assert feb["member_revenue_share"] == pytest.approx(390 / 440)
    assert at(monthly, "2024-03")["repurchase_rate"] == pytest.approx(1 / 3)


def test_complaints_and_surveys(monthly):
    feb = at(monthly, "2024-02")
    assert feb["complaints"] == 2 and feb["complaint_rate"] == pytest.approx(2 / 6 * 1000)
    assert feb["nps"] == pytest.approx(25.0)        # 2 promoters, 1 detractor of 4
    assert feb["csat"] == pytest.approx(0.5)
    s1 = at(monthly, "2024-02", "S1")
    assert s1["complaints"] == 1 and s1["complaint_rate"] == pytest.approx(1 / 3 * 1000)
    assert s1["nps"] == pytest.approx(100.0)
    assert np.isnan(at(monthly, "2024-03")["nps"])  # no answers in March: no NPS, not zero


def test_per_store_member_counts_are_by_home_store(monthly):
    # D bought at S2 (Feb 10) and S1 (Feb 12), one basket each: the later visit makes S1 D's home.
    s1, s2, total = (at(monthly, "2024-02", s) for s in ("S1", "S2", kpis.TOTAL))
    assert (s1["active_customers"], s1["new_customers"]) == (2, 1)    # A, D
    assert (s2["active_customers"], s2["new_customers"]) == (1, 0)    # E
    assert (s1["active_base_start"], s2["active_base_start"]) == (1, 1)   # C at S1, E at S2
    assert (s1["lapsed_customers"], s2["lapsed_customers"]) == (3, 0)     # C, A and D, all at S1
    assert s1["churn_rate"] == pytest.approx(1.0) and s2["churn_rate"] == pytest.approx(0.0)
    for col in ("active_customers", "new_customers", "lapsed_customers", "active_base_start"):
        assert s1[col] + s2[col] == total[col], col
    assert s1["revenue"] + s2["revenue"] == pytest.approx(total["revenue"])   # where it happened
    assert s1["revenue"] == pytest.approx(100 - 10 + 60 + 50)                  # A, D's S1 basket, a non-member


def test_store_table_orders_by_revenue_then_store_id():
    b = baskets([("A", "S3", "2024-01-02", 40), ("B", "S1", "2024-01-03", 40), ("C", "S2", "2024-01-04", 90),
                 ("D", "S4", "2024-01-05", 40)])
    for seed in range(3):
        monthly = kpis.monthly_kpis(b.sample(frac=1.0, random_state=seed), N)
        table = kpis.store_table(monthly, "2024-01")
        assert list(table.index) == [kpis.TOTAL, "S2", "S1", "S3", "S4"]
        top = kpis.store_table(monthly, "2024-01", top=2)
        assert list(top.index) == [kpis.TOTAL, "S2", "S1", kpis.MORE_STORES]
        assert (top.at[kpis.MORE_STORES, "stores"], top.at[kpis.MORE_STORES, "revenue"]) == (2, 80)


def test_warm_up_months_leave_churn_empty(monthly):
    jan = at(monthly, "2024-01")
    assert bool(jan["warm_up"]) and not bool(at(monthly, "2024-02")["warm_up"])
    assert jan["active_customers"] == 4
    # Everyone is "new" in the first month of data: existing customers too, so new is not shown.
    for col in ("churn_rate", "retention_rate", "lapsed_customers", "active_base_start", "repurchase_rate",
                "new_customers", "returning_customers"):
        assert np.isnan(jan[col]), col
    assert at(monthly, "2024-02")["new_customers"] == 1


def test_month_on_month_and_year_on_year_are_empty_without_data(monthly):
    b = kpis.board(monthly, "2024-03").set_index("kpi")
    assert b.at["active_customers", "mom_abs"] == pytest.approx(2 - 3)
    assert b.at["active_customers", "mom_rel"] == pytest.approx(-1 / 3)
    assert b.at["churn_rate", "mom_abs"] == pytest.approx(0.5)
    assert b["yoy_abs"].isna().all() and b["year_ago"].isna().all()   # no 2023 data
    assert np.isnan(b.at["nps", "mom_rel"])                           # NPS: no relative change
    s3 = kpis.board(monthly, "2024-03", "S3").set_index("kpi")        # S3 has no February data
    assert s3["previous"].isna().all() and s3["mom_abs"].isna().all()
    table = text.format_board(kpis.board(monthly, "2024-03"), "CNY").set_index("KPI")
    # 2023-03 is before the data: its columns are left out rather than filled with "—"
    assert list(table.columns) == ["2024-03", "2024-02", "month on month"]
    assert table.at["Churn rate", "month on month"] == "+50.0 pp (+100.0%)"
    first = text.format_board(kpis.board(monthly, "2024-01"), "CNY").set_index("KPI")
    # the first month: no comparison column, and no row for what it cannot measure (new, churn)
    assert list(first.columns) == ["2024-01"] and first.at["Active members", "2024-01"] == "4"
    assert not {"New members", "Churn rate", "Lapsed this month"} & set(first.index)


def test_relative_change_against_zero_is_empty_not_infinite():
    assert kpis.change(5.0, 0.0)[0] == 5.0 and np.isnan(kpis.change(5.0, 0.0)[1])
    assert all(np.isnan(kpis.change(5.0, float("nan"))))


def test_trend_has_thirteen_months_with_gaps_for_missing_ones(monthly):
    t = kpis.trend(monthly, "2024-03")
    assert len(t) == 13 and t["month"].iloc[-1] == "2024-03" and t["month"].iloc[0] == "2023-03"
    assert t["active_customers"].iloc[:10].isna().all()


def test_stock_of_the_active_base_balances(monthly):
    m = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    feb, mar = m.loc["2024-02"], m.loc["2024-03"]
    moved = (feb["active_base_start"] - feb["lapsed_customers"] + feb["new_customers"]
             + feb["reactivated_customers"])
    assert mar["active_base_start"] == moved


def test_lapse_days_derived_from_the_gap_distribution():
    gaps = kpis.purchase_gaps(STORE)
    assert sorted(gaps) == [2, 6, 16, 17, 18, 25, 45]
    rule = kpis.derive_lapse_days(np.arange(1, 101, dtype=float))
    assert rule.days == 98 and rule.source == "data"      # q95 = 95.05 → 14 weeks
    assert kpis.derive_lapse_days(np.array([1.0, 2, 3])).days == kpis.LAPSE_MIN_DAYS
    assert kpis.derive_lapse_days(np.full(10, 500.0)).days == kpis.LAPSE_MAX_DAYS
    assert kpis.derive_lapse_days(np.array([])).source == "fallback"
    assert "95% quantile" in text.say(rule.describe())


def test_lapse_days_come_from_the_parameter_then_the_config(tmp_path):
    cfg_path = tmp_path / "c.yml"
    cfg_path.write_text("tables: {transactions: {path: t.csv}}\nsettings: {lapse_days: 45}\n", encoding="utf-8")
    run = Run(load_config(cfg_path), pd.Period("2024-03", "M"), tmp_path)
    assert kpis.lapse_rule(run, baskets=STORE).days == 45
    assert kpis.lapse_rule(run, 21, baskets=STORE).days == 21
    cfg_path.write_text("tables: {transactions: {path: t.csv}}\n", encoding="utf-8")
    run = Run(load_config(cfg_path), pd.Period("2024-03", "M"), tmp_path)
    derived = kpis.lapse_rule(run, baskets=STORE)
    assert derived.source == "data" and derived.days == 42   # q95 of the gaps = 39 days → 6 weeks
    # Later notebooks reuse the rule notebook 02 saved, unless told otherwise.
    run.write("kpi_board", {"lapse": derived.to_dict()})
    assert kpis.run_lapse_rule(run) == derived
    assert kpis.run_lapse_rule(run, 14).days == 14


def test_cohort_retention_by_join_month():
    customers = pd.DataFrame({"customer_id": list("ABCDEF"),
                              "join_date": pd.to_datetime(["2024-01-02", "2024-01-05", "2024-01-25",
                                                           "2024-02-10", "2024-01-28", "2024-01-30"])})
    c, basis = cohorts.cohort_retention(STORE, pd.Timestamp("2024-04-01"), customers)
    assert basis == "join"
    jan = c[c["cohort"] == "2024-01"].set_index("months_since")["share"]
    assert c.loc[c["cohort"] == "2024-01", "cohort_size"].iloc[0] == 5      # F never bought
    assert jan.to_dict() == pytest.approx({0: 0.8, 1: 0.4, 2: 0.4})
    m = cohorts.cohort_matrix(c, "2024-03")
    assert m.xs("2024-02", level="cohort").loc[(1, False), 1] == 0.0     # D (n=1) did not buy in March
    c2, basis2 = cohorts.cohort_retention(STORE, pd.Timestamp("2024-04-01"))
    assert basis2 == "first_purchase"


@pytest.fixture(scope="module")
def cj_monthly(tmp_path_factory):
    run = open_run("data/completejourney.yml", "2017-06", tmp_path_factory.mktemp("cj"))
    lapse = kpis.lapse_rule(run)
    return run, lapse, kpis.for_month(run, lapse)


@pytest.mark.slow
def test_complete_journey_monthly_kpis_are_finite(cj_monthly):
    run, lapse, monthly = cj_monthly
    assert kpis.LAPSE_MIN_DAYS <= lapse.days <= kpis.LAPSE_MAX_DAYS
    total = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    assert list(total.index) == [f"2017-0{m}" for m in range(1, 7)]
    assert "nps" not in total and "complaint_rate" not in total    # no surveys or complaints
    measured = total[~total["warm_up"].astype(bool)]
    assert len(measured) == 5
    cols = [k.name for k in kpis.available_kpis(monthly)]
    assert np.isfinite(measured[cols].to_numpy(dtype=float)).all()
    assert ((measured["churn_rate"] > 0) & (measured["churn_rate"] < 0.5)).all()
    assert np.isnan(total.loc["2017-01", "new_customers"])          # every shopper is "new" in January
    stores = monthly[(monthly["scope"] != kpis.TOTAL) & (monthly["month"] == "2017-06")]
    assert stores["revenue"].sum() == pytest.approx(total.loc["2017-06", "revenue"])
    for col in ("active_customers", "new_customers", "lapsed_customers", "lapsed_from_base", "active_base_start"):
        assert stores[col].sum() == total.loc["2017-06", col], col    # home stores: each member once


@pytest.mark.slow
def test_complete_journey_active_base_balances_month_to_month(cj_monthly):
    _, _, monthly = cj_monthly
    t = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    for a, b in zip(t.index[1:-1], t.index[2:]):
        moved = (t.at[a, "active_base_start"] - t.at[a, "lapsed_customers"] + t.at[a, "new_customers"]
                 + t.at[a, "reactivated_customers"])
        assert t.at[b, "active_base_start"] == moved
