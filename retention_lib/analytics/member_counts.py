"""Members counted per month, for the chain and per home store: active, new, the active base at
the month start (and who of it bought again), lapsed, and last month's actives who bought again.

The definitions are the KPI board's (analytics/kpis.py). Each member is counted once per month
in the chain total and once in one store, their **home store** for that month: the store with the
most purchase baskets in the `HOME_STORE_MONTHS` months to the month's end; ties go to the store
visited most recently, then to the lower store id (as text). A member without a purchase in that
window (only with a lapse rule longer than it) keeps the store of their latest purchase. Store
member counts therefore add up to the chain's, and a member who shops at two stores is lapsed, or
new, in one of them. Baskets and revenue are counted where they happened (analytics/kpis.py).

Plain SQL over the relations `baskets` and `months` (as registered by `kpis.monthly_kpis`).
"""
from __future__ import annotations

import duckdb
import pandas as pd

HOME_STORE_MONTHS = 12
COUNTS = ("active_customers", "new_customers", "active_base_start", "retained_active", "lapsed_customers",
          "lapsed_from_base", "previous_active", "repurchasers")

PURCHASE_DAYS_SQL = """
CREATE OR REPLACE TEMP TABLE iv AS
WITH p AS (SELECT DISTINCT customer_id, CAST("date" AS DATE) AS d FROM baskets
           WHERE is_member AND is_purchase AND customer_id IS NOT NULL)
SELECT customer_id, d, lead(d) OVER (PARTITION BY customer_id ORDER BY d) AS nxt,
       min(d) OVER (PARTITION BY customer_id) AS first_d
FROM p;

CREATE OR REPLACE TEMP TABLE active_months AS
SELECT DISTINCT iv.customer_id, m.month_idx, iv.first_d >= m.m_start AS is_new
FROM iv JOIN months m ON iv.d BETWEEN m.m_start AND m.m_end;
"""

# The home store of every member in every month from their first purchase on.
HOME_SQL = """
CREATE OR REPLACE TEMP TABLE home AS
WITH visits AS (
    SELECT b.customer_id, CAST(b.store_id AS VARCHAR) AS store_id, m.month_idx,
           count(*) AS n, max(CAST(b."date" AS DATE)) AS last_d
    FROM baskets b JOIN months m ON CAST(b."date" AS DATE) BETWEEN m.m_start AND m.m_end
    WHERE b.is_member AND b.is_purchase AND b.customer_id IS NOT NULL
    GROUP BY ALL),
so_far AS (
    SELECT m.month_idx, v.customer_id, v.store_id,
           coalesce(sum(v.n) FILTER (WHERE v.month_idx > m.month_idx - {window}), 0) AS recent,
           max(v.last_d) AS last_d
    FROM visits v JOIN months m ON v.month_idx <= m.month_idx
    GROUP BY ALL)
SELECT month_idx, customer_id, store_id FROM so_far
QUALIFY row_number() OVER (PARTITION BY month_idx, customer_id ORDER BY recent DESC, last_d DESC, store_id) = 1;
"""

# One row per member and month in which they count for something, then summed per home store and
# for the chain. Members lapse and churn on the chain's purchase days (all stores).
COUNTS_SQL = """
WITH facts AS (
    SELECT month_idx, customer_id, 1 AS active, CAST(is_new AS INTEGER) AS new, 0 AS base, 0 AS retained,
           0 AS lapsed, 0 AS lapsed_from_base, 0 AS previous_active, 0 AS repurchaser
    FROM active_months
    UNION ALL
    SELECT m.month_idx, iv.customer_id, 0, 0, 1, CAST(coalesce(iv.nxt <= m.m_end, false) AS INTEGER), 0, 0, 0, 0
    FROM iv JOIN months m
      ON iv.d < m.m_start AND iv.d + {n} >= m.m_start AND (iv.nxt IS NULL OR iv.nxt >= m.m_start)
    UNION ALL
    SELECT m.month_idx, iv.customer_id, 0, 0, 0, 0, 1, CAST(iv.d < m.m_start AS INTEGER), 0, 0
    FROM iv JOIN months m
      ON iv.d + {n} BETWEEN m.m_start AND m.m_end AND (iv.nxt IS NULL OR iv.nxt > m.m_end)
    UNION ALL
    SELECT a.month_idx + 1, a.customer_id, 0, 0, 0, 0, 0, 0, 1, CAST(b.customer_id IS NOT NULL AS INTEGER)
    FROM active_months a LEFT JOIN active_months b
      ON a.customer_id = b.customer_id AND b.month_idx = a.month_idx + 1
    WHERE a.month_idx + 1 <= (SELECT max(month_idx) FROM months))
SELECT f.month_idx,
       CASE WHEN grouping(h.store_id) = 1 THEN '{total}' ELSE h.store_id END AS scope,
       CAST(sum(active) AS BIGINT)           AS active_customers,
       CAST(sum(new) AS BIGINT)              AS new_customers,
       CAST(sum(base) AS BIGINT)             AS active_base_start,
       CAST(sum(retained) AS BIGINT)         AS retained_active,
       CAST(sum(lapsed) AS BIGINT)           AS lapsed_customers,
       CAST(sum(lapsed_from_base) AS BIGINT) AS lapsed_from_base,
       CAST(sum(previous_active) AS BIGINT)  AS previous_active,
       CAST(sum(repurchaser) AS BIGINT)      AS repurchasers
FROM facts f JOIN home h USING (month_idx, customer_id)
GROUP BY GROUPING SETS ((f.month_idx, h.store_id), (f.month_idx))
ORDER BY 1, 2
"""


def member_counts(con: duckdb.DuckDBPyConnection, lapse_days: int, total: str) -> pd.DataFrame:
    """Per (month_idx, scope): the member counts of `COUNTS`; scope is a home store or `total`."""
    con.execute(PURCHASE_DAYS_SQL)
    con.execute(HOME_SQL.format(window=HOME_STORE_MONTHS))
    return con.execute(COUNTS_SQL.format(n=int(lapse_days), total=total)).df()

