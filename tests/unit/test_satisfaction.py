"""NPS/CSAT and their intervals against hand computations; the driver analysis and the
satisfaction–churn link against the simulator's truth; months and sources without surveys."""
import json
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from retention_lib.report import text
from IPython.display import HTML

from conftest import set_table, stub_charts, write_demo_config
from retention_lib.analytics import churn
from retention_lib.report import charts, satisfaction_display, sections
from retention_lib.analytics import satisfaction as sat
from retention_lib.core.run import MissingArtifact
from retention_lib.data.prepare import open_run
from retention_lib.core.schema import DIMENSIONS
from retention_lib.data.sources.demo import COMMENTS, GENERIC_COMMENTS

Z = 1.959963984540054


# --- headline scores against hand computations -----------------------------------------------

def test_nps_and_its_trinomial_interval_by_hand():
    ratings = [10, 10, 9, 8, 7, 6, 0, 3, 9, 10]   # 5 promoters, 2 passives, 3 detractors
    s = sat.nps(ratings)
    assert (s["n"], s["promoters"], s["passives"], s["detractors"]) == (10, 5, 2, 3)
    assert s["nps"] == pytest.approx(20.0)
    # var = (0.5 + 0.3 - 0.2²) / 10 = 0.076; on the −100..100 scale se = 100·√0.076
    assert s["se"] == pytest.approx(27.568097504180443)
    assert s["lo"] == pytest.approx(20 - Z * 27.568097504180443)   # −34.03
    assert s["hi"] == pytest.approx(20 + Z * 27.568097504180443)   # +74.03
    # not the binomial variance of a single share
    assert s["se"] != pytest.approx(100 * math.sqrt(0.2 * 0.8 / 10))
    assert s["small_sample"]


def test_nps_interval_is_clipped_to_the_scale():
    s = sat.nps([10] * 29 + [0])
    assert s["hi"] == 100.0 and s["lo"] < s["nps"] < 100


def test_csat_share_and_wilson_interval_by_hand():
    s = sat.csat([5, 4, 4, 5, 3, 2, 4, 5, 1, 4])  # 7 of 10 rate 4–5
    assert (s["n"], s["satisfied"], s["csat"]) == (10, 7, pytest.approx(0.7))
    # Wilson for 7/10: (0.7 + z²/20 ± z·√(0.021 + z²/400)) / (1 + z²/10)
    assert s["lo"] == pytest.approx(0.39678, abs=5e-5)
    assert s["hi"] == pytest.approx(0.89224, abs=5e-5)
    lo, hi = sat.wilson(0, 20)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.16113, abs=5e-5)


def _responses(promoters, passives, detractors):
    return [10] * promoters + [8] * passives + [3] * detractors


def test_changes_use_the_variance_of_a_difference_and_call_significance_by_the_interval():
    now = sat.scores(pd.DataFrame({"nps": _responses(50, 40, 10), "csat": [5] * 80 + [2] * 20}))
    before = sat.scores(pd.DataFrame({"nps": _responses(30, 40, 30), "csat": [5] * 60 + [2] * 40}))
    close = sat.scores(pd.DataFrame({"nps": _responses(45, 40, 15), "csat": [5] * 75 + [2] * 25}))
    # NPS 40 (se 100·√(0.0044)) against 0 (se 100·√(0.006)): se of the change √(44 + 60)
    c = sat.change(now, before, "nps")
    assert c["change"] == pytest.approx(40.0)
    assert c["se"] == pytest.approx(math.sqrt(44 + 60))
    assert c["lo"] == pytest.approx(40 - Z * math.sqrt(104)) and c["significant"]
    # NPS 40 against 30: se √(44 + 51) ≈ 9.75, the interval includes 0
    c = sat.change(now, close, "nps")
    assert c["se"] == pytest.approx(math.sqrt(44 + 51))
    assert c["lo"] < 0 < c["hi"] and not c["significant"]
    # CSAT 0.80 against 0.60: se √(0.8·0.2/100 + 0.6·0.4/100)
    c = sat.change(now, before, "csat")
    assert c["change"] == pytest.approx(0.2)
    assert c["se"] == pytest.approx(math.sqrt(0.0016 + 0.0024)) and c["significant"]
    assert not c["small_sample"]


def test_small_samples_are_flagged():
    few = sat.scores(pd.DataFrame({"nps": [10] * 29, "csat": [5] * 29}))
    assert few["nps"]["small_sample"] and few["csat"]["small_sample"]
    enough = sat.scores(pd.DataFrame({"nps": [10] * 30, "csat": [5] * 30}))
    assert not enough["nps"]["small_sample"]
    assert sat.change(few, enough, "nps")["small_sample"]


def test_score_table_by_store_keeps_responses_without_a_store():
    s = pd.DataFrame({"nps": [10, 0, 9, 8], "csat": [5, 1, 4, 3], "store_id": ["S1", "S1", None, "S2"]})
    t = sat.score_table(s, "store_id", sat.NO_STORE).set_index("store_id")
    assert t.loc["S1", "responses"] == 2 and t.loc["S1", "nps"] == pytest.approx(0.0)
    assert t.loc[sat.NO_STORE, "nps"] == pytest.approx(100.0)
    assert t["responses"].sum() == 4


# --- drivers ---------------------------------------------------------------------------------

def test_relative_weights_sum_to_r2_and_equal_squared_correlations_for_orthogonal_predictors():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 3))
    X = np.linalg.qr(X - X.mean(axis=0))[0]   # exactly uncorrelated columns
    y = X @ [3.0, 1.0, 0.0] + 0.5 * rng.standard_normal(2000)
    raw, r2 = sat.relative_weights(X, y)
    r = np.corrcoef(np.column_stack([X, y]), rowvar=False)[:-1, -1]
    np.testing.assert_allclose(raw, r**2, atol=1e-10)
    # correlated predictors: weights still add up to the OLS R²
    Xc = X + 0.8 * X[:, [0]]
    fit = np.linalg.lstsq(np.column_stack([np.ones(len(y)), Xc]), y, rcond=None)
    ols_r2 = 1 - fit[1][0] / ((y - y.mean()) ** 2).sum()
    raw_c, r2_c = sat.relative_weights(Xc, y)
    assert r2_c == pytest.approx(ols_r2) and raw_c.sum() == pytest.approx(ols_r2)


@pytest.fixture(scope="module")
def big_run(tmp_path_factory):
    """A 4,000-member simulated store, 18 months; the run for its last month with P(alive)."""
    root = tmp_path_factory.mktemp("big-store")
    cfg = write_demo_config(root, seed=5, n_customers=4000, months=18)
    run = open_run(cfg, "2025-06", root / "run")
    churn.save(run, churn.score_month(run))
    return run, json.loads((root / "store" / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_drivers_recover_the_simulators_strongest_dimension(big_run):
    run, truth = big_run
    d = sat.drivers(run.table("surveys"), "nps", n_boot=300, seed=1,
                    start=(run.month - 11).start_time, end=run.end)
    assert d.strongest == truth["strongest_dimension"] == "dim_freshness"
    t = d.table
    assert t.loc["dim_freshness", "p_top"] > 0.95
    second = t["importance"].drop("dim_freshness").idxmax()
    assert t.loc["dim_freshness", "importance_lo"] > t.loc[second, "importance_hi"]
    assert t["importance"].sum() == pytest.approx(1.0)
    assert (t["importance_lo"] <= t["importance"]).all() and (t["importance"] <= t["importance_hi"]).all()
    # importance follows the simulator's weights (rank correlation), price second
    weights = pd.Series(truth["dimension_weights"])
    assert t["importance"].corr(weights.reindex(t.index), method="spearman") > 0.8
    assert second == "dim_price"
    # freshness matters most yet is rated worst: it is the first thing to fix
    assert t.loc["dim_freshness", "performance"] == t["performance"].min()
    assert d.fix_first[0] == "dim_freshness"
    ax = charts.importance_performance_chart(text.labelled(t, None, "dimension", into="label"),
                                             "2024-07-01 to 2025-06-30").axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert {text.label("dimension", d) for d in DIMENSIONS} <= labels and any(lbl.startswith("FIX FIRST")
                                                                              for lbl in labels)
    # complete cases: every dropped response left at least one dimension blank
    window = sat.in_period(run.table("surveys"), d.start, d.end)
    assert d.complete_cases == int(window[list(DIMENSIONS)].notna().all(axis=1).sum())
    assert d.complete_cases + d.incomplete_dropped == len(window)


@pytest.mark.slow
def test_drivers_are_seeded_and_need_enough_responses(big_run):
    run, _ = big_run
    s = run.table("surveys")
    a = sat.drivers(s, n_boot=50, seed=3)
    b = sat.drivers(s, n_boot=50, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert sat.drivers(s.head(40), n_boot=50) is None


# --- satisfaction against behaviour ---------------------------------------------------------

@pytest.mark.slow
def test_detractors_churn_more_and_have_lower_p_alive_than_promoters(big_run):
    run, _ = big_run
    scores = run.read("churn_scores")
    b = sat.behaviour(run.table("surveys"), run.table("baskets"), run.end, scores["p_alive"])
    t = b.table
    d, p = t.loc["detractor"], t.loc["promoter"]
    assert d["members"] >= 50 and p["members"] >= 50
    assert d["churn_share"] > p["churn_share"]
    assert b.detractor_vs_promoter["significant"] and b.detractor_vs_promoter["lo"] > 0
    assert d["p_alive"] < p["p_alive"] and d["p_alive_hi"] < p["p_alive_lo"]
    assert d["spend"] < p["spend"]
    fig = charts.satisfaction_churn_chart(t, "2024-11-02 to 2025-05-01", "CNY", b.window_days)
    assert "Do detractors leave?" in fig._suptitle.get_text()
    for g in sat.NPS_GROUPS:
        assert t.loc[g, "churn_lo"] <= t.loc[g, "churn_share"] <= t.loc[g, "churn_hi"]


@pytest.mark.slow
def test_later_churn_matches_a_direct_count(big_run):
    run, _ = big_run
    surveys, baskets = run.table("surveys"), run.table("baskets")
    b = sat.behaviour(surveys, baskets, run.end, window_days=60, cohort_months=6)
    window_start = run.end - pd.Timedelta(days=60)
    cohort_start = window_start - pd.DateOffset(months=6)
    s = surveys[(surveys["submitted_at"] >= cohort_start) & (surveys["submitted_at"] < window_start)
                & surveys["customer_id"].notna()].sort_values("submitted_at")
    last = s.groupby("customer_id")["nps"].last()
    bought = set(baskets.loc[baskets["is_purchase"] & baskets["is_member"]
                             & (baskets["timestamp"] >= window_start) & (baskets["timestamp"] < run.end),
                             "customer_id"])
    promoters = last[last >= 9]
    expected = np.mean([c not in bought for c in promoters.index])
    assert b.members == len(last)
    assert b.table.loc["promoter", "members"] == len(promoters)
    assert b.table.loc["promoter", "churn_share"] == pytest.approx(expected)


# --- the month: no surveys, no source tables, and the report ----------------------------------

@pytest.fixture(scope="module")
def small_run(small_config, tmp_path_factory):
    run = open_run(small_config, "2024-11", tmp_path_factory.mktemp("small-run"))
    churn.save(run, churn.score_month(run))
    return run


def _section_html(run) -> str:
    stub_charts(run)
    items = sections.satisfaction_section(run)
    return "\n".join(i.data for i in items if isinstance(i, HTML))


def test_month_analysis_and_report_section_carry_no_personal_data(small_run):
    view = sat.for_month(small_run, bootstrap=200)
    sat.save(small_run, view)
    saved = small_run.read("satisfaction_summary")
    assert saved["has_surveys"] and saved["has_complaints"]
    month = sat.in_period(small_run.table("surveys"), small_run.start, small_run.end)
    assert saved["headline"]["now"]["nps"]["n"] == len(month)
    assert saved["headline"]["now"]["nps"]["nps"] == pytest.approx(sat.nps(month["nps"])["nps"])
    assert len(saved["monthly"]) == 13 and saved["monthly"][-1]["month"] == "2024-11"
    html = _section_html(small_run)
    assert "NPS was" in html and "Complaints." in html
    assert not re.search(r"C\d{6}", html)                     # no customer ids
    texts = [t for neg, pos in COMMENTS.values() for t in neg + pos] + GENERIC_COMMENTS
    assert not any(t in html for t in texts)                   # no comment text, only counts
    assert not re.search(r"1[3-9]\d{9}", html)                 # no phone numbers


@pytest.mark.slow
def test_a_month_without_surveys_is_said_plainly(small_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(small_run.run_dir, run_dir)
    run = open_run(small_run.config, "2024-11", run_dir)
    surveys = run.table("surveys")
    in_month = (surveys["submitted_at"] >= run.start) & (surveys["submitted_at"] < run.end)
    assert in_month.any()
    set_table(run_dir, "surveys", surveys[~in_month])
    view = sat.for_month(run, bootstrap=200)
    assert view.headline["now"]["n"] == 0 and view.headline["now"]["nps"]["nps"] is None
    assert view.headline["changes"]["month_on_month"]["nps"] is None
    assert view.monthly.iloc[-1]["responses"] == 0 and view.monthly.iloc[-2]["responses"] > 0
    assert view.themes["comments"] == 0
    sat.save(run, view)
    html = _section_html(run)
    assert "No survey responses were received in 2024-11" in html
    fig = charts.satisfaction_trend_chart(view.monthly, "2024-11")   # the empty month is drawn as a gap
    fig.savefig(tmp_path / "trend.png")
    table = satisfaction_display.headline_table(run.read("satisfaction_summary")["headline"])
    assert table.loc[0, "value"] == "—"


def test_a_source_without_surveys_or_complaints_says_so(small_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(small_run.run_dir, run_dir)
    set_table(run_dir, "surveys", None)
    set_table(run_dir, "complaints", None)
    run = open_run(small_run.config, "2024-11", run_dir)
    view = sat.for_month(run)
    assert not view.has_surveys and not view.has_complaints
    sat.save(run, view)
    html = _section_html(run)
    assert "has no satisfaction surveys" in html and "has no complaints" in html
    assert html.count("has no satisfaction surveys") == 1   # one line for the parts missing for one reason
    (run_dir / "artifacts" / "satisfaction_summary.json").unlink()
    with pytest.raises(MissingArtifact, match="06_satisfaction"):   # notebook 06 not run: a bug, not a gap
        sections.satisfaction_section(run)


def test_dimension_names_read_unambiguously_in_a_list():
    # "freshness and quality and price" read as three things; a name with no "and" keeps a list of two a list of two
    for form in ("dimension", "dimension_inline"):
        names = [text.label(form, d) for d in DIMENSIONS]
        assert not [n for n in names if " and " in n], names
        assert text.listing(names[:2]).count(" and ") == 1


def test_the_fix_first_dimensions_are_written_as_a_list():
    d = {"dimensions": [{"dimension": k, "importance": 0.3, "importance_lo": 0.25, "importance_hi": 0.35,
                         "fix_first": True, "performance": 3.0} for k in ("dim_freshness", "dim_price", "dim_staff")],
         "strongest": "dim_freshness", "importance_divider": 1 / 7, "performance_divider": 3.5,
         "fix_first": ["dim_freshness", "dim_price", "dim_staff"], "complete_cases": 100, "window_start": "2025-01",
         "window_end": "2025-12", "incomplete_dropped": 3, "r2": 0.8, "outcome": "nps"}
    said = satisfaction_display.drivers_text(d)
    names = [text.label("dimension_inline", k) for k in d["fix_first"]]   # inside a sentence
    assert f"{names[0]}, {names[1]} and {names[2]}." in said
