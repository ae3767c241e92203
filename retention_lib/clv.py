"""Gamma-Gamma spend and customer lifetime value.

CLV convention (stated in the report):
    CLV = margin × Σ_{k=1..H} E[spend per purchase] × E[purchases in month k] / (1 + d_m)^k
with H the horizon in months, d_m = (1 + annual rate)^(1/12) − 1 the monthly discount rate
(cash flows discounted at each month's end), and a month of 365.25/12 days. E[purchases
in month k] comes from the purchase model and E[spend per purchase] from Gamma-Gamma. The
purchase expectations if alive are computed once per distinct (frequency, T) pair.
"""
from __future__ import annotations

import contextlib
import io
import json
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .btyd import BTYDModel, ModelUnusable

WEEKS_PER_MONTH = 365.25 / 12 / 7


@dataclass
class GammaGamma:
    p: float
    q: float
    gamma: float
    n_customers: int = 0
    freq_monetary_corr: float = float("nan")

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[mean spend per purchase | x repeat purchases averaging m]: shrunk to the population mean."""
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        population = self.p * self.gamma / (self.q - 1)
        weight = self.p * x / (self.p * x + self.q - 1)
        return weight * m + (1 - weight) * population

    @property
    def population_mean_spend(self) -> float:
        return self.p * self.gamma / (self.q - 1)

    def to_json(self, path) -> Path:
        Path(path).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        return Path(path)

    @classmethod
    def from_json(cls, path) -> "GammaGamma":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGamma:
    """Fit on repeat buyers with positive mean repeat spend (lifetimes' GammaGammaFitter)."""
    from lifetimes import GammaGammaFitter
    from lifetimes.utils import ConvergenceError

    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 20:
        raise ModelUnusable(f"Gamma-Gamma needs repeat buyers; only {len(repeat)} found")
    # lifetimes prints the optimiser's state before raising; the error says enough
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            gg = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
        except ConvergenceError as exc:
            raise ModelUnusable(f"Gamma-Gamma did not converge on {len(repeat)} repeat buyers") from exc
    p, q, v = (float(gg.params_[k]) for k in ("p", "q", "v"))
    if q <= 1:
        raise ModelUnusable(f"Gamma-Gamma q = {q:.3f} <= 1: the mean spend is infinite under this fit")
    corr = float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1])
    return GammaGamma(p, q, v, n_customers=len(repeat), freq_monetary_corr=corr)


def monthly_rate(annual_discount_rate: float) -> float:
    return (1 + annual_discount_rate) ** (1 / 12) - 1


def clv(model: BTYDModel, spend: GammaGamma, summary: pd.DataFrame, *, months: int = 12,
        annual_discount_rate: float = 0.10, margin: float = 1.0,
        periods_per_month: float = WEEKS_PER_MONTH, discount_per_month: float | None = None) -> pd.Series:
    """CLV per customer over `months` (see module docstring for the convention).

    `periods_per_month` converts months to the summary's time unit (weeks by default).
    `discount_per_month` overrides the monthly rate derived from the annual one.
    """
    d = monthly_rate(annual_discount_rate) if discount_per_month is None else discount_per_month
    x = summary["frequency"].to_numpy(dtype="int64")
    rec, T = summary["recency"].to_numpy(dtype=float), summary["T"].to_numpy(dtype=float)
    # Expected purchases = P(alive) x expected purchases if alive, which depends on (frequency, T)
    # only: its hypergeometric terms (the cost) are computed once per distinct pair.
    x_code, xs = pd.factorize(x)
    T_code, Ts = pd.factorize(T)                      # -1 for NaN, shifted to 0 below
    width = len(Ts) + 1
    pair, keys = pd.factorize(x_code * width + T_code + 1)
    T_pair = np.append(np.nan, Ts)[keys % width]
    steps = np.arange(0, months + 1) * periods_per_month
    if_alive = model.expected_purchases_if_alive(steps[:, None], xs[keys // width][None, :], T_pair[None, :])
    factor = (1 + d) ** -np.arange(1, months + 1)
    discounted = np.zeros(len(keys))
    for f, month in zip(factor, np.diff(if_alive, axis=0)):  # not BLAS: its sums depend on the row count
        discounted += f * month
    purchases = model.p_alive(x, rec, T) * discounted[pair]
    value = margin * spend.expected_spend(summary["frequency"], summary["monetary_value"]) * purchases
    if not np.all(np.isfinite(value)):
        raise ModelUnusable("CLV is not finite for some customers")
    return pd.Series(value, index=summary.index, name=f"clv_{months}m")
