"""Did last month's campaigns work? Treatment against control, with 95% intervals.

Outcomes per targeted member over the `window_weeks` after the send: reactivated (any
purchase), visits (purchase baskets) and spend (net basket amounts). Uplift is the
difference of the treatment and control means: Newcombe's hybrid score interval for the
reactivation rate, Welch's interval for visits and spend. Incremental revenue is the spend
uplift times the number treated. Without a randomised control group the effect cannot be
estimated; the treated are then only described beside untargeted members, and labelled so.
"""
from __future__ import annotations

import pandas as pd

from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import newcombe, welch
from retention_lib.data.aggregate import member_purchases

MEASURES = ("reactivated", "visits", "spend")


def _difference(a: pd.DataFrame, b: pd.DataFrame, measure: str) -> tuple[float, float, float]:
    """(mean of a − mean of b, lo, hi): Newcombe for the reactivation rate, Welch for visits and spend."""
    if measure == "reactivated":
        return newcombe(a[measure].sum(), len(a), b[measure].sum(), len(b))
    w = welch(a[measure].to_numpy(), b[measure].to_numpy())
    return w.difference, w.lo, w.hi


def outcomes(targets: pd.DataFrame, baskets: pd.DataFrame, window_weeks: int) -> pd.DataFrame:
    """Per targeted member: reactivated, visits and spend in [sent_at, sent_at + window)."""
    bought = member_purchases(baskets)[["customer_id", "timestamp", "amount"]]
    joined = targets[["customer_id", "sent_at"]].merge(bought, on="customer_id", how="left")
    inside = (joined["timestamp"] >= joined["sent_at"]) & (
        joined["timestamp"] < joined["sent_at"] + pd.Timedelta(weeks=window_weeks))
    per = joined[inside].groupby("customer_id").agg(visits=("amount", "size"), spend=("amount", "sum"))
    out = targets.set_index("customer_id")[["group"]].join(per).fillna({"visits": 0, "spend": 0.0})
    out["reactivated"] = (out["visits"] > 0).astype(float)
    return out


def evaluate(campaigns: pd.DataFrame | None, baskets: pd.DataFrame, as_of: pd.Timestamp,
             window_weeks: int = DEFAULTS.campaign_window_weeks) -> pd.DataFrame:
    """One row per campaign and measure, with status saying what could be estimated."""
    rows = []
    if campaigns is None or campaigns.empty:
        return pd.DataFrame(rows)
    for (cid, ctype), group in campaigns.groupby(["campaign_id", "type"], sort=True):
        sent = group["sent_at"].min()
        ends = sent + pd.Timedelta(weeks=window_weeks)
        base = {"campaign_id": cid, "type": ctype, "sent_at": sent, "window_weeks": window_weeks,
                "window_end": ends, "n_treatment": int((group["group"] == "treatment").sum()),
                "n_control": int((group["group"] == "control").sum())}
        if base["n_control"] < 2 or base["n_treatment"] < 2:
            rows.append({**base, "status": "no control group: the effect cannot be estimated"})
            continue
        if ends > as_of:
            rows.append({**base, "status": f"measurement window ends {ends:%Y-%m-%d}: not complete yet"})
            continue
        out = outcomes(group, baskets, window_weeks)
        treated, control = out[out["group"] == "treatment"], out[out["group"] == "control"]
        for measure in MEASURES:
            d, lo, hi = _difference(treated, control, measure)
            rows.append({**base, "status": "randomised: effect estimated", "measure": measure,
                         "treatment_mean": float(treated[measure].mean()),
                         "control_mean": float(control[measure].mean()),
                         "uplift": float(d), "low": float(lo), "high": float(hi),
                         "significant": bool(lo > 0 or hi < 0)})
        spend = rows[-1]
        rows.append({**base, "status": "randomised: effect estimated", "measure": "incremental revenue",
                     "uplift": spend["uplift"] * len(treated), "low": spend["low"] * len(treated),
                     "high": spend["high"] * len(treated), "significant": spend["significant"]})
    return pd.DataFrame(rows)


def targeted_vs_untargeted(campaigns: pd.DataFrame, baskets: pd.DataFrame, as_of: pd.Timestamp,
                           window_weeks: int = DEFAULTS.campaign_window_weeks) -> pd.DataFrame:
    """For campaigns without a control group: targeted members beside untargeted members who
    bought in the 8 weeks before the send. Targeting was not random, so the difference
    describes who was chosen as much as what the campaign did: it is not an effect."""
    rows = []
    bought = member_purchases(baskets)
    for (cid, ctype), group in campaigns.groupby(["campaign_id", "type"], sort=True):
        if (group["group"] == "control").any():
            continue
        sent = group["sent_at"].min()
        if sent + pd.Timedelta(weeks=window_weeks) > as_of:
            continue
        recent = bought[(bought["timestamp"] < sent) & (bought["timestamp"] >= sent - pd.Timedelta(weeks=8))]
        others = pd.Index(recent["customer_id"].unique()).difference(group["customer_id"])
        pool = pd.concat([group.assign(group="treatment"),
                          pd.DataFrame({"customer_id": others, "group": "untargeted", "sent_at": sent})])
        out = outcomes(pool, baskets, window_weeks)
        t, u = out[out["group"] == "treatment"], out[out["group"] == "untargeted"]
        if len(t) < 2 or len(u) < 2:
            continue
        for measure in MEASURES:
            d, lo, hi = _difference(t, u, measure)
            rows.append({"campaign_id": cid, "type": ctype, "measure": measure, "targeted": len(t),
                         "untargeted": len(u), "targeted_mean": float(t[measure].mean()),
                         "untargeted_mean": float(u[measure].mean()), "difference": float(d),
                         "low": float(lo), "high": float(hi),
                         "note": "not an effect: targeting was not random"})
    return pd.DataFrame(rows)
