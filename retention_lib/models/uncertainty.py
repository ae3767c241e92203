"""Intervals on the report's headline figures from the uncertainty of the fitted parameters.

A maximum-likelihood fit's log-parameters are asymptotically normal around the fit, with covariance
the inverse of the observed information: the Hessian of the summed negative log-likelihood at the
maximum (`model_covariance`, `spend_covariance`). A figure's interval is the spread of the figure
over seeded draws of the parameters from that normal: "very likely between" `low` and `high` is the
central `level` (90%) of the draws.

`interval` evaluates any statistic exactly on drawn models. `headline` gives the report's headline
figures without evaluating the models per draw, which at a million members (some 700,000 distinct
histories) would cost 0.15 s a draw for BG/NBD's CLV and 40 s for a CNBD-k model's. It evaluates the
models exactly at 15 points around the fit (the fit, sqrt(3) standard deviations either way along each
axis of the draws' normal scores, and one point along each pair of axes) and interpolates between them
by quadratics in the scores:
- sums over the members (expected purchases; CLV per unit of spend, by frequency, so that each draw of
  Gamma-Gamma applies exactly) through their values at the 15 points;
- for at risk, each history's logit chance of no purchase next month: a history that stays on one side
  of the threshold under every draw is counted in or out of the sums above, and only the others (at a
  million members, those within a hair of the threshold) are evaluated draw by draw.
The tests hold it to `interval` on exact statistics, and its coverage to a simulator's truth.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from scipy.special import logit

from retention_lib.models import cnbd
from retention_lib.models.btyd import BTYDModel
from retention_lib.models.btyd_likelihoods import LOGLIK, PARAMS, _BGNBDTerms
from retention_lib.models.clv import _EDGE_LOG_SE, WEEKS_PER_MONTH, GammaGamma, _gamma_gamma_terms, clv
from retention_lib.models.fit_budget import ModelUnusable
from retention_lib.models.histories import Histories

LEVEL = 0.9
N_DRAWS = 200
# One seed gives independent normal scores for both models: the purchase model's four free
# log-parameters (every kind has four; the CNBD-k models' k is held fixed), then Gamma-Gamma's three.
_MODEL_SCORES, _SPEND_SCORES = slice(0, 4), slice(4, 7)
# the design's points lie this many standard deviations from the fit along each axis: as in the unscented
# transform, the quadratic then matches the normal's fourth moment, and the interval's ends (beyond one
# standard deviation) are interpolated rather than extrapolated
_STEP = float(np.sqrt(3.0))
_BLOCK = 4096                                    # distinct histories per block of the draws' evaluation
_FLOOR = float(np.log(np.finfo(float).tiny))     # log of the smallest normal double
_CERTAIN = float(np.log(2.0 ** 53 - 1))          # logit of the largest double below 1
_P_ALIVE_FLOOR = 1e-12                           # value.value_month's floor on P(alive) in CLV if retained


@dataclass(frozen=True)
class Interval:
    """A figure's point estimate and the range it very likely lies in (the central `level` of the draws)."""
    point: float
    low: float
    high: float
    level: float = LEVEL


@dataclass(frozen=True, eq=False)
class ParameterCovariance:
    """The fitted log-parameters and their asymptotic covariance, or the reason there is none."""
    names: tuple[str, ...]
    log_params: np.ndarray
    cov: np.ndarray | None
    reason: str | None = None

    @property
    def standard_errors(self) -> dict[str, float]:
        """Of the parameters themselves, by the delta method: se(theta) = theta se(log theta)."""
        self.check()
        return dict(zip(self.names, map(float, np.exp(self.log_params) * np.sqrt(np.diag(self.cov)))))

    def check(self) -> None:
        if self.cov is None:
            raise ModelUnusable(self.reason)

    def values(self, scores: np.ndarray) -> np.ndarray:
        """Parameter values at standard normal scores, one row of scores per draw."""
        self.check()
        return np.exp(self.log_params + scores @ np.linalg.cholesky(self.cov).T)


# ------------------------------------------------------------------ the covariance

def model_covariance(model: BTYDModel, summary: pd.DataFrame) -> ParameterCovariance:
    """The covariance of a fitted purchase model's log-parameters, from the summary it was fitted on.

    BG/NBD and the CNBD-k models (k fixed) have an analytic gradient: the Hessian is its central
    difference. MBG/NBD and Pareto/NBD take second differences of the log-likelihood itself."""
    rows = Histories(summary["frequency"], summary["recency"], summary["T"])
    n = int(rows.weight.sum())
    _same_customers(model.name, model.n_customers, n)
    names = tuple(p for p in PARAMS[model.kind] if p != "k")
    u = np.log([model.params[p] for p in names])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if model.kind == "bgnbd" or model.kind in cnbd.DROPOUT_AT_ZERO:
            terms = (_BGNBDTerms(rows) if model.kind == "bgnbd"
                     else cnbd.CNBDTerms(rows, model.k, cnbd.DROPOUT_AT_ZERO[model.kind]))
            hessian = _hessian_of_gradient(lambda v: terms.nll_and_grad(v)[1], u)
        else:
            x, t_x, T, w = rows.frequency.astype(float), rows.recency, rows.T, rows.weight.astype(float)
            loglik = LOGLIK[model.kind]
            hessian = _hessian_of_values(lambda v: -(w * loglik(np.exp(v), x, t_x, T)).sum() / n, u)
    return _from_hessian(model.name, names, u, hessian, n)


def spend_covariance(spend: GammaGamma, summary: pd.DataFrame) -> ParameterCovariance:
    """The covariance of Gamma-Gamma's log (p, q, gamma), from the summary it was fitted on (its
    analytic Hessian, on the repeat buyers with positive spend the fit used)."""
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    _same_customers("Gamma-Gamma", spend.n_customers, len(repeat))
    x, m = repeat["frequency"].to_numpy(dtype=float), repeat["monetary_value"].to_numpy(dtype=float)
    u = np.log([spend.p, spend.q, spend.gamma])
    with np.errstate(all="ignore"):
        hessian = _gamma_gamma_terms(u, x, m, np.ones_like(x))[2]
    return _from_hessian("Gamma-Gamma", ("p", "q", "gamma"), u, hessian, len(repeat))


def _same_customers(model: str, fitted: int, given: int) -> None:
    if fitted and fitted != given:
        raise ValueError(f"{model} was fitted on {fitted:,} customers, this summary has {given:,}: "
                         "the covariance needs the summary of the fit")


def _hessian_of_gradient(gradient: Callable, u: np.ndarray, step: float = 1e-5) -> np.ndarray:
    h = np.array([(gradient(u + e) - gradient(u - e)) / (2 * step) for e in np.eye(len(u)) * step])
    return (h + h.T) / 2


def _hessian_of_values(value: Callable, u: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central second differences; the step balances truncation (step^2) against rounding in a sum
    over many customers (1e-13 / step^2)."""
    e = np.eye(len(u)) * step
    f0 = value(u)
    h = np.empty((len(u), len(u)))
    for i in range(len(u)):
        h[i, i] = (value(u + e[i]) - 2 * f0 + value(u - e[i])) / step ** 2
        for j in range(i):
            h[i, j] = h[j, i] = (value(u + e[i] + e[j]) - value(u + e[i] - e[j]) - value(u - e[i] + e[j])
                                 + value(u - e[i] - e[j])) / (4 * step ** 2)
    return h


def _from_hessian(model: str, names: tuple[str, ...], u: np.ndarray, hessian: np.ndarray,
                  n: int) -> ParameterCovariance:
    """`hessian`: of the mean negative log-likelihood per customer, so the information is n times it."""
    if not (np.all(np.isfinite(hessian)) and np.linalg.eigvalsh(hessian)[0] > 0):
        return ParameterCovariance(names, u, None, (
            f"{model}'s likelihood does not peak at the fitted parameters in every direction (its Hessian is "
            f"not positive definite), so their uncertainty cannot be estimated and its figures get no interval"))
    cov = np.linalg.inv(hessian) / n
    se = np.sqrt(np.diag(cov))
    if se.max() > _EDGE_LOG_SE:
        name = names[int(np.argmax(se))]
        return ParameterCovariance(names, u, None, (
            f"{model}'s likelihood is nearly flat along {name} (standard error of log {name} {se.max():.3g}): "
            f"this data hardly pins the parameters down, so its figures get no interval"))
    return ParameterCovariance(names, u, cov)


# ------------------------------------------------------------------ draws and intervals

def normal_scores(n_draws: int = N_DRAWS, seed: int = 0) -> np.ndarray:
    """Standard normal scores, a row per draw: columns _MODEL_SCORES for the purchase model, _SPEND_SCORES
    for Gamma-Gamma."""
    return np.random.default_rng(seed).standard_normal((n_draws, _SPEND_SCORES.stop))


def _with_params(model: BTYDModel, names, values) -> BTYDModel:
    return replace(model, params={**model.params, **dict(zip(names, map(float, values)))})


def model_draws(model: BTYDModel, covariance: ParameterCovariance, n_draws: int = N_DRAWS,
                seed: int = 0) -> list[BTYDModel]:
    values = covariance.values(normal_scores(n_draws, seed)[:, _MODEL_SCORES])
    return [_with_params(model, covariance.names, v) for v in values]


def spend_draws(spend: GammaGamma, covariance: ParameterCovariance, n_draws: int = N_DRAWS,
                seed: int = 0) -> list[GammaGamma]:
    """Independent of model_draws with the same seed."""
    values = covariance.values(normal_scores(n_draws, seed)[:, _SPEND_SCORES])
    return [replace(spend, p=float(p), q=float(q), gamma=float(g)) for p, q, g in values]


def interval(statistic: Callable[[Any], float], point: Any, draws: Iterable[Any], level: float = LEVEL) -> Interval:
    """A statistic's value at the fit (`point`: a model, or whatever the statistic takes) and the
    central `level` of its values over the draws, e.g. interval(f, (model, spend), zip(models, spends))."""
    return _interval(float(statistic(point)), np.array([statistic(d) for d in draws], dtype=float), level)


def _interval(point: float, values: np.ndarray, level: float) -> Interval:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    bad = int((~np.isfinite(values)).sum())
    if bad or not np.isfinite(point):
        raise ModelUnusable(f"the figure is not finite at the fit or for {bad} of {len(values)} parameter draws")
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    # the percentiles of a curved statistic can miss its value at the fit: a figure is never
    # published outside its own range
    return Interval(point, float(min(low, point)), float(max(high, point)), level)


# ------------------------------------------------------------------ the headline figures

FIGURES = ("expected_purchases_next_month", "members_at_risk", "total_clv", "at_risk_clv", "at_risk_value_at_stake")


def headline(model: BTYDModel, summary: pd.DataFrame, spend: GammaGamma | None = None, *,
             model_cov: ParameterCovariance | None = None, spend_cov: ParameterCovariance | None = None,
             at_risk_among: np.ndarray | pd.Series | None = None, threshold: float = 0.5, months: int = 12,
             annual_discount_rate: float = 0.10, margin: float = 1.0, periods_per_month: float = WEEKS_PER_MONTH,
             discount_per_month: float | None = None, horizons=None, n_draws: int = N_DRAWS, seed: int = 0,
             level: float = LEVEL) -> dict[str, Interval]:
    """The headline figures over the members of `summary` (frequency, recency, T; monetary_value with
    `spend`), each with its interval, by FIGURES' names:
    - expected_purchases_next_month: the sum of their expected purchases over the next month;
    - members_at_risk: how many of those who can be at risk (`at_risk_among`, a boolean per member in the
      summary's order: in the report, the active; None: all) have at least a `threshold` chance of no
      purchase next month, the model's at-risk rule (churn.score_month's `drifting`);
    and with `spend`, CLV as clv.clv computes it with the settings given:
    - total_clv, and at_risk_clv: the CLV of the members at risk;
    - at_risk_value_at_stake: their CLV if retained minus their CLV (value.value_month's clv_if_alive - clv).
    `horizons`: the model's lengths of months 0 .. `months` (clv.clv's; the first month's is next month's),
    for a model in operational time. The covariances default to those on `summary`, which must then be the
    summary the models were fitted on. One seed gives the same draws in every call. Raises ModelUnusable saying why a model has no
    covariance or its predictions fail near the fit."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    model_cov = model_covariance(model, summary) if model_cov is None else model_cov
    model_cov.check()
    rows = Histories(summary["frequency"], summary["recency"], summary["T"])
    n = rows.weight.astype(float)
    kept = rows.group >= 0

    def per_history(values) -> np.ndarray:
        """A value per member (in the summary's order) summed over each history's members."""
        return np.bincount(rows.group[kept], np.asarray(values, dtype=float)[kept], len(rows))
    among = np.ones(len(summary), dtype=bool) if at_risk_among is None else np.asarray(at_risk_among, dtype=bool)
    n_among = per_history(among)
    normal = normal_scores(n_draws, seed)
    value, spend_of = None, None
    if spend is not None:
        spend_cov = spend_covariance(spend, summary) if spend_cov is None else spend_cov
        spend_of = _SpendDraws(spend, spend_cov, normal[:, _SPEND_SCORES], rows)
        value = {"months": months, "annual_discount_rate": annual_discount_rate, "margin": margin,
                 "periods_per_month": periods_per_month, "discount_per_month": discount_per_month,
                 "horizons": horizons}
        money = summary["monetary_value"].to_numpy(dtype=float)
        spent, spent_among = per_history(money), per_history(np.where(among, money, 0.0))
    dims = len(model_cov.names)
    next_month = periods_per_month if horizons is None else float(horizons[1] - horizons[0])
    design, purchases = _design_values(model, model_cov, rows, n, next_month, value)
    # every figure below is an array over the fit (first) and the draws
    basis = _basis(np.vstack([np.zeros(dims), normal[:, _MODEL_SCORES]]) / _STEP)
    cut = float(logit(threshold))

    # a history whose chance of no purchase stays on one side of the threshold under every draw is certainly
    # at risk or certainly not; only the others are evaluated draw by draw
    skip = _to_coefficients(design[0], dims)
    reach = np.abs(skip[1:]).T @ np.abs(basis[:, 1:]).max(axis=0)
    certain = np.abs(skip[0] - cut) > reach
    at_risk = certain & (skip[0] >= cut)
    figures = [basis @ _to_coefficients(purchases, dims), np.full(len(basis), n_among[at_risk].sum())]
    if spend is not None:
        figures += [spend_of.total(design[1], slice(None), n, spent, basis, dims),
                    spend_of.total(design[1], at_risk, n_among, spent_among, basis, dims),
                    spend_of.total(design[2], at_risk, n_among, spent_among, basis, dims)]
    figures = np.array(figures)
    doubt = np.flatnonzero(~certain & (n_among > 0))
    worth = None if spend is None else _to_coefficients(design[1:, :, doubt].swapaxes(0, 1), dims)
    for start in range(0, len(doubt), _BLOCK):
        block = doubt[start:start + _BLOCK]
        drifting = basis @ skip[:, block] >= cut
        figures[1] += np.einsum("i,di->d", n_among[block], drifting)
        if spend is not None:
            spend_drawn = spend_of.per_history(block, n_among, spent_among) * drifting
            for figure, part in ((3, 0), (4, 1)):
                figures[figure] += (np.exp(basis @ worth[:, part, start:start + _BLOCK]) * spend_drawn).sum(axis=1)
    return {name: _interval(float(f[0]), f[1:], level) for name, f in zip(FIGURES, figures)}


class _UnitSpend:
    """One unit of spend per purchase: clv() then gives the (discounted) expected purchases."""

    @staticmethod
    def expected_spend(frequency, monetary_value) -> float:
        return 1.0


def _pairs(dims: int) -> list[tuple[int, int]]:
    return [(j, k) for k in range(dims) for j in range(k)]


def _design(dims: int) -> np.ndarray:
    """The points of the quadratics, in normal scores over _STEP: 0, +e_j, -e_j, then e_j + e_k for j < k."""
    eye = np.eye(dims)
    return np.vstack([np.zeros(dims), eye, -eye, *(eye[j] + eye[k] for j, k in _pairs(dims))])


def _basis(scores: np.ndarray) -> np.ndarray:
    """The quadratic's terms at each row of scores over _STEP, in the order of _to_coefficients."""
    return np.column_stack([np.ones(len(scores)), scores, scores ** 2,
                            *(scores[:, j] * scores[:, k] for j, k in _pairs(scores.shape[1]))])


def _to_coefficients(values: np.ndarray, dims: int) -> np.ndarray:
    """The quadratic through the values at _design's points (first axis): it interpolates all of them."""
    f0, plus, minus = values[0], values[1:dims + 1], values[dims + 1:2 * dims + 1]
    cross = [values[2 * dims + 1 + i] - plus[j] - plus[k] + f0 for i, (j, k) in enumerate(_pairs(dims))]
    return np.stack([f0, *((plus - minus) / 2), *((plus + minus) / 2 - f0), *cross])


def _design_values(model: BTYDModel, model_cov: ParameterCovariance, rows: Histories, n: np.ndarray,
                   month: float, value: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """_predictions under the fit and at the design's other points (quantity x point x history), but the
    expected purchases, summed over the members (n per history) at each point."""
    frame = pd.DataFrame({"frequency": rows.frequency, "recency": rows.recency, "T": rows.T, "monetary_value": 1.0})
    around = [_with_params(model, model_cov.names, p)
              for p in model_cov.values(_STEP * _design(len(model_cov.names))[1:])]
    per_history = np.empty((1 if value is None else 3, len(around) + 1, len(rows)))
    purchases = np.empty(len(around) + 1)
    try:
        for i, m in enumerate([model, *around]):
            skip, bought, *worth = _predictions(m, frame, month, value)
            per_history[:, i] = skip, *worth
            purchases[i] = np.exp(bought) @ n
    except ModelUnusable as exc:
        raise ModelUnusable(f"no intervals: at parameters {_STEP:.2f} standard deviations from the fit, "
                            f"{exc}") from exc
    return per_history, purchases


def _predictions(model: BTYDModel, rows: pd.DataFrame, month: float, value: dict | None) -> np.ndarray:
    """Per distinct history: logit P(no purchase next month), log expected purchases next month and, with
    `value` (the CLV settings), log CLV and log CLV if retained minus CLV, per unit of spend. Clipped to the
    doubles' range, where members are certain or worth nothing."""
    f, rec, T = rows["frequency"], rows["recency"], rows["T"]
    skip = model.p_no_purchase(month, f, rec, T)
    # one month at one unit per purchase, undiscounted: the expected purchases (computed per (frequency, T) pair)
    parts = [skip, clv(model, _UnitSpend(), rows, months=1, periods_per_month=month, discount_per_month=0.0)]
    if value is not None:
        alive = model.p_alive(f, rec, T)
        parts += [clv(model, _UnitSpend(), rows, **value), (1 - alive) / np.maximum(alive, _P_ALIVE_FLOOR)]
    with np.errstate(divide="ignore"):
        out = np.log(parts)
        out[0] -= np.log1p(-skip)
        if value is not None:
            out[3] += out[2]
    if np.isnan(out).any():
        raise ModelUnusable(f"{model.name} gives undefined predictions near its fitted parameters")
    out[0] = np.minimum(out[0], _CERTAIN)
    return np.maximum(out, _FLOOR, out=out)


class _SpendDraws:
    """Gamma-Gamma under the fit (first) and each draw. A member's expected spend is linear in their mean
    spend, with a weight that depends on frequency alone: (1 - w) population mean + w mean spend."""

    def __init__(self, spend: GammaGamma, spend_cov: ParameterCovariance, scores: np.ndarray, rows: Histories):
        p, q, g = np.vstack([[spend.p, spend.q, spend.gamma], spend_cov.values(scores)]).T
        if not np.all(q > 1):
            raise ModelUnusable(f"no intervals: Gamma-Gamma's q is at most 1 (the mean spend is infinite) in "
                                f"{int((q <= 1).sum())} of {len(scores)} parameter draws")
        self.population = p * g / (q - 1)
        px = p[:, None] * rows.frequencies
        self.weight = px / (px + q[:, None] - 1)               # draws x distinct frequencies
        self.code, self.n_codes = rows.frequency_code, len(rows.frequencies)

    def total(self, per_unit: np.ndarray, histories, n: np.ndarray, spent: np.ndarray, basis: np.ndarray,
              dims: int) -> np.ndarray:
        """The sum over `histories` of a value per unit of spend (its log at the design's points) times the
        expected spend of their n members, whose mean spends sum to `spent`, per draw: sums by frequency at
        the design's points, interpolated, times each draw's spend."""
        code = self.code[histories]

        def by_frequency(weights):
            sums = np.array([np.bincount(code, weights * np.exp(v[histories]), self.n_codes) for v in per_unit])
            return basis @ _to_coefficients(sums, dims)
        plain, spent = by_frequency(n[histories]), by_frequency(spent[histories])
        return ((1 - self.weight) * self.population[:, None] * plain + self.weight * spent).sum(axis=1)

    def per_history(self, histories: np.ndarray, n: np.ndarray, spent: np.ndarray) -> np.ndarray:
        """The expected spend of the n members of each of `histories`, draws x histories."""
        weight = self.weight[:, self.code[histories]]
        return (1 - weight) * self.population[:, None] * n[histories] + weight * spent[histories]
