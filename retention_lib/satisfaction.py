"""Satisfaction: NPS, CSAT and CES with 95% intervals, dimension drivers, and satisfaction
against later behaviour (churn, P(alive), spend) by NPS group.

Conventions
- NPS = 100 × (share of promoters 9–10 − share of detractors 0–6), on −100..100. Its
  interval is Wald with the trinomial variance (p_P + p_D − (p_P − p_D)²) / n, not a
  binomial one: promoters and detractors are two shares of the same responses.
- CSAT = share of ratings 4–5 on the 1–5 scale, with a Wilson interval. CES (when the
  source has it) = the mean rating on its 1–7 scale as collected, with a t interval.
- A change (month on month, year on year) is the difference of two independent samples,
  with variance the sum of the two variances; it is *significant* only when its 95%
  interval excludes 0. Any figure on fewer than MIN_N responses is flagged small_sample.
- Drivers: Johnson's relative weights of the seven dimension ratings in explaining the
  NPS rating (0–10), on complete cases (responses that rated all seven dimensions),
  with seeded bootstrap percentile intervals. Performance is the mean rating of each
  dimension over the same window, from every response that rated it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .run import jsonable
from .schema import DIMENSIONS

Z95 = float(stats.norm.ppf(0.975))
MIN_N = 30                       # fewer responses than this: flagged as a small sample
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
SATISFIED_MIN = 4                # CSAT counts 4 and 5 out of 5
LOW_RATING_MAX = 2               # a dimension rating of 1 or 2 is a low score
NPS_GROUPS = ("promoter", "passive", "detractor")
NO_STORE = "(no store)"
NO_CHANNEL = "(no channel)"

DRIVER_MONTHS = 12               # drivers are estimated on the 12 months to the month's end
DRIVER_BOOTSTRAP = 500
MIN_DRIVER_N = 70                # 10 complete responses per dimension
CHURN_WINDOW_DAYS = 60           # later churn: no purchase in the last 60 days to the month's end
COHORT_MONTHS = 6                # members surveyed in the 6 months before those 60 days
QUADRANTS = {  # (above-average importance, above-average performance) -> name
    (True, False): "Fix first", (True, True): "Keep up the good work",
    (False, False): "Lower priority", (False, True): "Possible overkill",
}


# --- intervals ----------------------------------------------------------------------------

def wilson(k, n, z: float = Z95):
    """Wilson score interval for k successes out of n (vectorised; NaN where n = 0)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def mean_interval(values) -> dict:
    """Mean with a 95% t interval; NaNs dropped."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(float)
    n = len(x)
    if n == 0:
        return {"n": 0, "mean": None, "lo": None, "hi": None, "small_sample": True}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "lo": None, "hi": None, "small_sample": True}
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return {"n": n, "mean": mean, "lo": mean - half, "hi": mean + half, "small_sample": n < MIN_N}


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
    p_p, p_d = promoters / n, detractors / n
    value = 100 * (p_p - p_d)
    se = 100 * np.sqrt((p_p + p_d - (p_p - p_d) ** 2) / n)
    out.update(share_promoters=p_p, share_detractors=p_d, nps=value, se=float(se),
               lo=max(-100.0, value - Z95 * se), hi=min(100.0, value + Z95 * se))
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
    out = mean_interval(x)
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
    diff = a[measure] - b[measure]
    se = float(np.sqrt(a["se"] ** 2 + b["se"] ** 2))
    lo, hi = diff - Z95 * se, diff + Z95 * se
    return {"change": diff, "se": se, "lo": lo, "hi": hi, "significant": bool(lo > 0 or hi < 0),
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


# --- dimension drivers ----------------------------------------------------------------------

def relative_weights(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights: each predictor's share of R², which sum to R².

    The predictors' correlation matrix R_xx = V diag(λ) V' gives its symmetric square root
    Λ = V diag(√λ) V' (the loadings of the predictors on their closest orthogonal
    counterparts Z). y is regressed on Z: β = Λ⁻¹ r_xy. Predictor j's raw weight is
    Σ_k Λ_jk² β_k².
    """
    R = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    rxx, rxy = R[:-1, :-1], R[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    raw = (lam**2) @ (beta**2)
    return raw, float(raw.sum())


def dimension_performance(surveys: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: responses that rated it, mean rating (t interval), share of 1–2 (Wilson)."""
    rows = []
    for dim, label in DIMENSIONS.items():
        x = pd.to_numeric(surveys[dim], errors="coerce").dropna() if dim in surveys else pd.Series(dtype=float)
        m = mean_interval(x)
        low = int((x <= LOW_RATING_MAX).sum())
        lo, hi = wilson(low, len(x))
        rows.append({"dimension": dim, "label": label, "rated": m["n"], "mean": m["mean"],
                     "mean_lo": m["lo"], "mean_hi": m["hi"],
                     "share_low": low / len(x) if len(x) else None,
                     "share_low_lo": float(lo) if len(x) else None, "share_low_hi": float(hi) if len(x) else None})
    return pd.DataFrame(rows).set_index("dimension")


@dataclass
class DriverResult:
    table: pd.DataFrame     # per dimension: importance and performance with intervals, quadrant
    r2: float
    r2_lo: float
    r2_hi: float
    complete_cases: int
    incomplete_dropped: int
    outcome: str
    start: pd.Timestamp
    end: pd.Timestamp
    n_boot: int
    seed: int

    @property
    def strongest(self) -> str:
        return str(self.table["importance"].idxmax())

    @property
    def fix_first(self) -> list[str]:
        """Fix-first dimensions, the largest importance × shortfall below the mean rating first."""
        gap = self.table["performance"].mean() - self.table["performance"]
        priority = (self.table["importance"] * gap)[self.table["fix_first"]]
        return list(priority.sort_values(ascending=False).index)

    def to_dict(self) -> dict:
        t = self.table.reset_index()
        return {"outcome": self.outcome, "method": "relative weights (Johnson 2000), share of R²",
                "missing_ratings": "complete cases: responses that rated all seven dimensions",
                "window_start": str(self.start.date()), "window_end": str((self.end - pd.Timedelta(days=1)).date()),
                "complete_cases": self.complete_cases, "incomplete_dropped": self.incomplete_dropped,
                "r2": self.r2, "r2_lo": self.r2_lo, "r2_hi": self.r2_hi, "bootstrap_resamples": self.n_boot,
                "seed": self.seed, "strongest": self.strongest, "fix_first": self.fix_first,
                "performance_divider": float(self.table["performance"].mean()),
                "importance_divider": float(self.table["importance"].mean()),
                "dimensions": t.to_dict("records")}


def drivers(surveys: pd.DataFrame, outcome: str = "nps", *, n_boot: int = DRIVER_BOOTSTRAP, seed: int = 0,
            start=None, end=None, min_n: int = MIN_DRIVER_N) -> DriverResult | None:
    """Derived importance of the seven dimensions for `outcome`, with bootstrap intervals.

    Importance is each dimension's relative weight as a share of R² (the shares sum to 1);
    its interval is the 2.5–97.5 percentile over `n_boot` seeded resamples of responses,
    and p_top is the share of resamples in which it is the most important. Responses that
    left any dimension unrated are dropped (complete cases). None when fewer than `min_n`
    complete responses remain or a rating never varies.
    """
    dims = list(DIMENSIONS)
    start = pd.Timestamp(start) if start is not None else surveys["submitted_at"].min()
    end = pd.Timestamp(end) if end is not None else surveys["submitted_at"].max() + pd.Timedelta(seconds=1)
    window = in_period(surveys, start, end)
    data = window[dims + [outcome]].apply(pd.to_numeric, errors="coerce")
    complete = data.dropna()
    X, y = complete[dims].to_numpy(float), complete[outcome].to_numpy(float)
    if len(complete) < min_n or (X.std(axis=0) == 0).any() or y.std() == 0:
        return None
    start = max(start, window["submitted_at"].min().normalize())  # the window may begin before the data
    raw, r2 = relative_weights(X, y)
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, len(dims)))
    boot_r2 = np.empty(n_boot)
    n = len(y)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            w, boot_r2[b] = relative_weights(X[idx], y[idx])
        boot[b] = w / w.sum()
    ok = np.isfinite(boot).all(axis=1)
    boot, boot_r2 = boot[ok], boot_r2[ok]
    share = raw / r2
    top = np.bincount(boot.argmax(axis=1), minlength=len(dims)) / len(boot)
    perf = dimension_performance(window)
    table = pd.DataFrame({
        "label": [DIMENSIONS[d] for d in dims], "importance": share,
        "importance_lo": np.percentile(boot, 2.5, axis=0), "importance_hi": np.percentile(boot, 97.5, axis=0),
        "raw_weight": raw, "p_top": top,
    }, index=pd.Index(dims, name="dimension"))
    table = table.join(perf.drop(columns="label").rename(columns={"mean": "performance", "mean_lo": "performance_lo",
                                                                  "mean_hi": "performance_hi"}))
    high_imp = table["importance"] > table["importance"].mean()
    high_perf = table["performance"] > table["performance"].mean()
    table["quadrant"] = [QUADRANTS[(bool(i), bool(p))] for i, p in zip(high_imp, high_perf)]
    table["fix_first"] = high_imp & ~high_perf
    return DriverResult(table=table, r2=r2, r2_lo=float(np.percentile(boot_r2, 2.5)),
                        r2_hi=float(np.percentile(boot_r2, 97.5)), complete_cases=n,
                        incomplete_dropped=int(len(data) - n), outcome=outcome, start=start, end=end,
                        n_boot=int(ok.sum()), seed=seed)


# --- satisfaction against behaviour ---------------------------------------------------------

def survey_cohort(surveys: pd.DataFrame, start, end) -> pd.DataFrame:
    """Each member's last survey submitted in [start, end), with their NPS group."""
    s = in_period(surveys, start, end)
    s = s[s["customer_id"].notna()] if "customer_id" in s else s.iloc[0:0]
    last = s.sort_values("submitted_at").drop_duplicates("customer_id", keep="last")
    return pd.DataFrame({"customer_id": last["customer_id"].to_numpy(),
                         "submitted_at": last["submitted_at"].to_numpy(),
                         "nps": last["nps"].to_numpy(), "group": nps_group(last["nps"]).to_numpy()})


def outcome_window(cohort: pd.DataFrame, baskets: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per surveyed member: purchases and net spend in [start, end), and churned = no purchase."""
    t = baskets["timestamp"]
    b = baskets.loc[baskets["is_member"] & baskets["customer_id"].isin(cohort["customer_id"])
                    & (t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))]
    per = b.groupby("customer_id").agg(purchases=("is_purchase", "sum"), spend=("amount", "sum"))
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
    def definition(self) -> str:
        last = self.cohort_end - pd.Timedelta(days=1)
        return (f"Members whose last survey was answered between {self.cohort_start:%Y-%m-%d} and {last:%Y-%m-%d}, "
                f"grouped by that NPS rating. Churned: no purchase in the {self.window_days} days after that, "
                f"{self.cohort_end:%Y-%m-%d} to {self.end - pd.Timedelta(days=1):%Y-%m-%d}. Spend: net spend in "
                "those days. P(alive): from the churn model at the month's end.")

    def to_dict(self) -> dict:
        return {"window_days": self.window_days, "cohort_start": str(self.cohort_start.date()),
                "cohort_end": str((self.cohort_end - pd.Timedelta(days=1)).date()),
                "outcome_start": str(self.cohort_end.date()),
                "outcome_end": str((self.end - pd.Timedelta(days=1)).date()), "members": self.members,
                "definition": self.definition, "groups": self.table.reset_index().to_dict("records"),
                "detractor_vs_promoter": self.detractor_vs_promoter}


def behaviour(surveys: pd.DataFrame, baskets: pd.DataFrame, end, p_alive: pd.Series | None = None, *,
              window_days: int = CHURN_WINDOW_DAYS, cohort_months: int = COHORT_MONTHS) -> BehaviourResult | None:
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
        se = float(np.sqrt(pd_ * (1 - pd_) / d["members"] + pp * (1 - pp) / p["members"]))
        diff = float(pd_ - pp)
        contrast = {"churn_difference": diff, "lo": diff - Z95 * se, "hi": diff + Z95 * se,
                    "significant": bool(diff - Z95 * se > 0 or diff + Z95 * se < 0),
                    "churn_ratio": float(pd_ / pp) if pp else None}
    return BehaviourResult(table, contrast, window_days, cohort_start, cohort_end, end, len(people))


# --- the month, for notebook 06 and the report ----------------------------------------------

@dataclass
class SatisfactionMonth:
    month: pd.Period
    has_surveys: bool
    has_complaints: bool
    headline: dict | None = None
    monthly: pd.DataFrame | None = None
    by_store: pd.DataFrame | None = None
    by_channel: pd.DataFrame | None = None
    dimensions: pd.DataFrame | None = None         # the month's mean ratings and low shares
    drivers: DriverResult | None = None
    behaviour: BehaviourResult | None = None
    themes: dict | None = None
    complaints: dict | None = None
    complaints_trend: pd.DataFrame | None = None
    settings: dict | None = None

    def to_dict(self) -> dict:
        def records(frame):
            return None if frame is None else frame.reset_index(drop=frame.index.name is None).to_dict("records")
        return jsonable({
            "month": str(self.month), "has_surveys": self.has_surveys, "has_complaints": self.has_complaints,
            "settings": self.settings, "min_n": MIN_N, "headline": self.headline, "monthly": records(self.monthly),
            "by_store": records(self.by_store), "by_channel": records(self.by_channel),
            "dimensions": records(self.dimensions),
            "drivers": self.drivers.to_dict() if self.drivers else None,
            "behaviour": self.behaviour.to_dict() if self.behaviour else None,
            "themes": self.themes, "complaints": self.complaints,
            "complaints_trend": records(self.complaints_trend),
        })


def member_p_alive(run) -> pd.Series | None:
    """P(alive) per member at the month's end from the churn model; None when the month's churn
    view comes from the lapse rule (no P(alive) to compare)."""
    from . import churn

    churned = churn.saved(run)
    return churned.scores["p_alive"] if churned.model is not None else None


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0


def analyse(run, *, p_alive: pd.Series | None = None, sla_hours: float | None = None,
            driver_months: int = DRIVER_MONTHS, driver_outcome: str = "nps", bootstrap: int = DRIVER_BOOTSTRAP,
            seed: int = 0, churn_window_days: int = CHURN_WINDOW_DAYS,
            cohort_months: int = COHORT_MONTHS) -> SatisfactionMonth:
    """Every satisfaction and complaint figure of the run's month. Tables the source does not
    have (or that are empty) leave their parts None; nothing here fails for their absence.
    P(alive) comes from notebook 03's churn scores unless given."""
    from . import comments, complaints as complaints_mod

    sla_hours = complaints_mod.DEFAULT_SLA_HOURS if sla_hours is None else sla_hours
    surveys, complaint_rows = run.table("surveys"), run.table("complaints")
    view = SatisfactionMonth(run.month, _has_rows(surveys), _has_rows(complaint_rows), settings={
        "sla_hours": sla_hours, "driver_months": driver_months, "driver_outcome": driver_outcome,
        "bootstrap_resamples": bootstrap, "seed": seed, "churn_window_days": churn_window_days,
        "cohort_months": cohort_months})
    baskets = run.table("baskets")
    if view.has_surveys:
        if p_alive is None:
            p_alive = member_p_alive(run)

        month_rows = in_period(surveys, run.start, run.end)
        view.headline = headline(surveys, run.month)
        view.monthly = monthly(surveys, run.month)
        view.by_store = score_table(month_rows, "store_id", NO_STORE) if "store_id" in month_rows else None
        view.by_channel = score_table(month_rows, "channel", NO_CHANNEL)
        view.dimensions = dimension_performance(month_rows).reset_index()
        view.drivers = drivers(surveys, driver_outcome, n_boot=bootstrap, seed=seed,
                               start=(run.month - driver_months + 1).start_time, end=run.end)
        view.behaviour = behaviour(surveys, baskets, run.end, p_alive, window_days=churn_window_days,
                                   cohort_months=cohort_months)
        view.themes = comments.summary(month_rows)
    if view.has_complaints:
        view.complaints = complaints_mod.summary(complaint_rows, baskets, run.month, sla_hours)
        view.complaints_trend = complaints_mod.monthly_trend(complaint_rows, baskets, run.month, sla_hours=sla_hours)
    return view


def save(view: SatisfactionMonth, run) -> None:
    """satisfaction_summary for the report, the tables for the consultant, and for each part the
    data cannot support this month, the reason."""
    run.write("satisfaction_summary", view.to_dict())
    parts = (("satisfaction", view.monthly, "satisfaction_monthly", {"index": False}, NO_SURVEYS),
             ("satisfaction_drivers", view.drivers and view.drivers.table, "satisfaction_drivers", {},
              NO_SURVEYS if not view.has_surveys else drivers_text(None)),
             ("satisfaction_churn", view.behaviour and view.behaviour.table, "satisfaction_behaviour", {},
              NO_SURVEYS if not view.has_surveys else behaviour_text(None, "")),
             ("complaints", view.complaints_trend, "complaints_monthly", {"index": False}, NO_COMPLAINTS))
    for part, frame, key, options, reason in parts:
        if frame is None:
            run.unavailable(part, reason)
        else:
            run.available(part)
            run.write(key, frame, **options)
    if not view.has_surveys:
        run.unavailable("comment_themes", NO_SURVEYS)
    elif not view.themes["comments"]:
        run.unavailable("comment_themes", f"No survey comments were written in {view.month}.")
    else:
        run.available("comment_themes")


# --- plain-language summaries (from the saved JSON, so the report can use them too) ----------

NO_SURVEYS = ("This data source has no satisfaction surveys, so NPS, CSAT, the dimension drivers, comment "
              "themes and the link between satisfaction and churn cannot be shown. Map a surveys table in the "
              "config (NPS 0–10, CSAT 1–5 and the seven dimension ratings) to see them.")
NO_COMPLAINTS = ("This data source has no complaints, so complaint rates and resolution times cannot be shown. "
                 "Map a complaints table in the config to see them.")
NO_DATA = "This data source has no satisfaction surveys or complaints, so this section is empty."


def _ci(lo, hi, fmt: str) -> str:
    return "—" if lo is None or hi is None else f"{format(lo, fmt)} to {format(hi, fmt)}"


def _change_text(c: dict | None, fmt: str, unit: str) -> str:
    if c is None:
        return "— (no responses to compare)"
    verdict = "significant" if c["significant"] else "not significant"
    small = "; small sample" if c["small_sample"] else ""
    return f"{format(c['change'], fmt)}{unit} ({_ci(c['lo'], c['hi'], fmt)}), {verdict}{small}"


def headline_table(head: dict) -> pd.DataFrame:
    """NPS, CSAT (and CES) of the month with intervals and changes, as display text."""
    now, ch = head["now"], head["changes"]
    rows = []
    n, c = now["nps"], now["csat"]
    rows.append({"measure": "NPS (−100 to 100)", "value": "—" if n["nps"] is None else f"{n['nps']:+.0f}",
                 "95% CI": _ci(n["lo"], n["hi"], "+.0f"), "responses": n["n"],
                 f"vs {head['previous_month']}": _change_text(ch["month_on_month"]["nps"], "+.1f", " pts"),
                 f"vs {head['year_ago_month']}": _change_text(ch["year_on_year"]["nps"], "+.1f", " pts")})
    pct = {k: (None if c[k] is None else 100 * c[k]) for k in ("csat", "lo", "hi")}

    def pp(x):
        return None if x is None else {**x, **{k: 100 * x[k] for k in ("change", "lo", "hi")}}
    rows.append({"measure": "CSAT (% rating 4–5)", "value": "—" if pct["csat"] is None else f"{pct['csat']:.0f}%",
                 "95% CI": _ci(pct["lo"], pct["hi"], ".0f").replace(" to", "% to") + ("%" if pct["hi"] is not None else ""),
                 "responses": c["n"],
                 f"vs {head['previous_month']}": _change_text(pp(ch["month_on_month"]["csat"]), "+.1f", " pts"),
                 f"vs {head['year_ago_month']}": _change_text(pp(ch["year_on_year"]["csat"]), "+.1f", " pts")})
    if now.get("ces"):
        e = now["ces"]
        rows.append({"measure": "CES (mean, 1–7)", "value": "—" if e["mean"] is None else f"{e['mean']:.2f}",
                     "95% CI": _ci(e["lo"], e["hi"], ".2f"), "responses": e["n"],
                     f"vs {head['previous_month']}": "", f"vs {head['year_ago_month']}": ""})
    return pd.DataFrame(rows)


def headline_text(head: dict) -> str:
    """One paragraph on the month's NPS and CSAT and whether they really changed."""
    now, month = head["now"], head["month"]
    if now["n"] == 0:
        return (f"No survey responses were received in {month}, so there is no NPS or CSAT for the month; "
                "the trend below shows the months that had responses.")
    n, c = now["nps"], now["csat"]
    text = (f"In {month}, {now['n']:,} customers answered the survey. NPS was {n['nps']:+.0f} "
            f"(95% CI {_ci(n['lo'], n['hi'], '+.0f')}: {n['share_promoters']:.0%} promoters, "
            f"{n['share_detractors']:.0%} detractors) and CSAT {c['csat']:.0%} "
            f"(95% CI {_ci(c['lo'], c['hi'], '.0%')}).")
    mom = head["changes"]["month_on_month"]
    moves = []
    for key, name, scale in (("nps", "NPS", 1), ("csat", "CSAT", 100)):
        d = mom[key]
        if d is None:
            continue
        if d["significant"]:
            moves.append(f"{name} {'rose' if d['change'] > 0 else 'fell'} by {abs(d['change']) * scale:.1f} points "
                         f"since {head['previous_month']}, more than chance explains")
        else:
            moves.append(f"the change in {name} since {head['previous_month']} ({d['change'] * scale:+.1f} points) "
                         "is within the noise of sampling")
    if moves:
        joined = "; ".join(moves)
        text += " " + joined[0].upper() + joined[1:] + "."
    if now["n"] < MIN_N:
        text += f" Fewer than {MIN_N} responses: read these figures with care."
    return text


def drivers_text(d: dict | None) -> str:
    if d is None:
        return (f"Too few complete survey responses (under {MIN_DRIVER_N}) to estimate which dimensions drive "
                "satisfaction.")
    dims = {row["dimension"]: row for row in d["dimensions"]}
    top = dims[d["strongest"]]
    divider = d["importance_divider"]
    fix = [dims[k]["label"] + (" (its importance is not clearly above average)"
                               if dims[k]["importance_lo"] <= divider else "") for k in d["fix_first"]]
    text = (f"From {d['complete_cases']:,} responses between {d['window_start']} and {d['window_end']} that rated all "
            f"seven dimensions ({d['incomplete_dropped']:,} with a dimension left blank were set aside), the "
            f"dimensions explain {d['r2']:.0%} of the variation in the {d['outcome'].upper()} rating. The most important "
            f"is {top['label'].lower()} ({top['importance']:.0%} of the explained variation, 95% CI "
            f"{top['importance_lo']:.0%} to {top['importance_hi']:.0%}). ")
    if fix:
        text += ("Fix first (above-average importance, below-average rating): " + ", ".join(fix) + ".")
    else:
        text += "No dimension is both more important than average and rated below average."
    near = [row["label"] for row in d["dimensions"] if not row["fix_first"] and row["performance"]
            < d["performance_divider"] and row["importance_lo"] <= divider <= row["importance_hi"]]
    if near:
        text += (" Close to the line (rated below average, importance not clearly below average): "
                 + ", ".join(near) + ".")
    return text


def behaviour_text(b: dict | None, currency: str) -> str:
    if b is None:
        return "No member answered a survey in the months before the churn window, so satisfaction cannot be " \
               "linked to churn yet."
    g = {row["group"]: row for row in b["groups"]}
    d, p = g["detractor"], g["promoter"]
    if not d["members"] or not p["members"]:
        return b["definition"] + " There are not both promoters and detractors among them to compare."
    c = b["detractor_vs_promoter"]
    verdict = ("a real difference: the interval excludes zero" if c["significant"]
               else "not a clear difference: the interval includes zero")
    text = (f"Of {b['members']:,} surveyed members, {d['churn_share']:.0%} of detractors (n={d['members']}) made no "
            f"purchase in the last {b['window_days']} days, against {p['churn_share']:.0%} of promoters "
            f"(n={p['members']}): {c['churn_difference'] * 100:+.1f} points (95% CI {c['lo'] * 100:+.1f} to "
            f"{c['hi'] * 100:+.1f}), {verdict}.")
    if d["p_alive"] is not None and p["p_alive"] is not None:
        text += (f" Their mean P(alive) is {d['p_alive']:.0%} against {p['p_alive']:.0%}, and they spent "
                 f"{d['spend']:,.0f} against {p['spend']:,.0f} {currency} each in those days.")
    if d["small_sample"] or p["small_sample"]:
        text += f" One group has fewer than {MIN_N} members: read with care."
    return text


def availability_text(has_surveys: bool, has_complaints: bool) -> str:
    """What the source lacks, in plain words; empty when it has both surveys and complaints."""
    if not has_surveys and not has_complaints:
        return NO_DATA
    if not has_surveys:
        return NO_SURVEYS
    if not has_complaints:
        return NO_COMPLAINTS
    return ""


def score_display(records: list[dict], key: str, label: str, limit: int = 15) -> pd.DataFrame:
    """A by-store or by-channel score table as display text: groups with MIN_N or more responses
    first, lowest NPS first within each, at most `limit` rows."""
    t = pd.DataFrame(records)
    if t.empty:
        return t
    t = t.assign(_small=t["responses"] < MIN_N).sort_values(["_small", "nps"], na_position="last").head(limit)

    def ci(v, lo, hi, pct):
        if v is None or pd.isna(v):
            return "—"
        s, fmt, unit = (100, ".0f", "%") if pct else (1, "+.0f", "")
        return f"{format(v * s, fmt)}{unit} ({format(lo * s, fmt)}{unit} to {format(hi * s, fmt)}{unit})"
    return pd.DataFrame({
        label: t[key].astype(str),
        "responses": [f"{n:,}" + (" (small sample)" if n < MIN_N else "") for n in t["responses"]],
        "NPS (95% CI)": [ci(v, lo, hi, False) for v, lo, hi in zip(t["nps"], t["nps_lo"], t["nps_hi"])],
        "CSAT (95% CI)": [ci(v, lo, hi, True) for v, lo, hi in zip(t["csat"], t["csat_lo"], t["csat_hi"])],
    })


def themes_display(themes: dict) -> pd.DataFrame:
    """Comment themes as counts only: never any comment text."""
    t = pd.DataFrame(themes["themes"])
    if t.empty:
        return t
    return pd.DataFrame({"theme": t["label"], "comments": t["comments"], "in Chinese": t["zh"],
                         "in English": t["en"], "from detractors": t["from_detractors"],
                         "from promoters": t["from_promoters"]})
