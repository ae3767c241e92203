"""Early warning: members whose behaviour is turning (*flagged*), each with the reasons that fired.

"Flagged" is this module's word; "at risk" and "likely lost" belong to the churn view, and the
chance reasons here read the churn view's scores.

The rules were rebuilt from what precedes a lapse on real data (the Complete Journey, November 2017 →
December, and the demo store, November 2025 → December): among active members, the churn model's
P(no purchase next month) ranks next month's non-buyers best (AUC 0.85 and 0.80), and a behaviour sign
only precedes a lapse where that chance is not small. Visits falling by a Poisson test flagged heavy
shoppers who kept coming (they went without a purchase no more often than the rest, 0.95× and 0.5×), so
the behaviour reasons now fire only for members the model gives at least SIGNAL_LEVEL of skipping next
month (silent at least QUIET_DAYS where there is no model). Every published month scores each reason in
the ledger: how often its members went without a purchase the month after, against the rest.

**Windows.** An 8-week recent window to the month's end and a 26-week baseline before it. When
the data before the recent window is shorter than 26 weeks, the baseline is shortened to the
whole weeks that exist (`Windows`); below MIN_BASELINE_WEEKS the frequency and spend rules are
unavailable this month, with the reason, and are not checked. Who is checked: members with at
least one purchase in the windows actually used (recent + baseline) and, in a month's run, in
the lifecycle's base at the month's end (new, active, at risk; `for_month`). Each reason is a boolean
column with one rule:

- **skip_risk** — the churn model gives the member at least WATCH_LEVEL chance of buying nothing next
  month (at risk, the lifecycle state, is the stricter `at_risk_threshold`).
- **rising_risk** — that chance rose by at least RISK_RISE since last month's end (both by this
  month's model), or crossed the at-risk threshold this month (newly at risk).
- **overdue** — silent for more than OVERDUE_FACTOR × the member's own typical gap between purchase
  days (the median of at least MIN_OWN_GAPS gaps), and at least a week; behind the gate above.
- **falling_frequency** — purchase days in the last 8 weeks at most half of what the member's own
  baseline rate predicts (at least 13 weeks of baseline and 3 purchase days in it); behind the gate.
- **falling_spend** — the member still comes (≥ 2 purchase days in the last 8 weeks) but
  spends less per visit: mean spend per purchase day at most 70% of the baseline mean, and
  a one-sided Welch t-test of recent against baseline days gives p < 0.05 (≥ 3 baseline days).
  It warns of spend moving elsewhere, not of leaving: its members keep coming.
- **low_survey_score** — the member's latest survey answer in the last 90 days was a
  detractor (NPS 0–6) or dissatisfied (CSAT 1–2).
- **open_complaint** — a complaint by the member opened in the last 90 days is still open at
  the month's end, or was closed without being resolved.

The list is customer level and stays in the run folder (early_warning.csv); the report
shows only the counts by reason, and how often last month's warnings came true.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _
from retention_lib.analytics import churn, lifecycle
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchases, money, money_stats, time_span
from retention_lib.core.messages import Message, render
from retention_lib.core.run import Run
from retention_lib.core.spreadsheets import write_csv
from retention_lib.core.stats import welch_less

RECENT_WEEKS = 8
BASELINE_WEEKS = 26
MIN_BASELINE_WEEKS = 13
MIN_BASELINE_DAYS = 3
FREQUENCY_RATIO = 0.5
SPEND_RATIO = 0.7
MIN_RECENT_DAYS_FOR_SPEND = 2
P_VALUE = 0.05
WATCH_LEVEL = 0.3      # P(no purchase next month) from which a member is watched
RISK_RISE = 0.2        # a rise in that chance since last month's end that warns on its own
SIGNAL_LEVEL = 0.2     # the chance below which a behaviour sign is noise (it preceded no lapse)
QUIET_DAYS = 14        # without a model: the silence that makes a behaviour sign count
LOOKBACK_DAYS = 90
# The reasons, in the report's order (report.text labels them "warning.<key>"), and the key of
# the row that counts members with any of them.
REASONS: tuple[str, ...] = ("skip_risk", "rising_risk", "overdue", "falling_frequency", "falling_spend",
                            "low_survey_score", "open_complaint")
ANY_REASON = "any"

BEHAVIOUR_REASONS = ("falling_frequency", "falling_spend")   # the reasons that need the baseline


@dataclass(frozen=True)
class Windows:
    """The recent and baseline weeks used at a month's end, the baseline shortened to the data."""
    recent_weeks: int
    baseline_weeks: int
    data_start: pd.Timestamp | None = None   # the first day of data, when it shortened the baseline

    @property
    def shortened(self) -> bool:
        return self.baseline_weeks < BASELINE_WEEKS

    @property
    def behaviour_available(self) -> bool:
        return self.baseline_weeks >= MIN_BASELINE_WEEKS

    def reason(self) -> Message | None:
        """Why the frequency and spend rules are not checked this month (None when they are)."""
        if self.behaviour_available:
            return None
        return Message("warning.short_history", weeks=self.baseline_weeks, min_weeks=MIN_BASELINE_WEEKS,
                       recent_weeks=self.recent_weeks, first=self.data_start)

    def describe(self) -> Message:
        """The windows the frequency and spend rules used, or why they were not checked."""
        if not self.behaviour_available:
            return Message("warning.windows.unavailable", reason=self.reason())
        if self.shortened:
            return Message("warning.windows.shortened", recent_weeks=self.recent_weeks,
                           baseline_weeks=self.baseline_weeks, first=self.data_start, usual_weeks=BASELINE_WEEKS)
        return Message("warning.windows.full", recent_weeks=self.recent_weeks, baseline_weeks=self.baseline_weeks)

    def to_dict(self) -> dict:
        first = None if self.data_start is None else f"{self.data_start:%Y-%m-%d}"
        return asdict(self) | {"data_start": first, "shortened": self.shortened,
                               "behaviour_available": self.behaviour_available, "rule": self.describe()}


def windows(baskets, end: pd.Timestamp, recent_weeks: int = RECENT_WEEKS,
            baseline_weeks: int = BASELINE_WEEKS) -> Windows:
    """The baseline shortened to the whole weeks of data before the recent window (at least 0)."""
    recent_start = pd.Timestamp(end).normalize() - pd.Timedelta(weeks=recent_weeks)
    first = time_span(engine.as_table(baskets))[0].normalize()
    first = recent_start if pd.isna(first) else first
    have = max((recent_start - first).days // 7, 0)
    if have >= baseline_weeks:
        return Windows(recent_weeks, baseline_weeks)
    return Windows(recent_weeks, int(have), first)


def behaviour(baskets, end: pd.Timestamp, recent_weeks: int = RECENT_WEEKS,
              baseline_weeks: int = BASELINE_WEEKS) -> pd.DataFrame:
    """Per checked member: purchase days and spend per purchase day, baseline vs recent. `baskets` is an
    Ibis table (the run's, on its engine) or a frame."""
    end = pd.Timestamp(end).normalize()
    recent_start = end - pd.Timedelta(weeks=recent_weeks)
    baseline_start = recent_start - pd.Timedelta(weeks=baseline_weeks)
    b = member_purchases(baskets)
    b = b.filter(b.date < end.to_pydatetime())
    days = b.mutate(d=b.date.cast("date")).group_by(["customer_id", "d"]).aggregate(spend=money(_.amount).sum())
    firsts = days.group_by("customer_id").aggregate(first_purchase=_.d.min(), last_purchase=_.d.max())
    j = firsts.filter(firsts.last_purchase >= baseline_start.date()).join(days, "customer_id")
    in_baseline = (j.d >= baseline_start.date()) & (j.d < recent_start.date())
    windows_ = (("baseline", in_baseline), ("recent", j.d >= recent_start.date()))
    # spend per purchase day: its mean and variance from exact sums (aggregate.money_stats)
    names = {"n": "days", "mean": "spend", "var": "spend_var"}
    figures = {f"{window}_{names[k]}": value for window, where in windows_
               for k, value in money_stats(j.spend, where).items()}
    per = j.group_by(["customer_id", "first_purchase", "last_purchase"]).aggregate(**figures)
    out = engine.backend_of(b).to_pyarrow(per.order_by("customer_id")).to_pandas()
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    out = out.set_index("customer_id").sort_index()
    first = out["first_purchase"]
    exposure_start = first.where(first > baseline_start, baseline_start)
    out["baseline_weeks"] = ((recent_start - exposure_start).dt.days / 7).clip(lower=0)
    out["baseline_visits_per_week"] = (out["baseline_days"] / out["baseline_weeks"]).where(out["baseline_weeks"] > 0)
    out["recent_visits_per_week"] = out["recent_days"] / recent_weeks
    out["expected_recent_days"] = out["baseline_visits_per_week"] * recent_weeks
    return out


def frequency_flags(b: pd.DataFrame) -> pd.Series:
    has_baseline = (b["baseline_weeks"] >= MIN_BASELINE_WEEKS) & (b["baseline_days"] >= MIN_BASELINE_DAYS)
    return has_baseline & (b["recent_days"] <= FREQUENCY_RATIO * b["expected_recent_days"].fillna(0))


def overdue_flags(baskets, end: pd.Timestamp, index: pd.Index) -> pd.Series:
    """Silent for more than OVERDUE_FACTOR times the member's own typical gap, and at least a week."""
    r = churn.rhythm(baskets, end).reindex(index)
    silent = (pd.Timestamp(end).normalize() - pd.Timedelta(days=1) - r["last_purchase"]).dt.days
    own = r["own_gap_days"].where(r["gaps"] >= churn.MIN_OWN_GAPS)
    return churn.overdue(silent, own)


def spend_flags(b: pd.DataFrame) -> pd.Series:
    nb, nr = b["baseline_days"].astype(float), b["recent_days"].astype(float)
    vb, vr = b["baseline_spend_var"].astype(float), b["recent_spend_var"].astype(float)
    se2 = vb / nb + vr / nr
    p = pd.Series(welch_less(b["recent_spend"], vr, nr, b["baseline_spend"], vb, nb), index=b.index)
    eligible = (nb >= MIN_BASELINE_DAYS) & (nr >= MIN_RECENT_DAYS_FOR_SPEND) & (se2 > 0)
    return (eligible & (b["recent_spend"] <= SPEND_RATIO * b["baseline_spend"]) & (p < P_VALUE)).fillna(False)


def early_warning(baskets, end: pd.Timestamp, *, churn_scores: pd.DataFrame | None = None,
                  surveys: pd.DataFrame | None = None, complaints: pd.DataFrame | None = None,
                  clv_scores: pd.DataFrame | None = None, used: Windows | None = None) -> pd.DataFrame:
    """Every checked member with the reason columns, the keys of those that fired (`reasons`)
    and the evidence.

    Ordered by number of reasons (most first), then CLV (highest first, missing last; when
    `clv_scores` are given), then customer id, so ties never depend on the input's order.
    `end` is exclusive (the first instant after the month). Reasons whose source is
    missing (no churn scores, surveys or complaints, or too short a history for the baseline:
    `used`, default `windows(baskets, end)`) are False and listed as unavailable by
    `counts_by_reason`.
    """
    end = pd.Timestamp(end)
    used = used or windows(baskets, end)
    b = behaviour(baskets, end, used.recent_weeks, used.baseline_weeks)
    out = b[["first_purchase", "last_purchase", "baseline_visits_per_week", "recent_visits_per_week",
             "baseline_spend", "recent_spend"]].rename(columns={
                 "baseline_spend": "baseline_spend_per_visit", "recent_spend": "recent_spend_per_visit"})
    scored = churn_scores is not None and "p_no_purchase_next_month" in churn_scores
    s = churn_scores.reindex(out.index) if scored else None
    skip = s["p_no_purchase_next_month"] if scored else None
    # a behaviour sign counts where the model sees a real chance of a missed month (or, without one, a silence)
    quiet = (end.normalize() - pd.Timedelta(days=1) - out["last_purchase"]).dt.days >= QUIET_DAYS
    gate = (skip >= SIGNAL_LEVEL).fillna(False) if scored else quiet
    out["skip_risk"] = (skip >= WATCH_LEVEL).fillna(False) if scored else False
    out["rising_risk"] = False
    if scored:
        out["p_no_purchase_next_month"] = skip
        out["p_alive"], out["p_alive_last_month"] = s["p_alive"], s["p_alive_last_month"]
        rise = (skip - s["p_no_purchase_last_month"]) >= RISK_RISE
        out["rising_risk"] = s["newly_at_risk"].fillna(False).astype(bool) | rise.fillna(False)
    out["overdue"] = overdue_flags(baskets, end, out.index) & gate
    out["falling_frequency"] = (frequency_flags(b) & gate) if used.behaviour_available else False
    out["falling_spend"] = spend_flags(b) if used.behaviour_available else False

    if clv_scores is not None:
        out["clv"] = clv_scores["clv"].reindex(out.index)

    since = end - pd.Timedelta(days=LOOKBACK_DAYS)
    out["low_survey_score"] = False
    if surveys is not None and "customer_id" in surveys:
        sv = surveys[surveys["customer_id"].notna() & (surveys["submitted_at"] >= since)
                     & (surveys["submitted_at"] < end)]
        last = sv.sort_values(["submitted_at", "response_id"]).groupby("customer_id").tail(1).set_index("customer_id")
        low = (last["nps"] <= 6) | (last["csat"] <= 2)
        out["last_nps"] = last["nps"].reindex(out.index).astype("Float64")
        out["last_csat"] = last["csat"].reindex(out.index).astype("Float64")
        out["low_survey_score"] = low.reindex(out.index).fillna(False).astype(bool)
    out["open_complaint"] = False
    if complaints is not None and "customer_id" in complaints:
        c = complaints[complaints["customer_id"].notna() & (complaints["opened_at"] >= since)
                       & (complaints["opened_at"] < end)]
        still_open = c["closed_at"].isna() | (c["closed_at"] >= end)
        unresolved = c["closed_at"].notna() & ~c["resolved"].fillna(False).astype(bool)
        open_ids = set(c.loc[still_open | unresolved, "customer_id"])
        out["open_complaint"] = out.index.isin(open_ids)

    flags = out[list(REASONS)].astype(bool)
    out[list(REASONS)] = flags
    out["n_reasons"] = flags.sum(axis=1)
    names = np.array(REASONS, dtype=object)
    out["reasons"] = [", ".join(names[row]) for row in flags.to_numpy()]   # keys; the CSV says them in words
    keys = ["n_reasons"] + (["clv"] if "clv" in out else []) + ["customer_id"]
    return out.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True], na_position="last")


def available_reasons(churn_scores=None, surveys=None, complaints=None, used: Windows | None = None
                      ) -> dict[str, bool]:
    behaviour_ok = used is None or used.behaviour_available
    scored = churn_scores is not None and "p_no_purchase_next_month" in churn_scores
    return {"skip_risk": scored, "rising_risk": scored, "overdue": True,
            "falling_frequency": behaviour_ok, "falling_spend": behaviour_ok,
            "low_survey_score": surveys is not None and "customer_id" in surveys,
            "open_complaint": complaints is not None and "customer_id" in complaints}


def counts_by_reason(table: pd.DataFrame, available: dict[str, bool] | None = None) -> pd.DataFrame:
    """Members flagged by each reason (a member with two reasons counts in both), and any."""
    available = available or {r: True for r in REASONS}
    rows = [{"reason": r, "members": int(table[r].sum()) if available.get(r, True) else None,
             "share_of_checked": float(table[r].mean()) if available.get(r, True) and len(table) else None,
             "available": bool(available.get(r, True))}
            for r in REASONS]
    flagged = int((table["n_reasons"] > 0).sum())
    rows.append({"reason": ANY_REASON, "members": flagged,
                 "share_of_checked": flagged / len(table) if len(table) else None, "available": True})
    return pd.DataFrame(rows)


def month_windows(run: Run) -> Windows:
    return windows(engine.run_table(run, "baskets"), run.end)


def for_month(run: Run, churn_scores: pd.DataFrame | None, clv_scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """The month's early warning over the members in the lifecycle's base (new, active, at risk): a lapsed,
    dormant or lost member is past turning, and the lists that follow from their state already hold them."""
    table = early_warning(engine.run_table(run, "baskets"), run.end, churn_scores=churn_scores,
                          surveys=run.table("surveys"), complaints=run.table("complaints"), clv_scores=clv_scores,
                          used=month_windows(run))
    if not run.has("churn_scores"):
        return table
    state = run.read("churn_scores")["state"].reindex(table.index)
    return table[state.isin(lifecycle.BASE_STATES).to_numpy()]


def save(run: Run, table: pd.DataFrame, available: dict[str, bool], used: Windows | None = None) -> None:
    """The customer-level list (flagged members only) as CSV and Parquet in the run folder;
    the counts by reason and the windows used as JSON for the report."""
    used = used or month_windows(run)
    available = {**available, **{r: bool(available.get(r, True)) and used.behaviour_available
                                 for r in BEHAVIOUR_REASONS}}
    flagged = table[table["n_reasons"] > 0]
    run.write("early_warning", flagged)
    # the consultant reads the reasons in words (rendered by the report layer's catalogue)
    said = [render(Message("warning.reasons", reasons=r.split(", "))) for r in flagged["reasons"]]
    write_csv(flagged.assign(reasons=said), run.path("early_warning_list"), index=True)
    run.write("warnings", pd.DataFrame({"made_in": str(run.month), "customer_id": flagged.index.astype(str),
                                        "reasons": flagged["reasons"].to_numpy()}), index=False)
    counts = counts_by_reason(table, available)
    run.write("early_warning_summary", {
        "month": str(run.month), "checked_members": int(len(table)), "flagged_members": int(len(flagged)),
        "recent_weeks": used.recent_weeks, "baseline_weeks": used.baseline_weeks, "lookback_days": LOOKBACK_DAYS,
        "windows": used.to_dict(),
        "counts": counts.to_dict("records"),
        "multiple_reasons": int((table["n_reasons"] >= 2).sum()),
    })
