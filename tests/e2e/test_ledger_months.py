"""The prediction ledger over two consecutive published months: forecasts stored by one are scored
by the next."""
import json

import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import ledger
from retention_lib.app.pipeline import run_month


def test_ledger_round_trips_over_two_consecutive_published_months(small_config, tmp_path):
    quiet = {"progress": lambda s: None}
    run_month(small_config, "2024-12", reports_dir=tmp_path, **quiet)
    book = ledger.ledger_path(tmp_path, small_config.stem)
    stored = ledger.read(book)
    assert set(stored["for_month"]) == {"2025-01"} and np.isfinite(stored["expected_purchases"]).all()
    run_month(small_config, "2025-01", reports_dir=tmp_path, **quiet)
    assert set(ledger.read(book)["for_month"]) == {"2025-01", "2025-02"}
    summary = json.loads((tmp_path / "2025-01" / "artifacts" / "actions_summary.json").read_text())
    [row] = summary["track_record"]
    assert row["for_month"] == "2025-01" and row["made_in"] == "2024-12"
    lines = pd.read_parquet(small_config.parent / "store" / "transactions.parquet")
    jan = lines[lines["customer_id"].isin(stored["customer_id"]) & (lines["timestamp"].dt.strftime("%Y-%m") == "2025-01")]
    by_basket = jan.groupby("basket_id").agg(customer_id=("customer_id", "first"), amount=("amount", "sum"),
                                             day=("timestamp", lambda t: t.min().normalize()))
    days = by_basket[by_basket["amount"] > 0].drop_duplicates(["customer_id", "day"])
    assert row["actual_purchases"] == len(days)
    assert row["predicted_purchases"] == pytest.approx(row["actual_purchases"], rel=0.25)
