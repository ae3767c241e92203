"""Backtests: calibrate up to a cut-off, predict the held-out weeks, compare with what happened."""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.data import engine
from retention_lib.models import btyd
from retention_lib.models.summary import calibration_and_holdout, new_in_holdout

WEEK = pd.Timedelta(weeks=1)


@dataclass
class Backtest:
    model: btyd.BTYDModel
    customers: pd.DataFrame       # per customer: calibration summary, holdout actuals and predictions
    metrics: dict
    reliability: pd.DataFrame     # by decile of predicted P(active in holdout)
    lift: pd.DataFrame            # by decile of predicted holdout purchases
    tracking: pd.DataFrame | None = None


def run_backtest(baskets, calibration_end, observation_end, kind: str = "bgnbd", *,
                 max_seconds: float = 120.0) -> Backtest:
    """Fit `kind` on purchases up to `calibration_end` and score the holdout up to `observation_end`.

    Customers first seen in the holdout are left out (the model knows nothing of them);
    their number is in the metrics. Time is in weeks measured to the day. `baskets` is an Ibis
    table (the run's, on its engine) or a frame.
    """
    baskets = engine.as_table(baskets)
    purchases = baskets.filter(baskets.is_purchase).select("customer_id", "timestamp", "amount")
    data = calibration_and_holdout(purchases, calibration_end=calibration_end,
                                   observation_end=observation_end, freq="D", multiplier=7)
    cal = data.rename(columns={"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T",
                               "monetary_value_cal": "monetary_value"})
    model = btyd.fit(cal, kind, max_seconds=max_seconds)
    horizon = float(data["duration_holdout"].iloc[0])
    pred = model.score(cal, {"holdout": horizon})
    out = data.join(pred)
    actual, expected = out["frequency_holdout"], out["expected_holdout"]
    active = (actual > 0).astype(float)
    p_active = 1 - out["p_no_purchase_holdout"]
    metrics = {
        "model": model.name, "calibration_end": str(pd.Timestamp(calibration_end).date()),
        "observation_end": str(pd.Timestamp(observation_end).date()), "holdout_weeks": horizon,
        "customers": len(out),
        "new_in_holdout": new_in_holdout(purchases, calibration_end=calibration_end,
                                         observation_end=observation_end),
        "actual_purchases": float(actual.sum()), "predicted_purchases": float(expected.sum()),
        "aggregate_error_pct": float((expected.sum() - actual.sum()) / max(actual.sum(), 1) * 100),
        "mae": float((expected - actual).abs().mean()), "bias": float((expected - actual).mean()),
        "brier_active": float(((p_active - active) ** 2).mean()),
        "brier_p_alive": float(((out["p_alive"] - active) ** 2).mean()),
        "log_likelihood": model.log_likelihood,
    }
    return Backtest(model, out, metrics, reliability(p_active, active), decile_lift(expected, actual),
                    tracking(purchases, model, calibration_end, observation_end))


def _deciles(score: pd.Series) -> pd.Series:
    # rank first so ties (many identical rows) still split into ten groups deterministically
    return pd.qcut(score.rank(method="first"), 10, labels=range(1, 11)).astype(int)


def reliability(predicted: pd.Series, observed: pd.Series) -> pd.DataFrame:
    """Mean predicted probability against the observed share, by decile of prediction."""
    frame = pd.DataFrame({"predicted": predicted, "observed": observed, "decile": _deciles(predicted)})
    return frame.groupby("decile").agg(customers=("observed", "size"), predicted=("predicted", "mean"),
                                       observed=("observed", "mean")).reset_index()


def decile_lift(expected: pd.Series, actual: pd.Series) -> pd.DataFrame:
    """Actual holdout purchases by decile of predicted purchases (10 = highest), and lift."""
    frame = pd.DataFrame({"expected": expected, "actual": actual, "decile": _deciles(expected)})
    out = frame.groupby("decile").agg(customers=("actual", "size"), predicted=("expected", "mean"),
                                      actual=("actual", "mean")).reset_index()
    mean = actual.mean()
    out["lift"] = out["actual"] / mean if mean > 0 else np.nan
    out["share_of_purchases"] = frame.groupby("decile")["actual"].sum().to_numpy() / max(actual.sum(), 1)
    return out


def tracking(purchases, model: btyd.BTYDModel, calibration_end, observation_end) -> pd.DataFrame:
    """Weekly repeat purchases of the calibration cohort, actual against the model.

    As in the BG/NBD paper: a customer's repeat purchases are purchase days after their
    first; the model's expectation for week w sums E[X(w_end - first_i)] over customers.
    `purchases` is an Ibis table; only each customer's first day and the weekly counts leave it.
    """
    cal_end, obs_end = pd.Timestamp(calibration_end), pd.Timestamp(observation_end)
    t = engine.as_table(purchases)
    days = t.filter(t.customer_id.notnull()).select("customer_id", day=t.timestamp.truncate("D")).distinct()
    firsts = days.group_by("customer_id").aggregate(first=_.day.min())
    firsts = firsts.filter(firsts.first <= cal_end.normalize().to_pydatetime())
    con = engine.backend_of(t)
    cohort = con.to_pyarrow(firsts.order_by("customer_id")).to_pandas().set_index("customer_id")["first"]
    start = cohort.min()
    repeat = days.join(firsts, "customer_id")
    repeat = repeat.filter((repeat.day > repeat.first) & (repeat.day <= obs_end.to_pydatetime()))
    weekly = (repeat.mutate(week=repeat.day.delta(ibis.timestamp(start.to_pydatetime()), unit="day") // 7)
              .group_by("week").aggregate(n=_.count()))
    weekly = con.to_pyarrow(weekly).to_pandas()
    # week k covers the days [start + 7(k-1), start + 7k); only whole weeks up to obs_end
    boundaries = pd.date_range(start + WEEK, obs_end.normalize() + pd.Timedelta(days=1), freq="7D")
    actual = np.zeros(len(boundaries), dtype="int64")
    inside = weekly[weekly["week"] < len(boundaries)]
    actual[inside["week"].to_numpy(dtype="int64")] = inside["n"].to_numpy(dtype="int64")
    births = cohort.value_counts()
    age = ((boundaries.to_numpy()[:, None] - births.index.to_numpy()[None, :]) / WEEK).clip(min=0)
    cum = (model.expected_purchases(age, 0.0, 0.0, 0.0) * births.to_numpy()[None, :]).sum(axis=1)
    out = pd.DataFrame({"week_end": boundaries - pd.Timedelta(days=1), "actual": actual,
                        "predicted": np.diff(np.r_[0.0, cum])})
    out["actual_cumulative"], out["predicted_cumulative"] = out["actual"].cumsum(), cum
    out["holdout"] = out["week_end"] > cal_end
    return out


COMPARISON_COLUMNS = ["model", "usable", "customers", "new_in_holdout", "actual_purchases", "predicted_purchases",
                      "aggregate_error_pct", "mae", "bias", "brier_active", "log_likelihood", "note"]


def compare_models(baskets, calibration_end, observation_end,
                   kinds=("bgnbd", "mbgnbd", "paretonbd"), *, max_seconds: float = 120.0
                   ) -> tuple[pd.DataFrame, dict[str, Backtest]]:
    """Holdout metrics side by side; a model that cannot be used on the data says why."""
    rows, results = [], {}
    for kind in kinds:
        try:
            result = run_backtest(baskets, calibration_end, observation_end, kind, max_seconds=max_seconds)
        except btyd.ModelUnusable as exc:
            rows.append({"model": btyd.NAMES[kind], "usable": False, "note": str(exc)})
            continue
        results[kind] = result
        rows.append({**result.metrics, "usable": True, "note": ""})
    return pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS), results
