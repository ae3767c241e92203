"""Cohort retention: members grouped by the month they joined (or first bought), and the share of
each cohort who bought in each later month.

By first purchase, the first month of data is not a cohort of new members: everyone who already
shopped before the data began makes their first purchase in the data there. That row is flagged
`existing_customers` (the chart labels it so), and its size is not a count of new members.
"""
from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from retention_lib.core.run import Run
from retention_lib.core.schema import substituted
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchase_days, month_index, time_span


def cohort_retention(baskets, end: pd.Timestamp, customers: pd.DataFrame | None = None,
                     by: str = "auto") -> tuple[pd.DataFrame, str]:
    """Share of each cohort active (≥1 purchase basket) in each month since it started.

    `by="join"` groups members by their join month (customers.join_date), `by="first_purchase"`
    by the month of their first purchase; "auto" uses join dates when the customers table has
    them. Join dates the source substituted (core.schema.SUBSTITUTED: the Complete Journey's are
    the first purchase) are not join dates: the basis is then the first purchase, whatever `by`.
    Cohorts that started before the first month of transaction data are left out (their
    early months are not in the data), and so are members who joined after `end`. The
    cohort size counts every member of the cohort, including those who never bought.
    `baskets` is an Ibis table (the run's, on its engine) or a frame; the months members were
    active are counted there, per cohort. Returns a long table (cohort, cohort_size,
    months_since, active, share, existing_customers) and the basis used; existing_customers
    marks the first month of data by first purchase.
    """
    end = pd.Timestamp(end)
    baskets = engine.as_table(baskets)
    first = time_span(baskets)[0].to_period("M")
    data_start = first.start_time
    if by not in ("auto", "join", "first_purchase"):
        raise ValueError(f"by must be auto, join or first_purchase, got {by!r}")
    real_joins = (customers is not None and "join_date" not in substituted(customers)
                  and customers["join_date"].notna().any())
    if by == "auto" or not real_joins:
        by = "join" if real_joins else "first_purchase"
    days = member_purchase_days(baskets)
    active = days.filter(days.d < end.date()).select("customer_id", m=month_index(days.d, first)).distinct()
    if by == "join":
        joined = pd.to_datetime(customers["join_date"])
        keep = joined.notna() & (joined >= data_start) & (joined < end)
        month = joined[keep].dt.year * 12 + joined[keep].dt.month - (first.year * 12 + first.month)
        # month numbers and ids only: no missing text goes into the engine (see engine.scan)
        starts = pd.DataFrame({"customer_id": customers.loc[keep, "customer_id"].astype(str), "cohort": month})
        starts = ibis.memtable(starts.astype({"cohort": "int64"}))
    else:
        starts = active.group_by("customer_id").aggregate(cohort=_.m.min())
    sizes = starts.group_by("cohort").aggregate(cohort_size=_.count())
    joined_up = starts.join(active, "customer_id")
    cells = joined_up.filter(joined_up.m >= joined_up.cohort).mutate(months_since=_.m - _.cohort)
    cells = cells.group_by(["cohort", "months_since"]).aggregate(active=_.count())
    table = cells.join(sizes, "cohort").select("cohort", "cohort_size", "months_since", "active")
    out = engine.backend_of(table).to_pyarrow(table).to_pandas().sort_values(["cohort", "months_since"],
                                                                              ignore_index=True)
    out["cohort"] = [str(first + int(k)) for k in out["cohort"]]
    out = out.astype({"cohort_size": "int64", "months_since": "int64", "active": "int64"})
    out["share"] = out["active"] / out["cohort_size"]
    out["existing_customers"] = (by == "first_purchase") & (out["cohort"] == f"{data_start:%Y-%m}")
    return out, by


def for_month(run: Run, by: str = "auto") -> tuple[pd.DataFrame, str]:
    """The cohorts of a run's month, from its baskets on its engine."""
    return cohort_retention(engine.run_table(run, "baskets"), run.end, run.table("customers"), by)


def cohort_matrix(cohorts: pd.DataFrame, through: str | pd.Period | None = None,
                  max_cohorts: int = 24) -> pd.DataFrame:
    """Cohorts (rows, most recent `max_cohorts`) by months since start (columns): share active.

    Rows are indexed by (cohort, members, existing_customers), for the chart's labels. `through`
    is the last month of data (default: the last month anyone was active). Cells after it are
    unknown (NaN); earlier months in which nobody of a cohort bought are 0.
    """
    if through is None:
        through = max(pd.Period(c, "M") + int(k) for c, k in zip(cohorts["cohort"], cohorts["months_since"]))
    last = pd.Period(through, "M")
    horizon_all = max(0, max((last - pd.Period(c, "M")).n for c in cohorts["cohort"]))
    wide = cohorts.pivot(index="cohort", columns="months_since", values="share").sort_index()
    wide = wide.reindex(columns=range(horizon_all + 1))
    first = cohorts.drop_duplicates("cohort").set_index("cohort")
    existing = first["existing_customers"] if "existing_customers" in first else pd.Series(False, first.index)
    wide = wide.tail(max_cohorts)
    for cohort in wide.index:
        horizon = (last - pd.Period(cohort, "M")).n
        wide.loc[cohort, [c for c in wide.columns if c <= horizon]] = \
            wide.loc[cohort, [c for c in wide.columns if c <= horizon]].fillna(0.0)
    wide.index = pd.MultiIndex.from_arrays(
        [wide.index, [int(first.loc[c, "cohort_size"]) for c in wide.index], [bool(existing[c]) for c in wide.index]],
        names=["cohort", "members", "existing_customers"])
    wide.columns.name = "months_since"
    return wide
