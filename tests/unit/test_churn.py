"""The month's churn and value views on a simulated store, checked against its ground truth."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.models.clv import fit_gamma_gamma
from retention_lib.models import backtest
from retention_lib.analytics import churn, churn_notes, lifecycle, model_choice, value
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


LAPSE_DAYS = 35
STRICT = 0.3   # a chance of no purchase next month that, on the small store at 2025-01's end, both new and
#               continuing members at risk reach


@pytest.fixture(scope="module")
def strict_view(run):
    return churn.score_month(run, threshold=STRICT, lapse_days=LAPSE_DAYS)


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


def test_newly_at_risk_is_at_risk_now_and_was_not_at_last_months_end(run, strict_view):
    """At risk = active by the lapse rule (written again below from the purchase days) and drifting: the
    model's chance of no purchase in the next month at or above the threshold, at both month-ends by this
    month's model. Newly at risk = at risk now and not at risk at last month's end."""
    v, s = strict_view, strict_view.scores
    now = _rule_states(run, run.end, v.rule).reindex(s.index)
    before = _rule_states(run, run.start, v.rule).reindex(s.index).fillna(lifecycle.NOT_YET)
    then = churn.month_summary(run, run.start).reindex(s.index)
    skip_then = pd.Series(v.model.p_no_purchase(365.25 / 12 / 7, then["frequency"], then["recency"], then["T"]),
                          index=s.index)
    at_risk = (now == "active") & (s["p_no_purchase_next_month"] >= STRICT)
    was_at_risk = (before == "active") & (skip_then >= STRICT)
    assert (s["at_risk"] == at_risk).all() and (s["state"] == now.mask(at_risk, "at_risk")).all()
    assert (s["state_last_month"] == before.mask(was_at_risk, "at_risk")).all()
    assert (s["newly_at_risk"] == (at_risk & ~was_at_risk)).all()
    assert s["newly_at_risk"].sum() > 0 and (at_risk & was_at_risk).sum() > 0   # both kinds occur here
    assert set(v.newly_at_risk.index) <= set(v.at_risk.index)
    h = v.headline()
    assert (h["at_risk"], h["newly_at_risk"]) == (int(at_risk.sum()), int((at_risk & ~was_at_risk).sum()))
    assert h["at_risk_last_month"] == int(was_at_risk.sum())


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
    assert list(table["kind"]) == ["bgnbd", "mbgnbd", "paretonbd", "blend", "naive_rate", "naive_recent"]
    names = list(table["model"])
    assert names[:3] + names[4:] == ["BG/NBD", "MBG/NBD", "Pareto/NBD", "naive_rate", "naive_recent"]
    assert names[3] in {f"{name} + naive_recent" for name in names[:3]}   # the blend, named by its parts
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


def test_value_at_stake_and_clv(strict_view):
    view = strict_view
    spend = fit_gamma_gamma(view.scores)
    v = value.value_month(view.model, view.scores, spend=spend, horizon_months=12, margin=0.3)
    assert v.method == value.MODEL
    s = v.scores
    assert (s["clv"] >= 0).all() and (s["clv_if_alive"] >= s["clv"] - 1e-9).all()
    h = v.headline()
    assert h["total_clv"] == pytest.approx(s["clv"].sum())
    # one row per lifecycle state, in order, every member in the row of their state
    groups = value.groups(v).set_index("state")
    assert list(groups.index) == list(lifecycle.STATES)
    members = s["state"].value_counts().reindex(list(lifecycle.STATES), fill_value=0)
    assert groups["members"].tolist() == members.tolist() and groups["members"].sum() == len(s)
    assert groups["clv"].to_numpy() == pytest.approx(
        s.groupby("state")["clv"].sum().reindex(list(lifecycle.STATES), fill_value=0.0).to_numpy())
    # value at stake (CLV if retained − CLV) only where an action can change it: retain and win back
    stake = (s["clv_if_alive"] - s["clv"]).groupby(s["state"]).sum()
    for state in ("at_risk", "lapsed", "dormant"):
        assert groups.at[state, "value_at_stake"] == pytest.approx(stake.get(state, 0.0)), state
    assert groups.loc[["new", "active", "lost"], "value_at_stake"].isna().all()
    assert members["at_risk"] > 0 and members["lapsed"] + members["dormant"] > 0 and members["lost"] > 0
    assert (h["at_risk_members"], h["winback_members"], h["lost_members"]) == (
        members["at_risk"], members["lapsed"] + members["dormant"], members["lost"])
    assert h["at_risk_value_at_stake"] == pytest.approx(stake["at_risk"])
    assert h["winback_value"] == pytest.approx(stake.get("lapsed", 0.0) + stake.get("dormant", 0.0))
    newly = s[s["newly_at_risk"]]
    assert h["newly_at_risk_members"] == len(newly) > 0
    assert h["newly_at_risk_value_at_stake"] == pytest.approx((newly["clv_if_alive"] - newly["clv"]).sum())
    longer = value.value_month(view.model, view.scores, spend=spend, horizon_months=24, margin=0.3)
    assert longer.headline()["total_clv"] > h["total_clv"]


@pytest.mark.slow
def test_verify_models_reproduces_every_published_figure():
    table = verify()
    assert table["ok"].all(), table[~table["ok"]]
    assert len(table) == 75


# ------------------------------------------------------------------ when the model cannot be used

def _purchase_days(run):
    b = run.table("baskets")
    b = b[b["is_member"] & b["is_purchase"]]
    return b.assign(d=pd.to_datetime(b["date"])).groupby("customer_id")["d"].agg(lambda d: sorted(set(d)))


def _rule_states(run, end, rule) -> pd.Series:
    """Each member's lifecycle state at the day before `end` (a month-end), before the at-risk split, by
    lifecycle.py's table written again from the purchase days: new (first purchase in the month), active
    (silent < N days), lapsed (lapse day, last purchase + N, in the month), dormant (silent < W), lost."""
    last_day = end - pd.Timedelta(days=1)
    month = pd.Period(last_day, "M")
    out = {}
    for cid, days in _purchase_days(run).items():
        days = [d for d in days if d <= last_day]
        if not days:
            continue
        since = (last_day - days[-1]).days
        out[cid] = ("new" if days[0] >= month.start_time else "active" if since < rule.lapse_days
                    else "lapsed" if days[-1] + pd.Timedelta(days=rule.lapse_days) >= month.start_time
                    else "dormant" if since < rule.winback_days else "lost")
    return pd.Series(out, name="state")


def _drifting_by_rhythm(run, end, lapse_days) -> pd.Series:
    """The lapse rule's drifting, written again: silent more than 2 × the member's median gap between
    purchase days (the pooled median when they have fewer than 2 gaps), and more than a week."""
    last_day = end - pd.Timedelta(days=1)
    days = _purchase_days(run).map(lambda d: [x for x in d if x <= last_day])
    days = days[days.map(len) > 0]
    own = days.map(lambda d: float(np.median(np.diff(d) / pd.Timedelta(days=1))) if len(d) >= 3 else np.nan)
    pooled = float(own.dropna().median())
    since = days.map(lambda d: (last_day - d[-1]).days)
    typical = own.fillna(pooled)
    return since > np.maximum(2 * typical, 7)


def test_lapse_view_judges_each_member_against_their_own_rhythm(run):
    view = churn.lapse_view(run, LAPSE_DAYS, reason="the model was not usable (test)")
    s = view.scores
    days = _purchase_days(run)
    last_day = run.end - pd.Timedelta(days=1)
    since = days.map(lambda d: (last_day - d[-1]).days).reindex(s.index)
    drifting = _drifting_by_rhythm(run, run.end, LAPSE_DAYS).reindex(s.index)
    now = _rule_states(run, run.end, view.rule).reindex(s.index)
    assert (s["drifting"] == drifting).all()
    # at risk: active by the lapse rule and drifting; never a member silent N days or more, never a new one
    assert (s["at_risk"] == ((now == "active") & drifting)).all()
    assert not (s["at_risk"] & (since >= LAPSE_DAYS)).any()
    assert (drifting & (since >= LAPSE_DAYS)).any()          # such members drift, but are lapsed or beyond
    assert s["p_alive"].isna().all() and view.method == churn.LAPSE_RULE
    assert view.headline()["at_risk"] == int(s["at_risk"].sum()) > 0
    # newly at risk: at risk now, not at last month's end (judged on the data to then)
    before = _rule_states(run, run.start, view.rule).reindex(s.index)
    was = (before == "active") & _drifting_by_rhythm(run, run.start, LAPSE_DAYS).reindex(s.index, fill_value=False)
    assert (s["newly_at_risk"] == (s["at_risk"] & ~was)).all() and s["newly_at_risk"].any()


def test_run_rate_clv_follows_its_stated_formula(run):
    view = churn.lapse_view(run, LAPSE_DAYS, reason="test")
    v = value.value_month(None, view.scores, baskets=run.table("baskets"), end=run.end, horizon_months=12,
                          annual_discount_rate=0.10, margin=0.25)
    assert v.method == value.RUN_RATE and "run rate" in text.say(v.convention("CNY"))
    days = _purchase_days(run)
    b = run.table("baskets")
    spend_per_day = (b[b["is_member"] & b["is_purchase"]].groupby(["customer_id", "date"])["amount"].sum()
                     .groupby(level=0).mean())
    annuity = sum((1.1 ** (1 / 12)) ** -k for k in range(1, 13))
    end, window = run.end.normalize(), pd.Timedelta(weeks=26)
    last_day = end - pd.Timedelta(days=1)
    checked = outside = 0
    for cid in days.index[:80]:
        if (last_day - days[cid][-1]).days >= LAPSE_DAYS:   # outside the base (lapsed, dormant, lost): worth 0
            assert v.scores.at[cid, "clv"] == 0
            outside += 1
            continue
        start = max(end - window, days[cid][0])
        rate = sum(start <= d < end for d in days[cid]) / max((end - start).days / 7, 1.0)
        expected = 0.25 * spend_per_day[cid] * rate * (365.25 / 12 / 7) * annuity
        assert v.scores.at[cid, "clv"] == pytest.approx(expected, rel=1e-9), cid
        checked += 1
    assert checked > 20 and outside > 5


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
def test_no_at_risk_member_has_been_silent_for_the_lapse_days_and_the_states_add_up(run, method):
    """At risk ⊆ active: no at-risk member has been silent for the lapse rule's N days or more. The
    headline's states are the lifecycle's table written again; the stocks and flows add up per home store
    and for the chain, and the month's lapses are the lapsed state (churn's numerator)."""
    v = (churn.score_month(run, threshold=STRICT, lapse_days=LAPSE_DAYS) if method == "model"
         else churn.lapse_view(run, LAPSE_DAYS, reason="test"))
    s, h = v.scores, v.headline()
    days = _purchase_days(run)
    last_day = run.end - pd.Timedelta(days=1)
    since = days.map(lambda d: (last_day - d[-1]).days).reindex(s.index)
    assert (s["days_since_last_purchase"] == since).all()              # from the purchases themselves
    at_risk = s["at_risk"]
    assert at_risk.any() and (since[at_risk] < LAPSE_DAYS).all()
    now = _rule_states(run, run.end, v.rule).reindex(s.index)
    before = _rule_states(run, run.start, v.rule).reindex(s.index).fillna(lifecycle.NOT_YET)
    assert (now[at_risk] == "active").all()                            # at risk ⊆ active
    split = now.mask(at_risk, "at_risk")
    assert h["states"] == {state: int((split == state).sum()) for state in lifecycle.STATES}
    assert h["active"] == int((now == "active").sum())                 # active by the rule, at risk among them
    assert h["base"] == int(now.isin(["new", "active"]).sum())
    assert h["base_start"] == int(before.isin(["new", "active"]).sum())
    say = text.say(churn.describe(h))
    assert (f"Of the {h['active']:,} active members, **{h['at_risk']:,}** are at risk" if method == "model"
            else f"**{h['at_risk']:,}** of the {h['active']:,} active members") in say
    assert f"**{h['newly_at_risk']:,}** of them became at risk this month" in say

    summary = churn.lifecycle_summary(v, run.month)
    scopes = summary["scopes"]
    chain = scopes.pop(summary["total"])
    for scope, r in [*scopes.items(), ("chain", chain)]:
        assert r["base_end"] == r["new"] + r["active"] + r["at_risk"], scope
        assert r["base_end"] == r["base_start"] + r["new_event"] + r["returned"] - r["lapsed_event"], scope
        assert r["lapsed_event"] == r["lapsed"], scope                 # a lapse in the month is the lapsed state
    for key in chain:                                                  # every member in one home store
        assert chain[key] == sum(r[key] for r in scopes.values()), key
    bought = days.map(lambda d: d[-1] >= run.start).reindex(s.index)
    in_base_before = before.isin(["new", "active"])
    assert chain["lapsed_event"] == int((now == "lapsed").sum()) == h["states"]["lapsed"] > 0
    assert chain["new_event"] == int((now == "new").sum())
    assert chain["returned"] == int((bought & (now != "new") & ~in_base_before).sum()) > 0
    assert chain["base_start"] == h["base_start"]
    assert summary["flow"]["values"] == lifecycle.flow(s).to_numpy().tolist()
    assert sum(map(sum, summary["flow"]["values"])) == len(s)


def test_regularity_of_the_exponential_demo_store_says_no_rhythm(run):
    found = churn.regularity(run)
    # the simulator's members buy as a Poisson process (BG/NBD): Erlang shape 1
    assert found["k"] == pytest.approx(1.0, abs=0.25) and found["level"] == "none"
    assert found["members"] >= churn.MIN_REGULARITY_MEMBERS
    assert churn_notes.regularity_note(found).key == "regularity.none"


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
    note = churn_notes.baseline_note(rows, 13.0)
    assert note.key == "churn.baseline_beaten" and note.params["model"] == "bgnbd"
