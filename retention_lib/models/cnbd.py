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
from scipy.special import betainc, digamma, expit, gammaln, logsumexp

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
                       logsumexp(log_phase_terms(k, r, alpha, x, t_x, T), axis=-1))
    return (k - 1) * np.asarray(litt, dtype=float) - x * gammaln(k) + core + mix


def p_alive(params, d: int, x, t_x, T) -> np.ndarray:
    k, r, alpha, a, b = params
    k = int(k)
    left = log_left_term(k, r, alpha, a, b, d, x, t_x, T)
    alive = logsumexp(log_phase_terms(k, r, alpha, x, t_x, T), axis=-1)
    return expit(alive - left)


def phase_weights(params, x, t_x, T) -> np.ndarray:
    """P(phase j | alive at T), shape (..., k)."""
    k, r, alpha = int(params[0]), params[1], params[2]
    terms = log_phase_terms(k, r, alpha, x, t_x, T)
    return np.exp(terms - logsumexp(terms, axis=-1, keepdims=True))


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


class CNBDTerms:
    """The likelihood of one k on compressed rows, without its parameter-free terms, with the
    gradient in log-parameters; in time multiplied by time_scale. `no_dropout` drops the dropout
    process (a = 0): the nested model the fit is tested against."""

    def __init__(self, h: Histories, k: int, d: int, every: int = 1, no_dropout: bool = False):
        self.k, self.d, self.no_dropout = int(k), int(d), no_dropout
        self.x = h.frequency[::every].astype(float)
        self.t_x, self.T = h.recency[::every], h.T[::every]
        self.w = h.weight[::every].astype(float)
        self.total = float(self.w.sum())
        self.xs, self.x_code = np.unique(self.x, return_inverse=True)
        self.w_x = np.bincount(self.x_code, self.w, len(self.xs))

    def nll_and_grad(self, log_params, time_scale=1.0):
        k, d, x, w = self.k, self.d, self.x, self.w
        if self.no_dropout:
            r, alpha = np.exp(log_params)
            a = b = 1.0
        else:
            r, alpha, a, b = np.exp(log_params)
        T, t_x = self.T * time_scale, self.t_x * time_scale
        n = r + k * x
        L_T = np.log(alpha + T)
        ll = self.w_x @ (gammaln(r + k * self.xs)) + self.total * (r * np.log(alpha) - gammaln(r)) - w @ (n * L_T)
        d_r = self.w_x @ digamma(r + k * self.xs) + self.total * (np.log(alpha) - digamma(r)) - w @ L_T
        d_alpha = self.total * r / alpha - w @ (n / (alpha + T))
        # the mixing term log(S1 + S2) by its parts' shares
        phases = log_phase_terms(k, r, alpha, x, t_x, T)
        if self.no_dropout:
            parts = phases
        else:
            left = log_left_term(k, r, alpha, a, b, d, x, t_x, T)
            parts = np.concatenate([left[:, None], phases], axis=1)
        mix = logsumexp(parts, axis=1)
        share = np.exp(parts - mix[:, None])
        ll += w @ mix
        ws = share * w[:, None]
        phase_share = ws[:, -k:]
        j = np.arange(k)
        # d s_j / d r = sum_{i<j} 1/(n+i); d s_j / d alpha = -j/(alpha+T)
        inv = np.cumsum(np.concatenate([np.zeros((len(x), 1)), 1.0 / (n[:, None] + j[None, :-1])], axis=1), axis=1)
        d_r += (phase_share * inv).sum()
        d_alpha -= (phase_share @ j) @ (1.0 / (alpha + T))
        if self.no_dropout:
            grad = -np.array([d_r * r, d_alpha * alpha]) / self.total
            return -ll / self.total, grad
        left_share = ws[:, 0]
        D = np.log(alpha + T) - np.log(alpha + t_x)
        d_r += left_share @ D
        d_alpha += left_share @ (n * (1.0 / (alpha + T) - 1.0 / (alpha + t_x)))
        d_a = left_share.sum() / a
        d_b = -left_share @ (1.0 / np.maximum(b + x - 1 + d, 1e-300))
        beta_ratio, beta_da, beta_db = _log_beta_ratio(a, b, (self.xs + d).astype(np.int64))
        ll += self.w_x @ beta_ratio
        d_a += self.w_x @ beta_da
        d_b += self.w_x @ beta_db
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / self.total
        return -ll / self.total, grad
