"""The Pareto/NBD dropout integral, in logs, at a bounded cost for any s and beta.

The integral of (1 + v/A)^-n (1 + v/B)^-m over [0, span] is taken by a hypergeometric series
with an error bound where A and B are close, and by Gauss-Legendre elsewhere.
"""
from __future__ import annotations

import numpy as np


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
