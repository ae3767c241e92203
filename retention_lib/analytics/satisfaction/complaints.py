"""Complaints: rate per 1,000 baskets by category and store, time to resolve, service level,
and the 13-month trend.

Definitions (the run's data is cut at the month's end, so a complaint closed later counts
as open at the end):
- Rate: complaints *opened* in the month per 1,000 purchase baskets in the month (member
  and non-member baskets whose lines net to more than zero, as the KPI board counts
  them; return-only visits are left out). Its 95% interval is the exact Poisson
  (Garwood) interval for the count, divided by the baskets. By category the denominator
  is all the month's baskets; by store, that store's baskets (complaints without a store
  are counted under NO_STORE, without a rate).
- Time to resolve: hours from opened_at to closed_at, among complaints *closed and
  resolved* during the month; the median and 90th percentile. Complaints closed with
  resolved = no are counted apart ("closed unresolved").
- Service level (SLA, default 48 hours): a complaint is *due* in the month its deadline,
  opened_at + SLA, falls. It *breached* the SLA when it was not closed-and-resolved by
  the deadline: closed later, closed unresolved, or still open. Each complaint is judged
  once, in its due month, so a complaint opened on the 31st is judged the next month.
  The breach share (Wilson interval) is breached / due. Apart from it, the backlog past
  SLA is the number still open at the month's end whose deadline has passed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from ibis import _

from retention_lib.analytics.satisfaction.scores import MIN_N
from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import difference_interval, poisson_interval, wilson
from retention_lib.data import engine

TREND_MONTHS = 13
NO_STORE = "(no_store)"          # keys for a complaint without a store or category (report.text labels them)
NO_CATEGORY = "(no_category)"


def prepare(complaints: pd.DataFrame) -> pd.DataFrame:
    """Adds hours_to_close and a plain boolean `resolved` (missing counts as not resolved)."""
    c = complaints.copy()
    c["resolved"] = c["resolved"].fillna(False).astype(bool) & c["closed_at"].notna()
    c["hours_to_close"] = (c["closed_at"] - c["opened_at"]).dt.total_seconds() / 3600
    return c


def purchase_counts(baskets) -> pd.DataFrame:
    """Purchase baskets per month and store, the rates' denominators: one row per (month, store_id)
    with `baskets`. `baskets` is an Ibis table (the run's, on its engine) or a frame; only these counts
    leave the engine."""
    b = engine.as_table(baskets)
    if "is_purchase" in b.columns:
        b = b.filter(b.is_purchase)
    per = b.group_by(year=b.timestamp.year(), month_no=b.timestamp.month(),
                     store_id=b.store_id.cast("string")).aggregate(baskets=_.count())
    out = engine.backend_of(b).to_pyarrow(per).to_pandas()
    months = [pd.Period(year=int(y), month=int(m), freq="M") for y, m in zip(out.pop("year"), out.pop("month_no"))]
    out.insert(0, "month", pd.PeriodIndex(months, freq="M"))
    return out.sort_values(["month", "store_id"], ignore_index=True)


def _between(t: pd.Series, start, end) -> pd.Series:
    return (t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))


def _in_months(counts: pd.DataFrame, start, end) -> pd.DataFrame:
    """The counts of the whole months in [start, end)."""
    first, stop = pd.Period(pd.Timestamp(start), "M"), pd.Period(pd.Timestamp(end), "M")
    return counts[(counts["month"] >= first) & (counts["month"] < stop)]


def _rate_row(k: int, baskets: int) -> dict:
    lo, hi = poisson_interval(k)
    per = 1000 / baskets if baskets else np.nan
    return {"complaints": int(k), "baskets": int(baskets),
            "per_1000_baskets": k * per if baskets else None,
            "per_1000_lo": float(lo) * per if baskets else None,
            "per_1000_hi": float(hi) * per if baskets else None}


def rate(complaints: pd.DataFrame, counts: pd.DataFrame, start, end) -> dict:
    """Complaints opened in [start, end) per 1,000 purchase baskets in [start, end) (whole months;
    `counts` from `purchase_counts`)."""
    k = int(_between(complaints["opened_at"], start, end).sum())
    return _rate_row(k, int(_in_months(counts, start, end)["baskets"].sum()))


def by_category(complaints: pd.DataFrame, counts: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per category: complaints opened, share of all, rate per 1,000 of all purchase baskets.

    Most complaints first; categories with as many complaints by name.
    """
    opened = complaints[_between(complaints["opened_at"], start, end)]
    n_baskets = int(_in_months(counts, start, end)["baskets"].sum())
    counted = opened["category"].fillna(NO_CATEGORY).astype(str).value_counts()
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    rows = [{"category": cat, **_rate_row(int(k), n_baskets), "share": k / len(opened)} for cat, k in ranked]
    return pd.DataFrame(rows, columns=["category", "complaints", "baskets", "per_1000_baskets", "per_1000_lo",
                                       "per_1000_hi", "share"])


def by_store(complaints: pd.DataFrame, counts: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per store: complaints opened per 1,000 of that store's purchase baskets."""
    opened = complaints[_between(complaints["opened_at"], start, end)]
    per_store = _in_months(counts, start, end).groupby("store_id")["baskets"].sum()
    per_store = per_store[per_store > 0]
    store = opened["store_id"] if "store_id" in opened else pd.Series(np.nan, index=opened.index)
    counted = store.astype(object).where(store.notna(), NO_STORE).value_counts()
    rows = [{"store_id": s, **_rate_row(int(counted.get(s, 0)), int(per_store.get(s, 0)))}
            for s in sorted(set(per_store.index) | set(counted.index), key=lambda x: (x == NO_STORE, str(x)))]
    return pd.DataFrame(rows)


def resolution(complaints: pd.DataFrame, start, end) -> dict:
    """Hours to resolve among complaints closed and resolved in [start, end)."""
    c = prepare(complaints)
    closed = c[_between(c["closed_at"], start, end)]
    done = closed.loc[closed["resolved"], "hours_to_close"]
    out = {"closed": int(len(closed)), "closed_resolved": int(len(done)),
           "closed_unresolved": int(len(closed) - len(done)),
           "median_hours": None, "p90_hours": None, "small_sample": len(done) < MIN_N}
    if len(done):
        out.update(median_hours=float(done.quantile(0.5)), p90_hours=float(done.quantile(0.9)))
    return out


def sla(complaints: pd.DataFrame, start, end, sla_hours: float = DEFAULTS.sla_hours) -> dict:
    """Service level for complaints due in [start, end), and the backlog past SLA at `end`."""
    c = prepare(complaints)
    limit = pd.Timedelta(hours=sla_hours)
    deadline = c["opened_at"] + limit
    due = c[_between(deadline, start, end)]
    met = due["resolved"] & (due["closed_at"] <= due["opened_at"] + limit)
    n, k = len(due), int((~met).sum())
    lo, hi = wilson(k, n)
    still_open = c["closed_at"].isna() & (c["opened_at"] < pd.Timestamp(end))
    backlog = still_open & (deadline < pd.Timestamp(end))
    return {"sla_hours": sla_hours, "due": n, "breached": k,
            "breach_share": k / n if n else None, "breach_lo": float(lo) if n else None,
            "breach_hi": float(hi) if n else None, "small_sample": n < MIN_N,
            "open_at_end": int(still_open.sum()), "backlog_past_sla": int(backlog.sum())}


def monthly_trend(complaints: pd.DataFrame, counts: pd.DataFrame, month: pd.Period,
                  months: int = TREND_MONTHS, sla_hours: float = DEFAULTS.sla_hours) -> pd.DataFrame:
    """Rate, time to resolve and SLA breach share for each of the `months` months to `month`."""
    periods = pd.period_range(end=month, periods=months, freq="M")
    n_baskets = counts.groupby("month")["baskets"].sum()
    opened = complaints["opened_at"].dt.to_period("M").value_counts()
    rows = []
    for p in periods:
        s, e = p.start_time, (p + 1).start_time
        r = _rate_row(int(opened.get(p, 0)), int(n_baskets.get(p, 0)))
        res, sl = resolution(complaints, s, e), sla(complaints, s, e, sla_hours)
        rows.append({"month": str(p), **r, "median_hours": res["median_hours"], "p90_hours": res["p90_hours"],
                     "due": sl["due"], "breached": sl["breached"], "breach_share": sl["breach_share"],
                     "breach_lo": sl["breach_lo"], "breach_hi": sl["breach_hi"]})
    out = pd.DataFrame(rows)
    out.loc[out["baskets"] == 0, ["per_1000_baskets", "per_1000_lo", "per_1000_hi"]] = np.nan
    return out


def rate_change(now: dict, before: dict) -> dict | None:
    """Change in the rate per 1,000 baskets, with a normal interval from Poisson variances."""
    if not now["baskets"] or not before["baskets"]:
        return None
    def se(r: dict) -> float:               # Poisson: var(k) = k
        return 1000 * np.sqrt(r["complaints"]) / r["baskets"]
    d = difference_interval(now["per_1000_baskets"] - before["per_1000_baskets"], se(now), se(before))
    return {"change": float(d.difference), "lo": float(d.lo), "hi": float(d.hi), "significant": d.significant}


def month_figures(complaints: pd.DataFrame, counts: pd.DataFrame, month: pd.Period,
                  sla_hours: float = DEFAULTS.sla_hours) -> dict:
    """Everything the report needs for the month, as plain JSON-able values (`counts` from
    `purchase_counts`)."""
    s, e = month.start_time, (month + 1).start_time
    now = rate(complaints, counts, s, e)
    prev = rate(complaints, counts, (month - 1).start_time, s)
    year = rate(complaints, counts, (month - 12).start_time, (month - 11).start_time)
    cats = by_category(complaints, counts, s, e)
    stores = by_store(complaints, counts, s, e)
    return {"month": str(month), "rate": now, "previous_month": prev, "year_ago": year,
            "change_month_on_month": rate_change(now, prev), "change_year_on_year": rate_change(now, year),
            "resolution": resolution(complaints, s, e), "sla": sla(complaints, s, e, sla_hours),
            "by_category": cats.to_dict("records"), "by_store": stores.to_dict("records")}
