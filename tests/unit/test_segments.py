"""RFM scoring and naming, value tiers, migration, the report's privacy, and the Complete
Journey's segment counts."""
import re

import numpy as np
import pandas as pd
import pytest
from conftest import stub_charts

from retention_lib.analytics import kpis, segments
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


@pytest.mark.parametrize("r, fm, new, expected", [
    (5, 5, False, "champions"), (4, 4, True, "champions"), (5, 3, False, "loyal"), (3, 4, False, "loyal"),
    (3, 2, True, "new"), (4, 4, False, "champions"), (3, 4, True, "new"), (5, 1, False, "potential"),
    (2, 5, False, "can't lose"), (1, 5, False, "can't lose"), (2, 4, False, "at risk"), (1, 3, False, "at risk"),
    (2, 2, False, "hibernating"), (2, 1, True, "hibernating"), (1, 2, False, "lost"), (1, 1, False, "lost"),
])
def test_segment_names_follow_the_documented_rules(r, fm, new, expected):
    assert segments.name_segments(np.array([r]), np.array([fm]), np.array([new]))[0] == expected


def test_every_member_gets_exactly_one_segment():
    rng = np.random.default_rng(1)
    rows = [(f"C{i:03d}", f"2024-{rng.integers(1, 13):02d}-{rng.integers(1, 28):02d}", float(rng.integers(5, 200)))
            for i in range(200) for _ in range(rng.integers(1, 6))]
    seg = segments.rfm(baskets(rows), pd.Timestamp("2025-01-01"))
    assert len(seg) == 200 and seg["segment"].notna().all()
    assert seg.groupby("r").size().tolist() == [40] * 5
    assert (seg["fm"] == np.ceil((seg["f"] + seg["m"]) / 2)).all()


def test_value_tiers_follow_the_thresholds():
    p_alive = pd.Series([0.9, 0.6, 0.9, 0.3, 0.3, 0.05, 0.9], index=list("abcdefg"))
    scores = pd.DataFrame({"at_risk": p_alive < 0.5, "likely_lost": p_alive < 0.1,   # as churn.score_month
                           "clv": [120, 100, 60, 10, 5, 1, 20],
                           "clv_if_alive": [133, 167, 67, 33, 17, 20, 22]}, index=list("abcdefg"))
    rule = segments.TierRule(core_clv=100, key_clv=30)
    tiers = segments.value_tiers(scores, rule)
    assert tiers.astype(str).tolist() == ["core", "core", "key", "developable", "low-priority", "low-priority",
                                          "low-priority"]
    r = segments.tier_rule(pd.Series(np.arange(1, 101, dtype=float)))
    assert r.core_clv == pytest.approx(80.2) and r.key_clv == pytest.approx(50.5)
    assert "80% quantile" in text.say(r.describe("CNY"))


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
    assert run.has("churn_scores") and run.has("clv_scores")  # computed with the config's settings
    for counts, _ in (view.rfm_migration(), view.tier_migration()):
        assert counts.to_numpy().sum() == customers
        came = counts.drop(index=segments.NOT_YET).to_numpy().sum()
        assert came == len(view.rfm_before)                           # everyone of May is still counted
    core = view.tier_summary().set_index("tier").loc["core", "members"]
    assert 0 < core <= 0.2 * customers + 1


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
    assert not re.search(r"C\d{6}", html)                            # no customer ids
    people = run.table("customers")
    assert not any(name in html for name in people["name"].dropna())
    assert not any(phone in html for phone in people["phone"].dropna())
    listed = pd.read_csv(run.run_dir / "artifacts" / "early_warning.csv")
    assert listed["customer_id"].str.match(r"C\d{6}").all()          # the list stays in the run folder
