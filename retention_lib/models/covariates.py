"""BG/NBD with static covariates: each member's purchase rate and dropout chance move with their attributes.

For member i with covariate vector z_i (Fader & Hardie's note 019 on time-invariant covariates,
as CLVTools fits them; z = 0 is the reference member, whose parameters are the baseline):
    alpha_i = alpha0 exp(-gamma_purchase . z_i)   lambda ~ Gamma(r, alpha_i): a positive gamma, more purchases
    a_i = a0 exp(gamma_a . z_i),  b_i = b0 exp(gamma_b . z_i)   p ~ Beta(a_i, b_i): dropout after a purchase
CLVTools ties gamma_a = gamma_b (one "life" vector), which keeps the mean dropout chance a/(a+b) the
same for everyone and moves only its spread; here they are free, so a covariate can move the mean
(a positive gamma_a raises it, a positive gamma_b lowers it), and the tied model is nested in ours.

The fit is Newton's (scipy's trust-exact) on the exact gradient and Hessian, from the BG/NBD fit
without covariates (btyd.fit, which the likelihood ratio test needs anyway) with every gamma at 0;
with no covariates it is that fit, parameters and log-likelihood.
Members are compressed into distinct (frequency, recency, T, covariate pattern) rows with weights,
and everything depending on the pattern alone is summed per pattern, so a categorical covariate
such as the home store costs little. The inverse Hessian at the optimum gives the standard errors.
Predictions put each member's own (r, alpha_i, a_i, b_i) into BTYDModel's formulas, which broadcast.

Encoding (models/covariate_encoding.py) turns raw member attributes into the covariate columns.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, polygamma
from scipy.stats import chi2

from retention_lib.core.stats import Z95, dot
from retention_lib.models import btyd
from retention_lib.models.fit_budget import MAX_ITER, MAX_SECONDS, FitBudget, ModelUnusable
from retention_lib.models.covariate_encoding import Encoding
from retention_lib.models.histories import Histories

__all__ = ["CovariateModel", "Encoding", "fit"]

NAME = "BG/NBD with covariates"
PROCESSES = ("purchase", "dropout_a", "dropout_b")


# ------------------------------------------------------------------ compression

def _pattern_codes(Z: np.ndarray) -> np.ndarray:
    """The code of each row's distinct covariate vector. 0/1 columns (one-hot levels, flags) are
    packed 52 to a float, exactly, by a product with powers of two; the others factorised one by one."""
    binary = np.flatnonzero(((Z == 0) | (Z == 1)).all(axis=0))
    parts = []
    for i in range(0, len(binary), 52):
        powers = np.zeros(Z.shape[1])
        powers[binary[i:i + 52]] = 2.0 ** np.arange(len(binary[i:i + 52]))
        parts.append(Z @ powers)
    code, radix = np.zeros(len(Z), dtype=np.int64), 1
    for column in parts + [Z[:, k] for k in np.setdiff1d(np.arange(Z.shape[1]), binary)]:
        c, levels = pd.factorize(column)
        if radix * len(levels) >= 2 ** 62:       # one int64 key would overflow: renumber first
            code = pd.factorize(code)[0]
            radix = int(code.max()) + 1
        code, radix = code * len(levels) + c, radix * len(levels)
    return code


class _Rows:
    """Distinct (frequency, recency, T, covariate pattern) rows with weights, sorted by pattern and
    then frequency, so each (pattern, frequency) pair and each pattern is a run of consecutive rows
    (the sums per pair and per pattern then read memory in order)."""

    def __init__(self, summary: pd.DataFrame, Z: np.ndarray):
        h = Histories(summary["frequency"], summary["recency"], summary["T"])
        kept = np.flatnonzero(h.group >= 0)                 # NaN times are dropped, as btyd.fit does
        pattern, distinct = pd.factorize(_pattern_codes(Z)[kept])
        member = np.zeros(len(distinct), dtype=np.int64)
        member[pattern] = kept                                # any member of each pattern will do
        self.patterns = Z[member]
        # one sort groups the customers by (pattern, history), the histories ranked by frequency
        by_x = np.argsort(h.frequency_code, kind="stable")
        rank = np.empty_like(by_x)
        rank[by_x] = np.arange(len(by_x))
        key = np.sort(pattern * len(h) + rank[h.group[kept]])
        first = np.flatnonzero(np.diff(key, prepend=-1))
        g, hg = np.divmod(key[first], len(h))
        hg = by_x[hg]
        self.weight = np.diff(np.append(first, len(key))).astype(float)
        self.g, self.x, self.recency, self.T = g, h.frequency[hg].astype(float), h.recency[hg], h.T[hg]
        pair_key = g * len(h.frequencies) + h.frequency_code[hg]
        self.pair = np.cumsum(np.diff(pair_key, prepend=-1) != 0) - 1   # each row's (pattern, frequency) pair

    def __len__(self) -> int:
        return len(self.weight)


# ------------------------------------------------------------------ the likelihood

def _trigamma(z) -> np.ndarray:
    """psi'(z) for z > 0, to 1e-13 relative, at a tenth of the cost of scipy's polygamma: the
    recurrence psi'(z) = psi'(z + 1) + 1/z^2 up to z >= 10, then the asymptotic series."""
    z = np.array(z, dtype=float)
    out = np.zeros_like(z)
    small = np.flatnonzero(z < 10)
    while len(small):
        out[small] += 1.0 / z[small] ** 2
        z[small] += 1.0
        small = small[z[small] < 10]
    w = 1.0 / z
    w2 = w * w
    return out + w + w2 * (0.5 + w * (1 / 6 + w2 * (-1 / 30 + w2 * (1 / 42 + w2 * (-1 / 30 + w2 * 5 / 66)))))


class _Terms:
    """The BG/NBD log-likelihood of the rows with its gradient and Hessian in
    theta = (log r, log alpha0, gamma_purchase, log a0, gamma_a, log b0, gamma_b).

    Per pattern g, (log alpha_g, log a_g, log b_g) = X_u theta_u, X_a theta_a, X_b theta_b with
    X_u = [1, -Z_purchase] and X_a = X_b = [1, Z_dropout]. The derivatives in (log r, log alpha_g,
    log a_g, log b_g) are summed per pattern and mapped to theta through the X's. The per-member
    log-likelihood (FHL 2005 eq. 6) is the sum of
      log Gamma(r+x) - log Gamma(r) + r log alpha - (r+x) log(alpha+T)     (tables of x, and rows)
      log B(a, b+x) / B(a, b)                                             (per (pattern, x) pair)
      softplus(z), z = log a - log(b+x-1) + (r+x)(log(alpha+T) - log(alpha+t_x)), or 0 at x = 0
    where z is taken as -inf at x = 0, so every row goes through the same vectorised steps.
    """

    def __init__(self, rows: _Rows, Zu: np.ndarray, Zd: np.ndarray):
        ones = np.ones((len(rows.patterns), 1))
        self.X = (np.hstack([ones, -Zu]), np.hstack([ones, Zd]), np.hstack([ones, Zd]))
        self.sizes = [1] + [X.shape[1] for X in self.X]
        self.G = len(rows.patterns)
        w = rows.weight
        self.g, self.x, self.w, self.T, self.t_x, self.pair = rows.g, rows.x, w, rows.T, rows.recency, rows.pair
        self.wx = w * rows.x
        self.total = float(w.sum())
        self.xs, x_code = np.unique(rows.x, return_inverse=True)
        self.w_x = np.bincount(x_code, w, len(self.xs))
        self.W_g = np.bincount(rows.g, w, self.G)
        first = np.flatnonzero(np.diff(rows.pair, prepend=-1))     # the first row of each pair
        self.pg, self.px = rows.g[first], rows.x[first]
        self.pw = np.bincount(rows.pair, w, len(first)) * (self.px > 0)   # the beta ratio is 0 at x = 0
        self.W_rep = np.bincount(self.pg, self.pw, self.G)

    def parameters(self, theta):
        """r and, per pattern, alpha, a and b."""
        parts = np.split(np.asarray(theta, dtype=float), np.cumsum(self.sizes)[:-1])
        return (np.exp(parts[0][0]),) + tuple(np.exp(np.einsum("gi,i->g", X, c)) for X, c in zip(self.X, parts[1:]))

    def log_likelihood(self, theta) -> float:
        return -self(theta)[0] * self.total

    def __call__(self, theta):
        """Mean negative log-likelihood with its gradient and Hessian (inf where not finite)."""
        with np.errstate(all="ignore"):
            ll, grad, hess = self._derivatives(theta)
        if not (np.isfinite(ll) and np.isfinite(grad).all() and np.isfinite(hess).all()):
            return np.inf, np.zeros_like(grad), np.eye(len(grad))
        return -ll / self.total, -grad / self.total, -hess / self.total

    def _derivatives(self, theta):
        r, alpha, a, b = self.parameters(theta)
        w, x, pg, px, P = self.w, self.x, self.pg, self.px, len(self.pg)

        def to_pairs(values):
            return np.bincount(self.pair, values, P)

        def to_patterns(values):
            return np.bincount(pg, values, self.G)

        # per row: z and its derivatives in (log r, log alpha): z_r = r D, z_u = (r+x)(e_T - e_t)
        al = alpha[self.g]
        AT, At = al + self.T, al + self.t_x
        L_T = np.log(AT)
        D = L_T - np.log(At)
        e_T, e_t = al / AT, al / At
        de = e_T - e_t
        rx = r + x
        bx1 = b[pg] + px - 1
        q = np.where(px > 0, b[pg] / bx1, 0.0)                        # -dz/dlog b, per pair
        z = np.where(px > 0, np.log(a[pg]) - np.log(bx1), -np.inf)[self.pair] + rx * D
        ll = dot(w, np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))   # softplus
        sig = expit(z)
        ws = w * sig
        wc = ws - ws * sig                                            # w sigma (1 - sigma)
        rD, z_u = r * D, rx * de
        wc_rD, wc_u = wc * rD, wc * z_u

        # the terms without z: sums of the rows, and of the frequency table
        u = np.log(alpha)
        wL = dot(w, L_T)
        ll += dot(self.w_x, gammaln(r + self.xs) - gammaln(r)) + r * dot(self.W_g, u) - r * wL - dot(self.wx, L_T)
        d_r = r * (dot(self.w_x, digamma(r + self.xs) - digamma(r)) + dot(self.W_g, u) - wL) + dot(ws, rD)
        h_rr = d_r + r * r * dot(self.w_x, polygamma(1, r + self.xs) - polygamma(1, r)) + dot(wc_rD, rD)
        we = w * e_T
        wrx_e = rx * we

        # sums per pair, then per pattern; dz/dlog a = 1, dz/dlog b = -q (q per pair)
        S, C, CR, CU = to_pairs(ws), to_pairs(wc), to_pairs(wc_rD), to_pairs(wc_u)
        ws_u = ws * z_u
        d_u = to_patterns(to_pairs(ws_u - wrx_e)) + r * self.W_g
        h_ru = to_patterns(to_pairs(wc_rD * z_u + r * (ws * de - we))) + r * self.W_g
        h_uu = to_patterns(to_pairs(wc_u * z_u + ws_u * (1 - e_T - e_t) - wrx_e * (1 - e_T)))
        d_a, d_b = to_patterns(S), -to_patterns(q * S)
        h_ra, h_rb = to_patterns(CR), -to_patterns(q * CR)
        h_ua, h_ub = to_patterns(CU), -to_patterns(q * CU)
        h_aa, h_ab, h_bb = to_patterns(C), -to_patterns(q * C), to_patterns(q * q * C - q * (1 - q) * S)

        # the beta ratio: log Gamma(b+x) - log Gamma(b) - log Gamma(a+b+x) + log Gamma(a+b), per pair
        ab = a + b
        bp, abp, pw = b[pg] + px, ab[pg] + px, self.pw
        ll += dot(pw, gammaln(bp) - gammaln(abp)) + dot(self.W_rep, gammaln(ab) - gammaln(b))
        d1 = self.W_rep * digamma(ab) - to_patterns(pw * digamma(abp))     # sums of psi(a+b) - psi(a+b+x)
        d2 = to_patterns(pw * digamma(bp)) - self.W_rep * digamma(b)       # and of psi(b+x) - psi(b)
        t1 = self.W_rep * _trigamma(ab) - to_patterns(pw * _trigamma(abp))
        t2 = to_patterns(pw * _trigamma(bp)) - self.W_rep * _trigamma(b)
        d_a += a * d1
        d_b += b * (d1 + d2)
        h_aa += a * d1 + a * a * t1
        h_ab += a * b * t1
        h_bb += b * (d1 + d2) + b * b * (t1 + t2)

        # to theta, through the designs (einsum: see core.stats.dot)
        X = self.X
        grad = np.concatenate([[d_r]] + [np.einsum("gi,g->i", Xi, di) for Xi, di in zip(X, (d_u, d_a, d_b))])
        edges = np.cumsum([0] + self.sizes)
        at = [slice(edges[i], edges[i + 1]) for i in range(4)]
        hess = np.empty((edges[-1], edges[-1]))
        hess[0, 0] = h_rr
        for i, h_ri in enumerate((h_ru, h_ra, h_rb)):
            hess[0, at[i + 1]] = hess[at[i + 1], 0] = np.einsum("gi,g->i", X[i], h_ri)
        within = {(0, 0): h_uu, (0, 1): h_ua, (0, 2): h_ub, (1, 1): h_aa, (1, 2): h_ab, (2, 2): h_bb}
        for (i, j), h in within.items():
            block = np.einsum("gi,gj->ij", X[i] * h[:, None], X[j])
            hess[at[i + 1], at[j + 1]] = block
            hess[at[j + 1], at[i + 1]] = block.T
        return ll, grad, (hess + hess.T) / 2   # a diagonal block's (k, l) and (l, k) sums round apart


# ------------------------------------------------------------------ the fitted model

@dataclass
class CovariateModel:
    """A fitted BG/NBD with static covariates, as plain values (JSON)."""
    params: dict[str, float]          # r, alpha, a, b of the reference member (all covariates 0)
    purchase: list[str]               # covariates on the purchase rate (alpha)
    dropout: list[str]                # covariates on the dropout chance (a and b)
    effects: list[dict]               # per gamma: process, covariate, gamma, se, low, high (95%)
    log_likelihood: float
    base_log_likelihood: float        # of the BG/NBD without covariates (btyd.fit)
    time_unit: str = "weeks"
    n_customers: int = 0
    n_distinct_rows: int = 0
    encoding: list[dict] = field(default_factory=list)   # Encoding.columns, when fitted on one
    leaving: list[dict] = field(default_factory=list)    # per dropout covariate: log odds of leaving, se, 95%
    tied_dropout: bool = False        # gamma_a = gamma_b (CLVTools' model): the odds of leaving do not move

    def gammas(self, process: str) -> np.ndarray:
        return np.array([e["gamma"] for e in self.effects if e["process"] == process])

    def effects_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.effects, columns=["process", "covariate", "gamma", "se", "low", "high"])

    @property
    def likelihood_ratio(self) -> dict[str, float]:
        """Against the BG/NBD without covariates: 2 x the log-likelihood gain, chi-squared with
        one degree of freedom per free gamma (tied, a dropout covariate has one)."""
        df = len(self.effects) - (len(self.dropout) if self.tied_dropout else 0)
        statistic = 2 * (self.log_likelihood - self.base_log_likelihood)
        return {"statistic": statistic, "df": df,
                "p_value": float(chi2.sf(max(statistic, 0.0), df)) if df else 1.0}

    def encode(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Covariates of raw member attributes, encoded as when the model was fitted."""
        return Encoding(self.encoding).transform(raw)

    def members(self, covariates: pd.DataFrame) -> btyd.BTYDModel:
        """A BG/NBD whose parameters are arrays, one entry per row of `covariates` (each member's
        own alpha_i, a_i, b_i): its p_alive, expected_purchases, p_no_purchase and score take
        the members' histories in the same order."""
        Z = _matrix(covariates, self.purchase + self.dropout)
        Zu, Zd = Z[:, :len(self.purchase)], Z[:, len(self.purchase):]
        p = self.params
        return btyd.BTYDModel("bgnbd", {"r": p["r"], "alpha": p["alpha"] * np.exp(-Zu @ self.gammas("purchase")),
                                        "a": p["a"] * np.exp(Zd @ self.gammas("dropout_a")),
                                        "b": p["b"] * np.exp(Zd @ self.gammas("dropout_b"))},
                              time_unit=self.time_unit)

    def score(self, summary: pd.DataFrame, covariates: pd.DataFrame, horizons: dict[str, float]) -> pd.DataFrame:
        """P(alive), expected purchases and P(no purchase) per named horizon, for each member of the
        summary with their own parameters (covariates are looked up by the summary's index)."""
        return self.members(_aligned(covariates, summary.index)).score(summary, horizons)

    def to_json(self, path: Path | str) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path: Path | str) -> "CovariateModel":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def _aligned(covariates: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    if not covariates.index.is_unique:
        raise ValueError("covariates must have one row per customer (their index repeats)")
    out = covariates.reindex(index)
    absent = out.isna().any(axis=1)
    if absent.any():
        raise ValueError(f"covariates are missing for {int(absent.sum()):,} customers, e.g. "
                         f"{list(index[absent.to_numpy()][:3])}: encode missing values (Encoding) first")
    return out


def _matrix(covariates: pd.DataFrame, names: list[str]) -> np.ndarray:
    absent = [c for c in names if c not in covariates.columns]
    if absent:
        raise ValueError(f"no covariate column {absent[0]!r} (columns: {list(covariates.columns)})")
    try:
        return covariates[names].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("covariates must be numbers: encode categorical columns with Encoding") from exc


def _check_identifiable(Z: np.ndarray, names: list[str], weight: np.ndarray) -> None:
    """Each covariate must vary, and none may be a combination of the others (of the patterns, weighted)."""
    for k, name in enumerate(names):
        if np.ptp(Z[:, k]) == 0:
            raise ModelUnusable(f"{NAME}: covariate {name!r} is the same for every customer, so it has no "
                                f"effect to estimate")
    centred = Z - weight @ Z / weight.sum()
    gram = (centred * weight[:, None]).T @ centred
    if len(names) and np.linalg.matrix_rank(gram, hermitian=True) < len(names):
        raise ModelUnusable(f"{NAME}: the covariates {names} are collinear (one is a combination of the "
                            f"others, e.g. every level of a category kept): their effects cannot be told apart")


def fit(summary: pd.DataFrame, covariates: pd.DataFrame, *, purchase=None, dropout=None,
        encoding: Encoding | None = None, base: btyd.BTYDModel | None = None, time_unit: str = "weeks",
        tie_dropout: bool = False, max_iter: int = MAX_ITER, max_seconds: float = MAX_SECONDS) -> CovariateModel:
    """Fit BG/NBD with static covariates on a summary (frequency, recency, T, indexed by customer_id)
    and numeric covariates indexed by customer_id (Encoding.transform gives them; z = 0 is the
    reference member). `purchase` and `dropout` name the columns on each process (all by default).
    `base` is btyd.fit(summary, "bgnbd") where the caller has it already (else it is fitted here):
    the start of the fit and the model the likelihood ratio test is against. `tie_dropout` fits
    CLVTools' model, gamma_a = gamma_b (its "life" covariates): the nested model that
    `retention verify-models` holds to CLVTools' figures; its odds of leaving do not move (no `leaving`).

    The wall clock (`max_seconds`) covers the whole fit, the BG/NBD without covariates included;
    `max_iter` each optimiser. Ends in a model, or ModelUnusable saying why: the BG/NBD itself
    cannot be used, a covariate does not vary or is collinear with others, the budget ran out,
    the effects cannot be estimated (the likelihood is flat along some), or the predictions are
    not finite.
    """
    Z = _aligned(covariates, summary.index)
    purchase = list(Z.columns) if purchase is None else list(purchase)
    dropout = list(Z.columns) if dropout is None else list(dropout)
    used = list(dict.fromkeys(purchase + dropout))
    budget = FitBudget(NAME, f"{len(summary):,} customers", max_iter, max_seconds)
    rows = _Rows(summary, _matrix(Z, used))
    n = int(rows.weight.sum())
    _check_identifiable(rows.patterns, used, np.bincount(rows.g, rows.weight, len(rows.patterns)))
    if base is None:
        base = btyd.fit(summary, "bgnbd", time_unit=time_unit, max_iter=max_iter, max_seconds=max_seconds)
    # fitted about the mean member (centred covariates), where the intercepts and the gammas are
    # nearly uncorrelated and the Hessian well conditioned; mapped back to the reference member after
    column = {name: k for k, name in enumerate(used)}
    mean = np.bincount(rows.g, rows.weight, len(rows.patterns)) @ rows.patterns / n
    on_u, on_d = ([column[c] for c in names] for names in (purchase, dropout))
    terms = _Terms(rows, rows.patterns[:, on_u] - mean[on_u], rows.patterns[:, on_d] - mean[on_d])
    # theta = (log r, log alpha0, gamma_purchase, log a0, gamma_a, log b0, gamma_b); block i starts at edges[i]
    edges = np.cumsum([0] + terms.sizes)
    # the free parameters phi map to theta = M phi; tied, gamma_b's entries repeat gamma_a's
    M = np.eye(edges[-1])
    if tie_dropout:
        M[edges[3] + 1:edges[4]] = M[edges[2] + 1:edges[3]]
        M = np.delete(M, np.s_[edges[3] + 1:edges[4]], axis=1)
    theta0 = np.zeros(edges[-1])
    theta0[edges[:4]] = np.log([base.params[k] for k in ("r", "alpha", "a", "b")])
    evaluations = {}

    def value_and_grad(phi):
        key = phi.tobytes()
        if key not in evaluations:   # trust-exact asks for the Hessian at the point it just evaluated
            evaluations.clear()
            value, grad, hess = terms(M @ phi)
            evaluations[key] = value, M.T @ grad, M.T @ hess @ M
        return evaluations[key][:2]

    def hessian(phi):
        value_and_grad(phi)
        return evaluations[phi.tobytes()][2]

    phi0 = theta0 @ M    # M's columns pick theta's free entries, and theta0's gammas are 0
    if base.kind != "bgnbd" or not np.isclose(-value_and_grad(phi0)[0] * terms.total, base.log_likelihood,
                                              rtol=1e-9, atol=0):
        raise ValueError(f"base must be the BG/NBD fitted on this summary, not {base.name} with "
                         f"log-likelihood {base.log_likelihood:.6g}")

    res = minimize(budget.watch(value_and_grad), phi0, jac=True, hess=hessian, method="trust-exact",
                   callback=budget.step, options={"gtol": 1e-9, "maxiter": budget.scipy_maxiter})
    phi = res.x
    value, grad = value_and_grad(phi)
    if not (np.isfinite(value) and np.max(np.abs(grad)) < 1e-6):
        raise ModelUnusable(f"{NAME} did not converge on {budget.population}: {res.message}")
    slots = [(j, process, name) for process, names, start in zip(PROCESSES, (purchase, dropout, dropout), edges[1:4])
             for j, name in enumerate(names, start + 1)]
    eigen, vectors = np.linalg.eigh(hessian(phi))
    if not eigen[0] > 1e-10 * eigen[-1]:   # name the effects with a share in the flat directions
        share = M @ (vectors[:, eigen <= 1e-10 * eigen[-1]] ** 2).sum(axis=1)
        flat = [f"{name} ({process})" for j, process, name in slots if share[j] > 0.1]
        raise ModelUnusable(f"{NAME} cannot estimate every effect on {budget.population}: the likelihood is "
                            f"flat along {', '.join(flat) or 'the baseline'} (a level in which nobody repeats "
                            f"or nobody leaves, or too few members)")
    theta = M @ phi
    cov = M @ np.linalg.inv(hessian(phi) * terms.total) @ M.T
    se = np.sqrt(np.diag(cov))
    r, alpha, a, b = terms.parameters(theta)
    _check_predictions(rows, r, alpha, a, b, n)
    effects = [{"process": process, "covariate": name, "gamma": float(theta[j]), "se": float(se[j]),
                "low": float(theta[j] - Z95 * se[j]), "high": float(theta[j] + Z95 * se[j])}
               for j, process, name in slots]
    # the odds of leaving after a purchase, a_i / b_i, move by exp(gamma_a - gamma_b): the one dropout figure a
    # reader needs, with its interval from the joint covariance of the two
    leaving = []
    for k, name in enumerate([] if tie_dropout else dropout):
        ja, jb = edges[2] + 1 + k, edges[3] + 1 + k
        diff, sd = theta[ja] - theta[jb], np.sqrt(cov[ja, ja] + cov[jb, jb] - 2 * cov[ja, jb])
        leaving.append({"covariate": name, "log_odds": float(diff), "se": float(sd),
                        "low": float(diff - Z95 * sd), "high": float(diff + Z95 * sd)})
    gamma_u, gamma_a, gamma_b = (theta[edges[i] + 1:edges[i + 1]] for i in (1, 2, 3))
    reference = theta[edges[:4]] + [0, mean[on_u] @ gamma_u, -mean[on_d] @ gamma_a, -mean[on_d] @ gamma_b]
    params = dict(zip(("r", "alpha", "a", "b"), map(float, np.exp(reference))))
    return CovariateModel(params, purchase, dropout, effects, log_likelihood=float(-value * terms.total),
                          base_log_likelihood=base.log_likelihood, time_unit=time_unit, n_customers=n,
                          n_distinct_rows=len(rows), encoding=encoding.columns if encoding else [],
                          leaving=leaving, tied_dropout=tie_dropout)


def _check_predictions(rows: _Rows, r, alpha, a, b, n: int) -> None:
    """Fail at fit time with the reason, not later in score(): the predictions over the history's
    length on every fitted row, each with its own parameters."""
    g = rows.g
    member = btyd.BTYDModel("bgnbd", {"r": r, "alpha": alpha[g], "a": a[g], "b": b[g]})
    horizon = float(rows.T.max())
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ahead = member.expected_purchases(horizon, rows.x, rows.recency, rows.T)
        quiet = member.p_no_purchase(horizon, rows.x, rows.recency, rows.T)
    bad = ~(np.isfinite(ahead) & np.isfinite(quiet))
    if bad.any():
        raise ModelUnusable(f"{NAME} gives non-finite predictions for {int(rows.weight[bad].sum()):,} of "
                            f"{n:,} customers with their fitted parameters")
