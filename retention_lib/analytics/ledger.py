"""The prediction ledger: each run's forecasts for the next month, scored when it has passed, and the
contact lists it handed out (contacted and held-out members, analytics/holdouts) with their results.

A run for month M writes artifacts/forecasts.parquet (per member: expected purchase days
in M+1, P(alive) at M's end, P(any purchase in M+1), the lifecycle state and at risk), the early
warning's flagged members (warnings.parquet) and its headline figures' ranges (intervals.parquet).
Only a published run adds them to
the ledger, `<reports>/ledger/<config>.parquet`, replacing any earlier forecast for the
same month, so re-running a month with --force is safe. Any later run scores every
forecast month it has data for: the model's own track record.

A month the ledger has no forecast for (the first published month, or one after a month that was
not published) is scored on a *reconstructed* forecast: the month's model kind fitted on the data
to the previous month's end, forecasting as that month's run would have. It is labelled so wherever
it is shown and never written to the ledger, which holds only forecasts that were made.
"""
from __future__ import annotations

import fcntl
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from ibis import _

from retention_lib.analytics import lifecycle
from retention_lib.core.stats import auc
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchase_days, member_purchases, time_span
from retention_lib.models import btyd, cnbd
from retention_lib.models.backtest import reliability
from retention_lib.models.blend import Blend
from retention_lib.models.calendar import CalendarFit, fit_on_days
from retention_lib.models.btyd import BTYDModel
from retention_lib.models.clv import WEEKS_PER_MONTH
from retention_lib.core.conditions import DataCondition
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.paths import LAB_DIR

COLUMNS = ["made_in", "for_month", "customer_id", "expected_purchases", "p_alive", "p_any_purchase", "state",
           "at_risk"]
WARNING_COLUMNS = ["made_in", "customer_id", "reasons"]
# months of data before the forecast month that a fit at the previous month's end needs (as the
# backtest's calibration does)
MIN_HISTORY_MONTHS = 3


# The ledger's books, by the key a run replaces: forecasts by the month they are for, the contact lists'
# members (contacted and held out) and their measured results by the month the lists were made in.
BOOKS = {"forecasts": ("", "for_month", ["for_month", "customer_id"]),
         "warnings": (".warnings", "made_in", ["made_in", "customer_id"]),
         "intervals": (".intervals", "made_in", ["made_in", "figure"]),
         "lists": (".lists", "made_in", ["made_in", "list", "customer_id"]),
         "list_results": (".list_results", "made_in", ["made_in", "list", "store"])}


def ledger_path(reports_dir: Path, config_slug: str, book: str = "forecasts") -> Path:
    return Path(reports_dir) / "ledger" / f"{config_slug}{BOOKS[book][0]}.parquet"


def ledger_for(run: Run, book: str = "forecasts") -> Path:
    """The ledger of the reports folder the run belongs to: the folder beside a month's run, or,
    for a JupyterLab run in <reports>/lab/, that reports folder. Never another reports folder's."""
    parent = run.run_dir.resolve().parent
    return ledger_path(parent.parent if parent.name == LAB_DIR else parent, run.config.slug, book)


def forecasts(run: Run, model: BTYDModel, scores: pd.DataFrame, made_in: pd.Period | None = None,
              blend: Blend | None = None) -> pd.DataFrame:
    """Forecasts for the calendar month after `made_in` (None: the run's month), per scored member;
    `scores` is the summary at `made_in`'s end, with each member's lifecycle `state` there (the members in
    the base are the ones next-month churn is scored on) and whether they were at risk. With a `blend`, the
    expected purchases are the blend's (`scores` then carry each member's `recent_purchase_days`). A model
    fitted with the holiday calendar takes the summary and the month in its own time."""
    made_in = run.month if made_in is None else made_in
    target = made_in + 1
    weeks = target.days_in_month / 7
    calendar = CalendarFit.of(model)
    end = made_in.end_time.normalize()
    then = calendar.operational(scores[["frequency", "recency", "T"]], end)
    f, r, T = then["frequency"], then["recency"], then["T"]
    ahead = calendar.horizon(weeks, end)
    return pd.DataFrame({
        "made_in": str(made_in), "for_month": str(target), "customer_id": scores.index.astype(str),
        "expected_purchases": model.expected_purchases(ahead, f, r, T) if blend is None else blend.forecast(
            pd.Series(model.expected_purchases(ahead, f, r, T), index=scores.index), scores["recent_purchase_days"],
            weeks).to_numpy(),
        "p_alive": model.p_alive(f, r, T),
        "p_any_purchase": 1 - model.p_no_purchase(ahead, f, r, T),
        # a bare summary has no states: its members cannot be scored for next-month churn
        "state": scores["state"].to_numpy(dtype=object) if "state" in scores else None,
        "at_risk": (scores["state"] == "at_risk").to_numpy() if "state" in scores else None,
    })


def record(new_file: Path, ledger_file: Path, book: str = "forecasts") -> pd.DataFrame:
    """Add a published run's rows to a book of the ledger, replacing the book's earlier rows for the
    same months (a month re-run with --force).

    Runs of different months may publish at the same time: the read-modify-write is locked."""
    _, key, order = BOOKS[book]
    new = pd.read_parquet(new_file)
    ledger_file.parent.mkdir(parents=True, exist_ok=True)
    with open(ledger_file.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ledger = read(ledger_file)
        kept = ledger[~ledger[key].isin(set(new[key]))] if len(ledger) else ledger
        out = (pd.concat([kept, new], ignore_index=True) if len(kept) else new).sort_values(
            order, kind="stable").reset_index(drop=True)
        tmp = ledger_file.with_suffix(".tmp")
        out.to_parquet(tmp, index=False)
        tmp.replace(ledger_file)
    return out


def read(ledger_file: Path, columns: list[str] = COLUMNS) -> pd.DataFrame:
    return pd.read_parquet(ledger_file) if Path(ledger_file).exists() else pd.DataFrame(columns=columns)


def purchase_days_by_month(baskets, months: list[pd.Period]) -> pd.Series:
    """Each member's purchase days in each of `months`, indexed by (month "YYYY-MM", customer_id), from
    baskets (an Ibis table on the run's engine, or a frame)."""
    if not months:
        return pd.Series(dtype="int64", index=pd.MultiIndex.from_arrays([[], []], names=["month", "customer_id"]))
    days = member_purchase_days(engine.as_table(baskets))
    days = days.filter((days.d >= months[0].start_time.date()) & (days.d < (months[-1] + 1).start_time.date()))
    per = days.group_by(["customer_id", days.d.year().name("year"), days.d.month().name("month_no")]).aggregate(
        n=_.count())
    out = engine.backend_of(days).to_pyarrow(per).to_pandas()
    out["month"] = [f"{y:04d}-{m:02d}" for y, m in zip(out["year"], out["month_no"])]
    return out.set_index(["month", "customer_id"])["n"].sort_index()


def track_record(forecast_rows: pd.DataFrame, baskets, last_month: pd.Period,
                 warning_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every forecast month up to `last_month`: predicted against actual purchase days, and next-month
    churn among the members in the base where the forecast was made (`churn_scores`). `forecast_rows` are
    the ledger's, and any reconstructed ones (a `reconstructed` column, True on them); `warning_rows` the
    warnings book (the early warning's flagged members by the month they were flagged in)."""
    rows = []
    per_month = purchase_days_by_month(baskets, sorted({pd.Period(m, "M") for m in forecast_rows["for_month"]
                                                        if pd.Period(m, "M") <= last_month}))
    for month, made in forecast_rows.groupby("for_month", sort=True):
        if pd.Period(month, "M") > last_month:
            continue
        actual = per_month.get(month, pd.Series(dtype=float)).reindex(made["customer_id"]).fillna(0).to_numpy()
        expected, p_any = made["expected_purchases"].to_numpy(), made["p_any_purchase"].to_numpy()
        active = (actual > 0).astype(float)
        flagged = None if warning_rows is None else warning_rows.loc[
            warning_rows["made_in"] == made["made_in"].iloc[0], "customer_id"]
        warned = made["customer_id"].isin(set(flagged)).to_numpy() if flagged is not None and len(flagged) else None
        rows.append({"for_month": month, "made_in": made["made_in"].iloc[0], "members": len(made),
                     "predicted_purchases": float(expected.sum()), "actual_purchases": float(actual.sum()),
                     "aggregate_error_pct": float((expected.sum() - actual.sum()) / max(actual.sum(), 1) * 100),
                     "mae": float(np.abs(expected - actual).mean()),
                     "predicted_active": float(p_any.sum()), "actual_active": float(active.sum()),
                     "brier_active": float(((p_any - active) ** 2).mean()),
                     **churn_scored(made, actual == 0, warned),
                     "reconstructed": "reconstructed" in made and bool(made["reconstructed"].iloc[0])})
    return pd.DataFrame(rows)


CHURN_COLUMNS = ("base_members", "no_purchase_share", "auc", "brier_no_purchase", "top_decile_lift",
                 "at_risk_members", "at_risk_no_purchase", "not_at_risk_no_purchase",
                 "warned_members", "warned_no_purchase", "not_warned_no_purchase")


def churn_scored(made: pd.DataFrame, bought_nothing: np.ndarray, warned: np.ndarray | None = None) -> dict:
    """Next-month churn among a forecast month's base (new, active and at risk where it was made): how well
    P(no purchase) ranked (AUC) and matched (Brier score) who bought nothing, the share of them in its top
    tenth against all (lift), and how often the at-risk and warned members bought nothing against the rest
    of the base. NaN where the forecast carries no states (a ledger written before they were kept)."""
    out = dict.fromkeys(CHURN_COLUMNS, float("nan"))
    if "state" not in made or made["state"].isna().all():
        return out
    base = made["state"].isin(lifecycle.BASE_STATES).to_numpy()
    y, skip = bought_nothing[base], 1 - made["p_any_purchase"].to_numpy()[base]
    if not len(y):
        return out
    top = skip >= np.quantile(skip, 0.9) if len(y) >= 10 else np.zeros(len(y), bool)
    share = float(y.mean())

    def rate(flag):
        return float(y[flag].mean()) if flag.any() else float("nan")
    at_risk = made["at_risk"].fillna(False).astype(bool).to_numpy()[base]
    out |= {"base_members": int(base.sum()), "no_purchase_share": share, "auc": auc(skip, y),
            "brier_no_purchase": float(((skip - y) ** 2).mean()),
            "top_decile_lift": rate(top) / share if share > 0 and top.any() else float("nan"),
            "at_risk_members": int(at_risk.sum()), "at_risk_no_purchase": rate(at_risk),
            "not_at_risk_no_purchase": rate(~at_risk)}
    if warned is not None:
        w = warned[base]
        out |= {"warned_members": int(w.sum()), "warned_no_purchase": rate(w), "not_warned_no_purchase": rate(~w)}
    return out


def warnings_scored(forecast_rows: pd.DataFrame, warning_rows: pd.DataFrame, baskets, month: pd.Period) -> dict:
    """For the forecast made for `month`: each early-warning reason (members flagged by it in the base, how
    many bought nothing in `month`, and how often the rest of the base did) and the reliability of
    P(no purchase) by tenth. Empty when the month has no forecast with states or no warnings recorded."""
    made = forecast_rows[forecast_rows["for_month"] == str(month)]
    if not len(made) or "state" not in made or made["state"].isna().all():
        return {}
    made = made[made["state"].isin(lifecycle.BASE_STATES)]
    bought = purchase_days_by_month(baskets, [month]).get(str(month), pd.Series(dtype=float))
    y = bought.reindex(made["customer_id"]).fillna(0).to_numpy() == 0
    skip = pd.Series(1 - made["p_any_purchase"].to_numpy())
    out = {"month": str(month), "made_in": made["made_in"].iloc[0],
           "reliability": reliability(skip, pd.Series(y.astype(float))).to_dict("records"), "reasons": []}
    flagged = warning_rows[warning_rows["made_in"] == made["made_in"].iloc[0]].set_index("customer_id")["reasons"]
    keys = flagged.reindex(made["customer_id"]).fillna("").to_numpy()
    for reason in sorted({r for rs in flagged for r in rs.split(", ") if r}):
        has = np.array([reason in k.split(", ") for k in keys])
        out["reasons"].append({"reason": reason, "members": int(has.sum()),
                               "no_purchase": float(y[has].mean()) if has.any() else float("nan"),
                               "rest_no_purchase": float(y[~has].mean()) if (~has).any() else float("nan")})
    return out


def reconstructed(run: Run, baskets, model: BTYDModel | None,
                  summary_at: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """The forecast for the run's month that `model`'s kind (and regularity k) would have made at the
    previous month's end, fitted on the members' summary there, `summary_at(run, end, log_gaps=...)`
    (churn.month_summary: churn stores its forecasts through this module, which cannot import it).
    A DataCondition saying why when it cannot be made: no model this month, too short a history
    before the month, or a model that cannot be fitted at the previous month's end."""
    made_in = run.month - 1
    if model is None:
        raise DataCondition(Message("track_record.cannot.no_model", month=run.month))
    first = time_span(member_purchases(baskets), "timestamp")[0]
    months = (run.month - pd.Period(first, "M")).n
    if months < MIN_HISTORY_MONTHS:
        raise DataCondition(Message("track_record.cannot.short_history", month=run.month, made_in=made_in,
                                    first=pd.Period(first, "M"), months=Message("months", n=months),
                                    needed=MIN_HISTORY_MONTHS))
    regular = model.kind in cnbd.DROPOUT_AT_ZERO
    before = summary_at(run, run.start, log_gaps=regular)
    try:   # with the month's holiday calendar, as churn.month_fit fits
        fitted = fit_on_days(before, model.kind, CalendarFit.of(model).calendar, member_purchase_days(baskets),
                             run.start - pd.Timedelta(days=1), max_seconds=run.setting("fit_budget_s"),
                             k=model.k if regular else None)
    except btyd.ModelUnusable as exc:
        raise DataCondition(Message("track_record.cannot.unusable", month=run.month, made_in=made_in,
                                    model=model.name, error=exc.message)) from exc
    return forecasts(run, fitted.model, before.assign(state=_states_then(run, fitted, before)), made_in).assign(
        reconstructed=True)


def _states_then(run: Run, fitted: CalendarFit, before: pd.DataFrame) -> pd.Series:
    """Last month's lifecycle states as this month's run saw them, at risk judged again by the model fitted
    there (the at-risk rule of churn.score_month); none when the churn view has not been saved."""
    if not run.has("churn_scores"):
        return pd.Series(np.nan, index=before.index, dtype=object)
    state = run.read("churn_scores")["state_last_month"].reindex(before.index).fillna(lifecycle.NOT_YET)
    then = fitted.operational(before)
    skip = fitted.model.p_no_purchase(fitted.horizon(WEEKS_PER_MONTH), then["frequency"], then["recency"], then["T"])
    active = state.isin(["active", "at_risk"])
    drifting = skip >= float(run.setting("at_risk_threshold"))
    return state.mask(active, np.where(drifting, "at_risk", "active"))


@dataclass
class TrackRecord:
    record: pd.DataFrame        # track_record's rows
    note: Message | None        # why the run's month has no forecast, when none could be reconstructed
    warnings: dict              # warnings_scored for the run's month ({} when it cannot be scored)


def month_track_record(run: Run, baskets, model: BTYDModel | None,
                       summary_at: Callable[..., pd.DataFrame]) -> TrackRecord:
    """The run's track record: the ledger's forecast months to the run's month, and, when the ledger
    has none for the run's month, the reconstructed one (`reconstructed`), or a note saying why
    there is none; and how last month's warnings came true."""
    book = read(ledger_for(run))
    warned = read(ledger_for(run, "warnings"), WARNING_COLUMNS)
    note = None
    if not (book["for_month"] == str(run.month)).any():
        try:
            made = reconstructed(run, baskets, model, summary_at)
            book = pd.concat([book.assign(reconstructed=False), made], ignore_index=True) if len(book) else made
        except DataCondition as exc:
            note = exc.message
    return TrackRecord(track_record(book, baskets, run.month, warned), note,
                       warnings_scored(book, warned, baskets, run.month))
