"""Satisfaction scores: NPS, CSAT and CES with 95% intervals, per month, store and channel,
and their changes.

- NPS = 100 × (share of promoters 9–10 − share of detractors 0–6), on −100..100. Its
  interval is Wald with the trinomial variance (p_P + p_D − (p_P − p_D)²) / n, not a
  binomial one: promoters and detractors are two shares of the same responses.
- CSAT = share of ratings 4–5 on the 1–5 scale, with a Wilson interval. CES (when the
  source has it) = the mean rating on its 1–7 scale as collected, with a t interval.
- A change (month on month, year on year) is the difference of two independent samples,
  with variance the sum of the two variances; it is *significant* only when its 95%
  interval excludes 0. Any figure on fewer than MIN_N responses is flagged small_sample.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from retention_lib.core.stats import difference_interval, mean_interval, nps_interval, wilson

MIN_N = 30                       # fewer responses than this: flagged as a small sample
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
SATISFIED_MIN = 4                # CSAT counts 4 and 5 out of 5
NPS_GROUPS = ("promoter", "passive", "detractor")
NO_STORE = "(no_store)"          # keys for a response without a store or channel (report.text labels them)
NO_CHANNEL = "(no_channel)"


# --- headline scores ------------------------------------------------------------------------

def nps_group(nps) -> pd.Series:
    """promoter (9–10), passive (7–8) or detractor (0–6) for each NPS rating."""
    s = pd.Series(nps)
    out = pd.Series(np.select([s >= PROMOTER_MIN, s > DETRACTOR_MAX], ["promoter", "passive"], "detractor"),
                    index=s.index, dtype=object)
    return out.where(s.notna())


def nps(ratings) -> dict:
    """NPS on −100..100 with a Wald interval from the trinomial variance."""
    x = pd.to_numeric(pd.Series(ratings), errors="coerce").dropna()
    n = len(x)
    promoters, detractors = int((x >= PROMOTER_MIN).sum()), int((x <= DETRACTOR_MAX).sum())
    out = {"n": n, "promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors,
           "nps": None, "se": None, "lo": None, "hi": None, "small_sample": n < MIN_N}
    if n == 0:
        return out
    value, se, lo, hi = nps_interval(promoters, detractors, n)
    out.update(share_promoters=promoters / n, share_detractors=detractors / n, nps=value, se=se, lo=lo, hi=hi)
    return out


def csat(ratings) -> dict:
    """CSAT: the share of 4–5 ratings on 1–5, with a Wilson interval (shares, 0–1)."""
    x = pd.to_numeric(pd.Series(ratings), errors="coerce").dropna()
    n, k = len(x), int((x >= SATISFIED_MIN).sum())
    out = {"n": n, "satisfied": k, "csat": None, "se": None, "lo": None, "hi": None, "small_sample": n < MIN_N}
    if n == 0:
        return out
    p = k / n
    lo, hi = wilson(k, n)
    out.update(csat=p, se=float(np.sqrt(p * (1 - p) / n)), lo=float(lo), hi=float(hi))
    return out


def ces(ratings) -> dict | None:
    """Mean CES (1–7 as collected) with a t interval; None when nobody answered it."""
    x = pd.to_numeric(pd.Series(ratings), errors="coerce").dropna()
    if x.empty:
        return None
    out = {**mean_interval(x), "small_sample": len(x) < MIN_N}
    out["se"] = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else None
    return out


def scores(surveys: pd.DataFrame) -> dict:
    """NPS, CSAT and (where present) CES of a set of responses."""
    return {"n": len(surveys), "nps": nps(surveys["nps"]), "csat": csat(surveys["csat"]),
            "ces": ces(surveys["ces"]) if "ces" in surveys else None}


def _flat(s: dict) -> dict:
    row = {"responses": s["n"], "nps": s["nps"]["nps"], "nps_lo": s["nps"]["lo"], "nps_hi": s["nps"]["hi"],
           "csat": s["csat"]["csat"], "csat_lo": s["csat"]["lo"], "csat_hi": s["csat"]["hi"]}
    if s["ces"] is not None:
        row.update(ces=s["ces"]["mean"], ces_lo=s["ces"]["lo"], ces_hi=s["ces"]["hi"])
    row["small_sample"] = s["n"] < MIN_N
    return row


def score_table(surveys: pd.DataFrame, by: str, fill: str | None = None) -> pd.DataFrame:
    """NPS, CSAT (and CES) with intervals for each value of `by` (e.g. store_id, channel)."""
    keys = surveys[by].astype(object).where(surveys[by].notna(), fill) if fill else surveys[by]
    rows = [{by: key, **_flat(scores(group))} for key, group in surveys.groupby(keys, sort=True)]
    cols = [by, "responses", "nps", "nps_lo", "nps_hi", "csat", "csat_lo", "csat_hi", "small_sample"]
    return pd.DataFrame(rows, columns=None if rows else cols)


def in_period(surveys: pd.DataFrame, start, end) -> pd.DataFrame:
    t = surveys["submitted_at"]
    return surveys[(t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))]


def monthly(surveys: pd.DataFrame, month: pd.Period, months: int = 13) -> pd.DataFrame:
    """Scores per month for the `months` months to `month`, every month present (n may be 0)."""
    periods = pd.period_range(end=month, periods=months, freq="M")
    rows = [{"month": str(p), **_flat(scores(in_period(surveys, p.start_time, (p + 1).start_time)))}
            for p in periods]
    return pd.DataFrame(rows)


def change(now: dict, before: dict, measure: str) -> dict | None:
    """Difference now − before of 'nps' (points) or 'csat' (share), independent samples."""
    a, b = now[measure], before[measure]
    if a is None or b is None or a[measure] is None or b[measure] is None:
        return None
    d = difference_interval(a[measure] - b[measure], a["se"], b["se"])
    return {"change": d.difference, "se": d.se, "lo": d.lo, "hi": d.hi, "significant": d.significant,
            "small_sample": bool(a["n"] < MIN_N or b["n"] < MIN_N), "n_now": a["n"], "n_before": b["n"]}


def headline(surveys: pd.DataFrame, month: pd.Period) -> dict:
    """The month's scores, and their changes on the month before and the same month a year ago."""
    def of(p: pd.Period) -> dict:
        return scores(in_period(surveys, p.start_time, (p + 1).start_time))
    now, prev, year = of(month), of(month - 1), of(month - 12)
    return {"month": str(month), "now": now, "previous_month": str(month - 1), "previous": prev,
            "year_ago_month": str(month - 12), "year_ago": year,
            "changes": {"month_on_month": {m: change(now, prev, m) for m in ("nps", "csat")},
                        "year_on_year": {m: change(now, year, m) for m in ("nps", "csat")}}}
