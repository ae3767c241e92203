"""Seeded grocery-like purchase log for the benchmarks, generated vectorised with numpy.

Customers follow a BG/NBD process with Gamma-Gamma spend, so the summary has realistic
spread: Gamma purchase rates around one visit a week (~50 a year), Beta dropout after
each purchase, first purchases spread over the two years (many distinct T), visits at
store hours, and the file sorted by time as a POS export would be.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

START = pd.Timestamp("2024-01-01")
DAYS = 730                     # two years of trading
RATE = (2.5, 2.5)              # lambda ~ Gamma(shape r, rate alpha per week): mean 1 visit/week
DROPOUT = (0.6, 30.0)          # p ~ Beta(a, b): 2% chance of dropping out after a visit on average
SPEND = (6.0, 4.0, 35.0)       # Gamma-Gamma p, q and the mean basket


def generate(n_customers: int, seed: int = 2024) -> pd.DataFrame:
    """Purchases (customer_id, timestamp, amount), about 35 per customer."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(RATE[0], 1 / RATE[1], n_customers) / 7                  # per day
    p = rng.beta(*DROPOUT, n_customers)
    birth = rng.uniform(0, DAYS, n_customers)
    window = DAYS - birth
    # repeats before dropout (dropout is tried after every purchase, the first included)
    survive = rng.geometric(p) - 1
    alive_all_along = rng.poisson(lam * window)
    repeats = np.minimum(alive_all_along, survive)
    # The first k = `repeats` of N = `alive_all_along` ordered uniform times on the window:
    # S_j / (S_k + Gamma(N + 1 - k)), j <= k, with S_j sums of standard exponentials.
    n = repeats + 1
    owner = np.repeat(np.arange(n_customers), n)
    first = np.cumsum(n) - n
    gaps = rng.standard_exponential(owner.size)
    gaps[first] = 0.0                                                      # the first purchase
    spacing = np.cumsum(gaps)
    spacing -= np.repeat(spacing[first], n)
    rest = rng.gamma(alive_all_along - repeats + 1.0)
    total = spacing[first + n - 1] + rest
    t = birth[owner] + window[owner] * spacing / total[owner]
    del gaps, spacing
    # store hours 08:00-21:00, whole seconds
    day = np.floor(t)
    seconds = (day * 86400 + 8 * 3600 + (t - day) * 13 * 3600).astype("int64")
    stamp = START.to_datetime64().astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    # Gamma-Gamma spend: nu ~ Gamma(q, scale), each basket ~ Gamma(p, rate nu), in cents
    sp, sq, mean = SPEND
    nu = rng.gamma(sq, sp / (mean * (sq - 1)), n_customers)
    amount = np.round(rng.gamma(sp, 1.0, owner.size) / nu[owner], 2)
    ids = 10_000_000 + rng.permutation(n_customers)
    order = np.argsort(seconds, kind="stable")
    return pd.DataFrame({"customer_id": ids[owner][order],
                         "timestamp": stamp[order].astype("datetime64[us]"),
                         "amount": amount[order]})


def observation_end() -> pd.Timestamp:
    """The last day of the generated period."""
    return START + pd.Timedelta(days=DAYS - 1)


def write(purchases: pd.DataFrame, path) -> None:
    table = pa.Table.from_pandas(purchases, preserve_index=False)
    pq.write_table(table, path, row_group_size=1 << 20)
