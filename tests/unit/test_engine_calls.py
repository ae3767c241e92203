"""Every Ibis call the product relies on, on each backend, so an upgrade of Ibis, DuckDB, sqlglot or
pyspark that breaks one fails here, loudly, rather than in a client's month.

Spark runs when pyspark and Java 17 are here (make test installs pyspark; the CI machine has Java 17);
otherwise its cases skip with the reason. One Spark session serves the whole module.
"""
from __future__ import annotations

import uuid

import ibis
import pandas as pd
import pyarrow.parquet as pq
import pytest

from retention_lib.core.config import Engine
from retention_lib.data import aggregate, engine

LINES = pd.DataFrame({
    "basket_id": ["B1", "B1", "B2", "B3", "B3", "B4"],
    "customer_id": ["C1", "C1", None, "C2", "C2", "C1"],
    "store_id": ["S1", "S1", "S2", "S1", "S1", "S2"],
    "timestamp": pd.to_datetime(["2024-01-31 23:50:00", "2024-01-31 23:50:00", "2024-02-01 09:00:00",
                                 "2024-02-03 10:00:00", "2024-02-03 10:00:00", "2024-03-05 18:30:00"]),
    "amount": [10.1, 0.2, 5.0, 7.0, -7.0, 0.3],
    "discount": [0.0, 0.1, 0.0, 0.0, 0.0, 0.05],
})


def _spark_or_skip():
    missing = engine.spark_missing()
    if missing:
        pytest.skip(f"Spark engine not tested here: {missing}")
    return engine.connect(Engine(backend="spark", master="local[2]"))


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.slow)])
def con(request, tmp_path_factory):
    if request.param == "spark":
        return _spark_or_skip()
    return engine.connect(Engine(), tmp_path_factory.mktemp("spill"))


@pytest.fixture(scope="module")
def lines_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lines")
    first, second = folder / "a.parquet", folder / "b.parquet"
    LINES.iloc[:3].to_parquet(first, index=False, coerce_timestamps="us")
    LINES.iloc[3:].to_parquet(second, index=False, coerce_timestamps="us")
    return [first, second]


def test_memtable_aggregate_with_where_and_exact_decimal_sums(con):
    t = ibis.memtable(LINES)
    amount = aggregate.money(t.amount)
    out = con.to_pyarrow(t.group_by("store_id").aggregate(
        total=amount.sum().cast("float64"), positive=amount.sum(where=amount > 0).cast("float64"),
        first=t.timestamp.min(), last=t.timestamp.max(), n=t.count()).order_by("store_id")).to_pandas()
    assert out["store_id"].tolist() == ["S1", "S2"]
    assert out["total"].tolist() == [10.3, 5.3]           # exact: 10.1 + 0.2 + 7 - 7, not 10.299999999999999
    assert out["positive"].tolist() == [17.3, 5.3]
    assert out["n"].tolist() == [4, 2]
    assert out["first"].iloc[0] == pd.Timestamp("2024-01-31 23:50:00")


def test_scan_of_several_files_reads_them_all_in_one_table(con, lines_files):
    t = engine.scan(con, lines_files)
    assert int(con.execute(t.count())) == len(LINES)
    span = con.to_pyarrow(t.aggregate(first=t.timestamp.min(), last=t.timestamp.max())).to_pylist()[0]
    assert pd.Timestamp(span["last"]) == pd.Timestamp("2024-03-05 18:30:00")


def test_distinct_anti_join_notnull_and_filter(con, lines_files):
    t = engine.scan(con, lines_files)
    people = ibis.memtable(pd.DataFrame({"customer_id": ["C1"]}))
    ids = t.filter(t.customer_id.notnull()).select("customer_id").distinct()
    assert int(con.execute(ids.count())) == 2
    assert int(con.execute(ids.anti_join(people, "customer_id").count())) == 1   # C2


def test_truncate_strftime_coalesce_and_order(con, lines_files):
    t = engine.scan(con, lines_files)   # not a memtable: see engine.scan
    out = con.to_pyarrow(t.mutate(day=t.timestamp.truncate("D"), month=t.timestamp.strftime("%Y-%m"),
                                  missing=t.customer_id.coalesce("none"))
                         .select("basket_id", "day", "month", "missing").order_by(["month", "basket_id"])).to_pandas()
    assert out["month"].tolist() == ["2024-01", "2024-01", "2024-02", "2024-02", "2024-02", "2024-03"]
    assert out["day"].iloc[0] == pd.Timestamp("2024-01-31")
    assert out["missing"].tolist()[2] == "none"


def test_baskets_net_the_same_on_every_backend(con, lines_files):
    out = con.to_pyarrow(aggregate.baskets_expr(engine.scan(con, lines_files))).to_pandas()
    assert out["basket_id"].tolist() == ["B1", "B2", "B3", "B4"]
    assert out["amount"].tolist() == [10.3, 5.0, 0.0, 0.3]
    assert out["returned_amount"].tolist() == [0.0, 0.0, 7.0, 0.0]
    assert out["is_purchase"].tolist() == [True, True, False, True]
    assert out["is_member"].tolist() == [True, False, True, True]
    assert out["discount"].tolist() == [0.1, 0.0, 0.0, 0.05]
    assert out["n_lines"].tolist() == [2, 1, 2, 1]
    assert out["date"].tolist()[0] == pd.Timestamp("2024-01-31")


def test_the_engine_writes_month_partitions(con, lines_files, tmp_path):
    t = engine.scan(con, lines_files)
    engine.write_parquet(con, t.mutate(month=t.timestamp.strftime("%Y-%m")), tmp_path / "out", "month")
    months = sorted(p.name for p in (tmp_path / "out").glob("month=*"))
    assert months == ["month=2024-01", "month=2024-02", "month=2024-03"]
    february = pq.read_table(sorted((tmp_path / "out" / "month=2024-02").rglob("*.parquet"))).to_pandas()
    assert sorted(february["basket_id"]) == ["B2", "B3", "B3"]


def test_a_table_made_from_a_frame(con):
    """create_table from a DataFrame: the call sqlglot 30.18 broke (Ibis 12 then emits 'DROP VIEW IF EXISTS'
    without the view's name); the pin in pyproject.toml keeps sqlglot below it."""
    name = f"engine_calls_{uuid.uuid4().hex[:8]}"
    con.create_table(name, LINES, overwrite=True)
    assert int(con.execute(con.table(name).count())) == len(LINES)
    con.drop_table(name)


def test_spark_is_missing_with_a_reason_a_consultant_can_act_on(monkeypatch):
    monkeypatch.setattr(engine, "java_version", lambda: 11)
    assert "Java 11 is too old" in (engine.spark_missing() or "pyspark")
    monkeypatch.setattr(engine, "java_version", lambda: None)
    assert (engine.spark_missing() or "") .startswith(("no Java", "pyspark"))


def test_release_closes_the_process_connections(tmp_path):
    first = engine.connect(Engine(), tmp_path)
    engine.release()
    second = engine.connect(Engine(), tmp_path)
    assert second is not first and int(second.execute(ibis.memtable(LINES).count())) == len(LINES)
