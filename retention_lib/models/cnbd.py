"""BG/CNBD-k and MBG/CNBD-k: BG/NBD and MBG/NBD with Erlang-k times between purchases.

Platzer and Reutterer (2016), "Ticking away the moments: timing regularity helps to better predict
customer activity", Marketing Science 35(5). A live member's purchases are every k-th event of a
Poisson process with rate lambda ~ Gamma(r, alpha), so the times between them are Erlang-k: k = 1 is
BG/NBD's exponential timing, larger k a steadier rhythm. After each purchase (and, in MBG/CNBD-k, at
the first) the member leaves with probability p ~ Beta(a, b).

Per member, with x repeat purchases, the last at t_x, observed to T, and litt the sum of the logs
of the x inter-purchase times, the log-likelihood is
    (k-1) litt - x log((k-1)!) + log B(a, b+x+d)/B(a, b) + log Gamma(r+kx)/Gamma(r) + r log alpha
    - (r+kx) log(alpha+T) + log(S1 + S2)
with d = 1 for MBG/CNBD-k, S1 = a/(b+x-1+d) ((alpha+T)/(alpha+t_x))^(r+kx) (left at the last
purchase; 0 for x = 0 in BG/CNBD-k) and S2 = sum_{j<k} Gamma(r+kx+j)/(Gamma(r+kx) j!)
((T-t_x)/(alpha+T))^j (alive, j events of the next k already past). The first two terms do not
depend on (r, alpha, a, b): for a given k the fit needs (x, t_x, T) only, and litt enters the
choice of k through its total.

Predictions are exact (BTYDplus approximates the conditional expectation): given alive at T, the
member's phase j (events since the last purchase) has weights the terms of S2, and given phase j,
lambda ~ Gamma(r+kx+j, alpha+T), so the events in the next t are negative binomial M_j. The n-th
future purchase needs M_j >= nk - j and n - 1 survived dropout chances, of expected probability
c_n = B(a, b'+n-1)/B(a, b') with b' = b+x+d. Hence
    E[purchases in (T, T+t] | alive, j] = sum_{n>=1} c_n P(M_j >= nk - j),
    P(no purchase in (T, T+t] | alive, j) = P(M_j <= k-1-j).
At k = 1 these are BG/NBD's and MBG/NBD's closed forms (tests hold them to it).
"""
from __future__ import annotations

import numpy as np
from scipy.special import betainc, digamma, expit, gammaln

from retention_lib.core.stats import dot
from retention_lib.models.btyd_likelihoods import _log_beta_ratio
from retention_lib.models.histories import Histories

DROPOUT_AT_ZERO = {"bgcnbd": 0, "mbgcnbd": 1}
K_MAX = 12       # the largest regularity tried when k is estimated
_TAIL = 1e-17    # a series stops once its next terms add less than this, relatively


def log_phase_terms(k: int, r, alpha, x, t_x, T) -> np.ndarray:
    """log of the k terms of S2 (module docstring), along a last axis: the unnormalised log weights
    of the phases of a live member."""
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    n = r + k * x
    out = np.empty(x.shape + (k,))
    out[..., 0] = 0.0
    with np.errstate(divide="ignore"):
        log_u = np.log(T - t_x) - np.log(alpha + T)
    for j in range(1, k):
        # u = 0 (a purchase at T): phase 0 for certain
        out[..., j] = np.where(T > t_x, out[..., j - 1] + np.log(n + j - 1) - np.log(j) + log_u, -np.inf)
    return out


def _log_one_plus_sum_exp(parts, shape):
    """log(1 + sum of exp(parts)) for a list of arrays of one shape, and each part's share
    exp(part - that): shifted by the largest part, as a heavy buyer's S1 is far beyond exp's range."""
    top = np.zeros(shape)
    for part in parts:
        np.maximum(top, part, out=top)
    exps = [np.exp(part - top) for part in parts]
    total = np.exp(-top)
    for e in exps:
        total += e
    return top + np.log(total), [e / total for e in exps]


def _log_alive(terms) -> np.ndarray:
    """log S2 from log_phase_terms: phase 0's term is 1 (scipy's logsumexp takes ten times as long)."""
    return _log_one_plus_sum_exp([terms[..., j] for j in range(1, terms.shape[-1])], terms.shape[:-1])[0]


def log_left_term(k: int, r, alpha, a, b, d: int, x, t_x, T) -> np.ndarray:
    """log S1: the member left at their last purchase (-inf where they cannot have)."""
    x = np.asarray(x, dtype=float)
    n = r + k * x
    with np.errstate(divide="ignore"):
        value = (np.log(a) - np.log(np.maximum(b + x - 1 + d, 1e-300))
                 + n * (np.log(alpha + np.asarray(T, dtype=float)) - np.log(alpha + np.asarray(t_x, dtype=float))))
    return np.where((x > 0) | (d == 1), value, -np.inf)


def loglik(params, d: int, x, t_x, T, litt) -> np.ndarray:
    """Per-member log-likelihood (module docstring); params (k, r, alpha, a, b)."""
    k, r, alpha, a, b = params
    k = int(k)
    x = np.asarray(x, dtype=float)
    core = (_log_beta_ratio(a, b, (x + d).astype(np.int64))[0] + gammaln(r + k * x) - gammaln(r)
            + r * np.log(alpha) - (r + k * x) * np.log(alpha + T))
    mix = np.logaddexp(log_left_term(k, r, alpha, a, b, d, x, t_x, T),
                       _log_alive(log_phase_terms(k, r, alpha, x, t_x, T)))
    return (k - 1) * np.asarray(litt, dtype=float) - x * gammaln(k) + core + mix


def p_alive(params, d: int, x, t_x, T) -> np.ndarray:
    k, r, alpha, a, b = params
    k = int(k)
    left = log_left_term(k, r, alpha, a, b, d, x, t_x, T)
    return expit(_log_alive(log_phase_terms(k, r, alpha, x, t_x, T)) - left)


def phase_weights(params, x, t_x, T) -> np.ndarray:
    """P(phase j | alive at T), shape (..., k)."""
    k, r, alpha = int(params[0]), params[1], params[2]
    terms = log_phase_terms(k, r, alpha, x, t_x, T)
    return np.exp(terms - _log_alive(terms)[..., None])


def quiet_if_alive_by_phase(params, x, T, t) -> np.ndarray:
    """P(no purchase in (T, T+t] | alive at T, phase j), shape (..., k)."""
    k, r, alpha = int(params[0]), params[1], params[2]
    x, T, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, T, t)))
    p0 = (alpha + T) / (alpha + T + t)
    # P(M_j <= k-1-j) for M_j negative binomial (size r+kx+j, success p0): I_p0(size, k-j)
    return np.stack([betainc(r + k * x + j, k - j, p0) for j in range(k)], axis=-1)


def expected_if_alive_by_phase(params, d: int, x, T, t) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T, phase j], shape (..., k): the series of the module
    docstring, summed per distinct (x, T, t) until its terms vanish."""
    k, r, alpha, a, b = params
    k = int(k)
    x, T, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, T, t)))
    keys = np.stack([x.ravel(), T.ravel(), t.ravel()], axis=1)
    uniq, back = np.unique(keys, axis=0, return_inverse=True)
    ux, uT, ut = uniq.T
    out = np.zeros((len(uniq), k))
    q = ut / (alpha + uT + ut)                     # the negative binomial's failure share
    b_prime = b + ux + d
    for j in range(k):
        size = r + k * ux + j
        total = np.zeros(len(uniq))
        c = np.ones(len(uniq))                     # c_n, from c_1 = 1
        live = np.flatnonzero(ut > 0)
        n = 1
        while len(live):
            term = c[live] * betainc(n * k - j, size[live], q[live])
            total[live] += term
            c[live] *= (b_prime[live] + n - 1) / (a + b_prime[live] + n - 1)
            # the survival falls faster than geometrically past the mean: stop a row once its term is
            # negligible and the mean of M_j is behind
            past = n * k - j > size[live] * q[live] / np.maximum(1 - q[live], 1e-300)
            live = live[~(past & (term <= _TAIL * np.maximum(total[live], 1e-300)))]
            n += 1
        out[:, j] = total
    return out[back.ravel()].reshape(x.shape + (k,))


# rows per block of the fitter's mixing term: a block's temporaries stay in cache, where arrays of a
# million rows would cost more in page faults than in arithmetic
_BLOCK = 1 << 15


class CNBDTerms:
    """The likelihood of one k on compressed rows, without its parameter-free terms, with the
    gradient in log-parameters; in time multiplied by time_scale. `no_dropout` drops the dropout
    process (a = 0): the nested model the fit is tested against. `every` > 1 keeps every n-th
    distinct row only: a sample for a warm start.

    Arranged like BG/NBD's terms: the terms in x alone are summed per distinct frequency and those in
    T alone per distinct time; only the mixing term log(S1 + S2) is computed per row, in blocks, from
    values gathered from per-frequency and per-time tables, one 1-D array per part (k is small)."""

    def __init__(self, h: Histories, k: int, d: int, every: int = 1, no_dropout: bool = False):
        self.k, self.d, self.no_dropout = int(k), int(d), no_dropout
        x, self.w = h.frequency[::every].astype(float), h.weight[::every].astype(float)
        self.ix, self.it, self.iT = h.frequency_code[::every], h.recency_code[::every], h.T_code[::every]
        self.xs, self.times = h.frequencies.astype(float), h.times
        self.total = float(self.w.sum())
        self.w_x = np.bincount(self.ix, self.w, len(self.xs))
        self.w_T = np.bincount(self.iT, self.w, len(self.times))
        self.wx_T = np.bincount(self.iT, self.w * x, len(self.times))
        self.can_leave = (self.xs > 0) | (self.d == 1)      # S1 = 0 for x = 0 in BG/CNBD-k
        # log(T - t_x) is free of the parameters; -inf for a purchase at T (then phase 0 for certain)
        with np.errstate(divide="ignore"):
            self.log_gap = np.log(h.T[::every] - h.recency[::every])

    def nll_and_grad(self, log_params, time_scale=1.0):
        k, d, xs = self.k, self.d, self.xs
        if self.no_dropout:
            r, alpha = np.exp(log_params)
        else:
            r, alpha, a, b = np.exp(log_params)
        times = self.times * time_scale
        L, E = np.log(alpha + times), 1.0 / (alpha + times)
        n = r + k * xs
        ll = (dot(self.w_x, gammaln(n)) + self.total * (r * np.log(alpha) - gammaln(r))
              - dot(r * self.w_T + k * self.wx_T, L))
        d_r = dot(self.w_x, digamma(n)) + self.total * (np.log(alpha) - digamma(r)) - dot(self.w_T, L)
        d_alpha = self.total * r / alpha - dot(r * self.w_T + k * self.wx_T, E)
        # S2's terms of phases j >= 1 (phase 0's is 1): log s_j = sum_{i<j} log((n+i)/(i+1)) + j log u,
        # with derivatives sum_{i<j} 1/(n+i) in r and -j/(alpha+T) in alpha
        j = np.arange(1, k)[:, None]
        log_s, d_log_s = np.cumsum(np.log(n + j - 1) - np.log(j), axis=0), np.cumsum(1.0 / (n + j - 1), axis=0)
        if not self.no_dropout:
            # log S1 = log a - log(b+x-1+d) + n (log(alpha+T) - log(alpha+t_x))
            left_x, inv_b = np.full(len(xs), -np.inf), np.zeros(len(xs))
            base = b + xs[self.can_leave] - 1 + d
            left_x[self.can_leave], inv_b[self.can_leave] = np.log(a) - np.log(base), 1.0 / base

        def mixing(rows: slice) -> np.ndarray:
            """The block's weighted sum of log(S1 + S2) and its gradient in (r, alpha[, a, b])."""
            w, ix, it, iT = self.w[rows], self.ix[rows], self.it[rows], self.iT[rows]
            L_T, E_T = L[iT], E[iT]
            log_u = self.log_gap[rows] + (np.log(time_scale) - L_T)
            parts = [log_s[i][ix] + (i + 1) * log_u for i in range(k - 1)]
            if not self.no_dropout:
                n_row, D = n[ix], L_T - L[it]
                parts.append(left_x[ix] + n_row * D)
            mix, shares = _log_one_plus_sum_exp(parts, len(w))
            sums = np.zeros(3 if self.no_dropout else 5)
            sums[0] = dot(w, mix)
            for i in range(k - 1):
                share = shares[i] * w
                sums[1] += dot(share, d_log_s[i][ix])
                sums[2] -= (i + 1) * dot(share, E_T)
            if not self.no_dropout:
                left = shares[-1] * w
                sums[1:] += [dot(left, D), dot(left * n_row, E_T - E[it]), left.sum() / a, -dot(left, inv_b[ix])]
            return sums

        # the blocks are added in a fixed order: the same data give the same fit to the last bit
        per_row = np.sum([mixing(slice(i, i + _BLOCK)) for i in range(0, len(self.w), _BLOCK)], axis=0)
        ll += per_row[0]
        d_r += per_row[1]
        d_alpha += per_row[2]
        if self.no_dropout:
            return -ll / self.total, -np.array([d_r * r, d_alpha * alpha]) / self.total
        beta_ratio, beta_da, beta_db = _log_beta_ratio(a, b, (xs + d).astype(np.int64))
        ll += dot(self.w_x, beta_ratio)
        d_a = dot(self.w_x, beta_da) + per_row[3]
        d_b = dot(self.w_x, beta_db) + per_row[4]
        return -ll / self.total, -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / self.total
