"""Early-warning rules on hand-built members, and against the simulator's ground truth."""
import numpy as np
import pandas as pd
import pytest

from conftest import write_demo_config
from retention_lib.analytics import churn
from retention_lib.analytics import early_warning as ew
from retention_lib.data.prepare import open_run

END = pd.Timestamp("2024-09-01")  # recent window from Jul 7, baseline from Jan 7


def baskets(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    out["timestamp"] = pd.to_datetime(out["timestamp"])
    out["date"] = out["timestamp"].dt.normalize()
    out["store_id"] = "S1"
    out["is_member"] = True
    out["is_purchase"] = out["amount"] > 0
    return out


def weekly(cid, start, end, spend=lambda i: 100.0):
    days = pd.date_range(start, end, freq="7D")
    return [(cid, d + pd.Timedelta(hours=10), spend(i)) for i, d in enumerate(days)]


@pytest.fixture(scope="module")
def table():
    rows = (weekly("F", "2024-01-01", "2024-07-06")                              # stops at the window
            + weekly("S", "2024-01-01", "2024-08-31")                            # steady
            + weekly("P", "2024-01-01", "2024-08-31",
                     lambda i: (90.0 if i % 2 else 110.0) if i < 27 else (40.0 if i % 2 else 50.0))
            + weekly("N", "2024-08-01", "2024-08-31")                            # new: no baseline
            + [("X", pd.Timestamp("2023-03-01 10:00"), 80.0)])                   # long gone
    surveys = pd.DataFrame({
        "response_id": ["R1", "R2", "R3", "R4"], "customer_id": ["S", "P", "N", "N"],
        "submitted_at": pd.to_datetime(["2024-08-15", "2024-03-01", "2024-08-02", "2024-08-20"]),
        "nps": [3, 3, 2, 10], "csat": [4, 2, 1, 5]})
    complaints = pd.DataFrame({
        "complaint_id": ["K1", "K2", "K3"], "customer_id": ["S", "P", "F"],
        "opened_at": pd.to_datetime(["2024-08-20", "2024-08-01", "2024-07-01"]),
        "closed_at": pd.to_datetime([None, "2024-08-03", "2024-07-10"]),
        "resolved": [False, True, False]})
    scores = pd.DataFrame({"p_alive": [0.3, 0.95, 0.6, 0.9], "p_alive_last_month": [0.9, 0.97, 0.85, np.nan],
                           "p_no_purchase_next_month": [0.6, 0.05, 0.15, 0.1],
                           "p_no_purchase_last_month": [0.2, 0.05, 0.1, np.nan],
                           "newly_at_risk": [True, False, False, False]}, index=["F", "S", "P", "N"])
    return ew.early_warning(baskets(rows), END, churn_scores=scores, surveys=surveys, complaints=complaints)


def test_only_members_seen_in_the_last_34_weeks_are_checked(table):
    assert sorted(table.index) == ["F", "N", "P", "S"]


@pytest.mark.parametrize("cid, fired", [
    ("F", {"skip_risk", "rising_risk", "overdue", "falling_frequency", "open_complaint"}),
    ("S", {"low_survey_score", "open_complaint"}),
    ("P", {"falling_spend"}),
    ("N", set()),
])
def test_each_rule_fires_where_it_should(table, cid, fired):
    row = table.loc[cid]
    assert {r for r in ew.REASONS if row[r]} == fired
    assert row["n_reasons"] == len(fired)
    assert row["reasons"].count(",") == max(len(fired) - 1, 0)


def test_baseline_and_recent_rates(table):
    f, s = table.loc["F"], table.loc["S"]
    assert f["recent_visits_per_week"] == 0
    assert f["baseline_visits_per_week"] == pytest.approx(1.0)
    assert s["recent_visits_per_week"] == pytest.approx(1.0)
    assert table.loc["P", "recent_spend_per_visit"] == pytest.approx(45.0)


def test_counts_by_reason_and_unavailable_sources(table):
    counts = ew.counts_by_reason(table).set_index("reason")
    assert counts.loc["open_complaint", "members"] == 2
    assert counts.loc[ew.ANY_REASON, "members"] == 3
    assert counts.loc[ew.ANY_REASON, "share_of_checked"] == pytest.approx(0.75)
    avail = ew.available_reasons(churn_scores=None, surveys=None, complaints=None)
    blank = ew.counts_by_reason(table, avail).set_index("reason")
    assert pd.isna(blank.loc["low_survey_score", "members"]) and not blank.loc["low_survey_score", "available"]
    assert blank.loc["falling_frequency", "members"] == 1


def test_behaviour_signs_count_only_where_a_missed_month_is_likely():
    """Overdue and falling frequency preceded no more lapses than elsewhere where the model gave under 20%
    chance of a missed month; without a model, a silence of two weeks stands in for it."""
    rows = weekly("G", "2024-01-01", "2024-07-06") + weekly("H", "2024-01-01", "2024-08-20")
    scores = pd.DataFrame({"p_alive": [0.9, 0.9], "p_alive_last_month": [0.9, 0.9],
                           "p_no_purchase_next_month": [0.1, 0.25], "p_no_purchase_last_month": [0.1, 0.25],
                           "newly_at_risk": [False, False]}, index=["G", "H"])
    gated = ew.early_warning(baskets(rows), END, churn_scores=scores)
    assert not gated.loc["G", ["overdue", "falling_frequency"]].any()
    assert not gated.loc["H", "overdue"]    # 11 days silent on a weekly rhythm: not more than two gaps
    plain = ew.early_warning(baskets(rows), END)
    assert plain.loc["G", ["overdue", "falling_frequency"]].all()
    assert not plain.loc["H", ["overdue", "falling_frequency"]].any()   # silent 11 days: under two weeks


def test_a_small_random_dip_is_not_flagged():
    # One purchase day fewer than usual in 8 weeks is noise, not a warning.
    rows = [r for r in weekly("A", "2024-01-01", "2024-08-31") if r[1] != pd.Timestamp("2024-08-12 10:00")]
    t = ew.early_warning(baskets(rows), END)
    assert not t.loc["A", ["falling_frequency", "falling_spend"]].any()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("ew-store")
    cfg = write_demo_config(root, seed=11, n_customers=1500, months=18)
    run = open_run(cfg, "2025-06", root / "run")
    view = churn.score_month(run)
    table = ew.for_month(run, view.scores)
    truth = pd.read_json(root / "store" / "truth.json", typ="series")
    people = pd.DataFrame(truth["customers"]).set_index("customer_id")
    dropped = (pd.to_datetime(people["dropout_at"]) < run.end).reindex(table.index)
    return table, dropped


@pytest.mark.slow
def test_simulated_churners_are_flagged_more_often_than_retained_members(simulated):
    table, dropped = simulated
    flagged = table["n_reasons"] > 0
    churners, retained = flagged[dropped], flagged[~dropped]
    assert len(churners) > 100 and len(retained) > 300
    assert churners.mean() > 2 * retained.mean()
    assert churners.mean() > 0.35
    # The model's chance and the visits carry the signal on their own too.
    for reason in ("skip_risk", "falling_frequency"):
        assert table.loc[dropped.to_numpy(), reason].mean() > 2 * table.loc[~dropped.to_numpy(), reason].mean()


def test_order_is_reasons_then_clv_then_customer_id_whatever_the_input_order():
    rows = (weekly("S3", "2024-01-01", "2024-08-31") + weekly("F2", "2024-01-01", "2024-07-06")
            + weekly("S1", "2024-01-01", "2024-08-31") + weekly("F1", "2024-01-01", "2024-07-06")
            + weekly("S2", "2024-01-01", "2024-08-31"))
    clv = pd.DataFrame({"clv": [50.0, 50.0, 10.0, 10.0]}, index=["F2", "F1", "S3", "S2"])   # S1 has none
    expected = ["F1", "F2", "S2", "S3", "S1"]
    for seed in range(3):
        b = baskets(rows).sample(frac=1.0, random_state=seed)
        t = ew.early_warning(b, END, clv_scores=clv)
        assert list(t.index) == expected
        assert t["n_reasons"].tolist() == [2, 2, 0, 0, 0]   # overdue, falling frequency


# ------------------------------------------------------------------ short history: the windows used

def test_the_baseline_is_shortened_to_the_data_and_the_sentence_says_so():
    from retention_lib.report import text

    # Data from Mar 1: 18 whole weeks before the recent window (from Jul 7), not 26.
    rows = (weekly("F", "2024-03-01", "2024-07-06") + weekly("S", "2024-03-01", "2024-08-31")
            + [("Y", pd.Timestamp("2024-03-02 10:00"), 30.0)])
    b = baskets(rows)
    used = ew.windows(b, END)
    whole_weeks = (pd.Timestamp("2024-07-07") - pd.Timestamp("2024-03-01")).days // 7
    assert (used.recent_weeks, used.baseline_weeks) == (8, whole_weeks) == (8, 18)
    assert used.shortened and used.behaviour_available
    t = ew.early_warning(b, END)
    # checked: bought in the 26 weeks actually covered (from Mar 3); Y's only purchase, Mar 2, is before them
    assert sorted(t.index) == ["F", "S"]
    assert t.loc["F", "falling_frequency"] and not t.loc["S", "falling_frequency"]
    said = text.say(used.describe())
    assert "last 8 weeks" in said and "previous 18 weeks" in said and "2024-03-01" in said and "26" in said


def test_too_short_a_history_leaves_frequency_and_spend_unchecked_with_the_reason():
    from retention_lib.report import text

    rows = weekly("F", "2024-05-01", "2024-07-06") + weekly("S", "2024-05-01", "2024-08-31")
    b = baskets(rows)
    used = ew.windows(b, END)
    assert used.baseline_weeks == 9 and not used.behaviour_available
    t = ew.early_warning(b, END)
    assert not t[["falling_frequency", "falling_spend"]].any().any()
    assert sorted(t.index) == ["F", "S"]                       # still checked for the other reasons
    avail = ew.available_reasons(used=used)
    assert not avail["falling_frequency"] and not avail["falling_spend"]
    counts = ew.counts_by_reason(t, avail).set_index("reason")
    assert pd.isna(counts.loc["falling_frequency", "members"]) and not counts.loc["falling_spend", "available"]
    said = text.say(used.describe())
    assert "not checked" in said and "9 weeks" in said and "13 weeks" in said and "2024-05-01" in said


def test_the_saved_summary_states_the_windows_used(tmp_path):
    from retention_lib.core.run import Run

    rows = weekly("F", "2024-03-01", "2024-07-06") + weekly("S", "2024-03-01", "2024-08-31")
    b = baskets(rows)
    used = ew.windows(b, END)
    run = Run(None, pd.Period("2024-08", "M"), tmp_path)
    table = ew.early_warning(b, END, used=used)
    ew.save(run, table, ew.available_reasons(), used)       # availability follows the windows too
    saved = run.read("early_warning_summary")
    assert (saved["recent_weeks"], saved["baseline_weeks"]) == (8, 18)
    assert saved["windows"]["shortened"] and saved["windows"]["data_start"] == "2024-03-01"
    assert saved["flagged_members"] == int((table["n_reasons"] > 0).sum()) == 1
