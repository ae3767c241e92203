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


# ------------------------------------------------------------------ the analytics' calls, on each backend
MEMBER_BASKETS = pd.DataFrame({
    "basket_id": [f"B{i}" for i in range(8)],
    "customer_id": ["C1", "C1", "C1", "C2", "C2", None, "C3", "C1"],
    "store_id": ["S1", "S2", "S1", "S2", "S2", "S1", "S1", "S2"],
    "timestamp": pd.to_datetime(["2024-01-03 10:00", "2024-01-03 18:00", "2024-02-20 09:00", "2024-01-15 12:00",
                                 "2024-03-28 12:00", "2024-02-01 08:00", "2024-03-30 16:00", "2024-03-31 11:00"]),
    "amount": [10.1, 0.2, 30.0, 7.5, -2.0, 4.0, 12.0, 5.55],
    "is_member": [True, True, True, True, True, False, True, True],
})


@pytest.fixture(scope="module")
def baskets_file(tmp_path_factory):
    b = MEMBER_BASKETS.assign(date=MEMBER_BASKETS["timestamp"].dt.normalize(), is_purchase=MEMBER_BASKETS["amount"] > 0)
    path = tmp_path_factory.mktemp("baskets") / "baskets.parquet"
    b.to_parquet(path, index=False, coerce_timestamps="us")
    return path


def test_windows_date_arithmetic_and_exact_statistics(con, baskets_file):
    """lag/lead over a partition, date differences and intervals, median, a filtered distinct count,
    greatest(), decimal products (aggregate.money_stats) and week truncation."""
    from ibis import _

    days = aggregate.member_purchase_days(engine.scan(con, [baskets_file]))
    by_member = {"group_by": "customer_id", "order_by": "d"}
    gaps = days.mutate(gap=days.d.delta(days.d.lag().over(**by_member), unit="day"),
                       nxt=days.d.lead().over(**by_member), later=days.d + ibis.interval(days=30))
    per = gaps.group_by("customer_id").aggregate(
        median_gap=_.gap.median().cast("float64"), long_gaps=_.d.nunique(where=_.gap > 40),
        last_next=_.nxt.max(), latest=ibis.greatest(_.later.max(), ibis.date("2024-04-15")),
        week=_.d.cast("timestamp").truncate("W").min(), **aggregate.money_stats(_.gap.cast("float64"), _.gap > 0))
    out = con.to_pyarrow(per.order_by("customer_id")).to_pandas().set_index("customer_id")
    # C1 buys on 2024-01-03 (twice), 02-20 and 03-31: gaps of 48 and 40 days
    assert out.loc["C1", "median_gap"] == 44.0 and out.loc["C1", "long_gaps"] == 1
    assert (out.loc["C1", "n"], out.loc["C1", "mean"], out.loc["C1", "var"]) == (2, 44.0, 32.0)
    assert pd.Timestamp(out.loc["C1", "last_next"]) == pd.Timestamp("2024-03-31")
    assert pd.Timestamp(out.loc["C1", "week"]) == pd.Timestamp("2024-01-01")    # the Monday before 01-03
    assert pd.Timestamp(out.loc["C3", "latest"]) == pd.Timestamp("2024-04-29")  # 03-30 + 30 days
    assert out.loc["C2", "n"] == 0 and pd.isna(out.loc["C2", "mean"]) and pd.isna(out.loc["C2", "var"])


def test_the_analytics_give_duckdbs_numbers_on_every_backend(con, baskets_file):
    """The lifecycle (range joins, lag/lead, unions, ranked home stores), the KPI board read from it, money
    by month, the lapse gaps, cohorts, RFM, early-warning behaviour and the customer summary (Spark: the
    portable expression, DuckDB: the purchase-period bitmaps), on the backend against DuckDB over the same
    baskets as a frame."""
    from retention_lib.analytics import cohorts, early_warning, kpis, lifecycle, segments
    from retention_lib.models.summary import summarise

    frame = pd.read_parquet(baskets_file)
    table = engine.scan(con, [baskets_file])
    end = pd.Timestamp("2024-04-01")
    rule = lifecycle.Rule.of(35, 180)        # the shortest lapse rules are refused (under 31 days)
    pd.testing.assert_frame_equal(kpis.monthly_kpis(table, 35), kpis.monthly_kpis(frame, 35))
    first, march = pd.Period("2024-01", "M"), pd.Period("2024-03", "M")
    members = lifecycle.members_at(table, first, march, rule)
    pd.testing.assert_frame_equal(members, lifecycle.members_at(frame, first, march, rule))
    # worked by hand, N = 35, W = 180. C1 buys 01-03 (S1 and S2), 02-20 (S1), 03-31 (S2): active; home S2 in
    # March (2 baskets each, S2 the more recent), S1 in February (2 to 1). C2 buys only on 01-15 (03-28 is a
    # refund): lapse day 02-19, lapsed in February, dormant at 03-31 (76 days silent < 180). C3: new on 03-30.
    assert members["state"].to_dict() == {"C1": "active", "C2": "dormant", "C3": "new"}
    assert members["state_last_month"].to_dict() == {"C1": "active", "C2": "lapsed", "C3": lifecycle.NOT_YET}
    assert members["home_store"].to_dict() == {"C1": "S2", "C2": "S2", "C3": "S1"}
    assert members.loc["C1", "store_last_month"] == "S1" and members.loc["C2", "silent"] == 76
    pd.testing.assert_frame_equal(lifecycle.counts(table, first, 2, rule, "all"),
                                  lifecycle.counts(frame, first, 2, rule, "all"))
    assert sorted(kpis.purchase_gaps(table)) == sorted(kpis.purchase_gaps(frame)) == [40.0, 48.0]
    pd.testing.assert_frame_equal(cohorts.cohort_retention(table, end)[0], cohorts.cohort_retention(frame, end)[0])
    pd.testing.assert_frame_equal(segments.rfm_table(table, end), segments.rfm_table(frame, end))
    pd.testing.assert_frame_equal(segments.rfm(table, end, rule), segments.rfm(frame, end, rule))
    pd.testing.assert_frame_equal(early_warning.behaviour(table, end), early_warning.behaviour(frame, end))
    purchases = table.filter(table.is_member & table.is_purchase)
    pd.testing.assert_frame_equal(summarise(purchases, freq="D", multiplier=7),
                                  summarise(frame[frame["is_member"] & frame["is_purchase"]], freq="D", multiplier=7))


def test_a_table_the_engine_has_is_read_fingerprinted_and_batched(con, lines_files):
    """A source `{table: dw.pos_lines}`: the metastore's table on Spark, a schema's on DuckDB."""
    if con.name == "duckdb":
        con.raw_sql("CREATE SCHEMA IF NOT EXISTS dw")
    else:
        con.create_database("dw", force=True)
    name = f"pos_lines_{uuid.uuid4().hex[:8]}"   # Spark keeps a managed table's files after its session
    con.create_table(name, engine.scan(con, lines_files), database="dw")
    table = engine.source_table(con, f"dw.{name}")
    print_ = engine.table_fingerprint(con, table)
    assert print_["rows"] == len(LINES)
    batches = list(engine.source_batches(con, table, 4))
    assert [len(b) for b in batches] == [4, 2]
    frame = pd.concat(batches, ignore_index=True)
    assert frame["basket_id"].tolist() == sorted(LINES["basket_id"])            # in the order of the columns
    assert frame["customer_id"].isna().sum() == 1                              # a missing id stays missing
    with pytest.raises(engine.EngineUnavailable, match="no table dw.nowhere"):
        engine.source_table(con, "dw.nowhere")
    changed = engine.scan(con, lines_files).mutate(amount=ibis._.amount + 1)
    assert engine.table_fingerprint(con, changed)["sha256"] != print_["sha256"]
    con.drop_table(name, database="dw")
