"""Per-customer frequency, recency, T and monetary value, computed on the engine (Ibis).

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

import uuid
from contextlib import contextmanager

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.data import engine
from retention_lib.data.aggregate import money, money_sum, time_span

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
    FROM (SELECT customer_id, {amount} AS amount, {period} AS p FROM {source} AS purchases
          WHERE customer_id IS NOT NULL)
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
FROM {source} AS purchases JOIN {firsts} AS firsts
  ON purchases.customer_id = firsts.customer_id AND {period} = firsts.first_period
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


def _period_start(ts, freq: str) -> pd.Timestamp:
    return pd.Timestamp(ts).to_period(freq).to_timestamp()


@contextmanager
def _duckdb_view(con, table):
    """A DuckDB view over an Ibis table, by name, for SQL the fast path writes itself."""
    name = f"purchases_{uuid.uuid4().hex}"
    con.create_view(name, table, overwrite=True)
    try:
        yield name
    finally:
        con.drop_view(name, force=True)


def _per_customer_duckdb(con, table, period: str, end: int) -> pd.DataFrame:
    """DuckDB's fast path: purchase-period bitmaps (SUMMARY_SQL), then first-period spend."""
    raw = con.con
    with _duckdb_view(con, table) as view:
        sql = SUMMARY_SQL.format(source=view, block=BLOCK, amount='purchases."amount"', period=period,
                                 spend=money_sum("amount"), **_bitmap_sql(max(end, 0) // BLOCK + 1))
        out = raw.execute(sql, {"end": end}).arrow().read_all().to_pandas()
        firsts = f"firsts_{uuid.uuid4().hex}"
        raw.register(firsts, out[["customer_id", "first_period"]])
        try:
            sql = FIRST_SPEND_SQL.format(source=view, firsts=firsts, first_spend=money_sum('purchases."amount"'),
                                         period=period)
            first_spend = raw.execute(sql).arrow().read_all().to_pandas()["first_spend"]
        finally:
            raw.unregister(firsts)
    if len(first_spend) != len(out):
        raise RuntimeError("first-period spend is missing for some customers")
    return out.assign(first_spend=first_spend.to_numpy())


def _period_index(table, origin: pd.Timestamp, step: int):
    """Each row's purchase period, counted in `step` days from `origin` (an Ibis expression)."""
    return (table.timestamp.cast("date").delta(ibis.date(origin.date()), unit="day") // step).cast("int64")


def _per_customer_portable(table, origin: pd.Timestamp, step: int, end: int) -> pd.DataFrame:
    """The same per-customer figures as `_per_customer_duckdb`, as a plain Ibis expression (any engine)."""
    periods = (table.mutate(p=_period_index(table, origin, step)).filter(_.p <= end).group_by(["customer_id", "p"])
               .aggregate(spend=money(_.amount).sum()))
    per = periods.group_by("customer_id").aggregate(
        spend=_.spend.sum().cast("float64"), periods=_.count(), first_period=_.p.min(), last_period=_.p.max(),
        first_spend=_.spend.argmin(_.p).cast("float64")).order_by("customer_id")
    return engine.backend_of(table).to_pyarrow(per).to_pandas()


def _log_gap_sums(table, origin: pd.Timestamp, step: int, end: int) -> pd.DataFrame:
    """Per customer, the sum of the logs of the gaps between consecutive purchase periods, in periods.
    Summed as whole multiples of LOG_GAP_UNIT, so the sum is exact and the same on every run."""
    periods = table.mutate(p=_period_index(table, origin, step)).filter(_.p <= end).select("customer_id", "p").distinct()
    gaps = periods.mutate(gap=_.p - _.p.lag().over(group_by="customer_id", order_by="p"))
    per = (gaps.filter(gaps.gap.notnull()).group_by("customer_id")
           .aggregate(units=log_gap_units(_.gap).sum()))
    out = engine.backend_of(table).to_pyarrow(per.order_by("customer_id")).to_pandas()
    return out.set_index("customer_id")["units"]


LOG_GAP_UNIT = 1e-12


def log_gap_units(gap):
    """log(gap) as a whole number of LOG_GAP_UNIT (an Ibis expression): their sums are exact, so the
    same in any order and on any engine."""
    return (gap.cast("float64").ln() / LOG_GAP_UNIT).round().cast("int64")


def summarise(purchases, *, observation_end=None, freq: str = "D", multiplier: float = 1,
              time_col: str = "timestamp", amount_col: str = "amount", portable: bool = False,
              log_gaps: bool = False) -> pd.DataFrame:
    """Customer-level summary indexed by customer_id.

    `purchases` is an Ibis table (on the run's engine), a DataFrame or a Parquet path with
    customer_id, a time column and an amount column: baskets for the report, or any purchase log.
    Non-member rows (null customer_id) are left out. `observation_end` defaults to the last
    purchase. On DuckDB the purchase-period bitmaps do the work; elsewhere (or `portable=True`,
    which the tests compare with it) a plain Ibis expression gives the same numbers.
    `log_gaps` adds `litt`, the sum of the logs of the customer's `frequency` inter-purchase times
    in the summary's unit (0 without repeat purchases): what the CNBD-k models need to choose k.
    """
    if freq not in UNITS:
        raise ValueError(f"freq must be one of {list(UNITS)}, got {freq!r}")
    t = engine.as_table(purchases)
    t = t.select(customer_id=t.customer_id, timestamp=t[time_col], amount=t[amount_col])
    first_seen, last_seen = time_span(t, "timestamp")   # of every row, members or not
    t = t.filter(t.customer_id.notnull())
    if observation_end is None:
        observation_end = last_seen
    # Periods are counted from the first period in the data, so they are never negative.
    origin = _period_start(first_seen if not pd.isna(first_seen) else observation_end, freq)
    step = 7 if freq == "W" else 1
    end = int((_period_start(observation_end, freq) - origin).days // step)
    con = engine.backend_of(t)
    if con.name == "duckdb" and not portable:
        period = f'((CAST(purchases."timestamp" AS DATE) - DATE \'{origin.date()}\') // {step})'
        out = _per_customer_duckdb(con, t, period, end)
    else:
        out = _per_customer_portable(t, origin, step, end)
    frequency = out["periods"].to_numpy(dtype="int64") - 1
    first = out["first_period"].to_numpy(dtype="float64")
    spend = out["spend"].to_numpy(dtype="float64") - out["first_spend"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, spend / frequency, 0.0)
    summary = pd.DataFrame({"frequency": frequency,
                            "recency": (out["last_period"].to_numpy(dtype="float64") - first) / float(multiplier),
                            "T": (end - first) / float(multiplier),
                            "monetary_value": monetary},
                           index=pd.Index(out["customer_id"], name="customer_id"))
    if log_gaps:
        units = _log_gap_sums(t, origin, step, end).reindex(summary.index, fill_value=0).to_numpy(dtype="int64")
        summary["litt"] = units * LOG_GAP_UNIT - frequency * np.log(float(multiplier))
    return summary


def calibration_and_holdout(purchases, *, calibration_end, observation_end, freq: str = "D",
                            multiplier: float = 1, time_col: str = "timestamp",
                            amount_col: str = "amount", log_gaps: bool = False) -> pd.DataFrame:
    """Calibration summary plus what each calibration customer did in the holdout.

    Same definitions as lifetimes' `calibration_and_holdout_data` (which fails on pandas 3).
    Only customers who purchased by `calibration_end` are in the result: the models can
    say nothing about customers first seen in the holdout. `frequency_holdout` counts
    purchase periods after the calibration period, `duration_holdout` is in the same units.
    """
    t = engine.as_table(purchases)
    cal = summarise(t, observation_end=calibration_end, freq=freq, multiplier=multiplier,
                    time_col=time_col, amount_col=amount_col, log_gaps=log_gaps)
    cut, end = _period_start(calibration_end, freq), _period_start(observation_end, freq)
    t = t.filter(t.customer_id.notnull()).mutate(period=t[time_col].truncate(freq))
    periods = (t.filter((t.period > cut.to_pydatetime()) & (t.period <= end.to_pydatetime()))
               .group_by(["customer_id", "period"]).aggregate(spend=money(t[amount_col]).sum()))
    # Spend per period stays exact; its mean over periods is one division of exact totals.
    hold = periods.group_by("customer_id").aggregate(
        frequency_holdout=_.count(), total=_.spend.sum().cast("float64"))
    hold = engine.backend_of(t).to_pyarrow(hold.order_by("customer_id")).to_pandas().set_index("customer_id")
    hold["monetary_value_holdout"] = hold.pop("total") / hold["frequency_holdout"]
    out = cal.add_suffix("_cal").join(hold, how="left")
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
    t = engine.as_table(purchases)
    t = t.filter(t.customer_id.notnull())
    firsts = t.group_by("customer_id").aggregate(first=t[time_col].truncate(freq).min())
    cut, end = _period_start(calibration_end, freq), _period_start(observation_end, freq)
    new = firsts.filter((firsts.first > cut.to_pydatetime()) & (firsts.first <= end.to_pydatetime()))
    return int(engine.backend_of(t).execute(new.count()))
