"""RFM scoring and naming, value tiers, migration, the report's privacy, and the Complete
Journey's segment counts."""
import re

import numpy as np
import pandas as pd
import pytest
from conftest import stub_charts

from retention_lib.analytics import churn, kpis, lifecycle, segments
from retention_lib.report import sections, text
from retention_lib.data.prepare import open_run


def baskets(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    out["store_id"] = "S1"
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=9)
    out["date"] = out["timestamp"].dt.normalize()
    out["is_member"] = out["customer_id"].notna()
    out["is_purchase"] = out["amount"] > 0
    return out


def test_quintiles_have_equal_sizes_and_break_ties_deterministically():
    ids = [f"C{i:02d}" for i in range(10)]
    same = np.zeros(10)
    scores = segments.quintile([same], ids)
    assert list(scores) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]        # all tied: by customer id
    rng = np.random.default_rng(0)
    order = rng.permutation(10)
    shuffled = segments.quintile([same[order]], np.array(ids)[order])
    assert dict(zip(np.array(ids)[order], shuffled)) == dict(zip(ids, scores))
    # A tie on the first key is broken by the second one before the id.
    first, second = np.array([1, 1, 1, 1, 1, 2, 2, 2, 2, 2.0]), np.arange(10)[::-1].astype(float)
    s = segments.quintile([first, second], ids)
    assert list(s) == [3, 2, 2, 1, 1, 5, 5, 4, 4, 3]
    assert np.bincount(segments.quintile([rng.random(23)], [str(i) for i in range(23)]))[1:].tolist() == [5, 5, 4, 5, 4]


def test_rfm_measures_at_a_month_end():
    b = baskets([("A", "2024-01-10", 50), ("A", "2024-03-30", 20), ("A", "2024-03-30", 10),
                 ("B", "2023-01-05", 99), ("B", "2024-02-01", -5), ("C", "2024-04-02", 70)])
    t = segments.rfm_table(b, pd.Timestamp("2024-04-01"))
    assert list(t.index) == ["A", "B"]                               # C bought after the end
    assert t.loc["A", ["recency_days", "frequency", "monetary"]].tolist() == [1, 2, 80.0]
    assert t.loc["B", ["recency_days", "frequency", "monetary"]].tolist() == [451, 0, 0.0]


def test_rfm_spend_is_an_exact_sum():
    # In floats 0.1 + 0.2 + 0.3 is 0.6000000000000001; the money is 0.6.
    b = baskets([("A", "2024-03-01", 0.1), ("A", "2024-03-02", 0.2), ("A", "2024-03-03", 0.3)])
    assert segments.rfm_table(b, pd.Timestamp("2024-04-01")).loc["A", "monetary"] == 0.6


R, Q, D = segments.RECENT, segments.LAPSED, segments.LONG_LAPSED


@pytest.mark.parametrize("status, fm, new, expected", [
    (R, 5, False, "champions"), (R, 4, True, "champions"), (R, 3, False, "loyal"), (R, 3, True, "new"),
    (R, 1, True, "new"), (R, 2, False, "occasional"), (R, 1, False, "occasional"),
    (Q, 5, False, "best_gone_quiet"), (Q, 4, True, "best_gone_quiet"), (Q, 3, False, "gone_quiet"),
    (Q, 1, True, "gone_quiet"), (D, 5, False, "lost"), (D, 1, True, "lost"),
])
def test_segment_names_follow_the_documented_rules(status, fm, new, expected):
    assert segments.name_segments(np.array([status]), np.array([fm]), np.array([new]))[0] == expected


def test_recency_is_judged_in_days_against_the_lifecycle_rule():
    # End of June; N = 35, W = 70 (N + 31 = 66 ≤ 70): recent < 35 days, gone quiet 35–69 days, long lapsed ≥ 70.
    # A (06-30) 0 days, B (05-27) 34, C (05-26) 35, D (04-22) 69, E (04-21) 70, F (2023-01-01) 365 + 181 = 546.
    b = baskets([("A", "2024-06-30", 10), ("B", "2024-05-27", 10), ("C", "2024-05-26", 10),
                 ("D", "2024-04-22", 10), ("E", "2024-04-21", 10), ("F", "2023-01-01", 10)])
    rule = lifecycle.Rule.of(35, 70)
    t = segments.rfm(b, pd.Timestamp("2024-07-01"), rule)
    assert t["recency_days"].tolist() == [0, 34, 35, 69, 70, 546]
    assert t["recency_status"].tolist() == [R, R, Q, Q, D, D]
    assert t["r_high"].tolist() == [True, True, False, False, False, False]
    assert set(t.loc[["E", "F"], "segment"]) == {"lost"}
    # the lifecycle's states at June's end, by hand: A's first purchase is in June (new); B silent 34 < 35
    # (active); C's lapse day 05-26 + 35 = 06-30 is in June (lapsed); D's, 05-27, is not and 69 < 70 (dormant);
    # E and F silent ≥ 70 (lost). Recent is the base, gone quiet the win-back pool, long lapsed the lost.
    states = lifecycle.members_at(b, pd.Period("2023-01", "M"), pd.Period("2024-06", "M"), rule)["state"]
    assert states.to_dict() == {"A": "new", "B": "active", "C": "lapsed", "D": "dormant", "E": "lost", "F": "lost"}
    status = {"new": R, "active": R, "lapsed": Q, "dormant": Q, "lost": D}
    assert t["recency_status"].to_dict() == states.map(status).to_dict()


def test_rfm_refuses_a_lapse_rule_under_a_month():
    with pytest.raises(ValueError, match="at least 31 days"):
        lifecycle.Rule.of(28, 180)
    # a win-back window too short for the lapse rule is widened to N + 31 days
    assert segments.RecencyRule.of(lifecycle.Rule.of(40, 62)) == segments.RecencyRule(40, 71)


def test_new_means_the_lifecycles_new_that_a_lost_member_could_not_have_been():
    # The data starts on Jan 1; N = 35, W = 66. New = recent, first purchase in the month (the lifecycle's
    # new) and on or after Jan 1 + 66 days = Mar 7: an earlier first purchase may be a lost member's return.
    b = baskets([("OLD", "2024-01-03", 10), ("OLD", "2024-04-20", 10), ("MARCH", "2024-03-08", 10),
                 ("MARCH", "2024-04-25", 10), ("APRIL", "2024-04-02", 10), ("APRIL", "2024-04-20", 10),
                 ("FEB", "2024-02-10", 10), ("FEB", "2024-02-20", 10)]
                + [(f"BIG{i}", f"2024-{m:02d}-{d:02d}", 90) for i in range(9) for m in (1, 2, 3, 4)
                   for d in range(1, 29, 3)])                                    # from Jan 1; FM 4–5
    rule = lifecycle.Rule.of(35, 66)
    assert rule.winback_days == 66
    april = segments.rfm(b, pd.Timestamp("2024-05-01"), rule)
    assert (april.loc[["OLD", "MARCH", "APRIL"], "fm"] <= 2).all()               # new is not shadowed by FM
    assert april.loc["APRIL", "segment"] == "new"                                # first purchase in April
    assert april.loc["MARCH", "segment"] == "occasional"                         # first in March: not new now
    assert april.loc["OLD", "segment"] == "occasional"
    march = segments.rfm(b, pd.Timestamp("2024-04-01"), rule)
    assert march.loc["MARCH", "fm"] <= 2 and march.loc["MARCH", "segment"] == "new"   # 03-08: from Mar 7 on
    # at February's end FEB's first purchase is in the month, but before Mar 7: not new
    february = segments.rfm(b, pd.Timestamp("2024-03-01"), rule)
    assert february.loc["FEB", "fm"] <= 2 and february.loc["FEB", "segment"] == "occasional"
    assert not (february["segment"] == "new").any()


def grocery_like(n: int = 600, seed: int = 3, end: str = "2017-07-01") -> pd.DataFrame:
    """Complete Journey-like purchases from Jan 1: most members buy every few days up to the month's
    end, some every few weeks, a fifth stop on a random day; spend per visit varies by member."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2017-01-01"), pd.Timestamp(end)
    rows = []
    for i in range(n):
        gap = rng.choice([2, 3, 4, 7, 10, 21, 35], p=[.15, .2, .2, .2, .1, .1, .05])
        stop = start + pd.Timedelta(days=int(rng.integers(0, (end - start).days))) if rng.random() < 0.2 else end
        day = start + pd.Timedelta(days=int(rng.integers(0, gap)))
        spend = rng.gamma(4, 12)
        while day < stop:
            rows.append((f"C{i:04d}", day.strftime("%Y-%m-%d"), round(float(spend * rng.uniform(.5, 1.5)), 2)))
            day += pd.Timedelta(days=int(max(1, rng.poisson(gap))))
    return baskets(rows)


QUIET_WORDS = ("silent", "quiet", "hibernat", "lost", "dormant", "lapsed", "gone")


def check_names_hold(seg: pd.DataFrame, b: pd.DataFrame, end: pd.Timestamp, lapse_days: int,
                     winback_days: int) -> None:
    """Every segment's name is true of every member in it, judged from the purchases themselves: quiet
    names only for members silent N days or more, "lost" only for those silent W days or more."""
    bought = b[b["is_member"] & b["is_purchase"] & (b["date"] < end)]
    last = bought.groupby("customer_id")["date"].max()
    days = (end - pd.Timedelta(days=1) - last).dt.days
    month_start = (end - pd.Timedelta(days=1)).to_period("M").start_time
    in_month = last >= month_start
    assert sorted(seg.index) == sorted(last.index) and seg.index.is_unique    # a partition of the members
    assert seg["segment"].notna().all()
    named = seg["segment"].astype(str).map(lambda k: text.label("segment", k).lower())
    quiet = named.map(lambda name: any(w in name for w in QUIET_WORDS))
    assert quiet.any() and (~quiet).any()
    assert not in_month[quiet[quiet].index].any()                          # nobody who bought this month
    assert (days[quiet[quiet].index] >= lapse_days).all()
    lost = seg.index[seg["segment"] == "lost"]
    assert (days[lost] >= winback_days).all()
    assert days.index[days >= winback_days].isin(lost).all()               # and every such member is lost
    gone = seg.index[seg["segment"].isin(["gone_quiet", "best_gone_quiet"])]
    assert days[gone].between(lapse_days, winback_days - 1).all()
    recent = seg.index[~quiet]
    assert ((days[recent] < lapse_days) | in_month[recent]).all()
    assert in_month[in_month].index.isin(recent).all()


def test_on_grocery_like_data_no_segment_name_contradicts_a_purchase():
    b, end = grocery_like(), pd.Timestamp("2017-07-01")
    rule = segments.default_rule(b, end)
    assert rule.lapse_days >= lifecycle.LAPSE_FLOOR_DAYS
    seg = segments.rfm(b, end, rule)
    assert seg.equals(segments.rfm(b, end))                  # no rule given: the same one, derived
    check_names_hold(seg, b, end, rule.lapse_days, rule.winback_days)
    # the data is what the issue saw: most members bought in the month, so a recency quintile
    # would have put some of them in the bottom ("lost") fifth
    assert seg["bought_this_month"].mean() > 0.6
    # and last month's segments, with the same N, hold for last month's purchases
    before = pd.Timestamp("2017-06-01")
    check_names_hold(segments.rfm(b, before, rule), b, before, rule.lapse_days, rule.winback_days)


def test_segments_partition_the_members_and_ties_are_deterministic():
    b = grocery_like(200, seed=5)
    twin = b[b["customer_id"] == "C0001"].assign(customer_id="C9999")   # C0001's exact history
    b = pd.concat([b, twin], ignore_index=True)
    end = pd.Timestamp("2017-07-01")
    rule = lifecycle.Rule.of(35, 180)
    seg = segments.rfm(b, end, rule)
    n = b["customer_id"].nunique()
    assert len(seg) == n and n > 150
    for score in ("f", "m"):                                  # equal quintiles (±1) even with many ties
        assert set(seg.groupby(score).size()) <= {n // 5, n // 5 + 1}
    assert seg["f_high"].sum() in (n // 2, n - n // 2) and seg["m_high"].sum() in (n // 2, n - n // 2)
    assert (seg.loc[seg["f_high"], "frequency"].min() >= seg.loc[~seg["f_high"], "frequency"].max())
    assert (seg["fm"] == np.ceil((seg["f"] + seg["m"]) / 2)).all()
    # twins differ only by id: the lower id ranks lower (never above) in every score
    assert (seg.loc["C0001", ["f", "m"]].to_numpy() <= seg.loc["C9999", ["f", "m"]].to_numpy()).all()
    for seed in range(3):
        again = segments.rfm(b.sample(frac=1.0, random_state=seed), end, rule)
        pd.testing.assert_frame_equal(again, seg)


def test_on_simulator_data_no_segment_name_contradicts_a_purchase(small_config, tmp_path):
    run = open_run(small_config, "2024-11", tmp_path)
    rule = churn.run_rule(run)
    assert rule.lapse_days == kpis.lapse_rule(run).days and rule.winback_days == run.setting("winback_days")
    b = run.table("baskets")
    for end in (run.end, run.start):          # the month and the month before, with the run's N and W
        check_names_hold(segments.rfm(b, end, rule), b, end, rule.lapse_days, rule.winback_days)


def test_value_tiers_follow_the_thresholds_for_living_members_only():
    scores = pd.DataFrame({
        "state": ["active", "at_risk", "new", "at_risk", "active", "lapsed", "dormant", "lost", "active"],
        "clv": [120, 100, 60, 10, 5, 200, 40, 0, 20],
        "clv_if_alive": [133, 167, 67, 33, 17, 250, 90, 20, 22]}, index=list("abcdefghi"))
    rule = segments.TierRule(core_clv=100, key_clv=30)
    tiers = segments.value_tiers(scores, rule)
    # a ≥ 100 core; b at risk keeps its tier (core); c ≥ 30 key; d below, but 33 if alive ≥ 30: developable;
    # e, i low-priority; f, g, h are outside the base: their state, whatever their CLV
    assert tiers.astype(str).tolist() == ["core", "core", "key", "developable", "low-priority", "lapsed",
                                          "dormant", "lost", "low-priority"]
    assert list(tiers.cat.categories) == list(segments.TIERS) + ["lapsed", "dormant", "lost"]
    assert not tiers[scores["state"].isin(["lapsed", "dormant", "lost"])].isin(segments.TIERS).any()
    # thresholds from the living members' CLV only: 5, 10, 20, 60, 100, 120 (f's 200 left out);
    # 80% quantile at position 0.8 × 5 = 4: 100; the median, between 20 and 60: 40
    r = segments.tier_rule(scores)
    assert (r.core_clv, r.key_clv, r.living) == (100.0, 40.0, 6)
    everyone = pd.DataFrame({"state": "active", "clv": np.arange(1, 101, dtype=float)})
    r = segments.tier_rule(everyone)
    assert r.core_clv == pytest.approx(80.2) and r.key_clv == pytest.approx(50.5) and r.living == 100
    assert "80% quantile" in text.say(r.describe("CNY"))
    # nobody living: the quantiles of everyone's CLV (0, 40, 200: 80% at position 1.6 → 40 + 0.6 × 160 = 136)
    gone = scores.loc[["f", "g", "h"]]
    r = segments.tier_rule(gone)
    assert (r.core_clv, r.key_clv, r.living) == (pytest.approx(136.0), 40.0, 0)
    assert segments.value_tiers(gone, r).astype(str).tolist() == ["lapsed", "dormant", "lost"]


def test_migration_counts_and_revenue():
    before = pd.Series({"a": "core", "b": "core", "c": "key", "x": "key"})   # x did not come back
    after = pd.Series({"a": "core", "b": "key", "c": "key", "d": "key"})    # d is new
    revenue = pd.Series({"a": 10.0, "b": 5.0, "d": 7.0})
    counts, money = segments.migration(before, after, ["core", "key"], revenue)
    assert counts.loc["core", "core"] == 1 and counts.loc["core", "key"] == 1 and counts.loc["key", "key"] == 1
    assert counts.loc[segments.NOT_YET, "key"] == 1
    assert counts.to_numpy().sum() == len(after)
    assert money.loc["core", "core"] == 10 and money.loc["core", "key"] == 5 and money.loc["key", "key"] == 0
    assert money.loc[segments.NOT_YET, "key"] == 7


@pytest.fixture(scope="module")
def cj(tmp_path_factory):
    run = open_run("data/completejourney.yml", "2017-06", tmp_path_factory.mktemp("cj"))
    view = segments.for_month(run)   # notebooks 03 and 04 have not run: their scores are computed
    return run, view


@pytest.mark.slow
def test_complete_journey_segment_counts_add_up_to_the_customer_count(cj):
    run, view = cj
    b = run.table("baskets")
    customers = b.loc[b["is_member"] & b["is_purchase"], "customer_id"].nunique()
    assert len(view.scores) == customers
    assert view.segment_summary()["members"].sum() == customers
    assert view.tier_summary()["members"].sum() == customers
    assert view.tiers_now.notna().all()
    # tiers for living members only (the base); everyone else is shown by their state, never in a tier
    alive = view.scores["state"].isin(lifecycle.BASE_STATES)
    assert view.tiers_now[alive].isin(segments.TIERS).all()
    assert (view.tiers_now[~alive].astype(str) == view.scores.loc[~alive, "state"]).all()
    assert view.rule.living == int(alive.sum()) > 0
    assert run.has("churn_scores") and run.has("clv_scores")  # computed with the config's settings
    for counts, _ in (view.rfm_migration(), view.tier_migration()):
        assert counts.to_numpy().sum() == customers
        came = counts.drop(index=segments.NOT_YET).to_numpy().sum()
        assert came == len(view.rfm_before)                           # everyone of May is still counted
    core = view.tier_summary().set_index("tier").loc["core", "members"]
    assert 0 < core <= 0.2 * alive.sum() + 1


@pytest.mark.slow
def test_complete_journey_segment_names_hold_for_every_member(cj):
    # The case: in 2017-06, "lost", "at risk" and "hibernating" held members who bought in June.
    run, view = cj
    b, n, w = run.table("baskets"), view.recency.lapse_days, view.recency.long_lapse_days
    assert (n, w) == (kpis.run_lapse_rule(run).days, churn.run_rule(run).winback_days)
    check_names_hold(view.rfm_now, b, run.end, n, w)
    check_names_hold(view.rfm_before, b, run.start, n, w)           # last month's segments, same N and W


@pytest.fixture(scope="module")
def small_run(small_config, tmp_path_factory):
    from retention_lib.analytics import lapse_drivers, early_warning
    run = open_run(small_config, "2024-11", tmp_path_factory.mktemp("small"))
    lapse = kpis.lapse_rule(run)
    kpis.save(run, kpis.for_month(run, lapse), lapse)
    view = segments.for_month(run)
    segments.save(run, view)
    table = early_warning.for_month(run, view.scores, view.scores)
    early_warning.save(run, table, early_warning.available_reasons(view.scores, run.table("surveys"),
                                                                   run.table("complaints")))
    lapse_drivers.save(run, lapse_drivers.for_month(run, lapse.days))
    stub_charts(run)
    return run


@pytest.mark.slow
def test_report_sections_carry_aggregates_only(small_run):
    run = small_run
    html = "".join(item.data for item in sections.kpi_section(run) + sections.segments_section(run)
                   if isinstance(getattr(item, "data", None), str))
    assert "Value tiers" in html and "Early warning" in html and "Churn rate" in html
    rule = churn.run_rule(run)                                       # thresholds in days, in the intro
    n, w = rule.lapse_days, rule.winback_days
    assert f"a purchase in the last {n} days" in html and f"no purchase for {n} to {w - 1} days" in html
    # the intro names the segment by its name in the table ("lost"), not the lifecycle's "dormant"
    assert f"lost: none for {w} days or more" in html
    b = run.table("baskets")                                         # the base, from the purchases: silent < N
    last = b[b["is_member"] & b["is_purchase"]].groupby("customer_id")["date"].max()
    base = int(((run.end - pd.Timedelta(days=1) - last).dt.days < n).sum())
    assert f"Tiers describe the {base:,} members in the base" in html
    assert "are flagged" in html
    assert not re.search(r"C\d{6}", html)                            # no customer ids
    people = run.table("customers")
    assert not any(name in html for name in people["name"].dropna())
    assert not any(phone in html for phone in people["phone"].dropna())
    listed = pd.read_csv(run.run_dir / "artifacts" / "early_warning.csv")
    assert listed["customer_id"].str.match(r"C\d{6}").all()          # the list stays in the run folder
