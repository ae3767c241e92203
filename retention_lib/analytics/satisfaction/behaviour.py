"""Do dissatisfied members leave? Later churn, P(alive) and spend of surveyed members by the
NPS group of their last survey, with 95% intervals."""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.analytics.satisfaction.scores import MIN_N, NPS_GROUPS, in_period, nps_group
from retention_lib.core.messages import Message
from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import difference_interval, mean_interval, wilson
from retention_lib.data import engine
from retention_lib.data.aggregate import money



def survey_cohort(surveys: pd.DataFrame, start, end) -> pd.DataFrame:
    """Each member's last survey submitted in [start, end), with their NPS group."""
    s = in_period(surveys, start, end)
    s = s[s["customer_id"].notna()] if "customer_id" in s else s.iloc[0:0]
    last = s.sort_values("submitted_at").drop_duplicates("customer_id", keep="last")
    return pd.DataFrame({"customer_id": last["customer_id"].to_numpy(),
                         "submitted_at": last["submitted_at"].to_numpy(),
                         "nps": last["nps"].to_numpy(), "group": nps_group(last["nps"]).to_numpy()})


def outcome_window(cohort: pd.DataFrame, baskets, start, end) -> pd.DataFrame:
    """Per surveyed member: purchases and net spend (exact) in [start, end), and churned = no purchase.
    `baskets` is an Ibis table (the run's, on its engine) or a frame."""
    b = engine.as_table(baskets)
    b = b.filter(b.is_member & (b.timestamp >= pd.Timestamp(start).to_pydatetime())
                 & (b.timestamp < pd.Timestamp(end).to_pydatetime()))
    ids = ibis.memtable(pd.DataFrame({"customer_id": cohort["customer_id"].astype(str).to_numpy()}))
    b = b.semi_join(ids, "customer_id")
    per = b.group_by("customer_id").aggregate(purchases=_.count(where=_.is_purchase),
                                              spend=money(_.amount).sum().cast("float64"))
    per = engine.backend_of(b).to_pyarrow(per).to_pandas().set_index("customer_id")
    out = cohort.set_index("customer_id").join(per)
    out["purchases"] = out["purchases"].fillna(0).astype(int)
    out["spend"] = out["spend"].fillna(0.0)
    out["churned"] = out["purchases"] == 0
    return out


@dataclass
class BehaviourResult:
    table: pd.DataFrame            # per NPS group: members, churn share, P(alive), spend, each with intervals
    detractor_vs_promoter: dict | None
    window_days: int
    cohort_start: pd.Timestamp
    cohort_end: pd.Timestamp       # exclusive; also the start of the outcome window
    end: pd.Timestamp              # exclusive: the month's end
    members: int

    @property
    def definition(self) -> Message:
        """Who is in the cohort, and what churned, spend and P(alive) mean here."""
        return Message("behaviour.definition", cohort_start=self.cohort_start.normalize(),
                       cohort_last=(self.cohort_end - pd.Timedelta(days=1)).normalize(),
                       window_days=self.window_days, outcome_start=self.cohort_end.normalize(),
                       outcome_end=(self.end - pd.Timedelta(days=1)).normalize())

    def to_dict(self) -> dict:
        return {"window_days": self.window_days, "cohort_start": str(self.cohort_start.date()),
                "cohort_end": str((self.cohort_end - pd.Timedelta(days=1)).date()),
                "outcome_start": str(self.cohort_end.date()),
                "outcome_end": str((self.end - pd.Timedelta(days=1)).date()), "members": self.members,
                "definition": self.definition, "groups": self.table.reset_index().to_dict("records"),
                "detractor_vs_promoter": self.detractor_vs_promoter}


def behaviour(surveys: pd.DataFrame, baskets, end, p_alive: pd.Series | None = None, *,
              window_days: int = DEFAULTS.churn_window_days,
              cohort_months: int = DEFAULTS.cohort_months) -> BehaviourResult | None:
    """Later churn, P(alive) and spend of surveyed members by NPS group, with 95% intervals.

    The cohort is every member with a survey in the `cohort_months` months before the
    outcome window (the last `window_days` days to `end`); each is grouped by their last
    survey there. Later churn is no purchase in the outcome window (Wilson interval); spend
    is net spend in it and P(alive) is the churn model's at `end` (t intervals). None when
    no member answered a survey in the cohort months.
    """
    end = pd.Timestamp(end)
    cohort_end = end - pd.Timedelta(days=window_days)
    cohort_start = cohort_end - pd.DateOffset(months=cohort_months)
    cohort = survey_cohort(surveys, cohort_start, cohort_end)
    if cohort.empty:
        return None
    people = outcome_window(cohort, baskets, cohort_end, end)
    if p_alive is not None:
        people = people.join(p_alive.rename("p_alive"))
    rows = []
    for group in NPS_GROUPS:
        g = people[people["group"] == group]
        n, k = len(g), int(g["churned"].sum())
        lo, hi = wilson(k, n)
        pa = mean_interval(g["p_alive"]) if "p_alive" in g else mean_interval([])
        sp = mean_interval(g["spend"])
        rows.append({"group": group, "members": n, "churned": k, "churn_share": k / n if n else None,
                     "churn_lo": float(lo) if n else None, "churn_hi": float(hi) if n else None,
                     "p_alive": pa["mean"], "p_alive_lo": pa["lo"], "p_alive_hi": pa["hi"],
                     "spend": sp["mean"], "spend_lo": sp["lo"], "spend_hi": sp["hi"], "small_sample": n < MIN_N})
    table = pd.DataFrame(rows).set_index("group")
    contrast = None
    d, p = table.loc["detractor"], table.loc["promoter"]
    if d["members"] and p["members"]:
        pd_, pp = d["churn_share"], p["churn_share"]
        c = difference_interval(float(pd_ - pp), np.sqrt(pd_ * (1 - pd_) / d["members"]),
                                np.sqrt(pp * (1 - pp) / p["members"]))
        contrast = {"churn_difference": c.difference, "lo": c.lo, "hi": c.hi, "significant": c.significant,
                    "churn_ratio": float(pd_ / pp) if pp else None}
    return BehaviourResult(table, contrast, window_days, cohort_start, cohort_end, end, len(people))
