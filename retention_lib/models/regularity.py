"""How regular members' purchase timing is: the Erlang shape k, by the Wheat–Morrison estimate and by
maximum likelihood, and the spread of each member's gaps around their own mean for a chart.

Wheat–Morrison. With Erlang-k (gamma, shape k) times between purchases, the share of one of two
consecutive inter-purchase times in their sum, M = t1 / (t1 + t2), follows Beta(k, k) whatever the
member's rate, so Var(M) = 1 / (4 (2k + 1)) and k = (1 − 4 Var(M)) / (8 Var(M)) (Wheat and Morrison
1990, "Estimating purchase regularity with two interpurchase times", Journal of Marketing Research
27(1)). k near 1 means exponential, memoryless timing, as BG/NBD and Pareto/NBD assume; k of 2 or more
means members buy on a rhythm, which the CNBD-k models use (Platzer and Reutterer 2016, "Ticking away
the moments: timing regularity helps to better predict customer activity", Marketing Science 35(5)).
Each member with at least two inter-purchase times (three distinct purchase days) gives the last two,
the most recent rhythm. The reference implementation (BTYDplus) puts one of the two, at random, over
their sum; here both shares count, t1/(t1+t2) and t2/(t1+t2): that is the expectation of its coin flip,
so the estimate is the same on every run.

Maximum likelihood (`erlang_k`). Every completed gap of every member with one or more (two purchase days
or more) counts: each member's gaps are Erlang-k with rate λ_i, and λ_i ~ Gamma(r, α) across members.
Integrating λ_i out, a member with n gaps t_1..t_n summing to S has the marginal likelihood

    Γ(r + kn) / Γ(r) · α^r / (α + S)^(r + kn) · Π t_j^(k−1) / ((k−1)!)^n

so the fit needs, per member, only n and S, and the sum of log t over all gaps. For each k from 1 the
fit maximises it over (r, α); the last factor makes likelihoods at different k comparable, and k is the
one of highest likelihood, the search stopping at the first k that fits worse than the one before (as
the CNBD-k fit does). At k = 1 it is the exponential-gamma (Lomax, Pareto II) likelihood. BTYDplus's
estimateRegularity(method = "mle") fits a gamma shape to each customer with ten gaps or more and takes
the median; pooling every member under one k lets members with few gaps count too. The open time from
a member's last purchase to the end of the data is no gap and is left out; (r, α) then describe the
rates of the members as their completed gaps show them, while k, which is scale-free, is what the fit
is for. Days are whole, so a gap of 1 is "1 day or less": the density at whole days stands for the
probability of the day, close when gaps run to a week or more. For members who buy every few days it is
not: two purchases on one day are one purchase day, so no gap is under a day, which looks like a
rhythm (exponential timing at mean gaps near ten days, kept to distinct days, fits k = 2).

The chart (`gap_histogram`). Each gap of a member with two or more is divided by the member's own mean
gap. For a member with n Erlang-k gaps that ratio is n·Beta(k, k(n−1)) whatever their rate (near
Gamma(k, 1/k) for large n): spread like an exponential, mode at 0, for k = 1; bunched around 1 for a
rhythm. The engine counts the ratios in bins, so a chain's tens of millions of gaps never come to
pandas.
"""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _
from scipy import stats
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from retention_lib.data import engine
from retention_lib.models.summary import LOG_GAP_UNIT, log_gap_units

MIN_DAYS = 3   # distinct purchase days a member needs: two inter-purchase times


@dataclass(frozen=True)
class Regularity:
    k: float            # the Wheat–Morrison estimate of the Erlang shape (1: exponential timing)
    members: int        # members with two inter-purchase times, on which it rests

    def to_dict(self) -> dict:
        return {"k": self.k, "members": self.members}


def _with_gaps(days):
    """`days` as an Ibis table of distinct (customer_id, d) purchase days, each with `gap`, the days
    since the member's previous purchase day (null on their first)."""
    t = engine.as_table(days)
    t = t.select("customer_id", d=t.d.cast("date")).distinct()
    return t.mutate(gap=t.d.delta(t.d.lag().over(group_by="customer_id", order_by="d"), unit="day"))


def last_two_gaps(days) -> pd.DataFrame:
    """Per member with MIN_DAYS distinct purchase days or more: their last two gaps, in days (g1 the
    earlier). `days` is an Ibis table (or a frame) of (customer_id, d), d a date, one row per purchase
    day: `aggregate.member_purchase_days`."""
    t = _with_gaps(days)
    gaps = t.mutate(back=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("d")))  # 0: last day
    last = gaps.filter((gaps.back <= 1) & gaps.gap.notnull())
    per = last.group_by("customer_id").aggregate(
        n=_.count(), g1=_.gap.max(where=_.back == 1), g2=_.gap.max(where=_.back == 0))
    out = engine.backend_of(t).to_pyarrow(per.filter(per.n == 2).order_by("customer_id")).to_pandas()
    return out.set_index("customer_id")[["g1", "g2"]].astype("float64")


def wheat_morrison(days) -> Regularity:
    """The Wheat–Morrison regularity of members' purchase days (module docstring); NaN k with fewer
    than two members."""
    gaps = last_two_gaps(days)
    share = gaps["g2"].to_numpy() / (gaps["g1"].to_numpy() + gaps["g2"].to_numpy())
    both = np.concatenate([share, 1 - share])   # mean 1/2 by construction
    if len(gaps) < 2:
        return Regularity(float("nan"), len(gaps))
    var = float(np.var(both, ddof=1))
    return Regularity((1 - 4 * var) / (8 * var), len(gaps))


# --------------------------------------------------------------------------- maximum likelihood
@dataclass(frozen=True)
class ErlangFit:
    k: int | None       # the Erlang shape of highest likelihood; None with fewer than two members
    members: int        # members with one gap or more (two purchase days), on which it rests
    gaps: int           # their inter-purchase times
    r: float            # members' rates per day ~ Gamma(r, alpha) at that k (NaN without a fit)
    alpha: float
    log_likelihood_by_k: dict[int, float]   # every k tried, the worse last one too

    def to_dict(self) -> dict:
        return {"k": self.k, "members": self.members, "gaps": self.gaps, "r": self.r, "alpha": self.alpha,
                "log_likelihood_by_k": dict(self.log_likelihood_by_k)}


def _member_gap_sums(days) -> pd.DataFrame:
    """Members with one gap or more, by their number of gaps n and its sum s in days: `members` of them,
    `log_units` the sum of the logs of their gaps in LOG_GAP_UNIT (whole units: an exact sum, the same
    in any order). Few rows: members with the same (n, s) share one."""
    t = _with_gaps(days)
    per = t.filter(t.gap.notnull()).group_by("customer_id").aggregate(
        n=_.count(), s=_.gap.sum(),
        log_units=log_gap_units(_.gap).sum())
    groups = per.group_by(["n", "s"]).aggregate(members=_.count(), log_units=_.log_units.sum())
    return engine.backend_of(t).to_pyarrow(groups.order_by(["n", "s"])).to_pandas()


def _rate_mixture_fit(k: int, n, s, w) -> tuple[float, float, float]:
    """(r, alpha, log-likelihood without the parameter-free terms) of Gamma(r, alpha) rates for Erlang-k
    gaps, at its maximum; s in units of the mean gap, so alpha is too."""
    total = w.sum()

    def nll_and_grad(x):
        r, a = np.exp(x)
        rk = r + k * n
        log_ratio = np.log1p(s / a)     # log((a + s) / a), exact for small s / a
        ll = w @ (gammaln(rk) - gammaln(r) - r * log_ratio - k * n * np.log(a + s))
        d_r = w @ (digamma(rk) - digamma(r) - log_ratio)
        d_a = w @ (r / a - rk / (a + s))
        return -ll / total, -np.array([d_r * r, d_a * a]) / total

    # start at mean gap 1: k alpha / (r - 1) = 1 with r = 2
    res = minimize(nll_and_grad, np.log([2.0, 1.0 / k]), jac=True, method="BFGS",
                   options={"gtol": 1e-10, "maxiter": 500})
    r, a = np.exp(res.x)
    return float(r), float(a), float(-res.fun * total)


def erlang_k(days, k_max: int = 12) -> ErlangFit:
    """The Erlang shape k of members' gaps between purchase days by maximum likelihood, their rates
    gamma-distributed across members (module docstring). `days` as for `last_two_gaps`. With fewer
    than two members with a gap, k is None, r and alpha NaN and no k is tried."""
    groups = _member_gap_sums(days)
    n, s, w = (groups[c].to_numpy(dtype="float64") for c in ("n", "s", "members"))
    members, gaps = int(w.sum()), int(w @ n)
    if members < 2:
        return ErlangFit(None, members, gaps, float("nan"), float("nan"), {})
    log_gaps = int(groups["log_units"].sum()) * LOG_GAP_UNIT
    scale = float(w @ s) / gaps    # the mean gap, days
    fits: dict[int, tuple[float, float]] = {}
    tried: dict[int, float] = {}
    for k in range(1, k_max + 1):
        r, a, core = _rate_mixture_fit(k, n, s / scale, w)
        # in days: alpha scales with the gaps, and each of the k·n gamma events adds -log(scale)
        ll = core - k * gaps * np.log(scale) + (k - 1) * log_gaps - gaps * float(gammaln(k))
        tried[k] = float(ll)
        if fits and not ll > tried[k - 1]:
            break
        fits[k] = (r, a * scale)
    best = max(fits, key=tried.get)
    return ErlangFit(best, members, gaps, *fits[best], tried)


# --------------------------------------------------------------------------- the chart's histogram
@dataclass(frozen=True, eq=False)
class GapHistogram:
    """Gaps of members with MIN_DAYS purchase days or more, each over the member's own mean gap, in bins
    of 1/per_mean from 0 to `top`; those of `top` or more are counted in `beyond`, not in a bin."""
    edges: np.ndarray       # the bins' edges, 0 .. top
    counts: np.ndarray      # gaps per bin [edges[i], edges[i+1])
    beyond: int             # gaps of `top` times the member's mean or more
    gaps_by_n: pd.Series    # gaps by the number of gaps n of their member (members: gaps_by_n / n)

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.beyond

    @property
    def members(self) -> int:
        return int((self.gaps_by_n / self.gaps_by_n.index).sum())

    def shares(self) -> np.ndarray:
        """The share of all gaps in each bin (those beyond `top` make up the rest)."""
        return self.counts / max(self.total, 1)

    def _weights(self):
        n = self.gaps_by_n.index.to_numpy(dtype="float64")[:, None]
        return n, self.gaps_by_n.to_numpy(dtype="float64") / max(self.total, 1)

    def expected_shares(self, k: float) -> np.ndarray:
        """The share of gaps each bin would hold if every member's gaps were Erlang-k: a member's
        ratios are n·Beta(k, k(n−1)), whatever their rate."""
        n, w = self._weights()
        cdf = stats.beta.cdf(self.edges[None, :] / n, k, k * (n - 1))
        return w @ np.diff(cdf, axis=1)

    def density(self, k: float, x) -> np.ndarray:
        """The density of the ratio at `x` if every member's gaps were Erlang-k (expected_shares per
        unit of the ratio)."""
        n, w = self._weights()
        return w @ (stats.beta.pdf(np.asarray(x, dtype="float64")[None, :] / n, k, k * (n - 1)) / n)


def gap_histogram(days, per_mean: int = 10, top: int = 3) -> GapHistogram:
    """The gaps of members with MIN_DAYS purchase days or more over their own mean gap, counted in
    bins of 1/per_mean up to `top` by the engine. The bin of a gap g of a member with n gaps summing to
    s is floor(g·n·per_mean / s), in whole numbers: exact, so a ratio on an edge is in the bin it opens."""
    t = _with_gaps(days)
    member = {"group_by": "customer_id"}
    gaps = t.filter(t.gap.notnull())
    gaps = gaps.mutate(n=_.gap.count().over(**member), s=_.gap.sum().over(**member))
    last = per_mean * top     # the bin index of `beyond`
    binned = gaps.filter(gaps.n >= MIN_DAYS - 1).mutate(
        bin=ibis.least((gaps.gap * gaps.n * per_mean) // gaps.s, last))
    counted = binned.group_by(["n", "bin"]).aggregate(gaps=_.count())
    out = engine.backend_of(t).to_pyarrow(counted.order_by(["n", "bin"])).to_pandas()
    per_bin = np.bincount(out["bin"].to_numpy(dtype="int64"), weights=out["gaps"].to_numpy(dtype="float64"),
                          minlength=last + 1).astype("int64")
    return GapHistogram(edges=np.arange(last + 1) / per_mean, counts=per_bin[:last], beyond=int(per_bin[last]),
                        gaps_by_n=out.groupby("n")["gaps"].sum().astype("int64"))
