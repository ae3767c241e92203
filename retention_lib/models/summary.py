"""Per-customer frequency, recency, T and monetary value, computed in DuckDB.

Definitions are lifetimes' `summary_data_from_transaction_data` (tests hold us to it):
- time is floored to the period ("D" days or "W" weeks starting Monday), and all
  purchases of a customer in one period count as one purchase whose spend is their sum;
- frequency = purchase periods - 1 (repeat purchases); recency = last - first period;
  T = observation end period - first period; both in periods / `multiplier`;
- monetary_value = mean spend of the repeat periods (the first is left out), 0 without any;
- purchases after the observation end are ignored.
`multiplier=7` with `freq="D"` gives weeks measured to the day, which is what the models use.
Spend is summed exactly (`aggregate.money_sum`, amounts to 0.0001), so a summary is the same
bit for bit whatever the order of the purchases or the number of DuckDB threads.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from retention_lib.data.aggregate import connect, money_mean, money_sum

UNITS = {"D": "day", "W": "week"}

BLOCK = 126  # periods per HUGEINT bitmap: 1 << 126 still fits, which the highest-bit test needs

# Grouped by customer only, with a bitmap of purchase periods (one HUGEINT block per
# FILTERed aggregate): its bits give the distinct, first and last periods. This avoids a
# (customer, period) aggregation with almost as many groups as rows, 3-4x slower; and
# min/max/arg_min aggregates, which cost more than reading the bits afterwards. Spend is an
# exact DECIMAL sum (aggregate.money_sum), so it does not depend on the order of the rows.
SUMMARY_SQL = """
WITH dated AS (
    SELECT customer_id, amount, p, (p // {block})::SMALLINT AS blk, 1::HUGEINT << (p % {block})::HUGEINT AS bit
    FROM (SELECT customer_id, {amount} AS amount, {period} AS p FROM purchases WHERE customer_id IS NOT NULL)
    WHERE p <= $end
), bitmaps AS (
    SELECT customer_id, {spend} AS spend, {bitmaps} FROM dated GROUP BY customer_id
)
SELECT customer_id, spend, {periods} AS periods, {first} AS first_period, {last} AS last_period
FROM bitmaps ORDER BY customer_id
"""

# Spend in each customer's first period: a second scan, joined on (customer, period).
FIRST_SPEND_SQL = """
SELECT firsts.customer_id, {first_spend} AS first_spend
FROM purchases JOIN firsts ON purchases.customer_id = firsts.customer_id AND {period} = firsts.first_period
GROUP BY firsts.customer_id ORDER BY firsts.customer_id
"""


def _bitmap_sql(blocks: int) -> dict[str, str]:
    """Aggregates and read-outs of the period bitmaps b0, b1, ... (NULL for a block without purchases)."""
    def lowest(b):   # index of the lowest set bit
        return f"bit_count(({b} & -{b}) - 1)::INTEGER"

    def highest(b):  # floor(log2) of the rounded double can be one too high: test the bit
        hb = f"floor(log2({b}))::INTEGER"
        return f"({hb} - ((1::HUGEINT << {hb}::HUGEINT) > {b})::INTEGER)"

    ks = range(blocks)
    return {"bitmaps": ", ".join(f"bit_or(bit) FILTER (WHERE blk = {k}) AS b{k}" for k in ks),
            "periods": " + ".join(f"coalesce(bit_count(b{k}), 0)::BIGINT" for k in ks),
            "first": "CASE " + " ".join(f"WHEN b{k} IS NOT NULL THEN {k * BLOCK} + {lowest(f'b{k}')}" for k in ks) + " END",
            "last": "CASE " + " ".join(f"WHEN b{k} IS NOT NULL THEN {k * BLOCK} + {highest(f'b{k}')}"
                                       for k in reversed(ks)) + " END"}


HOLDOUT_SQL = """
WITH periods AS (
    SELECT customer_id, date_trunc('{unit}', {time}) AS period, {spend} AS spend
    FROM purchases
    WHERE customer_id IS NOT NULL
      AND date_trunc('{unit}', {time}) > $cut AND date_trunc('{unit}', {time}) <= $end
    GROUP BY ALL
)
SELECT customer_id, count(*) AS frequency_holdout, {mean_spend} AS monetary_value_holdout
FROM periods GROUP BY customer_id ORDER BY customer_id
"""


def _period_start(ts, freq: str) -> pd.Timestamp:
    return pd.Timestamp(ts).to_period(freq).to_timestamp()


def _source(purchases, con: duckdb.DuckDBPyConnection) -> None:
    if isinstance(purchases, (str, bytes)) or hasattr(purchases, "__fspath__"):
        con.execute(f"CREATE OR REPLACE VIEW purchases AS SELECT * FROM read_parquet('{purchases}')")
    else:
        con.register("purchases", purchases)


def summarise(purchases, *, observation_end=None, freq: str = "D", multiplier: float = 1,
              time_col: str = "timestamp", amount_col: str = "amount",
              con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Customer-level summary indexed by customer_id.

    `purchases` is a DataFrame or a Parquet path with customer_id, a time column and an
    amount column: baskets for the report, or any purchase log. Non-member rows (null
    customer_id) are left out. `observation_end` defaults to the last purchase.
    """
    if freq not in UNITS:
        raise ValueError(f"freq must be one of {list(UNITS)}, got {freq!r}")
    con = con or connect()
    _source(purchases, con)
    time, amount = f'purchases."{time_col}"', f'purchases."{amount_col}"'
    first_seen, last_seen = con.execute(f"SELECT min({time}), max({time}) FROM purchases").fetchone()
    if observation_end is None:
        observation_end = last_seen
    # Periods are counted from the first period in the data, so they are never negative.
    origin = _period_start(first_seen if first_seen is not None else observation_end, freq)
    step = 7 if freq == "W" else 1
    period = f"((CAST({time} AS DATE) - DATE '{origin.date()}') // {step})"
    end = int((_period_start(observation_end, freq) - origin).days // step)
    sql = SUMMARY_SQL.format(block=BLOCK, amount=amount, period=period, spend=money_sum("amount"),
                             **_bitmap_sql(max(end, 0) // BLOCK + 1))
    out = con.execute(sql, {"end": end}).df()
    con.register("firsts", out[["customer_id", "first_period"]])
    first_spend = con.execute(FIRST_SPEND_SQL.format(first_spend=money_sum(amount), period=period)).df()["first_spend"]
    con.unregister("firsts")
    if len(first_spend) != len(out):
        raise RuntimeError("first-period spend is missing for some customers")
    frequency = out["periods"].to_numpy(dtype="int64") - 1
    first = out["first_period"].to_numpy(dtype="float64")
    spend = out["spend"].to_numpy(dtype="float64") - first_spend.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, spend / frequency, 0.0)
    return pd.DataFrame({"frequency": frequency,
                         "recency": (out["last_period"].to_numpy(dtype="float64") - first) / float(multiplier),
                         "T": (end - first) / float(multiplier),
                         "monetary_value": monetary},
                        index=pd.Index(out["customer_id"], name="customer_id"))


def calibration_and_holdout(purchases, *, calibration_end, observation_end, freq: str = "D",
                            multiplier: float = 1, time_col: str = "timestamp",
                            amount_col: str = "amount") -> pd.DataFrame:
    """Calibration summary plus what each calibration customer did in the holdout.

    Same definitions as lifetimes' `calibration_and_holdout_data` (which fails on pandas 3).
    Only customers who purchased by `calibration_end` are in the result: the models can
    say nothing about customers first seen in the holdout. `frequency_holdout` counts
    purchase periods after the calibration period, `duration_holdout` is in the same units.
    """
    con = connect()
    cal = summarise(purchases, observation_end=calibration_end, freq=freq, multiplier=multiplier,
                    time_col=time_col, amount_col=amount_col, con=con)
    cut, end = _period_start(calibration_end, freq), _period_start(observation_end, freq)
    # Spend per period stays an exact DECIMAL; its mean over periods is exact sum / count.
    sql = HOLDOUT_SQL.format(unit=UNITS[freq], time=f'"{time_col}"',
                             spend=money_sum(f'"{amount_col}"', exact=True), mean_spend=money_mean("spend"))
    hold = con.execute(sql, {"cut": cut.to_pydatetime(), "end": end.to_pydatetime()}).df()
    out = cal.add_suffix("_cal").join(hold.set_index("customer_id"), how="left")
    out["frequency_holdout"] = out["frequency_holdout"].fillna(0).astype("int64")
    out["monetary_value_holdout"] = out["monetary_value_holdout"].fillna(0.0)
    out["duration_holdout"] = (end - cut) / pd.Timedelta(1, freq) / multiplier
    return out


def new_in_holdout(purchases, *, calibration_end, observation_end, freq: str = "D",
                   time_col: str = "timestamp") -> int:
    """How many customers first purchased inside the holdout (left out of backtests).

    Periods are floored as in `calibration_and_holdout`, so every customer seen by the
    observation end is either in the backtest or counted here, never both.
    """
    if freq not in UNITS:
        raise ValueError(f"freq must be one of {list(UNITS)}, got {freq!r}")
    con = connect()
    _source(purchases, con)
    return con.execute(
        f"SELECT count(*) FROM (SELECT customer_id, min(date_trunc('{UNITS[freq]}', \"{time_col}\")) AS first "
        "FROM purchases WHERE customer_id IS NOT NULL GROUP BY 1) WHERE first > $cut AND first <= $end",
        {"cut": _period_start(calibration_end, freq).to_pydatetime(),
         "end": _period_start(observation_end, freq).to_pydatetime()}).fetchone()[0]
