"""Baskets from transaction lines, per-day and per-month aggregates, and exact money, as Ibis
expressions that run on the data store's engine (DuckDB, Spark).

Same data, same numbers: an engine adds floats in whatever order its threads combine partial
results, so a float sum can change in the last bits from run to run. Money is therefore summed
exactly, as DECIMAL: every money aggregate goes through `money` (`money_sum` in the few places
that write DuckDB SQL themselves), and results that feed further arithmetic are ordered by a
unique key before they leave the engine.
"""
from __future__ import annotations

import duckdb
import ibis
from ibis import _
import pandas as pd
import pyarrow as pa

from retention_lib.data.engine import as_table, backend_of as engine_of, connect as engine

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


def money(column):
    """An Ibis money column as DECIMAL(18, 4), so its sums are exact on any engine (see `money_sum`)."""
    return column.cast(f"decimal(18, {MONEY_SCALE})")


def money_stats(column, where) -> dict:
    """Ibis aggregates of a money column where `where` holds: count `n`, `mean` and sample variance
    `var` (None below two values), all from exact DECIMAL sums, so neither row order nor cancellation
    changes them (n·Σx² − (Σx)² is exact on DECIMAL(38, 8), up to 10^30, then divided in DOUBLE)."""
    x = money(column)
    wide = x.cast(f"decimal(38, {MONEY_SCALE})")   # DECIMAL(18) * DECIMAL(18) overflows 64 bits
    n, total, squares = x.count(where=where), x.sum(where=where), (wide * wide).sum(where=where)
    var = ibis.cases((n > 1, (n * squares - total * total).cast("float64") / (n * (n - 1))), else_=ibis.null())
    return {"n": n, "mean": total.cast("float64") / n, "var": var.cast("float64")}


def month_index(column, first: pd.Period):
    """The month an Ibis date or timestamp falls in, numbered from `first` (0), as int64."""
    return (column.year() * 12 + column.month() - (first.year * 12 + first.month)).cast("int64")


def time_span(table, column: str = "date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last value of an Ibis table's time column (NaT for an empty table)."""
    span = engine_of(table).to_pyarrow(table.aggregate(first=table[column].min(), last=table[column].max()))
    span = span.to_pylist()[0]
    return pd.Timestamp(span["first"]), pd.Timestamp(span["last"])


def member_purchases(baskets):
    """The baskets the customer models count, as an Ibis table: a member's, netting above zero.
    `baskets` is an Ibis table (the run's, on its engine) or a frame."""
    b = as_table(baskets)
    return b.filter(b.is_member & b.is_purchase & b.customer_id.notnull())


def member_purchase_days(baskets):
    """The distinct (customer_id, d) days on which a member made a purchase (a basket netting above
    zero): the days lapse, churn and the lapse rule's gaps are counted on."""
    b = member_purchases(baskets)
    return b.select("customer_id", d=b.date.cast("date")).distinct()


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


def daily_coverage(baskets) -> pd.DataFrame:
    """Baskets and revenue per day and store, with every calendar day from the first basket's to the
    last's and every store present (zeros shown). `baskets` is an Ibis table or a frame."""
    b = as_table(baskets)
    b = b.mutate(day=b.date.cast("date"))
    agg = b.group_by(["day", "store_id"]).aggregate(baskets=_.count(), revenue=money(_.amount).sum().cast("float64"))
    out = engine_of(b).to_pyarrow(agg).to_pandas()
    if out.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "store_id": pd.Series(dtype="str"),
                             "baskets": pd.Series(dtype="int64"), "revenue": pd.Series(dtype="float64")})
    out["date"] = pd.to_datetime(out.pop("day"))
    days = pd.date_range(out["date"].min(), out["date"].max(), freq="D")
    grid = pd.MultiIndex.from_product([days, sorted(out["store_id"].unique())], names=["date", "store_id"])
    out = out.set_index(["date", "store_id"]).reindex(grid, fill_value=0).reset_index()
    return out.astype({"baskets": "int64", "revenue": "float64"})[["date", "store_id", "baskets", "revenue"]]


def monthly_membership(baskets) -> pd.DataFrame:
    """Member and non-member baskets per month, of them purchases (net amount above zero: what the
    KPI board counts), and revenue. `baskets` is an Ibis table or a frame."""
    b = as_table(baskets)
    amount = money(b.amount)
    agg = b.group_by(year=b.date.year(), month_no=b.date.month()).aggregate(
        member_baskets=b.count(where=b.is_member), member_purchases=b.count(where=b.is_member & b.is_purchase),
        non_member_baskets=b.count(where=~b.is_member),
        non_member_purchases=b.count(where=~b.is_member & b.is_purchase),
        member_revenue=amount.sum(where=b.is_member).cast("float64"),
        non_member_revenue=amount.sum(where=~b.is_member).cast("float64"))
    out = engine_of(b).to_pyarrow(agg).to_pandas().sort_values(["year", "month_no"], ignore_index=True)
    out.insert(0, "month", [f"{y:04d}-{m:02d}" for y, m in zip(out.pop("year"), out.pop("month_no"))])
    return out.fillna({"member_revenue": 0.0, "non_member_revenue": 0.0})
