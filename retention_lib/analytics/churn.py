"""The month's churn view: which active members are drifting (at risk), on the lifecycle's states.

Every member's state at the month's end and the month before comes from the lifecycle
(analytics/lifecycle.py): new, active, lapsed, dormant or lost. This view splits *at risk* off the
active: members still inside the lapse rule's N days whom the churn judges to be drifting. Two ways of
judging, labelled as such wherever the result is shown:
- **model** — a BTYD model (BG/NBD by default) fitted on all history to the month's end scores every
  member's P(no purchase next month); drifting = that chance at or above the threshold (the model's
  forecast of who will not come next month, scored in the ledger every month).
- **lapse rule** — used when the model cannot be used on this data (nobody has lapsed yet, too short a
  history): drifting = silent for more than OVERDUE_FACTOR × their typical gap between purchase days
  (the median of their own gaps; the pooled median for members with fewer than MIN_OWN_GAPS gaps), and
  at least a week.
At risk is a subset of the active: a member already past N days is lapsed, dormant or lost, never at
risk, and a member who joined this month is new. Newly at risk: at risk at the month's end and not at
the end of the month before (judged with this month's model or rule).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from ibis import _

from retention_lib.models import btyd, cnbd
from retention_lib.analytics import ledger, lifecycle
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchase_days, member_purchases, time_span
from retention_lib.analytics.model_choice import KEPT, candidates, choose_model, fallback_choice
from retention_lib.models.backtest import Backtest, compare_models, recent_purchase_days
from retention_lib.models.blend import Blend
from retention_lib.models.calendar import DAY, Calendar, CalendarFit, fit_on_days
from retention_lib.models.clv import WEEKS_PER_MONTH
from retention_lib.models.regularity import GapHistogram, erlang_k, gap_histogram, wheat_morrison
from retention_lib.core.conditions import DataCondition
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.models.summary import summarise
from retention_lib.core.settings import AUTO, DEFAULTS

HORIZONS = {"next_month": WEEKS_PER_MONTH, "next_quarter": 3 * WEEKS_PER_MONTH}
MODEL, LAPSE_RULE = "model", "lapse_rule"
OVERDUE_FACTOR = 2.0
MIN_OVERDUE_DAYS = 7
MIN_OWN_GAPS = 2
MIN_BACKTEST_CALIBRATION_MONTHS = 3
TOTAL = "all"
# The lifecycle columns every member's scores carry (lifecycle.members_at, split by split_at_risk).
LIFECYCLE_COLUMNS = ("home_store", "state", "state_last_month", "newly_at_risk", "was_in_base", "in_base", "new",
                     "returned", "lapsed", "last_purchase", "silent")


def purchases(run: Run):
    """Member baskets that are purchases (net amount > 0), up to the month's end, on the run's engine."""
    return member_purchases(engine.run_table(run, "baskets")).select("customer_id", "timestamp", "amount")


def month_summary(run: Run, end: pd.Timestamp | None = None, log_gaps: bool = False) -> pd.DataFrame:
    """Summary in weeks (measured to the day) at the last day of the month, or at `end`; `log_gaps`
    adds what the CNBD-k models need to choose their regularity."""
    last_day = (end or run.end) - pd.Timedelta(days=1)
    bought = purchases(run)
    return summarise(bought.filter(bought.timestamp < (last_day + pd.Timedelta(days=1)).to_pydatetime()),
                     observation_end=last_day, freq="D", multiplier=7, log_gaps=log_gaps)


@dataclass
class ChurnView:
    method: str                    # MODEL | LAPSE_RULE
    scores: pd.DataFrame           # per member: summary, drifting now and at last month's end, lifecycle states
    threshold: float               # the P(alive) threshold (model); kept for the record otherwise
    rule: lifecycle.Rule           # the lapse rule's N and the win-back window
    model: btyd.BTYDModel | None = None
    reason: Message | None = None  # why the model is not used (lapse rule only)
    choice: dict | None = None     # which model the setting led to, and why (choose_model)
    blend: Blend | None = None     # the model's expected purchases blended with the recent rate, when chosen

    @property
    def calendar(self) -> CalendarFit | None:
        """The model's holiday calendar (used or not), from the record the fitted model keeps."""
        return CalendarFit.of(self.model) if self.model is not None else None

    @property
    def lapse_days(self) -> int:
        return self.rule.lapse_days

    @property
    def at_risk(self) -> pd.DataFrame:
        return self.scores[self.scores["state"] == "at_risk"]

    @property
    def newly_at_risk(self) -> pd.DataFrame:
        return self.scores[self.scores["newly_at_risk"]]

    def headline(self) -> dict:
        counts = lifecycle.state_counts(self.scores, TOTAL).loc[TOTAL]
        out = {"method": self.method, "model": self.model.name if self.model else None,
               "params": self.model.params if self.model else None, "threshold": self.threshold,
               "lapse_days": self.rule.lapse_days, "winback_days": self.rule.winback_days, "reason": self.reason,
               "members_scored": len(self.scores),
               "states": {s: int(counts[s]) for s in lifecycle.STATES},
               "states_last_month": {s: int(counts[f"{s}_before"]) for s in lifecycle.STATES},
               "at_risk": int(counts["at_risk"]), "at_risk_last_month": int(counts["at_risk_before"]),
               "newly_at_risk": int(counts["newly_at_risk"]),
               "active": int(counts["active"] + counts["at_risk"]),   # active by the lapse rule, at risk among them
               "base": int(counts["base_end"]), "base_start": int(counts["base_start"]),
               "overdue_factor": OVERDUE_FACTOR, "choice": self.choice}
        if self.model is not None:
            out |= {"expected_purchases_next_month": float(self.scores["expected_next_month"].sum()),
                    "mean_p_alive": float(self.scores["p_alive"].mean()),
                    "holiday_calendar": self.calendar.to_dict() if self.calendar is not None else None}
        return out


def describe(h: dict) -> Message:
    """The headline in one paragraph (Markdown), saying how at-risk was judged."""
    return Message(f"churn.describe.states.{h['method']}", model=h["model"], at_risk=h["at_risk"], active=h["active"],
                   base=h["base"], threshold=h["threshold"], overdue_factor=h["overdue_factor"],
                   newly=h["newly_at_risk"], lapse_days=h["lapse_days"])


def with_lifecycle(run: Run, scores: pd.DataFrame, rule: lifecycle.Rule) -> pd.DataFrame:
    """The scores with each member's lifecycle state now and at last month's end, at risk split off the
    active by the scores' `drifting` and `drifting_last_month`."""
    baskets = engine.run_table(run, "baskets")
    members = lifecycle.members_at(baskets, time_span(baskets)[0].to_period("M"), run.month, rule)
    members = lifecycle.split_at_risk(members, scores["drifting"], scores["drifting_last_month"])
    missing = scores.index.difference(members.index)
    if len(missing):
        raise ValueError(f"{len(missing)} scored members have no lifecycle state (e.g. {missing[0]})")
    out = scores.join(members[list(LIFECYCLE_COLUMNS)])
    out["at_risk"] = out["state"] == "at_risk"
    return out


def run_rule(run: Run, lapse_days: int | None = None) -> lifecycle.Rule:
    """The run's lifecycle rule: its lapse rule (notebook 02's, else derived) and the win-back window."""
    if not lapse_days:
        from retention_lib.analytics.kpis import run_lapse_rule

        lapse_days = run_lapse_rule(run).days
    return lifecycle.Rule.of(lapse_days, run.setting("winback_days"))


def score_month(run: Run, kind: str = KEPT, threshold: float = DEFAULTS.at_risk_threshold,
                lapse_days: int | None = None, k: int | None = None, blend: dict | None = None,
                holiday_calendar: str | None = None) -> ChurnView:
    """Fit at the month's end and score members now and at the previous month's end.

    Both months are scored with this month's model, so a change in P(alive) or P(no purchase next
    month) reflects the customer's behaviour, not a refit. Raises btyd.ModelUnusable when the model cannot be
    used on this data. `lapse_days` None: the run's lapse rule (notebook 02's, else derived). `k`
    fixes a CNBD-k model's regularity (None: chosen by likelihood). `blend` (a chosen blend's params,
    model_choice.choose_model) blends the expected purchases with each member's recent rate; the
    chances (P(alive), P(no purchase)) stay the model's. `holiday_calendar` None: the run's setting.
    """
    rule = run_rule(run, lapse_days)
    now = month_summary(run, log_gaps=kind in cnbd.DROPOUT_AT_ZERO)
    fitted = month_fit(run, now, kind, k, holiday_calendar)
    model = fitted.model
    scores = now.join(fitted.score(now, HORIZONS))
    blended = Blend.from_params(blend) if blend else None
    if blended is not None:
        scores["recent_purchase_days"] = recent_purchase_days(purchases(run), run.end, blended.recent_weeks).reindex(
            scores.index, fill_value=0)
        for name, weeks in HORIZONS.items():
            scores[f"expected_{name}"] = blended.forecast(scores[f"expected_{name}"], scores["recent_purchase_days"],
                                                          weeks)
    # last month's end, in the model's time there
    then = run.start - DAY
    before = fitted.operational(month_summary(run, run.start), then)
    f, r, T = before["frequency"], before["recency"], before["T"]
    scores["p_alive_last_month"] = pd.Series(model.p_alive(f, r, T), index=before.index).reindex(scores.index)
    # drifting: more likely than the threshold to buy nothing next month. On the Complete Journey and the demo
    # this ranks next month's lapses far better than P(alive) or being overdue by one's own rhythm (AUC 0.85
    # and 0.80 against 0.65 and 0.58), and it is what a manager acts on: who will not come next month.
    skip_before = model.p_no_purchase(fitted.horizon(HORIZONS["next_month"], then), f, r, T)
    scores["p_no_purchase_last_month"] = pd.Series(skip_before, index=before.index).reindex(scores.index)
    scores["drifting"] = scores["p_no_purchase_next_month"] >= threshold
    scores["drifting_last_month"] = (scores["p_no_purchase_last_month"] >= threshold).fillna(False)
    scores["weeks_since_last_purchase"] = scores["T"] - scores["recency"]
    # T and recency are whole days in weeks: their difference × 7 is the days since the last purchase
    scores["days_since_last_purchase"] = np.rint(7 * scores["weeks_since_last_purchase"]).astype("int64")
    return ChurnView(MODEL, with_lifecycle(run, scores, rule), threshold, rule, model=model, blend=blended)


def month_fit(run: Run, summary: pd.DataFrame, kind: str, k: int | None, holiday_calendar: str | None = None
              ) -> CalendarFit:
    """The model fitted on the month's summary with the holiday calendar (None: the run's `holiday_calendar`):
    in operational time where the history shows the holidays move the members' buying (models/calendar.py),
    else the plain fit. CNBD-k models are fitted plain."""
    return fit_on_days(summary, kind, Calendar(holiday_calendar or run.setting("holiday_calendar")),
                       member_purchase_days(engine.run_table(run, "baskets")), run.end - DAY,
                       max_seconds=run.setting("fit_budget_s"), k=k)


def rhythm(baskets, end: pd.Timestamp) -> pd.DataFrame:
    """Per member, from purchase days before `end` (exclusive): last purchase day, number of gaps
    between consecutive purchase days and their median (the member's own rhythm). `baskets` is an
    Ibis table (the run's, on its engine) or a frame."""
    days = member_purchase_days(engine.as_table(baskets))
    days = days.filter(days.d < pd.Timestamp(end).date())
    gaps = days.mutate(gap=days.d.delta(days.d.lag().over(group_by="customer_id", order_by="d"), unit="day"))
    per = gaps.group_by("customer_id").aggregate(last_purchase=_.d.max(), gaps=_.gap.count(),
                                                 own_gap_days=_.gap.median().cast("float64"))
    out = engine.backend_of(per).to_pyarrow(per.order_by("customer_id")).to_pandas()
    out["last_purchase"] = pd.to_datetime(out["last_purchase"])
    return out.set_index("customer_id")


def _lapse_status(baskets: pd.DataFrame, end: pd.Timestamp, lapse_days: int) -> pd.DataFrame:
    r = rhythm(baskets, end)
    last_day = pd.Timestamp(end).normalize() - pd.Timedelta(days=1)
    r["days_since_last_purchase"] = (last_day - pd.to_datetime(r["last_purchase"])).dt.days
    pooled = float(r.loc[r["gaps"] >= MIN_OWN_GAPS, "own_gap_days"].median()) if (r["gaps"] >= MIN_OWN_GAPS).any() \
        else float(lapse_days) / OVERDUE_FACTOR
    r["typical_gap_days"] = r["own_gap_days"].where(r["gaps"] >= MIN_OWN_GAPS, pooled)
    r["overdue_ratio"] = r["days_since_last_purchase"] / r["typical_gap_days"].clip(lower=1)
    r["drifting"] = overdue(r["days_since_last_purchase"], r["typical_gap_days"])   # at risk only where still active
    return r


def overdue(days_silent: pd.Series, typical_gap_days: pd.Series) -> pd.Series:
    """Silent for more than OVERDUE_FACTOR times the typical gap between purchase days, and more than
    MIN_OVERDUE_DAYS (False where the gap is unknown)."""
    return days_silent > np.maximum(OVERDUE_FACTOR * typical_gap_days, MIN_OVERDUE_DAYS)


def lapse_view(run: Run, lapse_days: int, reason: Message | str,
               threshold: float = DEFAULTS.at_risk_threshold) -> ChurnView:
    """The churn view from the lapse rule and each member's own rhythm (see the module docstring)."""
    rule = run_rule(run, lapse_days)
    baskets = engine.run_table(run, "baskets")
    now = month_summary(run)
    status = _lapse_status(baskets, run.end, rule.lapse_days)
    before = _lapse_status(baskets, run.start, rule.lapse_days)
    scores = now.join(status[["days_since_last_purchase", "typical_gap_days", "overdue_ratio", "drifting"]])
    scores["drifting_last_month"] = before["drifting"].reindex(scores.index).fillna(False).astype(bool)
    scores["weeks_since_last_purchase"] = scores["days_since_last_purchase"] / 7
    for col in ("p_alive", "p_alive_last_month", "expected_next_month", "expected_next_quarter"):
        scores[col] = np.nan
    return ChurnView(LAPSE_RULE, with_lifecycle(run, scores, rule), threshold, rule, reason=reason)


def for_month(run: Run, kind: str, threshold: float, lapse_days: int) -> ChurnView:
    """The model's view when the model can be used on this data; else the lapse-rule view, with
    the reason in plain words. `kind` is the setting: a model, or auto (month_choice)."""
    choice = month_choice(run, kind)
    try:
        view = score_month(run, choice["kind"], threshold, lapse_days, k=choice["k"], blend=choice.get("blend"))
    except btyd.ModelUnusable as exc:
        view = lapse_view(run, lapse_days, unusable_reason(run, choice["kind"], lapse_days, exc), threshold)
    view.choice = choice
    return view


def unusable_reason(run: Run, kind: str, lapse_days: int, exc: Exception) -> Message:
    """Why the churn model cannot be used, with the facts of the data and what would change it."""
    baskets = engine.run_table(run, "baskets")
    first = time_span(purchases(run), "timestamp")[0]
    months = (run.month - pd.Period(first, "M")).n + 1
    status = _lapse_status(baskets, run.end, lapse_days)
    lapsed = int((status["days_since_last_purchase"] >= lapse_days).sum())
    advice = "nobody_lapsed" if lapsed == 0 else "short_history" if months < 6 else "other"
    return Message("churn.unusable", model=btyd.NAMES[kind], error=getattr(exc, "message", str(exc)),
                   months=Message("months", n=months), first=first.normalize(), month=run.month, lapsed=lapsed,
                   members=len(status), lapse_days=lapse_days, advice=Message(f"churn.unusable.{advice}"))


def backtest_window(run: Run, holdout_months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Calibrate to the end of month M - holdout_months, hold out the months up to M's end.

    A DataCondition when the data has fewer than MIN_BACKTEST_CALIBRATION_MONTHS months before
    the holdout."""
    last_day = run.end - pd.Timedelta(days=1)
    calibration_end = (run.month - holdout_months + 1).start_time - pd.Timedelta(days=1)
    first = time_span(engine.run_table(run, "baskets"))[0]
    calibration_months = (pd.Period(calibration_end, "M") - pd.Period(first, "M")).n + 1
    if calibration_months < MIN_BACKTEST_CALIBRATION_MONTHS:
        have = (run.month - pd.Period(first, "M")).n + 1
        raise DataCondition(Message(
            "churn.backtest_history", needed=MIN_BACKTEST_CALIBRATION_MONTHS + holdout_months,
            calibration=MIN_BACKTEST_CALIBRATION_MONTHS, holdout=holdout_months, have=have,
            first=pd.Period(first, "M"), month=run.month))
    return calibration_end, last_day


def p_alive_matrix(model: btyd.BTYDModel, max_frequency: int, T: float, cells: int = 40) -> pd.DataFrame:
    """P(alive) for a customer of age T by repeat purchases (rows) and recency (columns)."""
    freqs = np.unique(np.linspace(0, max_frequency, min(cells, max_frequency + 1)).round().astype(int))
    recs = np.linspace(0, T, cells)
    grid = model.p_alive(freqs[:, None], recs[None, :], T)
    grid = np.where((freqs[:, None] == 0) & (recs[None, :] > 0), np.nan, grid)  # impossible cells
    return pd.DataFrame(grid, index=pd.Index(freqs, name="repeat purchases"),
                        columns=pd.Index(recs.round(1), name="weeks from first to last purchase"))


def period_transactions(model: btyd.BTYDModel, summary: pd.DataFrame, bins: int = 12,
                        seed: int = 0) -> pd.DataFrame:
    """Customers by number of repeat purchases: actual against data simulated from the model.

    Grocery customers buy often, so the bins widen to cover 90% of customers in `bins`.
    """
    actual = summary["frequency"].to_numpy()
    sim = simulate_frequencies(model, summary["T"].to_numpy(), seed=seed)
    width = max(1, int(np.ceil(np.quantile(actual, 0.9) / (bins - 1))))
    edges = np.arange(bins) * width
    labels = [str(e) if width == 1 else f"{e}–{e + width - 1}" for e in edges[:-1]] + [f"{edges[-1]}+"]

    def counts(x):
        return np.bincount(np.minimum(x // width, bins - 1).astype(int), minlength=bins)
    return pd.DataFrame({"repeat purchases": labels, "actual": counts(actual), "model": counts(sim)})


def simulate_frequencies(model: btyd.BTYDModel, T: np.ndarray, seed: int = 0) -> np.ndarray:
    """Repeat purchases in (0, T] for customers drawn from the fitted population."""
    rng = np.random.default_rng(seed)
    n = len(T)
    if model.kind == "paretonbd":
        r, alpha, s, beta = model.p
        lam, mu = rng.gamma(r, 1 / alpha, n), rng.gamma(s, 1 / beta, n)
        life = np.minimum(rng.exponential(1 / mu), T)
        return rng.poisson(lam * life)
    r, alpha, a, b = model.p[-4:]
    k = model.k   # CNBD-k: Erlang-k times between purchases, lambda the rate of their k events
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    alive = np.ones(n, bool) if model.kind in ("bgnbd", "bgcnbd") else rng.random(n) >= p
    t = np.zeros(n)
    x = np.zeros(n, dtype=int)
    while alive.any():
        t = t + (rng.exponential(1 / lam) if k == 1 else rng.gamma(k, 1 / lam))
        bought = alive & (t <= T)
        x += bought
        alive = bought & (rng.random(n) >= p)
    return x


def save(run: Run, view: ChurnView) -> None:
    """The month's churn scores and headline; the model and its forecasts when it was used."""
    if view.model is not None:
        run.available("churn_model")
        run.write("churn_model", view.model)
        run.write("forecasts", ledger.forecasts(run, view.model, view.scores, blend=view.blend), index=False)
    else:
        run.unavailable("churn_model", view.reason)
    run.write("churn_scores", view.scores)
    run.write("churn_summary", {"headline": view.headline()})
    run.write("lifecycle", lifecycle_summary(view, run.month))


def lifecycle_summary(view: ChurnView, month: pd.Period) -> dict:
    """The month's lifecycle facts every section quotes: members by state at the month's end and the end of
    the month before, the month's events, per home store and for all stores (`TOTAL`), and the flow
    between last month's states and this month's. The run checks its identities before publishing
    (app/consistency.py)."""
    table = lifecycle.state_counts(view.scores, TOTAL)
    flows = lifecycle.flow(view.scores)
    return {"month": str(month), "previous_month": str(pd.Period(month, "M") - 1), "method": view.method,
            "rule": view.rule.to_dict(), "total": TOTAL, "states": list(lifecycle.STATES),
            "scopes": {str(k): {c: int(v) for c, v in r.items()} for k, r in table.iterrows()},
            "flow": {"rows": list(flows.index), "columns": list(flows.columns), "values": flows.to_numpy().tolist()}}


@dataclass
class Saved:
    scores: pd.DataFrame
    model: btyd.BTYDModel | None
    headline: dict

    @property
    def calendar(self) -> CalendarFit | None:
        """The model's holiday calendar, from the record the saved model keeps."""
        return CalendarFit.of(self.model) if self.model is not None else None


def saved(run: Run) -> Saved:
    """The month's churn scores as notebook 03 saved them; computed here, with the config's
    settings, when it has not run (a notebook opened on its own in JupyterLab)."""
    if not run.has("churn_scores"):
        save(run, for_month(run, run.setting("model"), float(run.setting("at_risk_threshold")),
                            run_rule(run).lapse_days))
    model = btyd.BTYDModel.from_json(run.path("churn_model")) if run.has("churn_model") else None
    return Saved(run.read("churn_scores"), model, run.read("churn_summary")["headline"])


def scores_last_month(run: Run, churned: Saved) -> pd.DataFrame:
    """Members' summary at last month's end, with P(alive) by this month's model (NaN under the lapse
    rule) and the lifecycle state there as this month's view judged it (`state_last_month`)."""
    before = month_summary(run, run.start)
    if churned.model is not None:
        then = churned.calendar.operational(before, run.start - DAY)
        p = churned.model.p_alive(then["frequency"], then["recency"], then["T"])
    else:
        p = np.nan
    return before.assign(p_alive=p, state=churned.scores["state_last_month"].reindex(before.index))


def month_backtest(run: Run, kind: str, holdout_months: int, compare: tuple[str, ...] = ()
                   ) -> tuple[Backtest, pd.DataFrame]:
    """The backtest of the month's model (under auto, of every candidate; the result is the chosen
    one's), beside any other models a setting asks for.

    A DataCondition when the history is too short or the model cannot be fitted on the
    calibration months."""
    cal_end, obs_end = backtest_window(run, holdout_months)
    comparison, results = compare_models(engine.run_table(run, "baskets"), cal_end, obs_end,
                                         candidates(kind, compare), max_seconds=run.setting("fit_budget_s"),
                                         margin=run.setting("model_margin"))
    kind = choose_model(kind, comparison.to_dict("records"), run.setting("model_margin"))["kind"]
    if kind not in results:
        note = comparison.set_index("model").at[btyd.NAMES[kind], "note"]
        raise DataCondition(Message("churn.backtest_fit", model=btyd.NAMES[kind], calibration_end=cal_end,
                                    note=note))
    return results[kind], comparison


def month_choice(run: Run, kind: str) -> dict:
    """choose_model on the month's backtest: notebook 03's when it ran, else run now (a notebook
    opened on its own); BG/NBD when the backtest cannot be run on this data."""
    if kind != AUTO:
        return choose_model(kind, [], 0.0)
    if run.has("backtest"):
        bt = run.read("backtest")
        rows, weeks = bt["comparison"], bt["metrics"]["holdout_weeks"]
    elif run.reason("backtest") is not None:
        return fallback_choice(run.reason("backtest"))
    else:
        try:
            result, comparison = month_backtest(run, kind, int(run.setting("holdout_months")),
                                                tuple(run.setting("compare_models")))
        except DataCondition as exc:
            return fallback_choice(exc.message)
        rows, weeks = comparison.to_dict("records"), result.metrics["holdout_weeks"]
    return choose_model(kind, rows, run.setting("model_margin"), weeks)


# Wheat-Morrison k as shown (one decimal): a rhythm from here (exponential timing gives 1.0), a steady one from there
REGULAR_FROM, STEADY_FROM = 1.3, 2.5
MIN_REGULARITY_MEMBERS = 30   # members with three purchase days the estimate needs


def _days_to_end(run: Run):
    days = member_purchase_days(engine.run_table(run, "baskets"))
    return days.filter(days.d < run.end.date())


def regularity(run: Run) -> dict:
    """The regularity of members' purchase days to the month's end: Wheat-Morrison (which the words
    follow) and the Erlang-k maximum likelihood (`erlang`); a DataCondition when too few members
    have three purchase days."""
    days = _days_to_end(run)
    found = wheat_morrison(days)
    if not found.members >= MIN_REGULARITY_MEMBERS:
        raise DataCondition(Message("regularity.too_few", members=found.members, needed=MIN_REGULARITY_MEMBERS))
    shown = round(found.k, 1)   # the words follow the number the reader sees
    level = "steady" if shown >= STEADY_FROM else "rhythm" if shown >= REGULAR_FROM else "none"
    return {**found.to_dict(), "level": level, "erlang": erlang_k(days).to_dict()}


def regularity_gaps(run: Run) -> GapHistogram:
    """Members' gaps over their own mean gap to the month's end, binned for the regularity chart."""
    return gap_histogram(_days_to_end(run))


def backtest_summary(result: Backtest, comparison: pd.DataFrame) -> dict:
    return {"metrics": result.metrics, "comparison": comparison.to_dict("records"),
            "lift": result.lift.to_dict("records"), "reliability": result.reliability.to_dict("records")}
