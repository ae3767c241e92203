"""A forecast combination: one BTYD model's expected purchase days blended with each member's recent
rate (the naive_recent baseline), its weight chosen on an earlier split than the holdout it is judged on.

On grocery data a fitted model and "each member repeats their last weeks" err differently (the model
smooths a member's whole history, the recent rate follows their latest habits), so a weighted mean of
the two misses by less than either. The weight is honest only if it never sees the holdout: it is
chosen on an inner split inside the calibration period (`inner_window`) and then applied, unchanged,
to the parts refitted at the calibration's end. The backtest (backtest.compare_models) runs both
splits; this module holds what a blend is, how its weight is chosen and its forecast.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np
import pandas as pd

KIND = "blend"   # the blend's `kind` in compare_models' rows
RECENT = "naive_recent"   # the baseline the model is blended with
WEIGHTS = np.round(np.linspace(0.0, 1.0, 101), 2)   # the model's weights tried: a grid 0.01 apart
# The inner calibration is at least this long (a quarter, the shortest calibration the backtest
# accepts) and at least one holdout long, so the recent rate's window fits inside it.
MIN_INNER_CALIBRATION_WEEKS = 13.0


@dataclass(frozen=True)
class Blend:
    base: str                    # the BTYD model's kind
    model: str                   # its name (BG/CNBD-2 names its k)
    k: int | None                # its regularity when a CNBD-k model, as fitted at the calibration's end
    model_weight: float          # the model's share of the forecast; the recent rate has the rest
    recent_weeks: float          # the weeks the recent rate is counted over: the holdout's length
    inner_calibration_end: str   # the split the weight was chosen on (ISO dates)
    inner_observation_end: str
    inner_mae: float             # the blend's per-member MAE there

    @property
    def recent_weight(self) -> float:
        return round(1.0 - self.model_weight, 2)

    @property
    def name(self) -> str:
        return f"{self.model} + {RECENT}"

    def forecast(self, model_expected: pd.Series, recent_days: pd.Series, horizon_weeks: float) -> pd.Series:
        """Expected purchase days over `horizon_weeks` per member of `model_expected` (the model's
        forecast for that horizon), from their purchase days in the last `recent_weeks` weeks
        (backtest.recent_purchase_days; a member without any is absent or 0)."""
        recent = recent_days.reindex(model_expected.index, fill_value=0).astype(float)
        rate = recent * (horizon_weeks / self.recent_weeks)
        return self.model_weight * model_expected + self.recent_weight * rate

    def params(self) -> dict:
        """The blend as plain JSON values: what a row of compare_models and a model choice carry."""
        return {**asdict(self), "recent_weight": self.recent_weight}

    @classmethod
    def from_params(cls, params: Mapping) -> "Blend":
        return cls(**{k: v for k, v in params.items() if k != "recent_weight"})


def inner_window(calibration_end, observation_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The split the weight is chosen on: calibrated to one holdout length before `calibration_end`,
    held out up to `calibration_end`, so it ends where the real holdout begins."""
    end = pd.Timestamp(calibration_end).normalize()
    return end - (pd.Timestamp(observation_end).normalize() - end), end


def too_short(history_weeks: float, holdout_weeks: float) -> str | None:
    """Why the history before the holdout is too short for the inner split, or None."""
    needed = holdout_weeks + max(holdout_weeks, MIN_INNER_CALIBRATION_WEEKS)
    if history_weeks >= needed:
        return None
    return (f"the {history_weeks:.0f} weeks before the holdout are too short to choose the blend's weight on an "
            f"earlier split: it needs {needed:.0f} ({needed - holdout_weeks:.0f} to fit, {holdout_weeks:.0f} to "
            f"score)")


def best_weight(model_expected: pd.Series, recent: pd.Series, actual: pd.Series) -> tuple[float, float]:
    """The model weight (of WEIGHTS) whose blend with `recent` misses `actual` by least per member, and
    that mean absolute error; the lower weight on a tie. The three series share one index."""
    m, r, a = (s.to_numpy(dtype=float) for s in (model_expected, recent, actual))
    # MAE is convex in the weight, so the grid's best is within 0.01 of the exact one
    maes = np.array([np.abs(w * m + (1 - w) * r - a).mean() for w in WEIGHTS])
    i = int(np.argmin(maes))
    return float(WEIGHTS[i]), float(maes[i])
