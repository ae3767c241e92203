"""A POS-like export end to end: `retention init` on the client's folder, then `retention run` on the config it
wrote. The export (tests/pos_corpus.py) is a GBK CSV with Chinese headers and a 行号 column, sales paid in two
rows (储值卡 and 现金), double scans, stored-value top-ups (单据类型 充值), member id 0 for walk-ins and a few
returns; its ground truth says what the month's revenue is. No split payment or double-scanned line may be
lost, and no top-up may count as a sale.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import retention_cli
from pos_corpus import write_pos_export

retention = retention_cli
ALL_STORES = "All stores"   # the scope of kpis_monthly that sums every store (analytics.kpis.TOTAL)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(truth, config, init's output, the month's folder, run's output) of one export initialised and run."""
    root = tmp_path_factory.mktemp("pos-export")
    truth = write_pos_export(root / "export", seed=24, months=6, n_members=300, n_stores=2)
    config = root / "client.yml"
    init = retention("init", str(truth.folder), "--output", str(config), "--name", "和平超市")
    reports = root / "reports"
    run = retention("run", "--config", str(config), "--reports-dir", str(reports)) if config.exists() else None
    return truth, config, init, reports / "2025-06", run


def test_init_writes_a_config_that_maps_the_export(published):
    truth, config, init, _, _ = published
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
    assert "written:" in init.stdout and "Traceback" not in init.stderr
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert written["name"] == "和平超市" and written["report"] == {"language": "zh-CN"}
    assert written["tables"]["transactions"]["columns"] == truth.columns
    assert written["tables"]["customers"]["columns"] == truth.member_columns
    assert written["tables"]["transactions"]["encoding"] == "gb18030"


def test_the_run_publishes_and_its_revenue_is_the_exports(published):
    truth, _, _, folder, run = published
    assert run is not None and run.returncode in (0, 5), run.stdout[-3000:] + run.stderr[-3000:]
    # revenue per month, all stores: sales and returns, top-ups left out; no split payment or double scan lost
    kpis = pd.read_parquet(folder / "artifacts" / "kpis_monthly.parquet")
    revenue = kpis[kpis["scope"] == ALL_STORES].set_index("month")["revenue"]
    assert {m: round(float(revenue[m]), 2) for m in truth.revenue_by_month} == truth.revenue_by_month
    quality = json.loads((folder / "artifacts" / "data_quality.json").read_text(encoding="utf-8"))
    lines = quality["tables"]["transactions"]
    assert lines["rows_read"] == truth.lines
    # the 行号 column makes a double scan two lines and a split payment two lines: nothing is set aside
    assert not lines["rejected_by_rule"], lines["rejected_by_rule"]
    # a top-up is money paid in, not a sale line
    assert lines["rows_kept"] == truth.sale_lines
    assert lines["null_like_ids"] == {"0": truth.walk_in_lines}
