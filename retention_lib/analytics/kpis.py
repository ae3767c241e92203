"""The monthly KPI board: customers, churn, spend, members, complaints and satisfaction.

Definitions (DESIGN §2; the notebook and the report repeat them):

- A *purchase* is a member basket whose lines net to more than zero (`is_purchase`); a
  member's *purchase days* are the distinct days with a purchase.
- **Active** in month M: a member with at least one purchase basket in M.
- **New**: a member whose first purchase in the data falls in M. In the warm-up months (below)
  that includes existing customers seen for the first time, so new and returning are left empty.
- **Returning**: active and not new. Of them, *returned* (回流): not in the base at the month's start
  (lapsed, dormant or lost) and bought again in M.
- **Lapse rule**: a member is lapsed once N days have passed without a purchase. Their
  silence reaches N on the *lapse day* = last purchase day + N; buying on or before that day
  resets the clock. N comes from `lapse_rule`: a notebook parameter, else the config's
  `lapse_days`, else the data — the 95th percentile of the gaps between members' consecutive
  purchase days (all history to the month's end), rounded up to whole weeks and kept within
  35–182 days (at least a month: a member who bought in a month is never lapsed at its end). One N
  applies to every month of a run, so comparisons are like for like.
- The member counts are the lifecycle's (analytics/lifecycle.py): **lapsed this month** (their
  lapse day falls in M and they have not bought since), **the base** at M's start and end
  (members not lapsed: new, active and at risk), and base at the end = base at the start + new +
  returned − lapsed.
- **Churn rate** = members lapsed in M ÷ the base at M's start (every lapse in M is a lapse from
  that base). **Retention rate** = 1 − churn rate. Both need N days of history before M; in the
  first months of a data set (the *warm-up*) they and every lifecycle count are left empty rather
  than shown wrong; new, returning and returned stay empty until the data covers the win-back
  window (a member seen for the first time may be a lost member coming back).
- **Repurchase rate**: of the members active in M−1, the share who bought again in M.
- **Visits per active member** = member purchase baskets in M ÷ active members.
- **Average basket value** = revenue ÷ purchase baskets, members and non-members together;
  revenue is the net sales of every basket in M (returns netted, return-only visits
  included), purchase baskets are baskets with a positive net amount.
- **Revenue per active member** = members' revenue in M ÷ active members.
- **Members' share of revenue** = members' revenue ÷ revenue; **non-member baskets** = non-
  member purchase baskets.
- **Complaint rate** = complaints opened in M per 1,000 purchase baskets (when the source has
  complaints).
- **NPS** = % promoters (9–10) − % detractors (0–6) among survey responses submitted in M;
  **CSAT** = % of responses rating 4 or 5 on the 1–5 scale (when the source has surveys).

Per store, member figures (active, new, base, lapsed, churn, repurchase) count each member in
their *home store* only (the lifecycle's: most purchase baskets in the 12 months to the month's
end), so they add up to the total; baskets, revenue, members' share and complaints are counted
where they happened. Visits and revenue per active member, which would divide the one by the
other, are left empty per store.

The scans are Ibis expressions over the run's baskets on its engine (DuckDB or Spark; a frame runs on
DuckDB), with money summed exactly (`aggregate.money`), so the board is the same bit for bit on every
run and engine; only the per-month, per-store counts come back to pandas.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import ibis
import numpy as np
import pandas as pd

from retention_lib.analytics import lifecycle
from retention_lib.analytics.lifecycle import HOME_STORE_MONTHS
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchase_days, money, month_index, time_span
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.settings import DEFAULTS

TOTAL = "All stores"
# Lapse rule derived from the data: this quantile of the gaps between consecutive purchase
# days, rounded up to whole weeks and kept within the bounds.
LAPSE_QUANTILE = 0.95
LAPSE_MIN_DAYS = 35   # whole weeks, at least lifecycle.LAPSE_FLOOR_DAYS
LAPSE_MAX_DAYS = 182
TREND_MONTHS = 13


@dataclass(frozen=True)
class KPI:
    name: str        # its label is the message f"kpi.{name}" (report.text)
    kind: str        # count | rate | money | number | score
    needs: str = ""  # the optional table it needs: complaints | surveys


KPIS: tuple[KPI, ...] = (
    KPI("active_customers", "count"),
    KPI("new_customers", "count"),
    KPI("returning_customers", "count"),
    KPI("reactivated_customers", "count"),
    KPI("lapsed_customers", "count"),
    KPI("active_base_start", "count"),
    KPI("base_end", "count"),
    KPI("churn_rate", "rate"),
    KPI("retention_rate", "rate"),
    KPI("repurchase_rate", "rate"),
    KPI("visits_per_active", "number"),
    KPI("baskets", "count"),
    KPI("revenue", "money"),
    KPI("avg_basket_value", "money"),
    KPI("revenue_per_active", "money"),
    KPI("member_revenue_share", "rate"),
    KPI("non_member_baskets", "count"),
    KPI("complaints", "count", "complaints"),
    KPI("complaint_rate", "number", "complaints"),
    KPI("survey_responses", "count", "surveys"),
    KPI("nps", "score", "surveys"),
    KPI("csat", "rate", "surveys"),
)
KPI_BY_NAME = {k.name: k for k in KPIS}
# Columns left empty in warm-up months (they need N days of history before the month; a "new"
# member there may be an existing customer whose last visit was before the data starts).
NEEDS_HISTORY = ("new_customers", "returning_customers", "active_base_start", "base_end", "lapsed_customers",
                 "reactivated_customers", "churn_rate", "retention_rate", "dormant_customers", "lost_customers")
# Left empty until the data covers the win-back window: a first purchase may be a lost member's return.
NEEDS_WINDOW = ("new_customers", "returning_customers", "reactivated_customers")
# The lifecycle's counts (lifecycle.COUNTS) under the board's names.
LIFECYCLE_NAMES = {"shopped": "active_customers", "new": "new_customers", "returned": "reactivated_customers",
                   "lapsed": "lapsed_customers", "base_start": "active_base_start", "base_end": "base_end",
                   "active_end": "active_end", "lapsed_end": "lapsed_end", "dormant_end": "dormant_customers",
                   "lost_end": "lost_customers", "previous_shoppers": "previous_active",
                   "repurchasers": "repurchasers"}


# --------------------------------------------------------------------------- lapse rule
@dataclass(frozen=True)
class LapseRule:
    days: int
    source: str                     # parameter | config | data | fallback
    quantile: float = LAPSE_QUANTILE
    gap_quantile_days: float | None = None
    n_gaps: int = 0

    def describe(self) -> Message:
        """The rule in one sentence: how N was set (parameter, config, data or fallback)."""
        return Message(f"lapse.{self.source}", days=self.days, quantile=self.quantile, n_gaps=self.n_gaps,
                       gap_quantile_days=self.gap_quantile_days, min_days=LAPSE_MIN_DAYS, max_days=LAPSE_MAX_DAYS)

    def to_dict(self) -> dict:
        return asdict(self) | {"rule": self.describe()}


def purchase_gaps(baskets) -> np.ndarray:
    """Days between each member's consecutive purchase days (all stores), from baskets (an Ibis table
    on the run's engine, or a frame); in no particular order."""
    days = member_purchase_days(engine.as_table(baskets))
    gap = days.d.delta(days.d.lag().over(group_by="customer_id", order_by="d"), unit="day")
    gaps = days.select(gap=gap.cast("float64")).filter(ibis._.gap.notnull())
    return engine.backend_of(gaps).to_pyarrow(gaps)["gap"].to_numpy()


def derive_lapse_days(gaps: np.ndarray, quantile: float = LAPSE_QUANTILE) -> LapseRule:
    """N = the `quantile` of the purchase-day gaps, rounded up to whole weeks, in bounds."""
    if len(gaps) == 0:
        return LapseRule(LAPSE_MIN_DAYS, "fallback", quantile, None, 0)
    q = float(np.quantile(gaps, quantile))
    days = int(min(max(math.ceil(q / 7) * 7, LAPSE_MIN_DAYS), LAPSE_MAX_DAYS))
    return LapseRule(days, "data", quantile, q, len(gaps))


def lapse_rule(run: Run, override: int | None = None, baskets=None) -> LapseRule:
    """The lapse rule of a run: a notebook parameter, else config `lapse_days`, else the data."""
    if override:
        return LapseRule(int(override), "parameter")
    configured = run.setting("lapse_days")
    if configured:
        return LapseRule(int(configured), "config")
    baskets = engine.run_table(run, "baskets") if baskets is None else baskets
    return derive_lapse_days(purchase_gaps(baskets))


def run_lapse_rule(run: Run, override: int | None = None) -> LapseRule:
    """The rule notebook 02 used for this run (kpi_board.json), unless overridden; else derived."""
    if override:
        return LapseRule(int(override), "parameter")
    saved = run.read("kpi_board") if run.has("kpi_board") else None
    if saved and "lapse" in saved:
        fields = ("days", "source", "quantile", "gap_quantile_days", "n_gaps")
        return LapseRule(**{k: saved["lapse"][k] for k in fields if k in saved["lapse"]})
    return lapse_rule(run)


# --------------------------------------------------------------------------- monthly KPIs
def month_frame(first: pd.Period, last: pd.Period) -> pd.DataFrame:
    months = pd.period_range(first, last, freq="M")
    return pd.DataFrame({
        "month": months.astype(str), "month_idx": np.arange(len(months)),
        "m_start": months.start_time.normalize().date, "m_end": months.end_time.normalize().date,
    })


def money_by_month_and_store(baskets, first: pd.Period, last: int, total: str) -> pd.DataFrame:
    """Per (month_idx, scope): baskets, purchase baskets, revenue, members' revenue and visits, non-
    member purchase baskets, counted where they happened; scope is a store or `total`. Money is summed
    exactly (`aggregate.money`)."""
    b = baskets.mutate(month_idx=month_index(baskets.date, first), scope=baskets.store_id.cast("string"))
    b = b.filter((b.month_idx >= 0) & (b.month_idx <= last))
    amount = money(b.amount)
    sums = dict(all_baskets=b.count(), baskets=b.count(where=b.is_purchase), revenue=amount.sum().cast("float64"),
                member_revenue=amount.sum(where=b.is_member).cast("float64").fill_null(0.0),
                member_visits=b.count(where=b.is_member & b.is_purchase),
                non_member_baskets=b.count(where=~b.is_member & b.is_purchase))
    by_store = b.group_by(["month_idx", "scope"]).aggregate(**sums)
    chain = b.group_by("month_idx").aggregate(scope=ibis.literal(total, "string"), **sums).select(by_store.columns)
    out = engine.backend_of(baskets).to_pyarrow(ibis.union(by_store, chain, distinct=False)).to_pandas()
    return out.sort_values(["month_idx", "scope"], ignore_index=True)


def _by_month_and_store(frame: pd.DataFrame | None, time_col: str, months: pd.DataFrame,
                        agg: dict) -> pd.DataFrame:
    """Aggregate an event table per (month, store) and per month for all stores."""
    if frame is None:
        return pd.DataFrame(columns=["month_idx", "scope"])
    period = pd.to_datetime(frame[time_col]).dt.to_period("M").astype(str)
    f = frame.assign(month=period).merge(months[["month", "month_idx"]], on="month")
    if "store_id" in f:
        f["store_id"] = f["store_id"].astype("string")
        stores = f.dropna(subset=["store_id"]).groupby(["month_idx", "store_id"]).agg(**agg).reset_index()
        stores = stores.rename(columns={"store_id": "scope"})
    else:
        stores = pd.DataFrame()
    total = f.groupby("month_idx").agg(**agg).reset_index().assign(scope=TOTAL)
    return pd.concat([stores, total], ignore_index=True)


def monthly_kpis(baskets, lapse_days: int, *, winback_days: int = DEFAULTS.winback_days,
                 through: pd.Period | str | None = None, complaints: pd.DataFrame | None = None,
                 surveys: pd.DataFrame | None = None, data_start: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per (scope, month) from the first month of data to `through`.

    `scope` is a store id or TOTAL. Months in which a scope has no basket at all have every
    KPI empty (NaN), so a comparison with them is "no data", never a fake zero. See the
    module docstring for the definitions. `data_start` (default: the first basket's day)
    decides the warm-up months, when figures needing N days of history are left empty, and the months
    before the win-back window, when new and returned members are.
    """
    rule = lifecycle.Rule.of(lapse_days, winback_days)
    n = rule.lapse_days
    baskets = engine.as_table(baskets)
    first_day, last_day = time_span(baskets)
    first = first_day.to_period("M")
    last = pd.Period(through, "M") if through is not None else last_day.to_period("M")
    months = month_frame(first, last)
    last_idx = len(months) - 1
    customers = lifecycle.counts(baskets, first, last_idx, rule, TOTAL).rename(columns=LIFECYCLE_NAMES)
    money = money_by_month_and_store(baskets, first, last_idx, TOTAL)

    # A store with home members but no basket this month (or baskets but no home member) has zeros;
    # a month without any basket (a missing extract) stays empty everywhere.
    customers = customers[customers["month_idx"].isin(money["month_idx"])]
    out = money.merge(customers, on=["month_idx", "scope"], how="outer")
    zero = list(LIFECYCLE_NAMES.values()) + [c for c in money.columns if c not in ("month_idx", "scope")]
    out[zero] = out[zero].fillna(0)
    comp = _by_month_and_store(complaints, "opened_at", months, {"complaints": ("complaint_id", "size")})
    surv = None
    if surveys is not None:
        s = surveys.assign(promoter=surveys["nps"] >= 9, detractor=surveys["nps"] <= 6,
                           satisfied=surveys["csat"] >= 4)
        surv = _by_month_and_store(s, "submitted_at", months, {
            "survey_responses": ("response_id", "size"), "promoters": ("promoter", "sum"),
            "detractors": ("detractor", "sum"), "satisfied": ("satisfied", "sum"),
            "csat_answers": ("csat", "count")})
    if complaints is not None:
        out = out.merge(comp, on=["month_idx", "scope"], how="left")
        out["complaints"] = out["complaints"].fillna(0)
    if surv is not None:
        out = out.merge(surv, on=["month_idx", "scope"], how="left")
        out["survey_responses"] = out["survey_responses"].fillna(0)

    # Every (scope, month) present; a scope-month without any basket stays empty.
    grid = pd.MultiIndex.from_product([sorted(out["scope"].unique()), months["month_idx"]],
                                      names=["scope", "month_idx"])
    out = out.set_index(["scope", "month_idx"]).reindex(grid).reset_index()
    out = out.merge(months[["month_idx", "month", "m_start"]], on="month_idx")

    def ratio(a, b):
        a, b = out[a].astype(float), out[b].astype(float)
        return (a / b).where(b > 0)

    out["returning_customers"] = out["active_customers"] - out["new_customers"]
    out["churn_rate"] = ratio("lapsed_customers", "active_base_start")
    out["retention_rate"] = 1 - out["churn_rate"]
    out["repurchase_rate"] = ratio("repurchasers", "previous_active")
    first_month = out["month_idx"] == 0
    out.loc[first_month, ["repurchase_rate", "previous_active", "repurchasers"]] = np.nan
    out["visits_per_active"] = ratio("member_visits", "active_customers")
    out["avg_basket_value"] = ratio("revenue", "baskets")
    out["revenue_per_active"] = ratio("member_revenue", "active_customers")
    out["member_revenue_share"] = (out["member_revenue"] / out["revenue"]).where(out["revenue"] > 0)
    # A store's baskets are where they happened, its members are home members: no ratio of the two.
    out.loc[out["scope"] != TOTAL, ["visits_per_active", "revenue_per_active"]] = np.nan
    if complaints is not None:
        out["complaint_rate"] = 1000 * ratio("complaints", "baskets")
    if surv is not None:
        answered = out["survey_responses"].astype(float)
        out["nps"] = (100 * (out["promoters"] - out["detractors"]) / answered).where(answered > 0)
        out["csat"] = ratio("satisfied", "csat_answers")

    start = pd.Timestamp(data_start) if data_start is not None else first_day.normalize()
    warm_up = pd.to_datetime(out["m_start"]) - pd.Timedelta(days=n) < start
    out["warm_up"] = warm_up
    out["new_measured"] = pd.to_datetime(out["m_start"]) - pd.Timedelta(days=rule.winback_days) >= start
    out.loc[warm_up, list(NEEDS_HISTORY)] = np.nan
    out.loc[~out["new_measured"], list(NEEDS_WINDOW)] = np.nan
    out["lapse_days"] = n
    out["winback_days"] = rule.winback_days
    order = ["scope", "month", "warm_up", "new_measured", "lapse_days", "winback_days"] + [k.name for k in KPIS if k.name in out]
    rest = [c for c in out.columns if c not in order and c not in ("month_idx", "m_start")]
    total_first = out["scope"].ne(TOTAL)
    return (out.assign(_o=total_first).sort_values(["_o", "scope", "month"])
            .drop(columns="_o")[order + rest].reset_index(drop=True))


def for_month(run: Run, lapse: LapseRule) -> pd.DataFrame:
    """The monthly KPIs of a run: every month of data up to the run's month."""
    return monthly_kpis(engine.run_table(run, "baskets"), lapse.days, winback_days=run.setting("winback_days"),
                        through=run.month, complaints=run.table("complaints"), surveys=run.table("surveys"))


def available_kpis(monthly: pd.DataFrame) -> list[KPI]:
    return [k for k in KPIS if k.name in monthly.columns]


# --------------------------------------------------------------------------- changes
def change(now: float, then: float) -> tuple[float, float]:
    if not (np.isfinite(now) and np.isfinite(then)):
        return float("nan"), float("nan")
    rel = (now - then) / abs(then) if then != 0 else float("nan")
    return now - then, rel


def board(monthly: pd.DataFrame, month: str | pd.Period, scope: str = TOTAL) -> pd.DataFrame:
    """KPIs of `month` with month-on-month and year-on-year changes for one scope.

    A comparison month missing from the data (or with no data for the scope) gives NaN
    changes. Relative changes are NaN when the comparison value is 0. For rates the
    absolute change is in rate units (0.012 = 1.2 percentage points).
    """
    month = pd.Period(month, "M")
    rows = monthly[monthly["scope"] == scope].set_index("month")
    names = {"value": str(month), "previous": str(month - 1), "year_ago": str(month - 12)}

    def value(name, m):
        return float(rows.at[m, name]) if m in rows.index and pd.notna(rows.at[m, name]) else float("nan")

    out = []
    for k in available_kpis(monthly):
        v, p, y = (value(k.name, names[c]) for c in ("value", "previous", "year_ago"))
        mom, mom_rel = change(v, p)
        yoy, yoy_rel = change(v, y)
        if k.kind == "score":  # NPS can be zero or negative: a relative change means nothing
            mom_rel = yoy_rel = float("nan")
        out.append({"kpi": k.name, "kind": k.kind, "value": v, "previous": p,
                    "mom_abs": mom, "mom_rel": mom_rel, "year_ago": y, "yoy_abs": yoy, "yoy_rel": yoy_rel})
    return pd.DataFrame(out).assign(scope=scope, month=str(month), previous_month=names["previous"],
                                    year_ago_month=names["year_ago"])


def comparison_gaps(monthly: pd.DataFrame, month: str | pd.Period, scope: str = TOTAL) -> list[str]:
    """The comparison months of `board` (M−1, M−12) inside the data without any basket for the scope (a
    missing extract): their changes are NaN, and the report says "no data in <month>" instead of leaving
    them out as if the data started later."""
    month = pd.Period(month, "M")
    rows = monthly[monthly["scope"] == scope].set_index("month")
    return [str(m) for m in (month - 1, month - 12)
            if str(m) in rows.index and not rows.at[str(m), "all_baskets"] > 0]


STORE_COLUMNS = ("active_customers", "new_customers", "lapsed_customers", "churn_rate", "baskets", "revenue",
                 "avg_basket_value", "member_revenue_share")
MORE_STORES = "more_stores"   # the store table's row that sums the stores after the top ones
_SUMMED = ("active_customers", "new_customers", "lapsed_customers", "active_base_start",
           "baskets", "revenue", "member_revenue")


def _summed_row(rows: pd.DataFrame) -> dict:
    """Several stores as one: counts and money summed, the rates recomputed from the sums."""
    s = rows[list(_SUMMED)].sum(min_count=1)

    def ratio(a, b):
        return float(s[a] / s[b]) if pd.notna(s[a]) and pd.notna(s[b]) and s[b] > 0 else float("nan")
    return {**s.to_dict(), "churn_rate": ratio("lapsed_customers", "active_base_start"),
            "avg_basket_value": ratio("revenue", "baskets"), "member_revenue_share": ratio("member_revenue", "revenue")}


def store_table(monthly: pd.DataFrame, month: str | pd.Period, top: int | None = 15) -> pd.DataFrame:
    """The month's main KPIs: all stores, then each store (largest revenue first, `top` of them),
    then one row (MORE_STORES) summing the other stores, if any.

    Stores with equal revenue are ordered by store id. A store is listed when it had a basket in
    the month or is home to a member counted in it. Member figures are by home store, so the
    store rows (with the summed row) add up to the total. Column `stores`: stores in the row.
    Without any non-member basket in the month the members' share (100% everywhere) is left out.
    """
    rows = monthly[(monthly["month"] == str(month)) & monthly["active_customers"].notna()]
    stores = rows[rows["scope"] != TOTAL].sort_values(["revenue", "scope"], ascending=[False, True])
    shown, rest = (stores.head(top), stores.iloc[top:]) if top else (stores, stores.iloc[:0])
    parts = [rows[rows["scope"] == TOTAL].assign(stores=len(stores)), shown.assign(stores=1)]
    if len(rest):
        parts.append(pd.DataFrame([{**_summed_row(rest), "scope": MORE_STORES, "stores": len(rest)}]))
    columns = [c for c in STORE_COLUMNS if c != "member_revenue_share" or rows["non_member_baskets"].sum() > 0]
    return pd.concat(parts, ignore_index=True).set_index("scope")[["stores", *columns]]


def store_facts(monthly: pd.DataFrame, month: str | pd.Period, top: int | None) -> dict:
    """The report's store table (`store_table`) and what its note says: the home-store rule and
    how many stores had baskets in the month, were home to members only, or appear in the data."""
    month = pd.Period(month, "M")
    rows = monthly[(monthly["scope"] != TOTAL) & monthly["active_customers"].notna()]
    now = rows[rows["month"] == str(month)]
    table = store_table(monthly, month, top)
    return {"month": str(month), "month_end": month.end_time.date(), "home_store_months": HOME_STORE_MONTHS,
            "stores_with_baskets": int((now["all_baskets"] > 0).sum()),
            "stores_home_only": int((now["all_baskets"] == 0).sum()),
            "stores_in_data": int(rows.loc[rows["all_baskets"] > 0, "scope"].nunique()),
            "top": top, "rows": table.reset_index().to_dict("records")}


def trend(monthly: pd.DataFrame, month: str | pd.Period, months: int = TREND_MONTHS,
          scope: str = TOTAL) -> pd.DataFrame:
    """The `months` months up to `month` for one scope, months without data included (NaN)."""
    month = pd.Period(month, "M")
    want = pd.period_range(month - (months - 1), month, freq="M").astype(str)
    rows = monthly[monthly["scope"] == scope].set_index("month")
    return rows.reindex(want).rename_axis("month").reset_index().assign(scope=scope)


# --------------------------------------------------------------------------- artifacts
def headline(monthly: pd.DataFrame, month: str | pd.Period, lapse: LapseRule) -> dict:
    """The JSON the report reads: the all-stores board, the lapse rule, the stores with baskets in
    the month, the first month of data and whether the month is a warm-up month."""
    b = board(monthly, month)
    rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in b.to_dict("records")]
    row = monthly[(monthly["scope"] == TOTAL) & (monthly["month"] == str(month))]
    stores = monthly[(monthly["scope"] != TOTAL) & (monthly["month"] == str(month))]
    return {"month": str(month), "previous_month": str(pd.Period(month, "M") - 1),
            "year_ago_month": str(pd.Period(month, "M") - 12), "data_from": str(monthly["month"].min()),
            "lapse": lapse.to_dict(), "stores_with_baskets": int((stores["all_baskets"] > 0).sum()),
            "warm_up": bool(row["warm_up"].iloc[0]) if len(row) else None,
            "new_measured": bool(row["new_measured"].iloc[0]) if len(row) else None,
            "no_data_months": comparison_gaps(monthly, month), "board": rows}


def save(run: Run, monthly: pd.DataFrame, lapse: LapseRule, cohorts: pd.DataFrame | None = None,
         cohort_basis: str | None = None) -> None:
    run.write("kpis_monthly", monthly, index=False)
    payload = headline(monthly, run.month, lapse)
    if cohorts is not None:
        run.write("cohort_retention", cohorts, index=False)
        payload["cohort_basis"] = cohort_basis
    run.write("kpi_board", payload)
    run.write("kpi_stores", store_facts(monthly, run.month, run.setting("store_table_top")))
