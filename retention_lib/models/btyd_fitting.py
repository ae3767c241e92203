"""The optimiser routines behind btyd.fit: BG/NBD by its analytic gradient, MBG/NBD and
Pareto/NBD by Nelder-Mead then BFGS on log-parameters, and the no-dropout NBD it is tested against.

Each fits in rescaled time (the oldest customer at T = 10) within a FitBudget.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from retention_lib.models.btyd_likelihoods import LOGLIK, NAMES, _BGNBDTerms
from retention_lib.models.fit_budget import FitBudget, ModelUnusable
from retention_lib.models.histories import Histories


def _scale_of(T) -> float:
    """Rescale time so the oldest customer has T = 10, as lifetimes does, for conditioning."""
    return 10.0 / float(np.max(T))


def _from_log(kind: str, log_params, k: float) -> np.ndarray:
    """Model parameters from the fitted log-parameters in time rescaled by k."""
    p = np.exp(log_params)
    for i in (1,) if kind != "paretonbd" else (1, 3):
        p[i] /= k
    return p


def _fit_bgnbd(h: Histories, terms: _BGNBDTerms, budget: FitBudget):
    return _fit_by_gradient("bgnbd", h, terms, lambda: _BGNBDTerms(h, every=16), budget)


def _fit_by_gradient(kind: str, h: Histories, terms, sample, budget: FitBudget, x0=None):
    """BG/NBD and the CNBD-k models: BFGS on `terms.nll_and_grad` (mean negative log-likelihood and its
    gradient in log-parameters, time rescaled) from x0 (log-parameters in rescaled time), polished by
    Newton steps. `sample()` gives the terms of a 1/16 sample, for a warm start on large data."""
    k = _scale_of(h.T)
    fun = budget.watch(terms.nll_and_grad, keep_best=True)
    bfgs = {"jac": True, "method": "BFGS", "callback": budget.step}
    x0, options = (np.full(4, 0.1) if x0 is None else np.asarray(x0, dtype=float)), {}
    if len(h) > 100_000:
        # Start from the fit of a 1/16 sample: most BFGS iterations are then 16x cheaper.
        warm = minimize(budget.watch(sample().nll_and_grad), x0, args=(k,),
                        options={"gtol": 1e-5, "maxiter": budget.scipy_maxiter}, **bfgs)
        h_inv = (warm.hess_inv + warm.hess_inv.T) / 2
        if warm.success and np.all(np.isfinite(warm.x)) and np.all(np.linalg.eigvalsh(h_inv) > 0):
            x0, options = warm.x, {"hess_inv0": h_inv}
    # BFGS to 1e-6, then Newton steps with its inverse Hessian down to 1e-10: near the optimum
    # the line search only sees rounding noise in the likelihood and would stall.
    res = minimize(fun, x0, args=(k,), options={"gtol": 1e-6, "maxiter": budget.scipy_maxiter, **options}, **bfgs)
    x, g = res.x, res.jac
    for _ in range(10):
        if np.max(np.abs(g)) < 1e-10:
            break
        budget.step()
        x_new = x - res.hess_inv @ g
        g_new = fun(x_new, k)[1]
        if not np.max(np.abs(g_new)) < np.max(np.abs(g)):
            break
        x, g = x_new, g_new
    if not np.max(np.abs(g)) < 1e-10:
        res = minimize(fun, x, args=(k,), options={"gtol": 1e-10, "maxiter": budget.scipy_maxiter}, **bfgs)
        x, g = res.x, res.jac
    if not np.all(np.isfinite(x)) or not (res.success or np.max(np.abs(g)) < 1e-6):
        raise ModelUnusable(f"{budget.model} did not converge on {budget.population}: {res.message}")
    return _from_log(kind, x, k)


def _until_stalled(budget: FitBudget, iterations: int = 30):
    """Per-iteration callback: the budget, then stop the stage once the best value has not moved
    (1e-13 relative) in `iterations` iterations. Where the likelihood runs flat towards an edge
    (Pareto/NBD's s and beta growing together: one dropout rate for everybody) finite-difference
    gradients never reach gtol, and the fit would wander until the budget ran out."""
    history = []

    def callback(*_):
        budget.step()
        history.append(budget.best[0])
        if len(history) > iterations and history[-iterations - 1] - history[-1] <= 1e-13 * max(1.0, abs(history[-1])):
            raise StopIteration
    return callback


def _fit_numeric(kind, x, t_x, T, w, budget: FitBudget):
    """MBG/NBD and Pareto/NBD: lifetimes-style log-parameter fit on our likelihoods."""
    k = _scale_of(T)
    loglik = LOGLIK[kind]

    def nll(log_params):
        p = np.exp(log_params)
        with np.errstate(all="ignore"):
            value = -(w * loglik(p, x, t_x * k, T * k)).sum() / w.sum()
        return value if np.isfinite(value) else 1e12

    nll = budget.watch(nll, keep_best=True)
    res = minimize(nll, np.full(4, 0.1), method="Nelder-Mead", callback=_until_stalled(budget),
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": budget.scipy_maxiter, "maxfev": 40000})
    res = minimize(nll, res.x, method="BFGS", callback=_until_stalled(budget),
                   options={"gtol": 1e-9, "maxiter": budget.scipy_maxiter})
    if not np.all(np.isfinite(res.x)) or nll(res.x) >= 1e12:
        raise ModelUnusable(f"{NAMES[kind]} did not converge on {budget.population}: {res.message}")
    return _from_log(kind, res.x, k)


def _nbd_log_likelihood(x, T, w, r0: float, alpha0: float, budget: FitBudget) -> float:
    """Maximum log-likelihood of the NBD (gamma-Poisson purchases, nobody ever leaves): the
    limit of all three models as dropout vanishes. Started from the fitted model's (r, alpha)."""
    k = _scale_of(T)
    Tk, total = T * k, w.sum()

    @budget.watch
    def fun(log_params):
        r, alpha = np.exp(log_params)
        L = np.log(alpha + Tk)
        ll = (w * (gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * L)).sum()
        d_r = (w * (digamma(r + x) - digamma(r) + np.log(alpha) - L)).sum()
        d_alpha = (w * (r / alpha - (r + x) / (alpha + Tk))).sum()
        return -ll / total, -np.array([d_r * r, d_alpha * alpha]) / total

    res = minimize(fun, np.log([r0, alpha0 * k]), jac=True, method="BFGS", callback=budget.step,
                   options={"gtol": 1e-10, "maxiter": budget.scipy_maxiter})
    r, alpha = np.exp(res.x)
    alpha /= k
    return float((w * (gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T))).sum())
