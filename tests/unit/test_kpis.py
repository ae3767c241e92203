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

N = 35     # lapse days in the hand-built store
W = 120    # its win-back window (Rule.of(35, 120): at least N + 31 = 66, so 120 stands)


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


# January–May 2024, data from Jan 1. Month-ends: Jan 31, Feb 29, Mar 31, Apr 30, May 31.
# Warm-up (a month starting fewer than N = 35 days after Jan 1): January and February; March, April and
# May are measured (Mar 1 − 35 days = Jan 26). New and returned are measured from months starting W = 120
# days after Jan 1: May only (May 1 − 120 days = Jan 2; Apr 1 − 120 days = Dec 3).
# A member's states at each month-end (silent = days since the last purchase; in the base while silent < 35;
# lapsed in the month its lapse day = last purchase + 35 falls in; dormant while silent < 120; then lost):
#
# L (S1): Jan 1; May 10.             Jan new | Feb lapsed (Feb 5) | Mar dormant (90) | Apr lost (120) |
#                                    May active: returned, from lost.
# A (S1): Jan 10, Feb 5 (a return on Feb 6 is no purchase); May 3.
#                                    Jan new | Feb active | Mar lapsed (Mar 11) | Apr dormant (85) |
#                                    May active: returned, from dormant.
# B (S2): Jan 5, Feb 10, Mar 12, Apr 20, May 15 (a return on May 16 is no purchase).
#                                    Jan new | active every month after.
# C (S1): Jan 15, Mar 1, Apr 5.      Jan new | Feb lapsed (Feb 19) | Mar active: returned | Apr active (25) |
#                                    May lapsed (May 10).
# E (S2): Mar 28, May 20.            Mar new | Apr active (33) | May active (11): its lapse day May 2 fell in
#                                    May, but E bought again on May 20: neither lapsed nor returned.
# F (S2): Feb 20, Mar 5.             Feb new | Mar active (26) | Apr lapsed (Apr 9) | May dormant (87).
# G (S1): Jan 20.                    Jan new | Feb lapsed (Feb 24) | Mar, Apr dormant (71, 101) | May lost (132).
# H: Apr 15 at S2, May 8 at S1.      Apr new (home S2) | May active (23), home S1: one basket each, the
#                                    later visit wins.
# K (S2): Mar 30, Apr 2.             Mar new | Apr active (28) | May lapsed (May 7).
# D: May 10 at S2, May 12 at S1.     May new, home S1 (one basket each, the later visit).
# Non-members: S1 Feb 1 (50), S3 May 15 (30), S1 May 20 (20). S3 is home to no member.
STORE = baskets([
    ("L", "S1", "2024-01-01", 100), ("L", "S1", "2024-05-10", 100),
    ("A", "S1", "2024-01-10", 100), ("A", "S1", "2024-02-05", 100), ("A", "S1", "2024-02-06", -10),
    ("A", "S1", "2024-05-03", 100),
    ("B", "S2", "2024-01-05", 50), ("B", "S2", "2024-02-10", 50), ("B", "S2", "2024-03-12", 50),
    ("B", "S2", "2024-04-20", 50), ("B", "S2", "2024-05-15", 50), ("B", "S2", "2024-05-16", -5),
    ("C", "S1", "2024-01-15", 80), ("C", "S1", "2024-03-01", 80), ("C", "S1", "2024-04-05", 80),
    ("E", "S2", "2024-03-28", 60), ("E", "S2", "2024-05-20", 60),
    ("F", "S2", "2024-02-20", 70), ("F", "S2", "2024-03-05", 70),
    ("G", "S1", "2024-01-20", 90),
    ("H", "S2", "2024-04-15", 40), ("H", "S1", "2024-05-08", 40),
    ("K", "S2", "2024-03-30", 30), ("K", "S2", "2024-04-02", 30),
    ("D", "S2", "2024-05-10", 40), ("D", "S1", "2024-05-12", 60),
    (None, "S1", "2024-02-01", 50), (None, "S3", "2024-05-15", 30), (None, "S1", "2024-05-20", 20),
])
COMPLAINTS = pd.DataFrame({"complaint_id": ["K1", "K2", "K3"],
                           "opened_at": pd.to_datetime(["2024-05-02", "2024-05-25", "2024-04-03"]),
                           "store_id": ["S1", None, "S2"]})
SURVEYS = pd.DataFrame({"response_id": ["R1", "R2", "R3", "R4"],
                        "submitted_at": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"]),
                        "nps": [10, 9, 5, 7], "csat": [5, 4, 3, 2], "store_id": ["S1", "S1", "S2", "S2"]})
# The lifecycle's counts under the board's names, each against the hand count above.
FLOW = ("active_customers", "new_customers", "returning_customers", "reactivated_customers", "lapsed_customers",
        "active_base_start", "base_end", "dormant_customers", "lost_customers")


@pytest.fixture(scope="module")
def monthly():
    return kpis.monthly_kpis(STORE, N, winback_days=W, complaints=COMPLAINTS, surveys=SURVEYS)


def at(monthly, month, scope=kpis.TOTAL):
    return monthly[(monthly["scope"] == scope) & (monthly["month"] == month)].iloc[0]


def counts(row) -> dict:
    return {c: (None if np.isnan(row[c]) else int(row[c])) for c in FLOW}


def test_customer_counts_of_a_fully_measured_month(monthly):
    may = at(monthly, "2024-05")
    assert bool(may["new_measured"]) and not bool(may["warm_up"])
    assert counts(may) == {
        "active_customers": 6,        # L, A, B, E, H, D shopped
        "new_customers": 1,           # D
        "returning_customers": 5,     # L, A, B, E, H
        "reactivated_customers": 2,   # L (was lost) and A (was dormant): not in the base at May's start
        "lapsed_customers": 2,        # C (lapse day May 10) and K (May 7), both in the base at May's start
        "active_base_start": 5,       # B, C, E, H, K at April's end
        "base_end": 6,                # L, A, B, E, H, D: 5 + 1 new + 2 returned − 2 lapsed
        "dormant_customers": 1,       # F (silent 87 days)
        "lost_customers": 1,          # G (silent 132 days)
    }
    assert may["lapse_days"] == N and may["winback_days"] == W
    assert may["churn_rate"] == pytest.approx(2 / 5)
    assert may["retention_rate"] == pytest.approx(3 / 5)


def test_a_lapse_followed_by_a_purchase_in_the_same_month_is_not_churn(monthly):
    # E's lapse day (Mar 28 + 35 = May 2) fell in May, but E bought again on May 20: still in the base at May's
    # end, so E is neither lapsed nor returned. Every lapse counted is from the base at the month's start.
    may = at(monthly, "2024-05")
    assert may["lapsed_customers"] == 2                                   # C and K, not E
    assert may["reactivated_customers"] == 2                              # L and A, not E
    assert may["lapsed_customers"] <= may["active_base_start"]
    assert may["churn_rate"] == pytest.approx(may["lapsed_customers"] / may["active_base_start"])


def test_months_before_the_win_back_window_leave_new_and_returned_empty(monthly):
    # March and April are measured (churn, the base) but start fewer than 120 days after Jan 1: a member first
    # seen there may be a lost member coming back, so new and returned are empty; their sum is still known.
    apr = at(monthly, "2024-04")
    assert not bool(apr["warm_up"]) and not bool(apr["new_measured"])
    assert counts(apr) == {
        "active_customers": 4,        # B, C, H, K
        "new_customers": None,        # (H, first seen in April)
        "returning_customers": None,
        "reactivated_customers": None,
        "lapsed_customers": 1,        # F (lapse day Apr 9)
        "active_base_start": 5,       # B, C, E, F, K at March's end
        "base_end": 5,                # B, C, E, H, K
        "dormant_customers": 2,       # A (85 days), G (101 days)
        "lost_customers": 1,          # L (120 days)
    }
    assert apr["churn_rate"] == pytest.approx(1 / 5)
    # new + returned = base at the end − base at the start + lapsed = 5 − 5 + 1 = 1 (H)
    assert apr["base_end"] - apr["active_base_start"] + apr["lapsed_customers"] == 1
    mar = at(monthly, "2024-03")
    assert counts(mar) == {
        "active_customers": 5,        # B, C, E, F, K
        "new_customers": None, "returning_customers": None, "reactivated_customers": None,
        "lapsed_customers": 1,        # A (lapse day Mar 11)
        "active_base_start": 3,       # A, B, F at February's end
        "base_end": 5,                # B, C, E, F, K: 3 + 2 new (E, K) + 1 returned (C) − 1
        "dormant_customers": 2,       # L (90 days), G (71 days)
        "lost_customers": 0,
    }
    assert mar["churn_rate"] == pytest.approx(1 / 3)


def test_repurchase_visits_and_spend(monthly):
    may = at(monthly, "2024-05")
    assert may["repurchase_rate"] == pytest.approx(2 / 4)     # of B, C, H, K who shopped in April: B and H
    assert may["visits_per_active"] == pytest.approx(7 / 6)   # D's two baskets; B's return is no visit
    assert may["baskets"] == 9 and may["non_member_baskets"] == 2 and may["all_baskets"] == 10
    revenue = 100 + 100 + 50 - 5 + 60 + 40 + 40 + 60 + 30 + 20  # the return nets out: 495
    members = revenue - 30 - 20                                 # 445
    assert may["revenue"] == pytest.approx(revenue)
    assert may["avg_basket_value"] == pytest.approx(revenue / 9)
    assert may["revenue_per_active"] == pytest.approx(members / 6)
    assert may["member_revenue_share"] == pytest.approx(members / revenue)
    assert at(monthly, "2024-04")["repurchase_rate"] == pytest.approx(3 / 5)   # of B, C, E, F, K: B, C, K
    assert at(monthly, "2024-02")["repurchase_rate"] == pytest.approx(2 / 5)   # of L, A, B, C, G: A, B
    assert np.isnan(at(monthly, "2024-01")["repurchase_rate"])                  # no month before the data


def test_complaints_and_surveys(monthly):
    may = at(monthly, "2024-05")
    assert may["complaints"] == 2 and may["complaint_rate"] == pytest.approx(2 / 9 * 1000)   # K1, K2
    assert may["nps"] == pytest.approx(25.0)        # 2 promoters, 1 detractor of 4
    assert may["csat"] == pytest.approx(0.5)
    s1 = at(monthly, "2024-05", "S1")
    # S1's purchase baskets in May, where they happened: L, A, H, D's second and a non-member's = 5
    assert s1["complaints"] == 1 and s1["complaint_rate"] == pytest.approx(1 / 5 * 1000)
    assert s1["nps"] == pytest.approx(100.0)
    apr = at(monthly, "2024-04")
    assert apr["complaints"] == 1 and apr["complaint_rate"] == pytest.approx(1 / 4 * 1000)   # K3 of 4 baskets
    assert np.isnan(apr["nps"])                     # no answers in April: no NPS, not zero


def test_per_store_member_counts_are_by_home_store(monthly):
    # Homes in May: S1 = L, A, C, G, H, D (H and D: one basket at each store, the later one at S1);
    # S2 = B, E, F, K; S3 is home to no member.
    s1, s2, s3, total = (at(monthly, "2024-05", s) for s in ("S1", "S2", "S3", kpis.TOTAL))
    assert counts(s1) == {"active_customers": 4, "new_customers": 1, "returning_customers": 3,   # L, A, H, D
                          "reactivated_customers": 2, "lapsed_customers": 1, "active_base_start": 2,  # C, H
                          "base_end": 4, "dormant_customers": 0, "lost_customers": 1}             # 2+1+2−1; G
    assert counts(s2) == {"active_customers": 2, "new_customers": 0, "returning_customers": 2,   # B, E
                          "reactivated_customers": 0, "lapsed_customers": 1, "active_base_start": 3,  # K; B, E, K
                          "base_end": 2, "dormant_customers": 1, "lost_customers": 0}             # 3−1; F
    assert counts(s3) == dict.fromkeys(FLOW, 0)
    assert s1["churn_rate"] == pytest.approx(1 / 2) and s2["churn_rate"] == pytest.approx(1 / 3)
    assert np.isnan(s3["churn_rate"])                                  # no base to churn from
    for col in FLOW:
        assert s1[col] + s2[col] + s3[col] == total[col], col
    # revenue where it happened: S1 = L, A, H, D's S1 basket, a non-member; S2 = B (net of the return),
    # E, D's S2 basket; S3 = a non-member
    assert (s1["revenue"], s2["revenue"], s3["revenue"]) == pytest.approx((320, 145, 30))
    assert s1["revenue"] + s2["revenue"] + s3["revenue"] == pytest.approx(total["revenue"])
    # H's home moved from S2 (April) to S1 (May): the chain's base carries over, each store's need not
    apr = {s: at(monthly, "2024-04", s) for s in ("S1", "S2", kpis.TOTAL)}
    assert (apr["S1"]["base_end"], apr["S2"]["base_end"]) == (1, 4)        # C; B, E, H, K
    assert (s1["active_base_start"], s2["active_base_start"]) == (2, 3)
    assert apr[kpis.TOTAL]["base_end"] == total["active_base_start"] == 5


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
    total = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    assert total["warm_up"].astype(bool).to_dict() == {"2024-01": True, "2024-02": True, "2024-03": False,
                                                       "2024-04": False, "2024-05": False}
    assert total["new_measured"].astype(bool).to_dict() == {"2024-01": False, "2024-02": False, "2024-03": False,
                                                            "2024-04": False, "2024-05": True}
    jan, feb = total.loc["2024-01"], total.loc["2024-02"]
    assert jan["active_customers"] == 5          # L, A, B, C, G
    assert feb["active_customers"] == 3          # A, B, F (A's return basket is no purchase)
    # Everyone is "new" in the first month of data, existing customers too; and nobody's base is known.
    for row in (jan, feb):
        for col in kpis.NEEDS_HISTORY:
            assert np.isnan(row[col]), col
    assert np.isnan(jan["repurchase_rate"])
    assert at(monthly, "2024-05")["new_customers"] == 1


def test_month_on_month_and_year_on_year_are_empty_without_data(monthly):
    b = kpis.board(monthly, "2024-05").set_index("kpi")
    assert b.at["active_customers", "mom_abs"] == pytest.approx(6 - 4)
    assert b.at["active_customers", "mom_rel"] == pytest.approx(2 / 4)
    assert b.at["churn_rate", "mom_abs"] == pytest.approx(2 / 5 - 1 / 5)
    assert b.at["new_customers", "value"] == 1 and np.isnan(b.at["new_customers", "previous"])   # April: not measured
    assert np.isnan(b.at["new_customers", "mom_abs"])
    assert b["yoy_abs"].isna().all() and b["year_ago"].isna().all()   # no 2023 data
    assert np.isnan(b.at["nps", "mom_rel"])                           # NPS: no relative change
    s3 = kpis.board(monthly, "2024-05", "S3").set_index("kpi")        # S3 has no April data
    assert s3["previous"].isna().all() and s3["mom_abs"].isna().all()
    table = text.format_board(kpis.board(monthly, "2024-05"), "CNY").set_index(text.say("board.kpi"))
    # 2023-05 is before the data: its columns are left out rather than filled with "—"
    assert list(table.columns) == ["2024-05", "2024-04", text.say("board.month_on_month")]
    assert table.at[text.kpi_label("churn_rate"), text.say("board.month_on_month")] == "+20.0 pp (+100.0%)"
    first = text.format_board(kpis.board(monthly, "2024-01"), "CNY").set_index(text.say("board.kpi"))
    # the first month: no comparison column, and no row for what it cannot measure (new, churn)
    assert list(first.columns) == ["2024-01"] and first.at[text.kpi_label("active_customers"), "2024-01"] == "5"
    assert text.kpi_label("active_customers") == "Members who shopped"
    assert not {text.kpi_label(k) for k in ("new_customers", "churn_rate", "lapsed_customers")} & set(first.index)


def test_relative_change_against_zero_is_empty_not_infinite():
    assert kpis.change(5.0, 0.0)[0] == 5.0 and np.isnan(kpis.change(5.0, 0.0)[1])
    assert all(np.isnan(kpis.change(5.0, float("nan"))))


def test_trend_has_thirteen_months_with_gaps_for_missing_ones(monthly):
    t = kpis.trend(monthly, "2024-05")
    assert len(t) == 13 and t["month"].iloc[-1] == "2024-05" and t["month"].iloc[0] == "2023-05"
    assert t["active_customers"].iloc[:8].isna().all()               # 2023-05 … 2023-12: before the data
    assert t["active_customers"].iloc[8:].tolist() == [5, 3, 5, 4, 6]


def test_stock_of_the_base_balances(monthly):
    # The identity base at the end = base at the start + new + returned − lapsed, in every scope of May
    # (new and returned measured), and the base carries over from one month's end to the next in the chain.
    may = monthly[monthly["month"] == "2024-05"]
    assert len(may) == 4                                              # S1, S2, S3 and all stores
    moved = may["active_base_start"] + may["new_customers"] + may["reactivated_customers"] - may["lapsed_customers"]
    assert (may["base_end"] == moved).all()
    m = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    assert m.loc["2024-03":"2024-05", "base_end"].tolist() == [5, 5, 6]
    assert m.loc["2024-04":"2024-05", "active_base_start"].tolist() == m.loc["2024-03":"2024-04", "base_end"].tolist()
    # lapses are from the base, and the members in the lapsed state are the month's lapses
    measured = m[~m["warm_up"].astype(bool)]
    assert (measured["lapsed_end"] == measured["lapsed_customers"]).all()
    assert (measured["churn_rate"] == measured["lapsed_customers"] / measured["active_base_start"]).all()


def test_a_lapse_rule_under_a_month_is_refused():
    # A member who bought in a month is never lapsed at its end: N below 31 days would break that.
    with pytest.raises(ValueError, match="at least 31"):
        kpis.monthly_kpis(STORE, 28)
    assert kpis.LAPSE_MIN_DAYS == 35 and kpis.derive_lapse_days(np.array([1.0])).days >= 31


def test_lapse_days_derived_from_the_gap_distribution():
    gaps = kpis.purchase_gaps(STORE)
    # L 130; A 26, 88; B 36, 31, 39, 25; C 46, 35; E 53; F 14; H 23; K 3; D 2 (G one day: no gap)
    assert sorted(gaps) == [2, 3, 14, 23, 25, 26, 31, 35, 36, 39, 46, 53, 88, 130]
    rule = kpis.derive_lapse_days(np.arange(1, 101, dtype=float))
    assert rule.days == 98 and rule.source == "data"      # q95 = 95.05 → 14 weeks
    assert kpis.derive_lapse_days(np.array([1.0, 2, 3])).days == kpis.LAPSE_MIN_DAYS
    assert kpis.derive_lapse_days(np.full(10, 500.0)).days == kpis.LAPSE_MAX_DAYS
    assert kpis.derive_lapse_days(np.array([])).source == "fallback"
    assert "95% quantile" in text.say(rule.describe())


def test_lapse_days_come_from_the_parameter_then_the_config(tmp_path):
    cfg_path = tmp_path / "c.yml"
    cfg_path.write_text("tables: {transactions: {path: t.csv}}\nsettings: {lapse_days: 45}\n", encoding="utf-8")
    run = Run(load_config(cfg_path), pd.Period("2024-05", "M"), tmp_path)
    assert kpis.lapse_rule(run, baskets=STORE).days == 45
    assert kpis.lapse_rule(run, 42, baskets=STORE).days == 42
    cfg_path.write_text("tables: {transactions: {path: t.csv}}\n", encoding="utf-8")
    run = Run(load_config(cfg_path), pd.Period("2024-05", "M"), tmp_path)
    derived = kpis.lapse_rule(run, baskets=STORE)
    # q95 of the 14 gaps: 88 + 0.35 × (130 − 88) = 102.7 days → 15 weeks
    assert derived.source == "data" and derived.days == 105
    # Later notebooks reuse the rule notebook 02 saved, unless told otherwise.
    run.write("kpi_board", {"lapse": derived.to_dict()})
    assert kpis.run_lapse_rule(run) == derived
    assert kpis.run_lapse_rule(run, 49).days == 49


def test_cohort_retention_by_join_month():
    customers = pd.DataFrame({"customer_id": list("LABCGXFEHKD"),
                              "join_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
                                                           "2024-01-05", "2024-01-30", "2024-02-01", "2024-03-01",
                                                           "2024-04-01", "2024-03-02", "2024-05-01"])})
    c, basis = cohorts.cohort_retention(STORE, pd.Timestamp("2024-06-01"), customers)
    assert basis == "join"
    jan = c[c["cohort"] == "2024-01"].set_index("months_since")["share"]
    assert c.loc[c["cohort"] == "2024-01", "cohort_size"].iloc[0] == 6      # L, A, B, C, G and X, who never bought
    # Jan: L, A, B, C, G; Feb: A, B; Mar: B, C; Apr: B, C; May: L, A, B
    assert jan.to_dict() == pytest.approx({0: 5 / 6, 1: 2 / 6, 2: 2 / 6, 3: 2 / 6, 4: 3 / 6})
    m = cohorts.cohort_matrix(c, "2024-05")
    feb = m.xs("2024-02", level="cohort")                                  # F (n=1): Feb and March only
    assert feb.loc[(1, False), [0, 1, 2, 3]].tolist() == [1.0, 1.0, 0.0, 0.0]
    c2, basis2 = cohorts.cohort_retention(STORE, pd.Timestamp("2024-06-01"))
    assert basis2 == "first_purchase"


@pytest.fixture(scope="module")
def cj_monthly(tmp_path_factory):
    run = open_run("data/completejourney.yml", "2017-06", tmp_path_factory.mktemp("cj"))
    lapse = kpis.lapse_rule(run)
    return run, lapse, kpis.for_month(run, lapse)


def purchase_days(run) -> pd.DataFrame:
    """The run's member purchase days (customer_id, d), in pandas."""
    from retention_lib.data import engine

    b = engine.run_table(run, "baskets")
    frame = engine.backend_of(b).to_pyarrow(b.select("customer_id", "date", "is_member", "is_purchase")).to_pandas()
    p = frame[frame["is_member"] & frame["is_purchase"] & frame["customer_id"].notna()]
    return pd.DataFrame({"customer_id": p["customer_id"], "d": pd.to_datetime(p["date"]).dt.normalize()})


def in_base_by_pandas(days: pd.DataFrame, month: str, n: int) -> set:
    """Members in the base at the month's end, by the rule written again: a purchase within n days."""
    end = pd.Period(month, "M").end_time.normalize()
    last = days[days["d"] <= end].groupby("customer_id")["d"].max()
    return set(last.index[(end - last).dt.days < n])


@pytest.mark.slow
def test_complete_journey_monthly_kpis_are_finite(cj_monthly):
    run, lapse, monthly = cj_monthly
    assert kpis.LAPSE_MIN_DAYS <= lapse.days <= kpis.LAPSE_MAX_DAYS
    total = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    assert list(total.index) == [f"2017-0{m}" for m in range(1, 7)]
    assert "nps" not in total and "complaint_rate" not in total    # no surveys or complaints
    start = purchase_days(run)["d"].min()
    # warm-up: months starting fewer than N days after the data starts; N ≥ 35, so January and February
    starts = pd.to_datetime([f"{m}-01" for m in total.index])
    assert total["warm_up"].astype(bool).tolist() == list(starts - pd.Timedelta(days=lapse.days) < start)
    measured = total[~total["warm_up"].astype(bool)]
    assert 1 <= len(measured) <= 4
    # Six months never cover the win-back window (180 days by default): new, returning and returned stay empty.
    assert total["winback_days"].iloc[0] == max(run.setting("winback_days"), lapse.days + 31)
    assert not total["new_measured"].astype(bool).any()
    assert total[list(kpis.NEEDS_WINDOW)].isna().all().all()
    cols = [k.name for k in kpis.available_kpis(monthly) if k.name not in kpis.NEEDS_WINDOW]
    assert np.isfinite(measured[cols].to_numpy(dtype=float)).all()
    assert ((measured["churn_rate"] > 0) & (measured["churn_rate"] < 0.5)).all()
    stores = monthly[(monthly["scope"] != kpis.TOTAL) & (monthly["month"] == "2017-06")]
    assert stores["revenue"].sum() == pytest.approx(total.loc["2017-06", "revenue"])
    for col in ("active_customers", "lapsed_customers", "active_base_start", "base_end", "dormant_customers",
                "lost_customers"):
        assert stores[col].sum() == total.loc["2017-06", col], col    # home stores: each member once


@pytest.mark.slow
def test_complete_journey_base_balances_month_to_month(cj_monthly):
    run, lapse, monthly = cj_monthly
    t = monthly[monthly["scope"] == kpis.TOTAL].set_index("month")
    measured = t[~t["warm_up"].astype(bool)]
    for a, b in zip(measured.index[:-1], measured.index[1:]):
        assert t.at[b, "active_base_start"] == t.at[a, "base_end"]
    # new + returned are hidden before the win-back window, but their sum is what the base gained
    gained = measured["base_end"] - measured["active_base_start"] + measured["lapsed_customers"]
    assert (gained >= 0).all()
    # the base and the lapses of June against the rule written again in pandas
    days = purchase_days(run)
    may, june = (in_base_by_pandas(days, m, lapse.days) for m in ("2017-05", "2017-06"))
    assert t.at["2017-06", "active_base_start"] == len(may)
    assert t.at["2017-06", "base_end"] == len(june)
    assert t.at["2017-06", "lapsed_customers"] == len(may - june) > 0
    in_june = days[days["d"].dt.to_period("M") == pd.Period("2017-06", "M")]
    assert t.at["2017-06", "active_customers"] == in_june["customer_id"].nunique()
    assert gained.loc["2017-06"] == len(june - may)                  # everyone who joined the base in June
