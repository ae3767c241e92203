"""CDNOW, as shipped inside lifetimes: the reference data for the published BTYD figures."""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

CALIBRATION_WEEKS = 39  # 1997-01-01 .. 1997-09-30 in the BG/NBD and Pareto/NBD papers


def _data_file(name: str):
    return resources.files("lifetimes.datasets").joinpath(name)


def load_cdnow_transactions() -> pd.DataFrame:
    """The 1/10th sample (2,357 customers) used by Fader, Hardie and Lee.

    One row per purchase: customer_id, date, quantity (CDs), amount (USD).
    """
    with _data_file("CDNOW_sample.txt").open("r") as fh:
        raw = pd.read_csv(fh, sep=r"\s+", header=None,
                          names=["master_id", "customer_id", "date", "quantity", "amount"],
                          dtype={"master_id": str, "customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "date", "quantity", "amount"]]


def load_cdnow_summary() -> pd.DataFrame:
    """lifetimes' published calibration summary: frequency, recency, T in weeks."""
    with _data_file("cdnow_customers_summary.csv").open("r") as fh:
        return pd.read_csv(fh, index_col=0)


def first_purchase_covariates(transactions: pd.DataFrame) -> pd.DataFrame:
    """Two attributes of each customer's first purchase day, the covariates of the covariate models'
    reference figures: `several_cds` (1 when it held two or more CDs, half the customers) and
    `first_spend_log` (log(1 + its dollars)). Indexed by customer_id."""
    day = transactions.groupby(["customer_id", "date"], as_index=False)[["quantity", "amount"]].sum()
    first = day.sort_values(["customer_id", "date"]).groupby("customer_id").first()
    return pd.DataFrame({"several_cds": (first["quantity"] >= 2).astype(float),
                         "first_spend_log": np.log1p(first["amount"])}, index=first.index)
