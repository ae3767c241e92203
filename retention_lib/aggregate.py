"""Scans of transaction lines into baskets and per-day/per-month aggregates, in DuckDB.

The SQL here is plain ANSI over named relations, so the same statements can run on
another engine (a warehouse, or Spark through Ibis) when a chain outgrows one machine.
"""
from __future__ import annotations

import duckdb
import pandas as pd

BASKETS_SQL = """
SELECT
    basket_id,
    any_value(customer_id)                               AS customer_id,
    any_value(store_id)                                  AS store_id,
    min("timestamp")                                     AS "timestamp",
    CAST(min("timestamp") AS DATE)                       AS "date",
    sum(amount)                                          AS amount,
    sum(CASE WHEN amount > 0 THEN amount ELSE 0 END)     AS gross_amount,
    -sum(CASE WHEN amount < 0 THEN amount ELSE 0 END)    AS returned_amount,
    count(*)                                             AS n_lines,
    {discount}                                           AS discount,
    {coupon}                                             AS coupon_discount,
    customer_id IS NOT NULL                              AS is_member
FROM lines
GROUP BY basket_id, customer_id IS NOT NULL
"""


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(database=":memory:")


def baskets_from_lines(lines: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Net each basket's lines (returns are negative lines) into one row per basket.

    Baskets on the same day stay separate; a basket whose lines net to zero or less is
    a return visit, kept for store revenue but not counted as a purchase.
    """
    con = con or connect()
    con.register("lines", lines)
    sql = BASKETS_SQL.format(
        discount="sum(coalesce(discount, 0))" if "discount" in lines else "CAST(0 AS DOUBLE)",
        coupon="sum(coalesce(coupon_discount, 0))" if "coupon_discount" in lines else "CAST(0 AS DOUBLE)",
    )
    out = con.execute(sql + ' ORDER BY "timestamp", basket_id').df()
    con.unregister("lines")
    out["is_purchase"] = out["amount"] > 0
    return out


def member_purchases(baskets: pd.DataFrame) -> pd.DataFrame:
    """The baskets the customer models count: a member's, with a net amount above zero."""
    return baskets.loc[baskets["is_member"] & baskets["is_purchase"]]


def daily_coverage(baskets: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Baskets and revenue per day and store, with every calendar day present (zeros shown)."""
    con = con or connect()
    con.register("baskets", baskets)
    out = con.execute("""
        WITH days AS (
            SELECT CAST(d AS DATE) AS "date"
            FROM range((SELECT min("date") FROM baskets), (SELECT max("date") FROM baskets) + INTERVAL 1 DAY,
                       INTERVAL 1 DAY) t(d)),
        stores AS (SELECT DISTINCT store_id FROM baskets),
        agg AS (SELECT "date", store_id, count(*) AS baskets, sum(amount) AS revenue
                FROM baskets GROUP BY ALL)
        SELECT days."date", stores.store_id, coalesce(agg.baskets, 0) AS baskets,
               coalesce(agg.revenue, 0) AS revenue
        FROM days CROSS JOIN stores
        LEFT JOIN agg ON agg."date" = days."date" AND agg.store_id = stores.store_id
        ORDER BY 1, 2
    """).df()
    con.unregister("baskets")
    return out


def monthly_membership(baskets: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Member and non-member baskets and revenue per month."""
    con = con or connect()
    con.register("baskets", baskets)
    out = con.execute("""
        SELECT strftime(date_trunc('month', "date"), '%Y-%m') AS month,
               count(*) FILTER (WHERE is_member)            AS member_baskets,
               count(*) FILTER (WHERE NOT is_member)        AS non_member_baskets,
               sum(amount) FILTER (WHERE is_member)         AS member_revenue,
               sum(amount) FILTER (WHERE NOT is_member)     AS non_member_revenue
        FROM baskets GROUP BY 1 ORDER BY 1
    """).df()
    con.unregister("baskets")
    return out.fillna({"member_revenue": 0.0, "non_member_revenue": 0.0})
