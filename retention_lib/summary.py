"""Per-customer frequency, recency, T and monetary value, computed in DuckDB.

Definitions are lifetimes' `summary_data_from_transaction_data` (tests hold us to it):
- time is floored to the period ("D" days or "W" weeks starting Monday), and all
  purchases of a customer in one period count as one purchase whose spend is their sum;
- frequency = purchase periods - 1 (repeat purchases); recency = last - first period;
  T = observation end period - first period; both in periods / `multiplier`;
- monetary_value = mean spend of the repeat periods (the first is left out), 0 without any;
- purchases after the observation end are ignored.
`multiplier=7` with `freq="D"` gives weeks measured to the day, which is what the models use.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from .aggregate import connect

UNITS = {"D": "day", "W": "week"}

SUMMARY_SQL = """
WITH periods AS (
    SELECT customer_id, date_trunc('{unit}', {time}) AS period, sum({amount}) AS spend
    FROM purchases
    WHERE customer_id IS NOT NULL AND date_trunc('{unit}', {time}) <= $end
    GROUP BY ALL
)
SELECT customer_id,
       count(*) - 1                                                        AS frequency,
       date_diff('{unit}', min(period), max(period)) / $mult                AS recency,
       date_diff('{unit}', min(period), $end) / $mult                       AS "T",
       CASE WHEN count(*) > 1
            THEN (sum(spend) - arg_min(spend, period)) / (count(*) - 1) ELSE 0 END AS monetary_value
FROM periods
GROUP BY customer_id
ORDER BY customer_id
"""

HOLDOUT_SQL = """
WITH periods AS (
    SELECT customer_id, date_trunc('{unit}', {time}) AS period, sum({amount}) AS spend
    FROM purchases
    WHERE customer_id IS NOT NULL
      AND date_trunc('{unit}', {time}) > $cut AND date_trunc('{unit}', {time}) <= $end
    GROUP BY ALL
)
SELECT customer_id, count(*) AS frequency_holdout, avg(spend) AS monetary_value_holdout
FROM periods GROUP BY customer_id
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
    if observation_end is None:
        observation_end = con.execute(f"SELECT max({time_col}) FROM purchases").fetchone()[0]
    end = _period_start(observation_end, freq)
    sql = SUMMARY_SQL.format(unit=UNITS[freq], time=f'"{time_col}"', amount=f'"{amount_col}"')
    out = con.execute(sql, {"end": end.to_pydatetime(), "mult": float(multiplier)}).df()
    out = out.set_index("customer_id")
    out["frequency"] = out["frequency"].astype("int64")
    return out[["frequency", "recency", "T", "monetary_value"]].astype(
        {"recency": "float64", "T": "float64", "monetary_value": "float64"})


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
    sql = HOLDOUT_SQL.format(unit=UNITS[freq], time=f'"{time_col}"', amount=f'"{amount_col}"')
    hold = con.execute(sql, {"cut": cut.to_pydatetime(), "end": end.to_pydatetime()}).df()
    out = cal.add_suffix("_cal").join(hold.set_index("customer_id"), how="left")
    out["frequency_holdout"] = out["frequency_holdout"].fillna(0).astype("int64")
    out["monetary_value_holdout"] = out["monetary_value_holdout"].fillna(0.0)
    out["duration_holdout"] = (end - cut) / pd.Timedelta(1, freq) / multiplier
    return out


def new_in_holdout(purchases, *, calibration_end, observation_end, time_col: str = "timestamp") -> int:
    """How many customers first purchased inside the holdout (left out of backtests)."""
    con = connect()
    _source(purchases, con)
    return con.execute(
        f'SELECT count(*) FROM (SELECT customer_id, min("{time_col}") AS first FROM purchases '
        "WHERE customer_id IS NOT NULL GROUP BY 1) WHERE first > $cut AND first <= $end",
        {"cut": pd.Timestamp(calibration_end).to_pydatetime(),
         "end": pd.Timestamp(observation_end).to_pydatetime()}).fetchone()[0]
