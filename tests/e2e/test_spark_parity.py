"""The same month on Spark (local mode) and on DuckDB gives the same KPI, summary, segment and churn
artifacts: numbers within a relative 1e-9, everything else equal.

Each engine has its own copy of the source and its own data store, so Spark validates and nets itself.
Runs in subprocesses (`retention run --engine spark`), so Spark's JVM starts and ends with its run and
no other test pays for it. Skips, with the reason, where pyspark or Java 17 is missing.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import retention_cli, write_demo_config
from retention_lib.core import stages
from retention_lib.data.engine import spark_missing

MONTH = "2025-02"   # the small store's last complete month, as the `published` fixture runs it
COMPARED = ("kpi_board", "kpis_monthly", "kpi_stores", "cohort_retention", "churn_summary", "churn_scores",
            "churn_model", "clv_summary", "clv_scores", "segments_summary", "segments_members", "data_quality")


@pytest.fixture(scope="module")
def months(published, tmp_path_factory):
    """DuckDB's month is the session's published one (no second DuckDB run); Spark runs the same
    month on its own copy of the source, so it validates and nets everything itself."""
    missing = spark_missing()
    if missing:
        pytest.skip(f"Spark parity not tested here: {missing}")
    reports, proc = published
    out = {"duckdb": (reports / MONTH, proc.stdout)}
    config = write_demo_config(tmp_path_factory.mktemp("source-spark"))
    # a 300-member store on 2 cores: 2 shuffle partitions, not the engine's 16, take 30% off the month
    config.write_text(config.read_text(encoding="utf-8") + "engine:\n  conf:\n    spark.sql.shuffle.partitions: '2'\n",
                      encoding="utf-8")
    spark_reports = tmp_path_factory.mktemp("reports-spark")
    run = retention_cli("run", "--config", str(config), "--month", MONTH, "--engine", "spark",
                        "--reports-dir", str(spark_reports))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out["spark"] = (spark_reports / MONTH, run.stdout)
    return out


def _same(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        assert np.isclose(a, b, rtol=1e-9, atol=0), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_spark_nets_the_baskets_itself(months):
    _, said = months["spark"]
    assert "spark" in said and "[8/8]" in said


@pytest.mark.parametrize("key", COMPARED)
def test_the_artifacts_agree(months, key):
    spec = stages.artifact(key)
    duck, spark = (months[b][0] / spec.path for b in ("duckdb", "spark"))
    assert duck.exists() == spark.exists(), key
    if not duck.exists():
        pytest.skip(f"{key} is not written for {MONTH} on this data")
    if duck.suffix == ".json":
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (duck, spark))
        for volatile in ("source", "tables"):   # file paths differ: each engine read its own copy
            if key == "data_quality":
                a.pop(volatile, None), b.pop(volatile, None)
        _same(a, b, key)
    else:
        a, b = pd.read_parquet(duck), pd.read_parquet(spark)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), key
        for column in a.columns:
            if pd.api.types.is_float_dtype(a[column]):
                np.testing.assert_allclose(a[column], b[column], rtol=1e-9, atol=0, equal_nan=True,
                                           err_msg=f"{key}.{column}")
            else:
                pd.testing.assert_series_equal(a[column], b[column], obj=f"{key}.{column}")


def test_the_two_months_read_the_same_partitions(months):
    manifests = [json.loads((months[b][0] / "manifest.json").read_text(encoding="utf-8")) for b in ("duckdb", "spark")]
    hashes = [sorted((p["table"], p["month"], p["sha256"]) for p in m["data_snapshot"]["partitions"]) for m in manifests]
    assert hashes[0] == hashes[1]
