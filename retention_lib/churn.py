"""The month's churn view: fit on all history to the month's end, score every member,
and find who became at risk this month."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import btyd
from .aggregate import member_purchases
from .clv import WEEKS_PER_MONTH
from .run import Run
from .summary import summarise

DEFAULT_THRESHOLD = 0.5
LIKELY_LOST = 0.1  # below this P(alive) (and not newly at risk) a member is likely lost
HORIZONS = {"next_month": WEEKS_PER_MONTH, "next_quarter": 3 * WEEKS_PER_MONTH}


def purchases(run: Run) -> pd.DataFrame:
    """Member baskets that are purchases (net amount > 0), up to the month's end."""
    return member_purchases(run.table("baskets"))[["customer_id", "timestamp", "amount"]]


def month_summary(run: Run, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Summary in weeks (measured to the day) at the last day of the month, or at `end`."""
    last_day = (end or run.end) - pd.Timedelta(days=1)
    bought = purchases(run)
    return summarise(bought[bought["timestamp"] < last_day + pd.Timedelta(days=1)],
                     observation_end=last_day, freq="D", multiplier=7)


@dataclass
class ChurnView:
    model: btyd.BTYDModel
    scores: pd.DataFrame   # per customer: summary, predictions now and at last month's end
    threshold: float

    @property
    def at_risk(self) -> pd.DataFrame:
        return self.scores[self.scores["at_risk"]]

    @property
    def newly_at_risk(self) -> pd.DataFrame:
        return self.scores[self.scores["newly_at_risk"]]

    def headline(self) -> dict:
        s = self.scores
        return {"model": self.model.name, "params": self.model.params, "threshold": self.threshold,
                "likely_lost_below": LIKELY_LOST,
                "members_scored": len(s), "at_risk": int(s["at_risk"].sum()),
                "likely_lost": int(((s["p_alive"] < LIKELY_LOST) & ~s["newly_at_risk"]).sum()),
                "newly_at_risk": int(s["newly_at_risk"].sum()),
                "expected_purchases_next_month": float(s["expected_next_month"].sum()),
                "mean_p_alive": float(s["p_alive"].mean())}


def score_month(run: Run, kind: str = "bgnbd", threshold: float = DEFAULT_THRESHOLD) -> ChurnView:
    """Fit at the month's end and score members now and at the previous month's end.

    Both months are scored with this month's model, so a change in P(alive) reflects the
    customer's behaviour, not a refit. Newly at risk: P(alive) at or above the threshold a
    month ago and below it now (customers who joined this month cannot be newly at risk).
    """
    now = month_summary(run)
    model = btyd.fit(now, kind)
    scores = now.join(model.score(now, HORIZONS))
    before = month_summary(run, run.start)
    prev = pd.Series(model.p_alive(before["frequency"], before["recency"], before["T"]), index=before.index)
    scores["p_alive_last_month"] = prev.reindex(scores.index)
    scores["at_risk"] = scores["p_alive"] < threshold
    scores["newly_at_risk"] = scores["at_risk"] & (scores["p_alive_last_month"] >= threshold)
    weeks_since = (scores["T"] - scores["recency"])
    scores["weeks_since_last_purchase"] = weeks_since
    return ChurnView(model, scores, threshold)


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
    r, alpha, a, b = model.p
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    alive = np.ones(n, bool) if model.kind == "bgnbd" else rng.random(n) >= p
    t = np.zeros(n)
    x = np.zeros(n, dtype=int)
    while alive.any():
        t = t + rng.exponential(1 / lam)
        bought = alive & (t <= T)
        x += bought
        alive = bought & (rng.random(n) >= p)
    return x


def backtest_window(run: Run, holdout_months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Calibrate to the end of month M - holdout_months, hold out the months up to M's end."""
    last_day = run.end - pd.Timedelta(days=1)
    calibration_end = (run.month - holdout_months + 1).start_time - pd.Timedelta(days=1)
    return calibration_end, last_day


def save(view: ChurnView, run: Run, comparison: pd.DataFrame | None = None, backtest_metrics: dict | None = None):
    """Artifacts for the report and the next notebooks: model JSON, scores, headline."""
    from .ledger import forecasts

    view.model.to_json(run.artifact("churn_model.json"))
    forecasts(run, view.model, view.scores).to_parquet(run.artifact("forecasts.parquet"), index=False)
    view.scores.to_parquet(run.artifact("churn_scores.parquet"))
    payload = {"headline": view.headline(), "backtest": backtest_metrics or {},
               "comparison": [] if comparison is None else comparison.to_dict("records")}
    run.write_json("churn_summary.json", payload)
