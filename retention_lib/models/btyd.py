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
"""
from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

from retention_lib.core.conditions import DataCondition

PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "mbgnbd": ("r", "alpha", "a", "b"),
          "paretonbd": ("r", "alpha", "s", "beta")}
NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}


class ModelUnusable(DataCondition):
    """The model cannot be used on this data (did not converge, or gives non-finite values)."""


# Generous: CDNOW and the Complete Journey need a few hundred iterations and a few seconds.
MAX_ITER = 5000
MAX_SECONDS = 120.0
_now = time.monotonic            # the budget's clock (tests replace it)


class FitBudget:
    """The optimiser iterations (over all stages of one fit) and wall-clock seconds it may use.

    `step` is the optimisers' per-iteration callback and `watch` wraps the objective, so a
    slow iteration overruns the clock by one evaluation at most. Past either limit they raise
    ModelUnusable, which scipy's minimize passes through unchanged.
    """

    def __init__(self, model: str, population: str, max_iter: int = MAX_ITER,
                 max_seconds: float = MAX_SECONDS):
        if not (max_iter >= 1 and max_seconds > 0):
            raise ValueError(f"max_iter must be at least 1 and max_seconds positive, not {max_iter}, {max_seconds}")
        self.model, self.population = model, population
        self.max_iter, self.max_seconds = int(max_iter), float(max_seconds)
        self.iterations = 0
        self.best = (np.inf, None)     # lowest objective of the main fit and its log-parameters
        self._start = _now()

    def elapsed(self) -> float:
        return _now() - self._start

    def _iterations(self, n: int) -> str:
        return f"{n:,} iteration" + ("" if n == 1 else "s")

    def check(self) -> None:
        if self.elapsed() > self.max_seconds:
            raise ModelUnusable(f"{self.model} did not converge within {self.max_seconds:g} s "
                                f"({self._iterations(self.iterations)}) on {self.population}")

    def step(self, *_) -> None:
        self.iterations += 1
        if self.iterations > self.max_iter:
            raise ModelUnusable(f"{self.model} did not converge within {self._iterations(self.max_iter)} "
                                f"({self.elapsed():.1f} s) on {self.population}")
        self.check()

    def watch(self, fun, *, keep_best: bool = False):
        """`fun` with the clock checked before each call; with keep_best, its lowest value and
        argument are kept (fun returns the value, or a tuple starting with it)."""
        def watched(log_params, *args):
            self.check()
            out = fun(log_params, *args)
            value = out[0] if isinstance(out, tuple) else out
            if keep_best and value < self.best[0]:
                self.best = (value, np.array(log_params, dtype=float))
            return out
        return watched

    @property
    def scipy_maxiter(self) -> int:
        """For minimize's own limit: above ours, so our callback is the one that stops a stage."""
        return self.max_iter + 1


class Histories:
    """Identical (frequency, recency, T) rows grouped, in order of first appearance.

    Hash-based codes rather than a three-column groupby: 2-3x faster on a million customers,
    and the codes into the distinct frequencies and times are what the BG/NBD likelihood
    tables and the CLV lookup need.
    """

    def __init__(self, frequency, recency, T):
        f = np.asarray(frequency, dtype="int64")
        rec, T = np.asarray(recency, dtype="float64"), np.asarray(T, dtype="float64")
        f_code, self.frequencies = pd.factorize(f)
        time_code, self.times = pd.factorize(np.concatenate([rec, T]))
        rec_code, T_code = time_code[:len(f)], time_code[len(f):]
        rows = np.flatnonzero((rec_code >= 0) & (T_code >= 0))   # NaN times are dropped, as groupby does
        n_times = len(self.times)
        key = f_code[rows] * n_times + rec_code[rows]
        if len(self.frequencies) * n_times * n_times >= 2 ** 62:   # one int64 key would overflow
            key = pd.factorize(key)[0]
        group = pd.factorize(key * n_times + T_code[rows])[0]
        # codes are handed out in order of first appearance: a group starts where their running max grows
        first = rows[np.flatnonzero(np.diff(np.maximum.accumulate(group), prepend=-1) > 0)]
        self.group = np.full(len(f), -1)                          # per input row; -1 where dropped
        self.group[rows] = group
        self.weight = np.bincount(group, minlength=len(first))
        self.frequency_code, self.recency_code, self.T_code = f_code[first], rec_code[first], T_code[first]
        self.frequency, self.recency, self.T = f[first], rec[first], T[first]

    def __len__(self) -> int:
        return len(self.weight)


def compress(frequency, recency, T) -> pd.DataFrame:
    """Distinct (frequency, recency, T) rows with the number of customers in each."""
    h = Histories(frequency, recency, T)
    return pd.DataFrame({"frequency": h.frequency, "recency": h.recency, "T": h.T, "weight": h.weight})


# ---------------------------------------------------------------- log-likelihoods

def _log_beta_ratio(a, b, k):
    """log B(a, b+k) / B(a, b) for whole k >= 0, with its derivatives in a and b.

    Summed as -sum_{j<k} log1p(a / (b+j)) (cumulatively, so the cost is the largest k): exact for
    the huge b that a young store's fit reaches, where betaln or gammaln differences lose every
    digit (b ~ 1e16) or several (a, b ~ 1e5).
    """
    k = np.asarray(k)
    j = np.arange(int(np.max(k, initial=0)))
    def upto(terms):
        return np.concatenate([[0.0], np.cumsum(terms)])[k.astype(np.int64)]
    return (upto(-np.log1p(a / (b + j))), upto(-1.0 / (a + b + j)),
            upto(a / ((b + j) * (a + b + j))))


def bgnbd_loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = _log_beta_ratio(a, b, x)[0]
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def mbgnbd_loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood (Batislam, Denizel & Filiztekin 2007)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = _log_beta_ratio(a, b, x + 1)[0]
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return A1 + A2 + A3 + np.logaddexp(A4, 0)


# Gauss-Legendre rules by the length U of the interval in u (see _log_decay_integral): the
# fewest nodes that agree with a 200-node rule to 2e-14 over r, s, alpha in e^-3..e^12,
# beta up to e^20, x up to 1000 and T up to 100 (limits a little inside what was measured).
_GL_RULES = [(0.25, np.polynomial.legendre.leggauss(16)), (0.9, np.polynomial.legendre.leggauss(32)),
             (2.5, np.polynomial.legendre.leggauss(48)), (4.5, np.polynomial.legendre.leggauss(64)),
             (np.inf, np.polynomial.legendre.leggauss(96))]
# The series in _log_decay_series is used where its ratio z is at most this (it then needs at
# most ~370 terms, and mostly ~30): the rows where Gauss-Legendre needs the most nodes.
_SERIES_MAX_Z = 0.9


def _log_series(c, C, z):
    """log of sum_k (c)_k / (C)_k z^k = 2F1(1, c; C; z) for 0 < c < C and 0 <= z <= _SERIES_MAX_Z.

    The terms are positive and each is at most z times the one before, so once a term times
    z / (1 - z) is below 2^-54 of the sum, so is everything left. Rows drop out as they converge.
    """
    out = np.empty_like(z)
    rows, total, term = np.arange(len(z)), np.ones_like(z), np.ones_like(z)
    k, bound = 0, 2.0 ** -54 * (1 - z) / np.maximum(z, 1e-300)
    while len(rows):
        for _ in range(8):
            term = term * ((c + k) / (C + k) * z)
            total = total + term
            k += 1
        going = term > bound * total
        out[rows[~going]] = total[~going]
        rows, total, term = rows[going], total[going], term[going]
        c, C, z, bound = c[going], C[going], z[going], bound[going]
    return np.log(out)


def _log_decay_series(n, m, A, B, span):
    """_log_decay_integral by the hypergeometric series, for |A - B| / max(A, B) <= _SERIES_MAX_Z.

    With lo, hi = the smaller and larger of A, B and b, c their exponents, the integral of
    (lo+u)^-b (hi+u)^-c over u > v, times A^n B^m, is lo/(n+m-1) (1+v/lo)^(1-b) (1+v/hi)^-c
    2F1(1, c; n+m; (hi-lo)/(hi+v)) (Euler's transform of the 2F1 in Fader & Hardie's note 009);
    the integral over [0, span] is the difference of the two tails, taken in logs.
    """
    a_lo = A <= B
    lo, hi = np.where(a_lo, A, B), np.where(a_lo, B, A)
    b, c = np.where(a_lo, n, m), np.where(a_lo, m, n)
    d, k = hi - lo, len(n)
    series = _log_series(np.r_[c, c], np.r_[n + m, n + m], np.r_[d / hi, d / (hi + span)])   # one pass for both ends
    start, end = series[:k], series[k:] - (b - 1) * np.log1p(span / lo) - c * np.log1p(span / hi)
    with np.errstate(divide="ignore"):
        return np.log(lo) - np.log(n + m - 1) + start + np.log(-np.expm1(end - start))


def _log_decay_integral(n, m, A, B, span):
    """log of the integral over v in [0, span] of (1 + v/A)^-n (1 + v/B)^-m (arrays broadcast).

    Both Pareto/NBD integrals have this form: dying unseen after the last purchase (the
    likelihood) and dying before the next purchase (P(no purchase)). Where A and B are within
    a factor 10 the bounded series of _log_decay_series is cheapest; elsewhere Gauss-Legendre
    in u = log(1 + v/L), L = min(A/n, B/m) the faster decay scale, in which the integrand is
    smooth for light and very heavy buyers and any s and beta. Either way the cost is bounded
    (the old series ran to 200,000 terms as s and beta grew) and the error stays at rounding
    level (~1e-13 relative). span = 0 gives -inf.
    """
    n, m, A, B, span = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (n, m, A, B, span)))
    shape = n.shape
    n, m, A, B, span = (v.ravel() for v in (n, m, A, B, span))
    L = np.minimum(A / n, B / m)
    U = np.log1p(span / L)
    out = np.empty_like(U)
    # searchsorted puts NaN past the end: clip it into the last rule, which then gives NaN
    rule = np.minimum(np.searchsorted([limit for limit, _ in _GL_RULES], U), len(_GL_RULES) - 1)
    # Past the shortest intervals (where the difference of two series tails would cancel) the
    # series is cheaper where it converges fast: alpha close to beta (CDNOW), late rows of grocery buyers.
    series = np.flatnonzero((rule > 0) & (np.abs(A - B) <= _SERIES_MAX_Z * np.maximum(A, B)))
    if len(series):
        out[series] = _log_decay_series(n[series], m[series], A[series], B[series], span[series]) - np.log(L[series])
        rule[series] = -1
    for i, (_, (nodes, weights)) in enumerate(_GL_RULES):
        at = np.flatnonzero(rule == i)
        if not len(at):
            continue
        Ui = U[at][:, None]
        u = (nodes + 1) / 2 * Ui
        v = L[at][:, None] * np.expm1(u)
        # dv = (L + v) du = L e^u du; the integrand is taken relative to its largest node value
        log_f = u - n[at][:, None] * np.log1p(v / A[at][:, None]) - m[at][:, None] * np.log1p(v / B[at][:, None])
        top = np.max(log_f, axis=-1)
        with np.errstate(divide="ignore"):
            out[at] = np.log(Ui[:, 0] / 2 * (np.exp(log_f - top[:, None]) * weights).sum(-1)) + top
    return (out + np.log(L)).reshape(shape)


def _pareto_branches(params, x, t_x, T):
    """log of the two parts of the Pareto/NBD likelihood (Fader & Hardie note 009, eq. 18)
    without the common factor Gamma(r+x) alpha^r / Gamma(r): alive at T, and died unseen in
    (t_x, T], i.e. s beta^s times the integral over tau of (alpha+tau)^-(r+x) (beta+tau)^-(s+1).
    beta^s enters as -s log1p(t / beta), which stays exact when s and beta are huge."""
    r, alpha, s, beta = params
    x = np.asarray(x, dtype=float)
    n, A, B = r + x, alpha + t_x, beta + t_x
    alive = -n * np.log(alpha + T) - s * np.log1p(T / beta)
    with np.errstate(divide="ignore"):
        unseen = (np.log(s) - n * np.log(A) - s * np.log1p(t_x / beta) - np.log(B)
                  + _log_decay_integral(n, s + 1, A, B, T - t_x))
    return alive, unseen


def paretonbd_loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood, in log space."""
    r, alpha = params[0], params[1]
    x = np.asarray(x, dtype=float)
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + np.logaddexp(*_pareto_branches(params, x, t_x, T))


LOGLIK = {"bgnbd": bgnbd_loglik, "mbgnbd": mbgnbd_loglik, "paretonbd": paretonbd_loglik}


class _BGNBDTerms:
    """The BG/NBD likelihood arranged for speed: the terms in x alone are summed per distinct
    frequency and those in T alone per distinct time, so only the mixing term
    softplus(A4 - A3) is computed per repeat-buyer row (from gathered table values)."""

    def __init__(self, h: Histories, every: int = 1):
        """`every` > 1 keeps every n-th distinct row only: a sample for a warm start."""
        x, w = h.frequency[::every].astype(float), h.weight[::every].astype(float)
        x_code, t_code, T_code = h.frequency_code[::every], h.recency_code[::every], h.T_code[::every]
        self.xs, self.times = h.frequencies.astype(float), h.times
        self.w_x = np.bincount(x_code, w, len(self.xs))
        self.w_T = np.bincount(T_code, w, len(self.times))
        self.wx_T = np.bincount(T_code, w * x, len(self.times))
        self.total = float(w.sum())
        rep = x > 0
        self.x, self.w = x[rep], w[rep]
        self.ix, self.it, self.iT = x_code[rep], t_code[rep], T_code[rep]
        # reused work arrays (fresh temporaries cost page faults); take(mode="clip") writes
        # into them directly, where mode="raise" would copy through a buffer
        self.buf = np.empty((5, int(rep.sum())))

    def nll_and_grad(self, log_params, time_scale=1.0):
        """Mean negative log-likelihood and its gradient in log-parameters, time multiplied by time_scale."""
        r, alpha, a, b = np.exp(log_params)
        xs, w, ix, it, iT = self.xs, self.w, self.ix, self.it, self.iT
        times = self.times * time_scale
        L, E = np.log(alpha + times), 1.0 / (alpha + times)
        inv_bx1 = 1.0 / (b + np.maximum(xs, 1) - 1)
        D, z, e, s, tmp = self.buf
        np.take(L, iT, out=D, mode="clip")
        D -= np.take(L, it, out=tmp, mode="clip")                  # log(alpha + T) - log(alpha + t_x)
        np.add(self.x, r, out=z)
        z *= D
        z += np.take(np.log(a) + np.log(inv_bx1), ix, out=tmp, mode="clip")  # z = A4 - A3
        np.abs(z, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.log1p(e, out=s)
        s += np.maximum(z, 0.0, out=tmp)                           # softplus(z) = logaddexp(A3, A4) - A3
        s *= w
        ll_rep = s.sum()
        np.negative(z, out=s)
        with np.errstate(over="ignore"):
            np.exp(s, out=s)
        s += 1.0
        np.reciprocal(s, out=s)                                    # sigmoid(z): weight of the A4 branch
        s *= w
        d_r_rep = s @ D
        np.take(E, iT, out=D, mode="clip")
        D -= np.take(E, it, out=tmp, mode="clip")
        np.add(self.x, r, out=z)
        z *= D
        d_alpha_rep = s @ z
        d_b_rep = s @ np.take(inv_bx1, ix, out=tmp, mode="clip")
        w_x, w_T, total = self.w_x, self.w_T, self.total
        beta_ratio, beta_da, beta_db = _log_beta_ratio(a, b, xs)
        ll = (w_x @ (gammaln(r + xs) + beta_ratio) + total * (r * np.log(alpha) - gammaln(r))
              - (r * w_T + self.wx_T) @ L + ll_rep)
        d_r = w_x @ digamma(r + xs) - total * (digamma(r) - np.log(alpha)) - w_T @ L + d_r_rep
        d_alpha = total * r / alpha - (r * w_T + self.wx_T) @ E + d_alpha_rep
        d_a = w_x @ beta_da + s.sum() / a
        d_b = w_x @ beta_db - d_b_rep
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / total
        return -ll / total, grad


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
    k = _scale_of(h.T)
    fun = budget.watch(terms.nll_and_grad, keep_best=True)
    bfgs = {"jac": True, "method": "BFGS", "callback": budget.step}
    x0, options = np.full(4, 0.1), {}
    if len(h) > 100_000:
        # Start from the fit of a 1/16 sample: most BFGS iterations are then 16x cheaper.
        warm = minimize(budget.watch(_BGNBDTerms(h, every=16).nll_and_grad), x0, args=(k,),
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
        raise ModelUnusable(f"BG/NBD did not converge on {budget.population}: {res.message}")
    return _from_log("bgnbd", x, k)


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
        return NAMES[self.kind]

    @property
    def p(self) -> tuple[float, ...]:
        return tuple(self.params[k] for k in PARAMS[self.kind])

    # ---- predictions (vectorised; finite for heavy buyers)

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        if self.kind == "paretonbd":
            alive, unseen = _pareto_branches(self.p, x, t_x, T)
            return expit(alive - unseen)
        r, alpha, a, b = self.p
        log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        if self.kind == "bgnbd":
            with np.errstate(divide="ignore"):
                term = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + log_ratio, -np.inf)
        else:
            term = np.log(a) - np.log(b + x) + log_ratio
        return expit(-term)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[number of purchases in (T, T + t] | history]."""
        return self.expected_purchases_if_alive(t, frequency, T) * self.p_alive(frequency, recency, T)

    def expected_purchases_if_alive(self, t, frequency, T) -> np.ndarray:
        """E[number of purchases in (T, T + t] | alive at T, history]: recency only enters P(alive)."""
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
    and the expectations over the history's length on every distinct (frequency, T) pair."""
    x, T = rows.frequency.astype(float), rows.T
    horizon = float(T.max())
    with np.errstate(all="ignore"):
        alive = model.p_alive(x, rows.recency, T)
        ahead = model.expected_purchases_if_alive(horizon, x[first], T[first])
        quiet = model.p_no_purchase(horizon, x[first], T[first], T[first])
    bad = ~np.isfinite(alive) | ~np.isfinite(ahead)[pair] | ~np.isfinite(quiet)[pair]
    if bad.any():
        values = ", ".join(f"{k} = {v:.4g}" for k, v in model.params.items())
        why = "it cannot be used on this data"
        if model.kind != "paretonbd" and min(model.params["a"], model.params["b"]) > 1e3:
            # a, b -> infinity with a/(a+b) fixed: one chance of leaving after each purchase for all
            why = ("it finds the same chance of leaving after every purchase for all members (a and b run off "
                   "together), where its predictions cannot be computed; Pareto/NBD has no such limit")
        raise ModelUnusable(f"{model.name} gives non-finite predictions for {int(rows.weight[bad].sum()):,} of "
                            f"{model.n_customers:,} customers with its fitted parameters ({values}): {why}")


def _log_likelihood(kind: str, p, x, t_x, T, w) -> float:
    return float((w * LOGLIK[kind](p, x, t_x, T)).sum())


def _no_dropout(kind: str, n: int, lr: float) -> ModelUnusable:
    return ModelUnusable(
        f"{NAMES[kind]} finds no sign of members leaving yet: a model in which nobody ever leaves fits "
        f"these {n:,} customers as well (likelihood ratio {max(lr, 0):.2f}, below {_NO_DROPOUT_LR:.2f}), "
        f"so it cannot tell who is at risk; it needs a longer history, in which some members have "
        f"stopped buying")


def fit(summary: pd.DataFrame, kind: str = "bgnbd", *, time_unit: str = "weeks",
        max_iter: int = MAX_ITER, max_seconds: float = MAX_SECONDS) -> BTYDModel:
    """Fit a model on a summary with frequency, recency and T (compressed automatically).

    The fit may take `max_iter` optimiser iterations over all its stages and `max_seconds` of
    wall-clock time; past either it raises ModelUnusable saying which. So does a fit in which
    dropout adds nothing (nobody has visibly left yet: the MLE runs to dropout = 0, where the
    model cannot rank anyone) and one whose predictions are not finite.
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
