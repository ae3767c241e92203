"""Did last month's campaigns work? Treatment against control, with 95% intervals.

Outcomes per targeted member over the `window_weeks` after the send: reactivated (any
purchase), visits (purchase baskets) and spend (net basket amounts). Uplift is the
difference of the treatment and control means: Newcombe's hybrid score interval for the
reactivation rate, Welch's interval for visits and spend. Incremental revenue is the spend
uplift times the number treated. Without a randomised control group the effect cannot be
estimated; the treated are then only described beside untargeted members, and labelled so.
A campaign sent before the data starts cannot be evaluated at all: its window is not all in
the data, and neither are the weeks before it.

Campaigns come in reading order: by number when every id is a number, else in natural order
(digit runs as numbers), ties by the id's text.
"""
from __future__ import annotations

import re
from typing import Callable

import ibis
import pandas as pd
from ibis import _

from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import newcombe, welch
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchases, money, time_span

MEASURES = ("reactivated", "visits", "spend")
REVENUE = "incremental revenue"
# What could be said of a campaign (keys of the catalogue's actions.status.*), most blocking first.
BEFORE_DATA, NO_CONTROL, WINDOW_OPEN, ESTIMATED = "before_data", "no_control", "window_open", "estimated"
STATUSES = (BEFORE_DATA, NO_CONTROL, WINDOW_OPEN, ESTIMATED)
UNEVALUABLE = (BEFORE_DATA, NO_CONTROL)
LOOKBACK = pd.Timedelta(weeks=8)   # untargeted members: those who bought in these weeks before the send
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _natural(cid: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in re.findall(r"\d+|\D+", cid))


def order_key(ids) -> Callable[[str], tuple]:
    """The sort key of a campaign id among `ids`: numeric when every id is a number, else natural."""
    ids = {str(i) for i in ids}
    if ids and all(_NUMBER.fullmatch(i.strip()) for i in ids):
        return lambda cid: (float(str(cid)), str(cid))
    return lambda cid: (_natural(str(cid)), str(cid))


def data_start(baskets) -> pd.Timestamp | None:
    """The first day of the data (a send on that day is inside it); `baskets` is an Ibis table or a frame."""
    first = time_span(engine.as_table(baskets), "timestamp")[0]
    return None if pd.isna(first) else first.normalize()


def _sends(campaigns: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(campaign id, type, its rows) in reading order, ties by type."""
    key = order_key(campaigns["campaign_id"])
    groups = [(str(cid), str(ctype), g) for (cid, ctype), g in campaigns.groupby(["campaign_id", "type"], sort=False)]
    return sorted(groups, key=lambda g: (key(g[0]), g[1]))


def difference(a: pd.DataFrame, b: pd.DataFrame, measure: str) -> tuple[float, float, float]:
    """(mean of a − mean of b, lo, hi): Newcombe for the reactivation rate, Welch for visits and spend."""
    if measure == "reactivated":
        return newcombe(a[measure].sum(), len(a), b[measure].sum(), len(b))
    w = welch(a[measure].to_numpy(), b[measure].to_numpy())
    return w.difference, w.lo, w.hi


def outcomes(targets: pd.DataFrame, baskets, window_weeks: int) -> pd.DataFrame:
    """Per targeted member: reactivated, visits and spend (exact) in [sent_at, sent_at + window)."""
    bought = member_purchases(baskets)
    # ids and send times only: no missing text goes into the engine (see engine.scan)
    sends = ibis.memtable(pd.DataFrame({"customer_id": targets["customer_id"].astype(str).to_numpy(),
                                        "sent_at": pd.to_datetime(targets["sent_at"]).astype("datetime64[us]")}))
    j = bought.join(sends, "customer_id")
    j = j.filter((j.timestamp >= j.sent_at) & (j.timestamp < j.sent_at + ibis.interval(days=7 * window_weeks)))
    per = j.group_by("customer_id").aggregate(visits=_.count(), spend=money(_.amount).sum().cast("float64"))
    per = engine.backend_of(bought).to_pyarrow(per).to_pandas().set_index("customer_id")
    out = targets.set_index("customer_id")[["group"]].join(per).fillna({"visits": 0, "spend": 0.0})
    out["reactivated"] = (out["visits"] > 0).astype(float)
    return out


def status(sent: pd.Timestamp, n_treatment: int, n_control: int, start: pd.Timestamp | None,
           window_end: pd.Timestamp, as_of: pd.Timestamp) -> str:
    if start is not None and sent < start:
        return BEFORE_DATA
    if n_control < 2 or n_treatment < 2:
        return NO_CONTROL
    return WINDOW_OPEN if window_end > as_of else ESTIMATED


def evaluate(campaigns: pd.DataFrame | None, baskets, as_of: pd.Timestamp,
             window_weeks: int = DEFAULTS.campaign_window_weeks, start: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per campaign (per measure when estimated), in reading order, with its `status`
    (one of STATUSES). `start`: when the data starts (default: the first basket)."""
    rows = []
    if campaigns is None or campaigns.empty:
        return pd.DataFrame(rows)
    start = data_start(baskets) if start is None else start
    for cid, ctype, group in _sends(campaigns):
        sent = group["sent_at"].min()
        ends = sent + pd.Timedelta(weeks=window_weeks)
        base = {"campaign_id": cid, "type": ctype, "sent_at": sent, "window_weeks": window_weeks,
                "window_end": ends, "n_treatment": int((group["group"] == "treatment").sum()),
                "n_control": int((group["group"] == "control").sum())}
        base["status"] = status(sent, base["n_treatment"], base["n_control"], start, ends, as_of)
        if base["status"] != ESTIMATED:
            rows.append(base)
            continue
        out = outcomes(group, baskets, window_weeks)
        treated, control = out[out["group"] == "treatment"], out[out["group"] == "control"]
        for measure in MEASURES:
            d, lo, hi = difference(treated, control, measure)
            rows.append({**base, "measure": measure,
                         "treatment_mean": float(treated[measure].mean()),
                         "control_mean": float(control[measure].mean()),
                         "uplift": float(d), "low": float(lo), "high": float(hi),
                         "significant": bool(lo > 0 or hi < 0)})
        spend = rows[-1]
        rows.append({**base, "measure": REVENUE,
                     "uplift": spend["uplift"] * len(treated), "low": spend["low"] * len(treated),
                     "high": spend["high"] * len(treated), "significant": spend["significant"]})
    return pd.DataFrame(rows)


def overview(evaluation: pd.DataFrame) -> dict:
    """Each status's campaigns, in reading order, as {campaign_id, type, sent_at, window_end}:
    what the report lists as measured, as waiting for its window, and as not evaluable."""
    out = {s: [] for s in STATUSES}
    if evaluation.empty:
        return out
    for _, row in evaluation.drop_duplicates(["campaign_id", "type"]).iterrows():
        out[row["status"]].append({k: row[k] for k in ("campaign_id", "type", "sent_at", "window_end")})
    return out


def targeted_vs_untargeted(campaigns: pd.DataFrame, baskets, as_of: pd.Timestamp,
                           window_weeks: int = DEFAULTS.campaign_window_weeks,
                           start: pd.Timestamp | None = None) -> pd.DataFrame:
    """For campaigns without a control group, sent after the data starts: targeted members beside
    untargeted members who bought in the 8 weeks before the send. Targeting was not random, so
    the difference describes who was chosen as much as what the campaign did: it is not an effect."""
    rows = []
    bought = member_purchases(baskets)
    con = engine.backend_of(bought)
    start = data_start(baskets) if start is None else start
    for cid, ctype, group in _sends(campaigns):
        if (group["group"] == "control").any():
            continue
        sent = group["sent_at"].min()
        if (start is not None and sent < start) or sent + pd.Timedelta(weeks=window_weeks) > as_of:
            continue
        recent = bought.filter((bought.timestamp < sent.to_pydatetime())
                               & (bought.timestamp >= (sent - LOOKBACK).to_pydatetime()))
        recent = con.to_pyarrow(recent.select("customer_id").distinct()).to_pandas()["customer_id"]
        others = pd.Index(recent).difference(group["customer_id"])
        pool = pd.concat([group.assign(group="treatment"),
                          pd.DataFrame({"customer_id": others, "group": "untargeted", "sent_at": sent})])
        out = outcomes(pool, baskets, window_weeks)
        t, u = out[out["group"] == "treatment"], out[out["group"] == "untargeted"]
        if len(t) < 2 or len(u) < 2:
            continue
        for measure in MEASURES:
            d, lo, hi = difference(t, u, measure)
            rows.append({"campaign_id": cid, "type": ctype, "measure": measure, "targeted": len(t),
                         "untargeted": len(u), "targeted_mean": float(t[measure].mean()),
                         "untargeted_mean": float(u[measure].mean()), "difference": float(d),
                         "low": float(lo), "high": float(hi), "not_an_effect": True})
    return pd.DataFrame(rows)
