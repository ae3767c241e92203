"""The prediction ledger: forecasts stored by one published month are scored by the next."""

import pandas as pd
import pytest

from retention_lib.analytics import ledger


def baskets(rows):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"]), date=lambda d: d["timestamp"].dt.normalize(),
        is_member=True, is_purchase=True)


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
    assert row["actual_purchases"] == 2 and row["predicted_purchases"] == 4.0 and not row["reconstructed"]
    assert row["mae"] == pytest.approx((abs(3 - 2) + abs(1 - 0)) / 2)
    assert row["brier_active"] == pytest.approx(((0.8 - 1) ** 2 + (0.2 - 0) ** 2) / 2)
    assert ledger.track_record(ledger.read(book), baskets([("A", "2025-02-03")]), pd.Period("2025-01", "M")).empty


def test_a_run_reads_the_ledger_of_its_own_reports_folder_only(small_config, tmp_path):
    from retention_lib.core.config import load_config
    from retention_lib.core.run import Run

    cfg = load_config(small_config)
    month = pd.Period("2025-01", "M")
    fresh = Run(cfg, month, tmp_path / "fresh" / ".tmp-20250203-000000-1")
    assert ledger.ledger_for(fresh) == ledger.ledger_path(tmp_path / "fresh", cfg.slug)
    lab = Run(cfg, month, tmp_path / "reports" / "lab" / f"{cfg.slug}-2025-01")
    assert ledger.ledger_for(lab) == ledger.ledger_path(tmp_path / "reports", cfg.slug)
