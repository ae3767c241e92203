"""How regular members' purchase timing is: the Wheat–Morrison estimate of the Erlang shape k.

With Erlang-k (gamma, shape k) times between purchases, the share of one of two consecutive
inter-purchase times in their sum, M = t1 / (t1 + t2), follows Beta(k, k) whatever the member's rate,
so Var(M) = 1 / (4 (2k + 1)) and k = (1 − 4 Var(M)) / (8 Var(M)) (Wheat and Morrison 1990, "Estimating
purchase regularity with two interpurchase times", Journal of Marketing Research 27(1)). k near 1 means
exponential, memoryless timing, as BG/NBD and Pareto/NBD assume; k of 2 or more means members buy on a
rhythm, which the CNBD-k models use (Platzer and Reutterer 2016).

Each member with at least two inter-purchase times (three distinct purchase days) gives the last two,
the most recent rhythm. The reference implementation (BTYDplus) puts one of the two, at random, over
their sum; here both shares count, t1/(t1+t2) and t2/(t1+t2): that is the expectation of its coin flip,
so the estimate is the same on every run.
"""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.data import engine

MIN_DAYS = 3   # distinct purchase days a member needs: two inter-purchase times


@dataclass(frozen=True)
class Regularity:
    k: float            # the Wheat–Morrison estimate of the Erlang shape (1: exponential timing)
    members: int        # members with two inter-purchase times, on which it rests

    def to_dict(self) -> dict:
        return {"k": self.k, "members": self.members}


def last_two_gaps(days) -> pd.DataFrame:
    """Per member with MIN_DAYS distinct purchase days or more: their last two gaps, in days (g1 the
    earlier). `days` is an Ibis table (or a frame) of (customer_id, d), d a date, one row per purchase
    day: `aggregate.member_purchase_days`."""
    t = engine.as_table(days)
    order = {"group_by": "customer_id", "order_by": "d"}
    gaps = t.mutate(gap=t.d.delta(t.d.lag().over(**order), unit="day"),   # back: 0 for the last day
                    back=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("d")))
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
