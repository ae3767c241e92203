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
import ibis
import pandas as pd
import pyarrow as pa

from retention_lib.data.engine import connect as engine

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


def money(column):
    """An Ibis money column as DECIMAL(18, 4), so its sums are exact on any engine (see `money_sum`)."""
    return column.cast(f"decimal(18, {MONEY_SCALE})")


# The baskets as the data store keeps them, whichever engine netted them, and their order (a unique key).
BASKETS_SCHEMA = pa.schema([("basket_id", pa.string()), ("customer_id", pa.string()), ("store_id", pa.string()),
                            ("timestamp", pa.timestamp("us")), ("date", pa.timestamp("us")),
                            ("amount", pa.float64()), ("gross_amount", pa.float64()),
                            ("returned_amount", pa.float64()), ("n_lines", pa.int64()), ("discount", pa.float64()),
                            ("coupon_discount", pa.float64()), ("is_member", pa.bool_()), ("is_purchase", pa.bool_())])
BASKETS_ORDER = ["timestamp", "basket_id", "is_member"]


def baskets_expr(lines):
    """Each basket's lines (an Ibis table) netted into one row per basket and membership, as an Ibis
    expression that runs on the data store's engine (DuckDB, Spark).

    Baskets on the same day stay separate; a basket whose lines net to zero or less is a return
    visit (`is_purchase` false), kept for store revenue but not counted as a purchase. Money is
    summed exactly (DECIMAL) and comes back as the nearest DOUBLE; discount columns are optional
    in the data, zero without them. Rows are ordered by time, basket id and membership.
    """
    amount = money(lines.amount)
    columns = set(lines.columns)

    def optional(col):
        return money(lines[col]).sum().cast("float64").coalesce(0.0) if col in columns else ibis.literal(0.0)

    out = (lines.group_by(basket_id=lines.basket_id, is_member=lines.customer_id.notnull())
           .aggregate(customer_id=lines.customer_id.min(), store_id=lines.store_id.min(),
                      timestamp=lines.timestamp.min(),
                      amount=amount.sum().cast("float64"),
                      gross_amount=amount.sum(where=amount > 0).cast("float64").coalesce(0.0),
                      returned_amount=(-amount.sum(where=amount < 0)).cast("float64").coalesce(0.0),
                      n_lines=lines.count(), discount=optional("discount"),
                      coupon_discount=optional("coupon_discount")))
    # the day as a timestamp at midnight: pandas reads it as datetime64, as every date column here
    out = out.mutate(date=out.timestamp.truncate("D"), is_purchase=out.amount > 0)
    return out.select(*BASKETS_SCHEMA.names).order_by(BASKETS_ORDER)


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(database=":memory:")


def baskets_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """`baskets_expr` over lines in memory (a month's run reads the data store's baskets instead)."""
    try:
        out = engine().to_pyarrow(baskets_expr(ibis.memtable(lines))).to_pandas()
    except duckdb.ConversionException as exc:  # a value beyond MONEY's range
        raise ValueError(money_range_error(exc)) from exc
    return out


def money_range_error(exc) -> str:
    return (f"A transaction line has an amount or discount of {MONEY_LIMIT:,.0f} or more, which no sale can "
            "be; check which column of the client's file is mapped to amount or discount in the config "
            f"(an id or barcode column?). ({exc})")


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
