"""BG/NBD-family models: fit on compressed summaries, predict without NaN, save as JSON.

- BG/NBD (the default) is fitted by our own vectorised likelihood with an analytic
  gradient; tests hold it to lifetimes' BetaGeoFitter and to the published CDNOW figures.
- MBG/NBD and Pareto/NBD are fitted on our log-space likelihoods (lifetimes-style log
  parameters and time rescaling). lifetimes' Pareto/NBD overflows (inf/NaN) for grocery
  customers with hundreds of visits; tests hold both to lifetimes where it works. The
  Pareto/NBD dropout integral costs a bounded amount for any s and beta (series with an
  error bound, or Gauss-Legendre), so a fit heading for huge s and beta stays cheap.
- Every fit has an iteration and a wall-clock budget (FitBudget) and ends in a model or a
  ModelUnusable that says why: the budget ran out, nobody has visibly left yet (dropout adds
  nothing over the no-dropout NBD), or the predictions would not be finite.
Identical (frequency, recency, T) rows are always compressed into weights first, so the
cost of a fit depends on the number of distinct rows, not of customers.
Time is in the units of the summary (the report uses weeks).

This module holds the fitted model, its predictions and `fit`; the parts live beside it:
fit_budget (FitBudget, ModelUnusable), histories (the compression), btyd_likelihoods,
pareto_integrals (the Pareto/NBD dropout integral) and btyd_fitting (the optimisers).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

from retention_lib.models import cnbd
from retention_lib.models.btyd_fitting import (_fit_bgnbd, _fit_by_gradient, _fit_numeric, _from_log,
                                               _nbd_log_likelihood, _scale_of)
from retention_lib.models.btyd_likelihoods import (LOGLIK, NAMES, PARAMS, _BGNBDTerms, _pareto_branches,
                                                   bgnbd_loglik, mbgnbd_loglik, paretonbd_loglik)
from retention_lib.models.fit_budget import MAX_ITER, MAX_SECONDS, FitBudget, ModelUnusable
from retention_lib.models.histories import Histories, compress
from retention_lib.models.pareto_integrals import _log_decay_integral

__all__ = ["BTYDModel", "FitBudget", "Histories", "LOGLIK", "MAX_ITER", "MAX_SECONDS", "ModelUnusable", "NAMES",
           "PARAMS", "bgnbd_loglik", "compress", "fit", "mbgnbd_loglik", "paretonbd_loglik"]


# 95% point of chi-squared with one degree of freedom: dropout adds no significant fit below it
_NO_DROPOUT_LR = 3.841458820694124


@dataclass
class BTYDModel:
    """A fitted model as plain parameters; everything else is derived from them."""
    kind: str
    params: dict[str, float]
    time_unit: str = "weeks"
    n_customers: int = 0
    n_distinct_rows: int = 0
    log_likelihood: float = float("nan")   # summed over customers, in the paper's units
    fitted_on: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        if self.kind in cnbd.DROPOUT_AT_ZERO:
            return NAMES[self.kind].replace("-k", f"-{self.k}")
        return NAMES[self.kind]

    @property
    def k(self) -> int:
        """The Erlang shape of the times between purchases: 1 (exponential) but in the CNBD-k models."""
        return int(self.params.get("k", 1))

    @property
    def p(self) -> tuple[float, ...]:
        return tuple(self.params[k] for k in PARAMS[self.kind])

    # ---- predictions (vectorised; finite for heavy buyers)

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        if self.kind == "paretonbd":
            alive, unseen = _pareto_branches(self.p, x, t_x, T)
            return expit(alive - unseen)
        if self.kind in cnbd.DROPOUT_AT_ZERO:
            return cnbd.p_alive(self.p, cnbd.DROPOUT_AT_ZERO[self.kind], x, t_x, T)
        r, alpha, a, b = self.p
        # expit of minus the log odds of having left; one log of the ratio, not two, and the terms
        # of frequency alone summed before they meet the customers' times
        stay = (r + x) * np.log((alpha + t_x) / (alpha + T))
        if self.kind == "bgnbd":   # nobody leaves before a repeat purchase
            return np.where(x > 0, expit(stay + (np.log(np.maximum(b + x - 1, 1e-300)) - np.log(a))), 1.0)
        return expit(stay + (np.log(b + x) - np.log(a)))

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[number of purchases in (T, T + t] | history]."""
        if self.kind in ("bgnbd", "mbgnbd") and np.ndim(t) == 0 and not any(np.ndim(v) for v in self.p):
            # one horizon and one set of parameters (not a member's own, see covariates): a function of
            # (frequency, T) whose hypergeometric term is the cost, computed once per distinct pair
            if_alive = _per_pair(lambda x, T_: self.expected_purchases_if_alive(t, x, T_), frequency, T)
        else:
            if_alive = (self.phase_weights(frequency, recency, T)
                        * self.expected_if_alive_by_phase(t, frequency, T)).sum(-1)
        return if_alive * self.p_alive(frequency, recency, T)

    def phase_weights(self, frequency, recency, T) -> np.ndarray:
        """P(phase | alive at T) along a last axis of length k: in the CNBD-k models, how many of the
        k events to the next purchase are already past (recency tells); one phase otherwise."""
        if self.kind in cnbd.DROPOUT_AT_ZERO:
            return cnbd.phase_weights(self.p, frequency, recency, T)
        return np.ones(np.broadcast(*(np.asarray(v) for v in (frequency, recency, T))).shape + (1,))

    def expected_if_alive_by_phase(self, t, frequency, T) -> np.ndarray:
        """E[purchases in (T, T + t] | alive at T in each phase], along a last axis (phase_weights):
        with the phases, a function of (frequency, T) only, which CLV computes once per pair."""
        if self.kind in cnbd.DROPOUT_AT_ZERO:
            return cnbd.expected_if_alive_by_phase(self.p, cnbd.DROPOUT_AT_ZERO[self.kind], frequency, T, t)
        return self.expected_purchases_if_alive(t, frequency, T)[..., None]

    def expected_purchases_if_alive(self, t, frequency, T) -> np.ndarray:
        """E[number of purchases in (T, T + t] | alive at T, history] of the models with one phase
        (all but CNBD-k): recency only enters P(alive)."""
        x, T = np.asarray(frequency, dtype=float), np.asarray(T, dtype=float)
        t = np.asarray(t, dtype=float)
        if self.kind == "paretonbd":
            r, alpha, s, beta = self.p
            mean_rate = (r + x) / (alpha + T)
            if abs(s - 1) < 1e-9:
                horizon = (beta + T) * np.log1p(t / (beta + T))
            else:
                horizon = (beta + T) / (s - 1) * -np.expm1(-(s - 1) * np.log1p(t / (beta + T)))
            return mean_rate * horizon
        r, alpha, a, b = self.p
        # BG/NBD: 2F1(r+x, b+x; a+b+x-1; z); MBG/NBD: 2F1(r+x, b+x+1; a+b+x; z) (Wagner & Hoppe 2008)
        A, B, c = (r + x, b + x, a + b + x - 1) if self.kind == "bgnbd" else (r + x, b + x + 1, a + b + x)
        z = t / (alpha + T + t)
        # Euler's transform keeps the hypergeometric term finite for heavy buyers
        h = hyp2f1(c - A, c - B, c, z)
        log_h = np.log(np.abs(h)) + (c - A - B) * np.log1p(-z) + (r + x) * (np.log(alpha + T) - np.log(alpha + T + t))
        # BG/NBD with a + b < 1 has c < 0 for x = 0: the series is then negative (and so is a + b - 1)
        bracket = np.where(h < 0, 1 + np.exp(log_h), -np.expm1(log_h))
        if self.kind == "bgnbd":
            return (a + b + x - 1) / (a - 1) * bracket
        return (a + b + x) / (a - 1) * bracket

    def p_no_purchase(self, t, frequency, recency, T) -> np.ndarray:
        """P(no purchase in (T, T + t] | history): dead, or alive and quiet."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        alive = self.p_alive(x, t_x, T)
        if self.kind == "paretonbd":
            quiet = _pareto_quiet(self.p, x, T, t)
        elif self.kind in cnbd.DROPOUT_AT_ZERO:
            quiet = (cnbd.phase_weights(self.p, x, t_x, T) * cnbd.quiet_if_alive_by_phase(self.p, x, T, t)).sum(-1)
        else:  # BG/NBD-family members die only at a purchase, so a quiet one is alive
            r, alpha = self.p[0], self.p[1]
            quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        return (1 - alive) + alive * quiet

    def score(self, summary: pd.DataFrame, horizons: dict[str, float]) -> pd.DataFrame:
        """P(alive), expected purchases and P(no purchase) for each named horizon."""
        f, rec, T = summary["frequency"], summary["recency"], summary["T"]
        out = pd.DataFrame({"p_alive": self.p_alive(f, rec, T)}, index=summary.index)
        for name, t in horizons.items():
            out[f"expected_{name}"] = self.expected_purchases(t, f, rec, T)
            out[f"p_no_purchase_{name}"] = self.p_no_purchase(t, f, rec, T)
        bad = ~np.isfinite(out.to_numpy()).all(axis=1)
        if bad.any():
            raise ModelUnusable(f"{self.name} gives non-finite predictions for {int(bad.sum())} customers, "
                                f"e.g. {summary.loc[bad].head(3).to_dict('records')}")
        return out

    # ---- storage: plain JSON, never a pickle

    def to_json(self, path: Path | str) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path: Path | str) -> "BTYDModel":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def _per_pair(fn, x, T) -> np.ndarray:
    """fn(x, T), elementwise, computed once per distinct (x, T) pair and spread back: a million
    customers share some 80,000 (frequency, T) pairs. NaN is a value of its own (fn gives NaN)."""
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    x_code, xs = pd.factorize(x.ravel(), use_na_sentinel=False)
    T_code, Ts = pd.factorize(T.ravel(), use_na_sentinel=False)
    pair, keys = pd.factorize(x_code * len(Ts) + T_code)
    return fn(xs[keys // len(Ts)], Ts[keys % len(Ts)])[pair].reshape(x.shape)


def _pareto_quiet(params, x, T, t):
    """P(no purchase in (T, T+t] | alive at T) under Pareto/NBD.

    Given alive at T, lambda ~ Gamma(r+x, alpha+T) and mu ~ Gamma(s, beta+T). The member
    stays silent if they neither buy nor die in t (closed form), or die at some v < t
    before buying: the integral of the dropout density times P(no purchase by v), taken
    by _log_decay_integral.
    """
    r, alpha, s, beta = params
    x, T, t = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float),
                                  np.asarray(t, dtype=float))
    A, B, rx = alpha + T, beta + T, r + x
    survive_quiet = np.exp(-s * np.log1p(t / B) - rx * np.log1p(t / A))   # log1p: exact for huge s, beta
    died_quiet = s / B * np.exp(_log_decay_integral(rx, s + 1, A, B, t))
    return survive_quiet + died_quiet


def _check_predictions(model: BTYDModel, rows: Histories, pair, first) -> None:
    """Fail at fit time with the reason, not later in score(): P(alive) on every fitted history
    and the expectations over the history's length on every distinct (frequency, T) pair (see
    _expectation_fails for the CNBD-k models)."""
    x, T = rows.frequency.astype(float), rows.T
    horizon = float(T.max())
    with np.errstate(all="ignore"):
        alive = model.p_alive(x, rows.recency, T)
        ahead_fails = _expectation_fails(model, x[first], T[first], horizon)
        if model.kind in cnbd.DROPOUT_AT_ZERO:   # each phase's, a function of (frequency, T) too
            quiet = cnbd.quiet_if_alive_by_phase(model.p, x[first], T[first], horizon).sum(-1)
        else:
            quiet = model.p_no_purchase(horizon, x[first], T[first], T[first])
    bad = ~np.isfinite(alive) | ahead_fails[pair] | ~np.isfinite(quiet)[pair]
    if bad.any():
        values = ", ".join(f"{k} = {v:.4g}" for k, v in model.params.items())
        why = "it cannot be used on this data"
        if model.kind != "paretonbd" and min(model.params["a"], model.params["b"]) > 1e3:
            # a, b -> infinity with a/(a+b) fixed: one chance of leaving after each purchase for all
            why = ("it finds the same chance of leaving after every purchase for all members (a and b run off "
                   "together), where its predictions cannot be computed; Pareto/NBD has no such limit")
        raise ModelUnusable(f"{model.name} gives non-finite predictions for {int(rows.weight[bad].sum()):,} of "
                            f"{model.n_customers:,} customers with its fitted parameters ({values}): {why}")


def _expectation_fails(model: BTYDModel, x, T, horizon: float) -> np.ndarray:
    """Whether the expected purchases over the horizon are non-finite, per distinct (frequency, T) pair.

    The CNBD-k models' is a series per pair, seconds on a million customers; for a given frequency its
    terms are monotone in T, so it is summed on the youngest and oldest pair of each frequency, and on
    every pair only when one of those fails, to count the customers."""
    def fails(pairs):
        return ~np.isfinite(model.expected_if_alive_by_phase(horizon, x[pairs], T[pairs]).sum(-1))

    if model.kind in cnbd.DROPOUT_AT_ZERO:
        order = np.lexsort((T, x))                                    # by frequency, then T
        youngest = np.flatnonzero(np.diff(x[order], prepend=-1.0))    # where each frequency starts
        oldest = np.r_[youngest[1:], len(x)] - 1
        if not fails(order[np.union1d(youngest, oldest)]).any():
            return np.zeros(len(x), dtype=bool)
    return fails(slice(None))


def _log_likelihood(kind: str, p, x, t_x, T, w) -> float:
    return float((w * LOGLIK[kind](p, x, t_x, T)).sum())


def _no_dropout(kind: str, n: int, lr: float) -> ModelUnusable:
    return ModelUnusable(
        f"{NAMES[kind]} finds no sign of members leaving yet: a model in which nobody ever leaves fits "
        f"these {n:,} customers as well (likelihood ratio {max(lr, 0):.2f}, below {_NO_DROPOUT_LR:.2f}), "
        f"so it cannot tell who is at risk; it needs a longer history, in which some members have "
        f"stopped buying")


def fit(summary: pd.DataFrame, kind: str = "bgnbd", *, time_unit: str = "weeks",
        max_iter: int = MAX_ITER, max_seconds: float = MAX_SECONDS, k: int | None = None,
        k_max: int = cnbd.K_MAX) -> BTYDModel:
    """Fit a model on a summary with frequency, recency and T (compressed automatically).

    The fit may take `max_iter` optimiser iterations over all its stages and `max_seconds` of
    wall-clock time; past either it raises ModelUnusable saying which. So does a fit in which
    dropout adds nothing (nobody has visibly left yet: the MLE runs to dropout = 0, where the
    model cannot rank anyone) and one whose predictions are not finite.
    The CNBD-k models take the regularity `k`, or choose it by likelihood over 1..k_max (the
    first k that fits worse than the one before ends the search); except at k = 1 they need
    the summary's `litt` (summarise(..., log_gaps=True)).
    """
    if kind not in PARAMS:
        raise ValueError(f"kind must be one of {list(PARAMS)}")
    rows = Histories(summary["frequency"], summary["recency"], summary["T"])
    x, t_x, T, w = rows.frequency.astype(float), rows.recency, rows.T, rows.weight.astype(float)
    if len(rows) == 0 or T.max() <= 0:
        raise ModelUnusable("no customers with a purchase history to fit")
    n = int(w.sum())
    budget = FitBudget(NAMES[kind], f"{n:,} customers", max_iter, max_seconds)
    # the no-dropout model and the expectations depend on (frequency, T) only: `pair` codes each
    # row's pair and `first` holds one row of each (any will do, they share x and T)
    pair, pairs = pd.factorize(rows.frequency_code * len(rows.times) + rows.T_code)
    first = np.empty(len(pairs), dtype=np.int64)
    first[pair] = np.arange(len(pair))

    if kind in cnbd.DROPOUT_AT_ZERO:
        model = _fit_cnbd(summary, kind, rows, budget, k, k_max)
        model.time_unit = time_unit
        _check_predictions(model, rows, pair, first)
        return model

    def no_dropout_lr(p, ll, nbd_budget) -> float:
        return 2 * (ll - _nbd_log_likelihood(x[first], T[first], np.bincount(pair, w), p[0], p[1], nbd_budget))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        terms = _BGNBDTerms(rows) if kind == "bgnbd" else None
        try:
            p = _fit_bgnbd(rows, terms, budget) if kind == "bgnbd" else _fit_numeric(kind, x, t_x, T, w, budget)
        except ModelUnusable as exc:
            # A fit that wanders along dropout -> 0 until its budget runs out: say so when the best
            # point it reached fits as well as nobody leaving, and not significantly better. (A fit
            # that simply got nowhere is far below; the check has a small budget of its own.)
            if budget.best[1] is not None:
                best = _from_log(kind, budget.best[1], _scale_of(T))
                ll_best = _log_likelihood(kind, best, x, t_x, T, w)
                try:
                    lr = no_dropout_lr(best, ll_best, FitBudget(NAMES[kind], budget.population, 200, 10.0))
                except ModelUnusable:   # the original reason stands
                    lr = np.nan
                if np.isfinite(ll_best) and -1.0 < lr <= _NO_DROPOUT_LR:
                    raise _no_dropout(kind, n, lr) from exc
            raise
        # BG/NBD: the same sum from the fitter's tables, much faster on a million customers
        ll = float(-terms.nll_and_grad(np.log(p))[0] * terms.total) if kind == "bgnbd" \
            else _log_likelihood(kind, p, x, t_x, T, w)
        if not np.isfinite(ll):
            raise ModelUnusable(f"{NAMES[kind]} log-likelihood is not finite on this data")
        lr = no_dropout_lr(p, ll, budget)
    if not lr > _NO_DROPOUT_LR:
        raise _no_dropout(kind, n, lr)
    model = BTYDModel(kind, dict(zip(PARAMS[kind], map(float, p))), time_unit=time_unit,
                      n_customers=n, n_distinct_rows=len(rows), log_likelihood=ll)
    _check_predictions(model, rows, pair, first)
    return model


def _fit_cnbd(summary: pd.DataFrame, kind: str, rows: Histories, budget: FitBudget, k: int | None,
              k_max: int) -> BTYDModel:
    """BG/CNBD-k or MBG/CNBD-k at the given k, or at the k of highest likelihood (fit's docstring)."""
    d = cnbd.DROPOUT_AT_ZERO[kind]
    if k is not None and not (int(k) == k and k >= 1):
        raise ValueError(f"k must be a whole number from 1, not {k!r}")
    if (k is None or k > 1) and "litt" not in summary:
        raise ValueError(f"{NAMES[kind]} needs the sum of each customer's log inter-purchase times: "
                         "summarise(..., log_gaps=True)")
    n = int(rows.weight.sum())
    # the parameter-free terms: (k-1) sum(litt) - log((k-1)!) sum(x)
    litt = float(summary["litt"].sum()) if "litt" in summary else 0.0
    repeat = float((rows.weight * rows.frequency).sum())
    scale = _scale_of(rows.T)
    fits: dict[int, tuple[np.ndarray, float, float]] = {}   # k: (params, log-likelihood, its core)
    tried: dict[str, float] = {}                             # k: log-likelihood, the worse last one too
    x0 = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for kk in ([int(k)] if k is not None else range(1, k_max + 1)):
            terms = cnbd.CNBDTerms(rows, kk, d)
            try:
                p = _fit_by_gradient(kind, rows, terms, lambda: cnbd.CNBDTerms(rows, kk, d, every=16), budget, x0)
            except ModelUnusable:
                if not fits:
                    raise
                break    # keep the best k so far
            core = float(-terms.nll_and_grad(np.log(p))[0] * terms.total)
            ll = core + (kk - 1) * litt - float(gammaln(kk)) * repeat
            tried[str(kk)] = ll
            if fits and not ll > max(v[1] for v in fits.values()):
                break
            fits[kk] = (p, ll, core)
            # one more event per purchase at the same purchase rate: lambda grows by (k+1)/k
            x0 = np.log(p * np.array([1.0, scale * kk / (kk + 1), 1.0, 1.0]))
        best = max(fits, key=lambda kk: fits[kk][1])
        p, ll, core = fits[best]
        if not np.isfinite(ll):
            raise ModelUnusable(f"{NAMES[kind]} log-likelihood is not finite on this data")
        lr = 2 * (core - _cnbd_no_dropout(rows, best, d, p, budget))
    if not lr > _NO_DROPOUT_LR:
        raise _no_dropout(kind, n, lr)
    params = {"k": best, **dict(zip(("r", "alpha", "a", "b"), map(float, p)))}
    return BTYDModel(kind, params, n_customers=n, n_distinct_rows=len(rows), log_likelihood=ll,
                     fitted_on={"log_likelihood_by_k": tried})


def _cnbd_no_dropout(rows: Histories, k: int, d: int, p, budget: FitBudget) -> float:
    """The parameter-dependent log-likelihood of the nested model without dropout (the CNBD-k
    process alone), fitted from the model's (r, alpha). The likelihood ratio needs it to well under
    a unit: it is short of its maximum by about total * gtol^2 / curvature, 1e-6 on a million
    customers at gtol 1e-6, where a tighter gtol only stalls in the rounding noise."""
    terms = cnbd.CNBDTerms(rows, k, d, no_dropout=True)
    scale = _scale_of(rows.T)
    res = minimize(budget.watch(terms.nll_and_grad), np.log([p[0], p[1] * scale]), args=(scale,), jac=True,
                   method="BFGS", callback=budget.step, options={"gtol": 1e-6, "maxiter": budget.scipy_maxiter})
    return float(-terms.nll_and_grad(res.x - np.array([0.0, np.log(scale)]))[0] * terms.total)
