"""Scans of transaction lines into baskets and per-day/per-month aggregates, in DuckDB.

The SQL here is plain ANSI over named relations, so the same statements can run on
another engine (a warehouse, or Spark through Ibis) when a chain outgrows one machine.

Same data, same numbers: DuckDB adds floats in whatever order its threads combine partial
results, so a float sum can change in the last bits from run to run. Money is therefore
summed exactly, as DECIMAL: every money aggregate in SQL goes through `money_sum`,
`money_mean` or `money_var_samp`, and every query whose rows feed further arithmetic has an
ORDER BY on a unique key.
"""
from __future__ import annotations

import duckdb
import pandas as pd

MONEY_SCALE = 4
MONEY = f"DECIMAL(18, {MONEY_SCALE})"
MONEY_LIMIT = 10.0 ** (18 - MONEY_SCALE)   # one value must stay below this


def _agg(fn: str, arg: str, where: str | None) -> str:
    return f"{fn}({arg})" + (f" FILTER (WHERE {where})" if where else "")


def money_sum(expr: str, where: str | None = None, *, exact: bool = False) -> str:
    """SQL for the exact sum of a money expression, the same for any row order or thread count.

    Precision: each value is cast to DECIMAL(18, 4), i.e. rounded to the nearest 0.0001
    (half away from zero), so an amount with more than four decimals loses the rest, and
    one value must stay below 10^14 (DuckDB refuses the cast beyond). The sum itself is
    integer arithmetic on ten-thousandths (DECIMAL(38, 4)), exact to 10^34. It comes back
    as the DOUBLE nearest to that exact sum (for sums below 9 * 10^11; beyond, within 1 ulp),
    or, with `exact=True`, stays DECIMAL for further exact arithmetic in the query. A
    DOUBLE that came from such a sum (below 10^11) casts back to the same decimal, so sums
    of sums (lines into baskets into months) stay exact. `where` is the aggregate's FILTER; NULLs are
    skipped and a sum of no rows is NULL.
    """
    total = _agg("sum", f"CAST({expr} AS {MONEY})", where)
    return total if exact else f"CAST({total} AS DOUBLE)"


def money_mean(expr: str, where: str | None = None) -> str:
    """SQL for the mean of a money expression: its exact sum (`money_sum`) over the count.

    One division of exact totals, so it does not depend on row order as avg() of floats does.
    """
    return f"({money_sum(expr, where)} / {_agg('count', expr, where)})"


def money_var_samp(expr: str, where: str | None = None) -> str:
    """SQL for the sample variance of a money expression, from exact sums (NULL below 2 values).

    The numerator n * sum(x^2) - sum(x)^2 is computed exactly on DECIMAL(38, 8) (up to 10^30),
    so neither row order nor cancellation changes it; it is then cast to DOUBLE and divided
    by n (n - 1). Values are rounded as in `money_sum`.
    """
    x = f"CAST({expr} AS {MONEY})"
    wide = f"CAST({x} AS DECIMAL(38, {MONEY_SCALE}))"  # DECIMAL(18) * DECIMAL(18) overflows 64 bits
    n, s, ss = _agg("count", x, where), _agg("sum", x, where), _agg("sum", f"{wide} * {wide}", where)
    return f"(CASE WHEN {n} > 1 THEN CAST({n} * {ss} - {s} * {s} AS DOUBLE) / ({n} * ({n} - 1)) END)"


BASKETS_SQL = f"""
SELECT
    basket_id,
    min(customer_id)                                     AS customer_id,
    min(store_id)                                        AS store_id,
    min("timestamp")                                     AS "timestamp",
    CAST(min("timestamp") AS DATE)                       AS "date",
    {money_sum("amount")}                                AS amount,
    coalesce({money_sum("amount", "amount > 0")}, 0)     AS gross_amount,
    coalesce(-{money_sum("amount", "amount < 0")}, 0)    AS returned_amount,
    count(*)                                             AS n_lines,
    {{discount}}                                         AS discount,
    {{coupon}}                                           AS coupon_discount,
    customer_id IS NOT NULL                              AS is_member
FROM lines
GROUP BY basket_id, customer_id IS NOT NULL
ORDER BY "timestamp", basket_id, is_member
"""


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(database=":memory:")


def baskets_from_lines(lines: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Net each basket's lines (returns are negative lines) into one row per basket.

    Baskets on the same day stay separate; a basket whose lines net to zero or less is
    a return visit, kept for store revenue but not counted as a purchase. Money columns are
    exact sums (`money_sum`); rows come ordered by time, basket id and membership.
    """
    con = con or connect()
    con.register("lines", lines)

    def optional(col):  # discount columns are optional in the data: zero without them
        return f"coalesce({money_sum(col)}, 0)" if col in lines else "CAST(0 AS DOUBLE)"

    try:
        out = con.execute(BASKETS_SQL.format(discount=optional("discount"), coupon=optional("coupon_discount"))).df()
    except duckdb.ConversionException as exc:  # a value beyond MONEY's range
        raise ValueError(
            f"A transaction line has an amount or discount of {MONEY_LIMIT:,.0f} or more, which no sale can "
            "be; check which column of the client's file is mapped to amount or discount in the config "
            f"(an id or barcode column?). ({exc})") from exc
    finally:
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
        agg AS (SELECT "date", store_id, count(*) AS baskets, {revenue} AS revenue
                FROM baskets GROUP BY ALL)
        SELECT days."date", stores.store_id, coalesce(agg.baskets, 0) AS baskets,
               coalesce(agg.revenue, 0) AS revenue
        FROM days CROSS JOIN stores
        LEFT JOIN agg ON agg."date" = days."date" AND agg.store_id = stores.store_id
        ORDER BY 1, 2
    """.format(revenue=money_sum("amount"))).df()
    con.unregister("baskets")
    return out


def monthly_membership(baskets: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Member and non-member baskets per month, of them purchases (net amount above zero: what the
    KPI board counts), and revenue."""
    con = con or connect()
    con.register("baskets", baskets)
    out = con.execute("""
        SELECT strftime(date_trunc('month', "date"), '%Y-%m') AS month,
               count(*) FILTER (WHERE is_member)                     AS member_baskets,
               count(*) FILTER (WHERE is_member AND is_purchase)     AS member_purchases,
               count(*) FILTER (WHERE NOT is_member)                 AS non_member_baskets,
               count(*) FILTER (WHERE NOT is_member AND is_purchase) AS non_member_purchases,
               {member}                                     AS member_revenue,
               {non_member}                                 AS non_member_revenue
        FROM baskets GROUP BY 1 ORDER BY 1
    """.format(member=money_sum("amount", "is_member"), non_member=money_sum("amount", "NOT is_member"))).df()
    con.unregister("baskets")
    return out.fillna({"member_revenue": 0.0, "non_member_revenue": 0.0})
