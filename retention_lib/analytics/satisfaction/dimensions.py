"""What drives satisfaction: Johnson's relative weights of the seven dimension ratings in
explaining the NPS rating (0–10), on complete cases (responses that rated all seven
dimensions), with seeded bootstrap percentile intervals. Performance is the mean rating of
each dimension over the same window, from every response that rated it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention_lib.analytics.satisfaction.scores import in_period
from retention_lib.core.schema import DIMENSIONS
from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import bootstrap, mean_interval, percentile_interval, wilson

LOW_RATING_MAX = 2               # a dimension rating of 1 or 2 is a low score
MIN_DRIVER_N = 70                # 10 complete responses per dimension
QUADRANTS = {  # (above-average importance, above-average performance) -> key (report.text: "quadrant.<key>")
    (True, False): "fix_first", (True, True): "keep_up",
    (False, False): "lower_priority", (False, True): "possible_overkill",
}


def relative_weights(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights: each predictor's share of R², which sum to R².

    The predictors' correlation matrix R_xx = V diag(λ) V' gives its symmetric square root
    Λ = V diag(√λ) V' (the loadings of the predictors on their closest orthogonal
    counterparts Z). y is regressed on Z: β = Λ⁻¹ r_xy. Predictor j's raw weight is
    Σ_k Λ_jk² β_k².
    """
    R = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    rxx, rxy = R[:-1, :-1], R[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    raw = (lam**2) @ (beta**2)
    return raw, float(raw.sum())


def dimension_performance(surveys: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: responses that rated it, mean rating (t interval), share of 1–2 (Wilson)."""
    rows = []
    for dim in DIMENSIONS:
        x = pd.to_numeric(surveys[dim], errors="coerce").dropna() if dim in surveys else pd.Series(dtype=float)
        m = mean_interval(x)
        low = int((x <= LOW_RATING_MAX).sum())
        lo, hi = wilson(low, len(x))
        rows.append({"dimension": dim, "rated": m["n"], "mean": m["mean"],
                     "mean_lo": m["lo"], "mean_hi": m["hi"],
                     "share_low": low / len(x) if len(x) else None,
                     "share_low_lo": float(lo) if len(x) else None, "share_low_hi": float(hi) if len(x) else None})
    return pd.DataFrame(rows).set_index("dimension")


@dataclass
class DriverResult:
    table: pd.DataFrame     # per dimension: importance and performance with intervals, quadrant
    r2: float
    r2_lo: float
    r2_hi: float
    complete_cases: int
    incomplete_dropped: int
    outcome: str
    start: pd.Timestamp
    end: pd.Timestamp
    n_boot: int
    seed: int

    @property
    def strongest(self) -> str:
        return str(self.table["importance"].idxmax())

    @property
    def fix_first(self) -> list[str]:
        """Fix-first dimensions, the largest importance × shortfall below the mean rating first."""
        gap = self.table["performance"].mean() - self.table["performance"]
        priority = (self.table["importance"] * gap)[self.table["fix_first"]]
        return list(priority.sort_values(ascending=False).index)

    def to_dict(self) -> dict:
        t = self.table.reset_index()
        return {"outcome": self.outcome, "method": "relative weights (Johnson 2000), share of R²",
                "missing_ratings": "complete cases: responses that rated all seven dimensions",
                "window_start": str(self.start.date()), "window_end": str((self.end - pd.Timedelta(days=1)).date()),
                "complete_cases": self.complete_cases, "incomplete_dropped": self.incomplete_dropped,
                "r2": self.r2, "r2_lo": self.r2_lo, "r2_hi": self.r2_hi, "bootstrap_resamples": self.n_boot,
                "seed": self.seed, "strongest": self.strongest, "fix_first": self.fix_first,
                "performance_divider": float(self.table["performance"].mean()),
                "importance_divider": float(self.table["importance"].mean()),
                "dimensions": t.to_dict("records")}


def drivers(surveys: pd.DataFrame, outcome: str = "nps", *, n_boot: int = DEFAULTS.bootstrap_resamples, seed: int = 0,
            start=None, end=None, min_n: int = MIN_DRIVER_N) -> DriverResult | None:
    """Derived importance of the seven dimensions for `outcome`, with bootstrap intervals.

    Importance is each dimension's relative weight as a share of R² (the shares sum to 1);
    its interval is the 2.5–97.5 percentile over `n_boot` seeded resamples of responses,
    and p_top is the share of resamples in which it is the most important. Responses that
    left any dimension unrated are dropped (complete cases). None when fewer than `min_n`
    complete responses remain or a rating never varies.
    """
    dims = list(DIMENSIONS)
    start = pd.Timestamp(start) if start is not None else surveys["submitted_at"].min()
    end = pd.Timestamp(end) if end is not None else surveys["submitted_at"].max() + pd.Timedelta(seconds=1)
    window = in_period(surveys, start, end)
    data = window[dims + [outcome]].apply(pd.to_numeric, errors="coerce")
    complete = data.dropna()
    X, y = complete[dims].to_numpy(float), complete[outcome].to_numpy(float)
    if len(complete) < min_n or (X.std(axis=0) == 0).any() or y.std() == 0:
        return None
    start = max(start, window["submitted_at"].min().normalize())  # the window may begin before the data
    raw, r2 = relative_weights(X, y)

    def shares_and_r2(idx):
        with np.errstate(invalid="ignore", divide="ignore"):
            w, r2_b = relative_weights(X[idx], y[idx])
            return np.append(w / w.sum(), r2_b)

    n = len(y)
    draws = bootstrap(shares_and_r2, n, n_boot, seed)
    boot, boot_r2 = draws[:, :-1], draws[:, -1]
    ok = np.isfinite(boot).all(axis=1)
    boot, boot_r2 = boot[ok], boot_r2[ok]
    importance_lo, importance_hi = percentile_interval(boot)
    r2_lo, r2_hi = percentile_interval(boot_r2)
    share = raw / r2
    top = np.bincount(boot.argmax(axis=1), minlength=len(dims)) / len(boot)
    perf = dimension_performance(window)
    table = pd.DataFrame({
        "importance": share,
        "importance_lo": importance_lo, "importance_hi": importance_hi,
        "raw_weight": raw, "p_top": top,
    }, index=pd.Index(dims, name="dimension"))
    table = table.join(perf.rename(columns={"mean": "performance", "mean_lo": "performance_lo",
                                            "mean_hi": "performance_hi"}))
    high_imp = table["importance"] > table["importance"].mean()
    high_perf = table["performance"] > table["performance"].mean()
    table["quadrant"] = [QUADRANTS[(bool(i), bool(p))] for i, p in zip(high_imp, high_perf)]
    table["fix_first"] = high_imp & ~high_perf
    return DriverResult(table=table, r2=r2, r2_lo=float(r2_lo), r2_hi=float(r2_hi), complete_cases=n,
                        incomplete_dropped=int(len(data) - n), outcome=outcome, start=start, end=end,
                        n_boot=int(ok.sum()), seed=seed)
