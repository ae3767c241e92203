"""Backtests: calibrate up to a cut-off, predict the held-out weeks, compare with what happened."""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.data import engine
from retention_lib.models import blend, btyd, cnbd
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


def holdout_data(baskets, calibration_end, observation_end, *, log_gaps: bool = False):
    """The member purchases, and per calibration member their calibration summary and holdout actuals."""
    baskets = engine.as_table(baskets)
    purchases = baskets.filter(baskets.is_purchase).select("customer_id", "timestamp", "amount")
    data = calibration_and_holdout(purchases, calibration_end=calibration_end, observation_end=observation_end,
                                   freq="D", multiplier=7, log_gaps=log_gaps)
    return purchases, data


def _calibration(data: pd.DataFrame) -> pd.DataFrame:
    cal = data.rename(columns={"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T",
                               "monetary_value_cal": "monetary_value", "litt_cal": "litt"})
    return cal[[c for c in ("frequency", "recency", "T", "monetary_value", "litt") if c in cal]]


def score_holdout(name: str, data: pd.DataFrame, expected: pd.Series, p_active: pd.Series) -> dict:
    """The holdout metrics of one forecast, model or baseline: per member expected purchase days and
    the chance of any purchase in the holdout, against what the members did."""
    actual = data["frequency_holdout"]
    active = (actual > 0).astype(float)
    lift = decile_lift(expected, actual)
    return {"model": name, "customers": len(data),
            "actual_purchases": float(actual.sum()), "predicted_purchases": float(expected.sum()),
            "aggregate_error_pct": float((expected.sum() - actual.sum()) / max(actual.sum(), 1) * 100),
            "mae": float((expected - actual).abs().mean()), "bias": float((expected - actual).mean()),
            "brier_active": float(((p_active - active) ** 2).mean()),
            "lift_monotone": bool(np.all(np.diff(lift["actual"].to_numpy()) >= 0))}


def naive_baselines(purchases, data: pd.DataFrame, calibration_end) -> dict[str, pd.Series]:
    """Two forecasts that need no model, per calibration member, for the holdout's length:
    - naive_rate: their weekly rate of repeat purchase days over their calibration life (x / T);
    - naive_recent: their purchase days in the last N weeks of the calibration, N the holdout's
      length: each member repeats their last N weeks."""
    horizon = float(data["duration_holdout"].iloc[0]) if len(data) else 0.0
    T = data["T_cal"]
    rate = (data["frequency_cal"] / T.where(T > 0)).fillna(0.0) * horizon
    recent = recent_purchase_days(purchases, pd.Timestamp(calibration_end).normalize() + pd.Timedelta(days=1), horizon)
    return {"naive_rate": rate, "naive_recent": recent.reindex(data.index, fill_value=0).astype(float)}


def recent_purchase_days(purchases, end, weeks: float) -> pd.Series:
    """Each member's purchase days in the `weeks` weeks (to the day) before `end` (exclusive), by
    customer_id; members without any are absent. `purchases` is a purchase log (customer_id,
    timestamp), an Ibis table or a frame: naive_recent's count, and a blend's recent part."""
    end = pd.Timestamp(end).normalize()
    start = end - pd.Timedelta(days=int(round(weeks * 7)))
    days = _purchase_days(purchases)
    recent = days.filter((days.day >= start.to_pydatetime()) & (days.day < end.to_pydatetime()))
    recent = recent.group_by("customer_id").aggregate(n=_.count())
    return engine.backend_of(days).to_pyarrow(recent.order_by("customer_id")).to_pandas().set_index("customer_id")["n"]


def _purchase_days(purchases):
    """The distinct (customer_id, day) purchase days of members in a purchase log (an Ibis table)."""
    t = engine.as_table(purchases)
    return t.filter(t.customer_id.notnull()).select("customer_id", day=t.timestamp.truncate("D")).distinct()


def _fit_and_predict(data: pd.DataFrame, kind: str, max_seconds: float, k: int | None = None
                     ) -> tuple[btyd.BTYDModel, pd.DataFrame]:
    """`kind` fitted on holdout_data's calibration summaries, and its forecasts over the holdout."""
    cal = _calibration(data)
    model = btyd.fit(cal, kind, max_seconds=max_seconds, k=k)
    return model, model.score(cal, {"holdout": float(data["duration_holdout"].iloc[0])})


def run_backtest(baskets, calibration_end, observation_end, kind: str = "bgnbd", *,
                 max_seconds: float = 120.0, k: int | None = None, holdout=None) -> Backtest:
    """Fit `kind` on purchases up to `calibration_end` and score the holdout up to `observation_end`.

    Customers first seen in the holdout are left out (the model knows nothing of them);
    their number is in the metrics. Time is in weeks measured to the day. `baskets` is an Ibis
    table (the run's, on its engine) or a frame; `holdout` is holdout_data's result when it is at hand.
    """
    purchases, data = holdout if holdout is not None else holdout_data(
        baskets, calibration_end, observation_end, log_gaps=kind in cnbd.DROPOUT_AT_ZERO)
    model, pred = _fit_and_predict(data, kind, max_seconds, k)
    horizon = float(data["duration_holdout"].iloc[0])
    out = data.join(pred)
    expected, p_active = out["expected_holdout"], 1 - out["p_no_purchase_holdout"]
    actual = out["frequency_holdout"]
    active = (actual > 0).astype(float)
    metrics = {
        **score_holdout(model.name, out, expected, p_active),
        "calibration_end": str(pd.Timestamp(calibration_end).date()),
        "observation_end": str(pd.Timestamp(observation_end).date()), "holdout_weeks": horizon,
        "new_in_holdout": new_in_holdout(purchases, calibration_end=calibration_end,
                                         observation_end=observation_end),
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
    days = _purchase_days(purchases)
    firsts = days.group_by("customer_id").aggregate(first=_.day.min())
    firsts = firsts.filter(firsts.first <= cal_end.normalize().to_pydatetime())
    con = engine.backend_of(days)
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


def beats(mae: float, kept_mae: float, margin: float) -> bool:
    """Whether a forecast's per-member MAE is lower than the kept one's by more than `margin` of it: a
    small gain on one holdout is noise (model: auto and the blend's choice of model)."""
    return mae < (1 - margin) * kept_mae


COMPARISON_COLUMNS = ["model", "kind", "usable", "customers", "new_in_holdout", "actual_purchases",
                      "predicted_purchases", "aggregate_error_pct", "mae", "bias", "brier_active", "lift_monotone",
                      "log_likelihood", "params", "note"]
BASELINES = ("naive_rate", "naive_recent")


def compare_models(baskets, calibration_end, observation_end,
                   kinds=("bgnbd", "mbgnbd", "paretonbd"), *, max_seconds: float = 120.0, margin: float = 0.0
                   ) -> tuple[pd.DataFrame, dict[str, Backtest]]:
    """Holdout metrics side by side: the models, the blend of one of them with naive_recent
    (fit_blend, `margin` its choice of model), then the naive baselines; a model or blend that
    cannot be used on the data says why. MAE and bias are per member, in purchase days over the
    holdout."""
    holdout = holdout_data(baskets, calibration_end, observation_end,
                           log_gaps=any(kind in cnbd.DROPOUT_AT_ZERO for kind in kinds))
    rows, results = [], {}
    for kind in kinds:
        try:
            result = run_backtest(baskets, calibration_end, observation_end, kind, max_seconds=max_seconds,
                                  holdout=holdout)
        except btyd.ModelUnusable as exc:
            rows.append({"model": btyd.NAMES[kind], "kind": kind, "usable": False, "note": str(exc)})
            continue
        results[kind] = result
        rows.append({**result.metrics, "kind": kind, "usable": True, "params": result.model.params, "note": ""})
    purchases, data = holdout
    baselines = naive_baselines(purchases, data, calibration_end)
    try:
        fitted = fit_blend(baskets, calibration_end, observation_end, results, max_seconds=max_seconds,
                           margin=margin)
    except btyd.ModelUnusable as exc:
        rows.append({"model": f"model + {blend.RECENT}", "kind": blend.KIND, "usable": False, "note": str(exc)})
    else:
        model = results[fitted.base].customers
        weeks = float(data["duration_holdout"].iloc[0])
        expected = fitted.forecast(model["expected_holdout"], baselines[blend.RECENT], weeks)
        # the blend as a mixture of its parts' forecasts: its chance of any purchase mixes theirs
        p_active = (fitted.model_weight * (1 - model["p_no_purchase_holdout"])
                    + fitted.recent_weight * (1 - np.exp(-baselines[blend.RECENT])))
        rows.append({**score_holdout(fitted.name, data, expected, p_active), "kind": blend.KIND, "usable": True,
                     "params": fitted.params(), "note": ""})
    for name, forecast in baselines.items():
        # a baseline's chance of any purchase: Poisson with its forecast as the mean
        rows.append({**score_holdout(name, data, forecast, 1 - np.exp(-forecast)), "kind": name, "usable": True,
                     "params": {}, "note": ""})
    return pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS), results


def fit_blend(baskets, calibration_end, observation_end, results: dict[str, Backtest], *,
              max_seconds: float = 120.0, margin: float = 0.0) -> blend.Blend:
    """The blend with naive_recent of one of the models in `results` (their backtests to
    `calibration_end`), its model and weight chosen on the inner split (blend.inner_window), which
    ends at `calibration_end`: each model refitted to the inner calibration's end and given the
    weight whose blend misses the inner holdout by least per member. The first model is the base
    unless another's blend has an MAE lower than its by more than `margin` of it, as model: auto
    keeps BG/NBD (model_choice.choose_model): the base is also the month's churn model. Only
    purchases up to `calibration_end` are read. A ModelUnusable saying why when the history is too short for the
    inner split or no model can be fitted on it."""
    if not results:
        raise btyd.ModelUnusable("no model could be fitted on the months before the holdout")
    inner_cal, inner_end = blend.inner_window(calibration_end, observation_end)
    data = next(iter(results.values())).customers
    reason = blend.too_short(float(data["T_cal"].max()), float(data["duration_holdout"].iloc[0]))
    if reason:
        raise btyd.ModelUnusable(reason)
    purchases, inner = holdout_data(baskets, inner_cal, inner_end,
                                    log_gaps=any(kind in cnbd.DROPOUT_AT_ZERO for kind in results))
    recent = naive_baselines(purchases, inner, inner_cal)[blend.RECENT]
    first, best, notes = None, None, []
    for kind in results:
        try:
            _, pred = _fit_and_predict(inner, kind, max_seconds)
        except btyd.ModelUnusable as exc:
            notes.append(str(exc))
            continue
        scored = (kind, *blend.best_weight(pred["expected_holdout"], recent, inner["frequency_holdout"]))
        first = first or scored
        # lower by more than rounding: a CNBD-k model at k = 1 is its nested model, listed after it
        if best is None or scored[2] < best[2] - 1e-9:
            best = scored
    if best is None:
        raise btyd.ModelUnusable(f"no model could be fitted on the earlier split to {inner_cal.date()}: "
                                 + "; ".join(notes))
    kind, weight, mae = best if beats(best[2], first[2], margin) else first
    model = results[kind].model
    return blend.Blend(base=kind, model=model.name, k=model.k if kind in cnbd.DROPOUT_AT_ZERO else None,
                       model_weight=weight, recent_weeks=float(data["duration_holdout"].iloc[0]),
                       inner_calibration_end=str(inner_cal.date()), inner_observation_end=str(inner_end.date()),
                       inner_mae=mae)
