"""The prediction ledger: forecasts stored by one published month are scored by the next."""
import json

import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import ledger
from retention_lib.app.pipeline import run_month


def baskets(rows):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"]), is_member=True, is_purchase=True)


def test_record_replaces_a_months_forecast_and_track_record_scores_it(tmp_path):
    first = pd.DataFrame({"made_in": "2025-01", "for_month": "2025-02", "customer_id": ["A", "B"],
                          "expected_purchases": [2.0, 0.5], "p_alive": [0.9, 0.3], "p_any_purchase": [0.8, 0.2]})
    f = tmp_path / "f.parquet"
    first.to_parquet(f)
    book = tmp_path / "ledger" / "x.parquet"
    ledger.record(f, book)
    first.assign(expected_purchases=[3.0, 1.0]).to_parquet(f)
    out = ledger.record(f, book)  # a --force re-run of the same month replaces, not appends
    assert len(out) == 2 and out["expected_purchases"].tolist() == [3.0, 1.0]
    # A bought on two days in February (twice on one of them), B not at all
    record = ledger.track_record(ledger.read(book), baskets([
        ("A", "2025-02-03 10:00"), ("A", "2025-02-03 18:00"), ("A", "2025-02-10 09:00"),
        ("B", "2025-03-01 09:00")]), pd.Period("2025-02", "M"))
    row = record.iloc[0]
    assert row["actual_purchases"] == 2 and row["predicted_purchases"] == 4.0
    assert row["mae"] == pytest.approx((abs(3 - 2) + abs(1 - 0)) / 2)
    assert row["brier_active"] == pytest.approx(((0.8 - 1) ** 2 + (0.2 - 0) ** 2) / 2)
    assert ledger.track_record(ledger.read(book), baskets([("A", "2025-02-03")]), pd.Period("2025-01", "M")).empty


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


def test_a_run_reads_the_ledger_of_its_own_reports_folder_only(small_config, tmp_path):
    from retention_lib.core.config import load_config
    from retention_lib.core.run import Run

    cfg = load_config(small_config)
    month = pd.Period("2025-01", "M")
    fresh = Run(cfg, month, tmp_path / "fresh" / ".tmp-20250203-000000-1")
    assert ledger.ledger_for(fresh) == ledger.ledger_path(tmp_path / "fresh", cfg.slug)
    lab = Run(cfg, month, tmp_path / "reports" / "lab" / f"{cfg.slug}-2025-01")
    assert ledger.ledger_for(lab) == ledger.ledger_path(tmp_path / "reports", cfg.slug)
