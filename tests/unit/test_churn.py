"""The month's churn and value views on a simulated store, checked against its ground truth."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.models.clv import fit_gamma_gamma
from retention_lib.models import backtest
from retention_lib.analytics import churn, model_choice, value
from retention_lib.data.aggregate import baskets_from_lines
from retention_lib.data.prepare import open_run
from retention_lib.data.sources.demo import simulate_store
from retention_lib.models.verify import verify
from retention_lib.report import text


@pytest.fixture(scope="module")
def store():
    return simulate_store(seed=11, n_customers=1500, months=18)


@pytest.fixture(scope="module")
def baskets(store):
    return baskets_from_lines(store.tables["transactions"])


@pytest.fixture(scope="module")
def run(small_config, tmp_path_factory):
    return open_run(small_config, "2025-01", tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def view(run):
    return churn.score_month(run)


def test_p_alive_separates_the_simulated_churners(run, view, small_config):
    truth = pd.read_json(small_config.parent / "store" / "truth.json", typ="series")
    people = pd.DataFrame(truth["customers"]).set_index("customer_id")
    dropped = pd.to_datetime(people["dropout_at"]) < run.end
    scored = view.scores.join(dropped.rename("dropped"), how="inner")
    assert len(scored) == len(view.scores)
    alive_p, dead_p = scored.loc[~scored["dropped"], "p_alive"], scored.loc[scored["dropped"], "p_alive"]
    # rank-based AUC: a random alive member outranks a random dropped one most of the time
    ranks = scored["p_alive"].rank()
    auc = (ranks[~scored["dropped"]].sum() - len(alive_p) * (len(alive_p) + 1) / 2) / (len(alive_p) * len(dead_p))
    assert auc > 0.85
    assert alive_p.mean() > dead_p.mean() + 0.4


def test_newly_at_risk_crossed_the_threshold_this_month(view):
    s = view.scores
    assert s["newly_at_risk"].sum() > 0
    assert (s.loc[s["newly_at_risk"], "p_alive"] < view.threshold).all()
    assert (s.loc[s["newly_at_risk"], "p_alive_last_month"] >= view.threshold).all()
    assert set(view.newly_at_risk.index) <= set(view.at_risk.index)
    assert view.headline()["at_risk"] == int((s["p_alive"] < view.threshold).sum())


def test_backtest_on_simulated_store_predicts_the_holdout(baskets):
    result = backtest.run_backtest(baskets, "2025-03-31", "2025-06-30")
    m = result.metrics
    assert abs(m["aggregate_error_pct"]) < 10
    assert m["customers"] + m["new_in_holdout"] == baskets.loc[baskets["is_member"] & baskets["is_purchase"], "customer_id"].nunique()
    assert result.lift["actual"].iloc[-1] > 3 * result.lift["actual"].iloc[4]
    rel = result.reliability
    assert (rel["observed"].iloc[-3:].mean() - rel["observed"].iloc[:3].mean()) > 0.5
    assert 0 <= m["brier_active"] < 0.25


def test_tracking_counts_every_repeat_purchase_day(baskets):
    result = backtest.run_backtest(baskets, "2025-03-31", "2025-06-30")
    bought = baskets[baskets["is_member"] & baskets["is_purchase"]]
    days = bought.assign(day=bought["timestamp"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    first = days.groupby("customer_id")["day"].transform("min")
    cohort = days.groupby("customer_id")["day"].min() <= pd.Timestamp("2025-03-31")
    repeat = days[(days["day"] > first) & days["customer_id"].map(cohort)]
    end = result.tracking["week_end"].iloc[-1]
    assert result.tracking["actual"].sum() == (repeat["day"] <= end).sum()
    holdout = result.tracking[result.tracking["holdout"]]
    assert holdout["predicted"].sum() == pytest.approx(holdout["actual"].sum(), rel=0.15)


@pytest.mark.slow
def test_model_comparison_lists_every_model(baskets):
    table, results = backtest.compare_models(baskets, "2025-03-31", "2025-06-30")
    assert list(table["model"]) == ["BG/NBD", "MBG/NBD", "Pareto/NBD", "naive_rate", "naive_recent"]
    for kind, result in results.items():
        assert np.isfinite(result.customers[["expected_holdout", "p_alive"]].to_numpy()).all(), kind
    assert table["lift_monotone"].map(type).eq(bool).all()
    # the baselines, scored as the models are: recomputed here from the baskets
    bt = results["bgnbd"].customers
    b = baskets[baskets["is_purchase"] & baskets["customer_id"].notna()]
    days = b.assign(d=b["timestamp"].dt.normalize()).drop_duplicates(["customer_id", "d"])
    weeks = bt["duration_holdout"].iloc[0]
    cut = pd.Timestamp("2025-04-01")
    recent = days[(days["d"] >= cut - pd.Timedelta(days=round(weeks * 7))) & (days["d"] < cut)]
    forecast = recent.groupby("customer_id").size().reindex(bt.index, fill_value=0)
    row = table.set_index("model").loc["naive_recent"]
    assert row["mae"] == pytest.approx((forecast - bt["frequency_holdout"]).abs().mean(), rel=1e-12)
    rate = bt["frequency_cal"] / bt["T_cal"].where(bt["T_cal"] > 0)
    assert table.set_index("model").loc["naive_rate", "predicted_purchases"] == pytest.approx(
        (rate.fillna(0) * weeks).sum(), rel=1e-12)


def test_period_transactions_and_matrix(view):
    table = churn.period_transactions(view.model, view.scores)
    assert table["actual"].sum() == table["model"].sum() == len(view.scores)
    matrix = churn.p_alive_matrix(view.model, 40, 50.0, 10)
    values = matrix.to_numpy()
    assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    # for a frequent buyer, a more recent last purchase means more likely alive
    assert (np.diff(matrix.iloc[-1].to_numpy()) >= -1e-12).all()


def test_value_at_stake_and_clv(view):
    spend = fit_gamma_gamma(view.scores)
    v = value.value_month(view.model, view.scores, spend=spend, horizon_months=12, margin=0.3)
    assert v.method == value.MODEL
    s = v.scores
    assert (s["clv"] >= 0).all() and (s["clv_if_alive"] >= s["clv"] - 1e-9).all()
    h = v.headline()
    assert h["total_clv"] == pytest.approx(s["clv"].sum())
    groups = value.groups(v)
    assert groups["members"].sum() == len(s)
    at_risk = groups["group"].isin(["newly_at_risk", "at_risk_earlier"])
    assert h["at_risk_value_at_stake"] + h["likely_lost_value_if_won_back"] == pytest.approx(
        groups.loc[groups["group"] != "not_at_risk", "value_at_stake"].sum())
    assert h["at_risk_members"] + h["likely_lost_members"] == int(s["at_risk"].sum())
    assert h["at_risk_value_at_stake"] == pytest.approx(groups.loc[at_risk, "value_at_stake"].sum())
    longer = value.value_month(view.model, view.scores, spend=spend, horizon_months=24, margin=0.3)
    assert longer.headline()["total_clv"] > h["total_clv"]


@pytest.mark.slow
def test_verify_models_reproduces_every_published_figure():
    table = verify()
    assert table["ok"].all(), table[~table["ok"]]
    assert len(table) == 49


# ------------------------------------------------------------------ when the model cannot be used

def _purchase_days(run):
    b = run.table("baskets")
    b = b[b["is_member"] & b["is_purchase"]]
    return b.assign(d=pd.to_datetime(b["date"])).groupby("customer_id")["d"].agg(lambda d: sorted(set(d)))


def test_lapse_view_judges_each_member_against_their_own_rhythm(run):
    lapse_days = 35
    view = churn.lapse_view(run, lapse_days, reason="the model was not usable (test)")
    s = view.scores
    days = _purchase_days(run)
    own = days.map(lambda d: float(np.median(np.diff(d) / pd.Timedelta(days=1))) if len(d) >= 3 else np.nan)
    pooled = float(own.dropna().median())
    last_day = run.end - pd.Timedelta(days=1)
    for cid in days.index:
        since = (last_day - days[cid][-1]).days
        typical = own[cid] if np.isfinite(own[cid]) else pooled
        assert s.at[cid, "likely_lost"] == (since >= lapse_days), cid
        # likely lost is part of at risk, also on the day silence reaches the lapse rule's N
        assert s.at[cid, "at_risk"] == (since > min(max(2 * typical, 7), lapse_days) or since >= lapse_days), cid
    assert s["p_alive"].isna().all() and view.method == churn.LAPSE_RULE
    assert view.headline()["at_risk"] == int(s["at_risk"].sum()) > 0
    # newly at risk: at risk now, not at last month's end (judged on the data to then)
    assert (s.loc[s["newly_at_risk"], "at_risk_last_month"] == False).all()  # noqa: E712


def test_run_rate_clv_follows_its_stated_formula(run):
    view = churn.lapse_view(run, 35, reason="test")
    v = value.value_month(None, view.scores, baskets=run.table("baskets"), end=run.end, horizon_months=12,
                          annual_discount_rate=0.10, margin=0.25)
    assert v.method == value.RUN_RATE and "run rate" in text.say(v.convention("CNY"))
    days = _purchase_days(run)
    b = run.table("baskets")
    spend_per_day = (b[b["is_member"] & b["is_purchase"]].groupby(["customer_id", "date"])["amount"].sum()
                     .groupby(level=0).mean())
    annuity = sum((1.1 ** (1 / 12)) ** -k for k in range(1, 13))
    end, window = run.end.normalize(), pd.Timedelta(weeks=26)
    checked = 0
    for cid in days.index[:80]:
        if v.scores.at[cid, "likely_lost"]:
            assert v.scores.at[cid, "clv"] == 0
            continue
        start = max(end - window, days[cid][0])
        rate = sum(start <= d < end for d in days[cid]) / max((end - start).days / 7, 1.0)
        expected = 0.25 * spend_per_day[cid] * rate * (365.25 / 12 / 7) * annuity
        assert v.scores.at[cid, "clv"] == pytest.approx(expected, rel=1e-9), cid
        checked += 1
    assert checked > 20


def test_observed_spend_replaces_only_the_spend_term(view, run):
    spend = fit_gamma_gamma(view.scores)
    full = value.value_month(view.model, view.scores, spend=spend, horizon_months=12)
    simple = value.value_month(view.model, view.scores, baskets=run.table("baskets"), end=run.end, horizon_months=12)
    assert simple.method == value.OBSERVED_SPEND
    own = value.spend_per_purchase_day(run.table("baskets"), view.scores.index)
    ratio = simple.scores["clv"] / full.scores["clv"]
    assert np.allclose(ratio, own / full.scores["expected_spend"], rtol=1e-9)


# ------------------------------------------------------------------ one vocabulary: what "at risk" covers

@pytest.mark.parametrize("method", ["model", "lapse_rule"])
def test_the_headline_says_how_many_at_risk_members_have_already_lapsed(run, method):
    lapse_days = 35
    v = (churn.score_month(run, lapse_days=lapse_days) if method == "model"
         else churn.lapse_view(run, lapse_days, reason="test"))
    s, h = v.scores, v.headline()
    days = _purchase_days(run)
    last_day = run.end - pd.Timedelta(days=1)
    since = days.map(lambda d: (last_day - d[-1]).days).reindex(s.index)
    assert (s["days_since_last_purchase"] == since).all()              # from the purchases themselves
    at_risk = s["at_risk"]
    assert h["lapsed"] == int((since >= lapse_days).sum())
    assert h["at_risk_lapsed"] == int((at_risk & (since >= lapse_days)).sum())
    assert h["at_risk_bought_this_month"] == int((at_risk & (since < run.month.days_in_month)).sum())
    assert h["likely_lost_all"] == int(s["likely_lost"].sum()) and (s["at_risk"] | ~s["likely_lost"]).all()
    assert h["likely_lost_lapsed"] <= h["likely_lost_all"] <= h["at_risk"]
    note = text.say(churn.lapsed_note(h))
    assert f"Of the {h['at_risk']:,} members at risk, {h['at_risk_bought_this_month']:,} bought this month" in note
    assert f"<b>{h['at_risk_lapsed']:,}</b> have not bought for 35 days or more" in note


def test_regularity_of_the_exponential_demo_store_says_no_rhythm(run):
    found = churn.regularity(run)
    # the simulator's members buy as a Poisson process (BG/NBD): Erlang shape 1
    assert found["k"] == pytest.approx(1.0, abs=0.25) and found["level"] == "none"
    assert found["members"] >= churn.MIN_REGULARITY_MEMBERS
    assert churn.regularity_note(found).key == "regularity.none"


@pytest.mark.parametrize("k,level", [(1.0, "none"), (1.24, "none"), (1.26, "rhythm"), (1.45, "rhythm"),
                                     (2.44, "rhythm"), (2.46, "steady"), (3.2, "steady")])
def test_regularity_words_follow_the_number_shown(run, monkeypatch, k, level):
    from retention_lib.models.regularity import Regularity

    monkeypatch.setattr(churn, "wheat_morrison", lambda days: Regularity(k, 500))
    assert churn.regularity(run)["level"] == level


# --------------------------------------------------------------------------- model: auto
def _row(kind, mae, k=None, usable=True):
    params = {"k": k} if k is not None else {}
    return {"model": kind, "kind": kind, "usable": usable, "mae": mae if usable else None, "params": params}


@pytest.mark.parametrize("rows,kind,how", [
    # BG/NBD lowest: kept
    ([_row("bgnbd", 2.0), _row("mbgnbd", 2.01), _row("bgcnbd", 2.02, 2)], "bgnbd", "kept_best"),
    # another lower by less than the 1% margin: BG/NBD kept, the closer one named
    ([_row("bgnbd", 2.0), _row("mbgnbd", 1.99), _row("bgcnbd", 2.02, 2)], "bgnbd", "kept_within"),
    # lower by more than the margin: replaced, with its k
    ([_row("bgnbd", 2.0), _row("mbgnbd", 1.99), _row("bgcnbd", 1.9, 2)], "bgcnbd", "better"),
    # BG/NBD could not be fitted: the best of the rest
    ([_row("bgnbd", 0, usable=False), _row("mbgnbd", 2.1), _row("mbgcnbd", 2.3, 3)], "mbgnbd", "replaced"),
    # nothing fitted: BG/NBD by default, saying why
    ([_row("bgnbd", 0, usable=False), _row("mbgnbd", 0, usable=False)], "bgnbd", "fallback"),
    # a baseline is never the model, however good
    ([_row("bgnbd", 2.0), _row("naive_recent", 1.0), _row("naive_rate", 1.5)], "bgnbd", "kept_best"),
    # a CNBD-k model at k = 1 is BG/NBD: a rounding difference does not make it another model
    ([_row("bgnbd", 2.0), _row("bgcnbd", 2.0 - 1e-13, 1)], "bgnbd", "kept_best"),
])
def test_auto_keeps_bgnbd_unless_another_model_beats_it_by_the_margin(rows, kind, how):
    choice = model_choice.choose_model("auto", rows, 0.01, 13.0)
    assert (choice["kind"], choice["how"]) == (kind, how)
    assert choice["k"] == (rows[[r["kind"] for r in rows].index(kind)]["params"].get("k") if how != "fallback" else None)
    assert text.say(model_choice.choice_note(choice))   # every case has its sentence, rendered in full
    if how == "kept_within":
        assert choice["best"] == "mbgnbd" and choice["best_mae"] == 1.99


def test_a_named_model_is_used_as_named_whatever_the_backtest_says():
    choice = model_choice.choose_model("paretonbd", [_row("bgnbd", 1.0), _row("paretonbd", 3.0)], 0.01)
    assert (choice["kind"], choice["how"]) == ("paretonbd", "named")
    assert "Pareto/NBD" in text.say(model_choice.choice_note(choice))


@pytest.mark.parametrize("regularity,kind,k", [(1, "bgnbd", None), (3, "bgcnbd", 3)])
def test_auto_finds_the_simulated_stores_true_model(regularity, kind, k):
    """Ground truth: members who buy as a Poisson process keep BG/NBD; members with Erlang-3 gaps
    (the simulator's BG/CNBD-3) get BG/CNBD-3, whose holdout error is lower by more than the margin."""
    store = simulate_store(seed=11, n_customers=1500, months=18, regularity=regularity)
    rows, _ = backtest.compare_models(baskets_from_lines(store.tables["transactions"]), "2025-03-31",
                                      "2025-06-30", model_choice.candidates("auto"))
    choice = model_choice.choose_model("auto", rows.to_dict("records"), 0.01, 13.0)
    assert (choice["kind"], choice["k"]) == (kind, k)
    assert choice["how"] == ("kept_best" if kind == "bgnbd" else "better")


def test_a_month_too_short_to_backtest_uses_bgnbd_and_says_why(small_config, tmp_path):
    short = open_run(small_config, "2024-03", tmp_path / "short")   # the data starts in 2024-01
    view = churn.for_month(short, "auto", 0.5, 35)
    assert view.choice["how"] == "fallback" and view.choice["kind"] == "bgnbd"
    assert view.choice["reason"].key == "churn.backtest_history"
    assert view.headline()["choice"] == view.choice
    said = text.say(model_choice.choice_note(view.choice))
    assert "BG/NBD" in said and "months of history" in said


def test_auto_in_the_monthly_view_scores_with_the_chosen_model(run):
    view = churn.for_month(run, "auto", 0.5, 35)
    assert view.choice["setting"] == "auto" and view.choice["kind"] in model_choice.candidates("auto")
    if view.model is not None:
        assert view.model.kind == view.choice["kind"]
        assert view.choice["k"] in (None, view.model.k)


def test_the_baseline_line_names_bgnbd_not_its_k1_twin():
    rows = [_row("bgnbd", 2.0), _row("bgcnbd", 2.0 - 1e-13, 1), _row("naive_recent", 2.5)]
    note = churn.baseline_note(rows, 13.0)
    assert note.key == "churn.baseline_beaten" and note.params["model"] == "bgnbd"
