"""Cohort retention: members grouped by the month they joined (or first bought), and the share of
each cohort who bought in each later month.

By first purchase, the first month of data is not a cohort of new members: everyone who already
shopped before the data began makes their first purchase in the data there. That row is flagged
`existing_customers` (the chart labels it so), and its size is not a count of new members.
"""
from __future__ import annotations

import pandas as pd

from retention_lib.core.schema import substituted
from retention_lib.data.aggregate import connect, member_purchases


COHORT_SQL = """
WITH cohort AS (SELECT customer_id, CAST(date_trunc('month', first_day) AS DATE) AS cohort FROM starts),
act AS (SELECT DISTINCT customer_id, CAST(date_trunc('month', "date") AS DATE) AS m FROM baskets
        WHERE is_member AND is_purchase AND customer_id IS NOT NULL AND "date" < $end),
sizes AS (SELECT cohort, count(*) AS cohort_size FROM cohort GROUP BY cohort)
SELECT strftime(c.cohort, '%Y-%m') AS cohort, s.cohort_size,
       date_diff('month', c.cohort, a.m) AS months_since, count(*) AS active
FROM cohort c JOIN act a USING (customer_id) JOIN sizes s USING (cohort)
WHERE a.m >= c.cohort
GROUP BY ALL ORDER BY 1, 3
"""


def cohort_retention(baskets: pd.DataFrame, end: pd.Timestamp, customers: pd.DataFrame | None = None,
                     by: str = "auto") -> tuple[pd.DataFrame, str]:
    """Share of each cohort active (≥1 purchase basket) in each month since it started.

    `by="join"` groups members by their join month (customers.join_date), `by="first_purchase"`
    by the month of their first purchase; "auto" uses join dates when the customers table has
    them. Join dates the source substituted (core.schema.SUBSTITUTED: the Complete Journey's are
    the first purchase) are not join dates: the basis is then the first purchase, whatever `by`.
    Cohorts that started before the first month of transaction data are left out (their
    early months are not in the data), and so are members who joined after `end`. The
    cohort size counts every member of the cohort, including those who never bought.
    Returns a long table (cohort, cohort_size, months_since, active, share, existing_customers)
    and the basis used; existing_customers marks the first month of data by first purchase.
    """
    end = pd.Timestamp(end)
    data_start = pd.to_datetime(baskets["date"]).min().to_period("M").start_time
    if by not in ("auto", "join", "first_purchase"):
        raise ValueError(f"by must be auto, join or first_purchase, got {by!r}")
    real_joins = (customers is not None and "join_date" not in substituted(customers)
                  and customers["join_date"].notna().any())
    if by == "auto" or not real_joins:
        by = "join" if real_joins else "first_purchase"
    if by == "join":
        starts = customers[["customer_id", "join_date"]].dropna().rename(columns={"join_date": "first_day"})
    else:
        b = member_purchases(baskets)
        starts = b.groupby("customer_id", as_index=False)["date"].min().rename(columns={"date": "first_day"})
    starts = starts.assign(first_day=pd.to_datetime(starts["first_day"]))
    starts = starts[(starts["first_day"] >= data_start) & (starts["first_day"] < end)]
    con = connect()
    con.register("starts", starts)
    con.register("baskets", baskets)
    out = con.execute(COHORT_SQL, {"end": end.to_pydatetime()}).df()
    con.close()
    out["share"] = out["active"] / out["cohort_size"]
    out["existing_customers"] = (by == "first_purchase") & (out["cohort"] == f"{data_start:%Y-%m}")
    return out, by


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
