"""Gamma-Gamma spend and customer lifetime value.

CLV convention (stated in the report):
    CLV = margin × Σ_{k=1..H} E[spend per purchase] × E[purchases in month k] / (1 + d_m)^k
with H the horizon in months, d_m = (1 + annual rate)^(1/12) − 1 the monthly discount rate
(cash flows discounted at each month's end), and a month of 365.25/12 days. E[purchases
in month k] comes from the purchase model and E[spend per purchase] from Gamma-Gamma. The
purchase expectations if alive are computed once per distinct (frequency, T) pair (and phase,
in the CNBD-k models).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, polygamma

from retention_lib.models.btyd import BTYDModel
from retention_lib.models.fit_budget import MAX_ITER, MAX_SECONDS, FitBudget, ModelUnusable

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


def _gamma_gamma_terms(log_params, x, m, w):
    """Mean negative log-likelihood of Gamma-Gamma (Fader, Hardie & Lee 2005; Hardie's note 025)
    with its gradient and Hessian in log-parameters, on rows (x, m) weighted by w."""
    p, q, g = np.exp(log_params)
    px, xm = p * x, x * m
    inv = 1.0 / (xm + g)
    ll = (w * (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
               + px * np.log(x) - (px + q) * np.log(xm + g))).sum()
    psi, tri = digamma(px + q), polygamma(1, px + q)
    grad = np.array([(w * x * (psi - digamma(px) - np.log1p(g / xm))).sum(),
                     (w * (psi - digamma(q) - np.log1p(xm / g))).sum(),
                     (w * (q / g - (px + q) * inv)).sum()])
    h = np.empty((3, 3))
    h[0, 0] = (w * x * x * (tri - polygamma(1, px))).sum()
    h[0, 1] = h[1, 0] = (w * x * tri).sum()
    h[0, 2] = h[2, 0] = -(w * x * inv).sum()
    h[1, 1] = (w * (tri - polygamma(1, q))).sum()
    h[1, 2] = h[2, 1] = (w * (1.0 / g - inv)).sum()
    h[2, 2] = (w * ((px + q) * inv * inv - q / g ** 2)).sum()
    theta = np.array([p, q, g])
    total = w.sum()
    # chain rule to log-parameters: d/dlog(t) = t d/dt
    return -ll / total, -grad * theta / total, -(h * np.outer(theta, theta) + np.diag(grad * theta)) / total


# Converged: max |gradient| of the mean negative log-likelihood in log-parameters below this.
# Newton ends ~1e-15 from the optimum, so rounding noise in the data cannot flip the verdict.
_GAMMA_GAMMA_GTOL = 1e-8
# Not identified: a log-parameter whose standard error exceeds this (a factor e^10) means the
# likelihood keeps rising towards an edge of the parameter space rather than peaking.
_EDGE_LOG_SE = 10.0


def fit_gamma_gamma(summary: pd.DataFrame, *, max_iter: int = MAX_ITER,
                    max_seconds: float = MAX_SECONDS) -> GammaGamma:
    """Maximum likelihood Gamma-Gamma on repeat buyers with positive mean repeat spend.

    Same likelihood as lifetimes' GammaGammaFitter, fitted our way: identical (x, m) rows as
    weights, spend scaled by a power of two (exact) for conditioning, BFGS with the analytic
    gradient, then Newton steps with the analytic Hessian down to rounding level. Convergence
    is judged by us (gradient, curvature), not by the optimiser's flag, so the same data gives
    bitwise the same parameters and 1e-13 noise in spend moves them by ~1e-12.
    """
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    n = len(repeat)
    if n < 20:
        raise ModelUnusable(f"Gamma-Gamma needs repeat buyers; only {n} found")
    rows = repeat.groupby(["frequency", "monetary_value"], sort=True).size()
    x = rows.index.get_level_values(0).to_numpy(dtype=float)
    m = rows.index.get_level_values(1).to_numpy(dtype=float)
    w = rows.to_numpy(dtype=float)
    scale = 2.0 ** np.round(np.log2((w * m).sum() / w.sum()))
    m = m / scale
    budget = FitBudget("Gamma-Gamma", f"{n:,} repeat buyers", max_iter, max_seconds)
    failed = f"Gamma-Gamma did not converge on {n:,} repeat buyers"

    def terms(log_params):
        with np.errstate(all="ignore"):
            return _gamma_gamma_terms(log_params, x, m, w)

    fun = budget.watch(lambda log_params: terms(log_params)[:2])
    res = minimize(fun, np.zeros(3), jac=True, method="BFGS", callback=budget.step,
                   options={"gtol": 1e-6, "maxiter": budget.scipy_maxiter})
    theta = res.x
    value, g, h = terms(theta)
    for _ in range(20):
        if not np.max(np.abs(g)) > 1e-14:
            break
        budget.step()
        try:
            candidate = theta - np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        value_c, g_c, h_c = terms(candidate)
        if not np.max(np.abs(g_c)) < np.max(np.abs(g)):
            break
        theta, value, g, h = candidate, value_c, g_c, h_c
    if not (np.all(np.isfinite(theta)) and np.isfinite(value) and np.all(np.isfinite(h))):
        raise ModelUnusable(f"{failed}: the likelihood is not finite")
    # h is the Hessian per buyer: the standard errors of the log-parameters are sqrt(diag(h^-1) / n)
    if not np.linalg.eigvalsh(h)[0] > 0 or np.max(np.sqrt(np.diag(np.linalg.inv(h)) / n)) > _EDGE_LOG_SE:
        p, q, v = np.exp(theta) * [1, 1, scale]
        raise ModelUnusable(
            f"{failed}: its likelihood keeps rising towards an edge (p = {p:.3g}, q = {q:.3g}, "
            f"gamma = {v:.3g}) instead of peaking" + (", as if every purchase of a customer cost "
                                                      "the same" if p > 1e3 else ""))
    if not np.max(np.abs(g)) < _GAMMA_GAMMA_GTOL:
        raise ModelUnusable(f"{failed}: the gradient is still {np.max(np.abs(g)):.1e} after "
                            f"{budget.iterations} iterations")
    p, q, v = (float(t) for t in np.exp(theta) * [1, 1, scale])
    if q <= 1:
        raise ModelUnusable(f"Gamma-Gamma q = {q:.3f} <= 1: the mean spend is infinite under this fit")
    corr = float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1])
    return GammaGamma(p, q, v, n_customers=n, freq_monetary_corr=corr)


def monthly_rate(annual_discount_rate: float) -> float:
    return (1 + annual_discount_rate) ** (1 / 12) - 1


def clv(model: BTYDModel, spend: GammaGamma, summary: pd.DataFrame, *, months: int = 12,
        annual_discount_rate: float = 0.10, margin: float = 1.0,
        periods_per_month: float = WEEKS_PER_MONTH, discount_per_month: float | None = None,
        horizons=None) -> pd.Series:
    """CLV per customer over `months` (see module docstring for the convention).

    `periods_per_month` converts months to the summary's time unit (weeks by default).
    `discount_per_month` overrides the monthly rate derived from the annual one.
    `horizons`, when given, are the model's lengths of months 0 .. `months` from the summary's end
    (a model in operational time: calendar.CalendarFit.horizon), in place of multiples of periods_per_month.
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
    steps = np.arange(0, months + 1) * periods_per_month if horizons is None else np.asarray(horizons, dtype=float)
    if len(steps) != months + 1:
        raise ValueError(f"horizons must give the length of months 0 to {months}, not {len(steps)} values")
    # per pair and phase (one phase but in the CNBD-k models, where recency sets each phase's weight)
    if_alive = model.expected_if_alive_by_phase(steps[:, None], xs[keys // width][None, :], T_pair[None, :])
    factor = (1 + d) ** -np.arange(1, months + 1)
    discounted = np.zeros(if_alive.shape[1:])
    for f, month in zip(factor, np.diff(if_alive, axis=0)):  # not BLAS: its sums depend on the row count
        discounted += f * month
    per_phase = discounted[pair]
    if per_phase.shape[1] == 1:
        expected = per_phase[:, 0]
    else:
        expected = (model.phase_weights(x, rec, T) * per_phase).sum(axis=1)
    purchases = model.p_alive(x, rec, T) * expected
    value = margin * spend.expected_spend(summary["frequency"], summary["monetary_value"]) * purchases
    if not np.all(np.isfinite(value)):
        raise ModelUnusable("CLV is not finite for some customers")
    return pd.Series(value, index=summary.index, name=f"clv_{months}m")
