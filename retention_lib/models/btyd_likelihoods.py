"""Per-customer log-likelihoods of BG/NBD, MBG/NBD and Pareto/NBD, and the BG/NBD fitter's tables
(the CNBD-k models' are in cnbd).

Parameters are in the order of PARAMS; time is in the units of the summary.
"""
from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from retention_lib.core.stats import dot
from retention_lib.models.histories import Histories
from retention_lib.models.pareto_integrals import _log_decay_integral

PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "mbgnbd": ("r", "alpha", "a", "b"),
          "paretonbd": ("r", "alpha", "s", "beta"),
          "bgcnbd": ("k", "r", "alpha", "a", "b"), "mbgcnbd": ("k", "r", "alpha", "a", "b")}
NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD", "bgcnbd": "BG/CNBD-k",
         "mbgcnbd": "MBG/CNBD-k"}


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
        d_r_rep = dot(s, D)
        np.take(E, iT, out=D, mode="clip")
        D -= np.take(E, it, out=tmp, mode="clip")
        np.add(self.x, r, out=z)
        z *= D
        d_alpha_rep = dot(s, z)
        d_b_rep = dot(s, np.take(inv_bx1, ix, out=tmp, mode="clip"))
        w_x, w_T, total = self.w_x, self.w_T, self.total
        beta_ratio, beta_da, beta_db = _log_beta_ratio(a, b, xs)
        ll = (dot(w_x, gammaln(r + xs) + beta_ratio) + total * (r * np.log(alpha) - gammaln(r))
              - dot(r * w_T + self.wx_T, L) + ll_rep)
        d_r = dot(w_x, digamma(r + xs)) - total * (digamma(r) - np.log(alpha)) - dot(w_T, L) + d_r_rep
        d_alpha = total * r / alpha - dot(r * w_T + self.wx_T, E) + d_alpha_rep
        d_a = dot(w_x, beta_da) + s.sum() / a
        d_b = dot(w_x, beta_db) - d_b_rep
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / total
        return -ll / total, grad
