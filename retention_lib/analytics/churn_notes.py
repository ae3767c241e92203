"""What the churn model found, in one line each for the report's churn section and notebook 03: the members'
purchase rhythm, the holiday calendar, and the models against the forecasts that need none."""
from __future__ import annotations

import numpy as np

from retention_lib.analytics.model_choice import candidate_name, models_compared
from retention_lib.core.messages import Message
from retention_lib.models import cnbd
from retention_lib.models.backtest import BASELINES


def regularity_note(found: dict) -> Message:
    return Message(f"regularity.{found['level']}", k=found["k"], members=found["members"])


def calendar_note(record: dict | None, kind: str, model: str) -> Message | None:
    """One line on the month's holiday calendar (the headline's `holiday_calendar`): the holiday rate the
    history shows and whether the model uses it; None without a calendar."""
    if not record or record["calendar"] == "none":
        return None
    holidays = Message(f"holiday_calendar.{record['calendar']}")
    if kind in cnbd.DROPOUT_AT_ZERO:
        return Message("churn.calendar.not_for_model", holidays=holidays, model=model)
    if record["lr"] is None:
        return Message("churn.calendar.none_seen", holidays=holidays)
    low, high = record["interval"]
    params = dict(holidays=holidays, ratio=record["rate_ratio"])
    if low is None or high is None:
        return Message("churn.calendar.used_open" if record["used"] else "churn.calendar.unused_open", **params)
    return Message("churn.calendar.used" if record["used"] else "churn.calendar.unused",
                   low=float(np.exp(low)), high=float(np.exp(high)), **params)


def baseline_note(comparison: list[dict], holdout_weeks: float) -> Message | None:
    """One line on the naive forecasts beside the models' per-member MAE: which model beat the best
    of them, or that none did and which baseline that is."""
    baselines = [r for r in comparison if r.get("usable") and r["kind"] in BASELINES]
    models = list(models_compared(comparison).values())
    if not baselines or not models:
        return None
    baseline = min(baselines, key=lambda r: r["mae"])
    model = min(models, key=lambda r: r["mae"])
    params = dict(model=candidate_name(model), model_mae=model["mae"], baseline_mae=baseline["mae"],
                  baseline=Message(f"baseline.{baseline['kind']}", weeks=holdout_weeks))
    return Message("churn.baseline_wins" if model["mae"] >= baseline["mae"] else "churn.baseline_beaten", **params)
