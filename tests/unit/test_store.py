"""The validated data store: validated once, revalidated only when a file or a rule changes, partitions
that never change once written, and a month's run that reads its snapshot instead of a copy."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from retention_lib import open_run
from retention_lib.core.config import load_config
from retention_lib.data import aggregate, store, validated
from retention_lib.data.loading import load_source, load_table
from retention_lib.data.sources.demo import simulate_store

NOW = pd.Timestamp("2025-01-10")


@pytest.fixture
def source(tmp_path):
    """A client's files (Parquet and a CSV with two faulty rows), a config, and its private store."""
    sim = simulate_store(seed=5, n_customers=150, months=6, start="2024-07-01")
    data = tmp_path / "files"
    data.mkdir()
    lines = sim.tables["transactions"]
    lines.to_parquet(data / "transactions.parquet", index=False)
    people = sim.tables["customers"].astype({"join_date": "string"})
    people.loc[3, "join_date"] = "not a date"            # set aside: unparseable
    people = pd.concat([people, people.iloc[[5]]])       # set aside: an exact duplicate
    people.to_csv(data / "customers.csv", index=False)
    cfg = tmp_path / "client.yml"
    cfg.write_text("name: Client\nsource: files\ncurrency: CNY\nstore: store\n"
                   "tables:\n  transactions: {path: files/transactions.parquet}\n"
                   "  customers: {path: files/customers.csv}\n", encoding="utf-8")
    return load_config(cfg), lines


def _said(cfg, **options):
    lines = []
    current = store.update(cfg, now=NOW, say=lines.append, **options)
    return current, [m.key for m in lines]


def test_a_second_run_on_the_same_files_validates_nothing(source):
    cfg, _ = source
    first, said = _said(cfg)
    assert said.count("console.store.validating") == 2 and "console.store.netting" in said
    files = sorted(p for p in cfg.store_dir.rglob("*.parquet"))
    again, said = _said(cfg)
    assert "console.store.validating" not in said and "console.store.netting" not in said
    assert said.count("console.store.unchanged") == 2
    assert again == first and sorted(p for p in cfg.store_dir.rglob("*.parquet")) == files


def test_a_new_month_appends_its_partitions_and_keeps_the_old_ones(source):
    cfg, lines = source
    later = lines["timestamp"] >= pd.Timestamp("2024-12-01")
    lines[~later].to_parquet(cfg.tables["transactions"].path, index=False)   # the export before December
    before, _ = _said(cfg)
    lines.to_parquet(cfg.tables["transactions"].path, index=False)           # December arrives
    after, said = _said(cfg)
    assert said.count("console.store.validating") == 1                        # customers.csv did not change
    old = {p["month"]: p["file"] for p in before["tables"]["transactions"]["partitions"]}
    new = {p["month"]: p["file"] for p in after["tables"]["transactions"]["partitions"]}
    assert set(new) - set(old) == {"2024-12"}
    assert all(new[m] == f for m, f in old.items())                            # the same files, not rewritten
    old_b = {p["month"]: p["sha256"] for p in before["baskets"]["partitions"]}
    new_b = {p["month"]: p["sha256"] for p in after["baskets"]["partitions"]}
    assert all(new_b[m] == h for m, h in old_b.items() if m < "2024-11")


def test_a_changed_rule_revalidates_the_table(source, tmp_path):
    cfg, _ = source
    _said(cfg)
    text = cfg.path.read_text(encoding="utf-8") + "settings: {null_customer_ids: ['NULL', '-']}\n"
    cfg.path.write_text(text, encoding="utf-8")
    _, said = _said(load_config(cfg.path))
    assert said.count("console.store.validating") == 2


def test_a_run_reads_exactly_what_a_full_load_cut_at_the_month_end_gives(source, tmp_path):
    cfg, _ = source
    run = open_run(cfg, "2024-10", tmp_path / "run", now=NOW)
    loaded = load_source(cfg, now=NOW)
    end = pd.Timestamp("2024-11-01")
    for name, column in (("transactions", "timestamp"), ("customers", "join_date")):
        full = loaded.tables[name]
        expected = full.loc[~(full[column] >= end)].sort_values(list(full.columns)).reset_index(drop=True)
        got = run.table(name).sort_values(list(full.columns)).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    baskets = aggregate.baskets_from_lines(loaded.tables["transactions"])
    baskets = baskets.loc[baskets["timestamp"] < end].reset_index(drop=True)
    pd.testing.assert_frame_equal(run.table("baskets"), baskets, check_dtype=False)
    facts = run.read("data_quality")
    assert facts["tables"]["transactions"]["rows_after_month"] == int((loaded.tables["transactions"]["timestamp"]
                                                                      >= end).sum())


def test_rejects_keep_the_file_row_and_rule(source, tmp_path):
    cfg, _ = source
    run = open_run(cfg, "2024-10", tmp_path / "run", now=NOW)
    got = pd.read_csv(run.path("rejects"), dtype=str)
    expected = load_source(cfg, now=NOW).rejects.astype("string")
    assert list(got.columns) == ["table", "file", "row", "column", "rule", "reason", "value"]
    assert got[["table", "row", "rule"]].values.tolist() == expected[["table", "row", "rule"]].values.tolist()
    assert got[["row", "rule"]].values.tolist() == [["5", "unparseable_timestamp"], ["152", "duplicate_row"]]


def test_the_run_folder_holds_no_copy_and_its_snapshot_survives_new_data(source, tmp_path):
    cfg, lines = source
    run = open_run(cfg, "2024-10", tmp_path / "run", now=NOW)
    assert not list((tmp_path / "run").rglob("*.parquet"))          # the history stays in the store
    snap = json.loads(run.path("snapshot").read_text(encoding="utf-8"))
    assert {p["month"] for p in snap["tables"]["transactions"]} <= {"2024-07", "2024-08", "2024-09", "2024-10"}
    before = run.table("transactions")
    changed = lines.copy()
    changed.loc[changed.index[:50], "amount"] += 1.0                  # the client re-exports corrected history
    changed.to_parquet(cfg.tables["transactions"].path, index=False)
    store.update(cfg, now=NOW)
    pd.testing.assert_frame_equal(open_run(cfg, "2024-10", tmp_path / "run", now=NOW).table("transactions"), before)
    fresh = open_run(cfg, "2024-10", tmp_path / "fresh", now=NOW)
    assert fresh.snapshot()["id"] != snap["id"]                      # a new run reads the corrected data


def test_a_store_copied_elsewhere_is_not_trusted_blindly(source):
    """current.json lists partitions; a missing partition file makes the table revalidate, not fail."""
    cfg, _ = source
    first, _ = _said(cfg)
    victim = cfg.store_dir / first["tables"]["customers"]["partitions"][0]["file"]
    victim.unlink()
    _, said = _said(cfg)
    assert said.count("console.store.validating") == 1 and victim.exists()
    shutil.rmtree(cfg.store_dir)
    _, said = _said(cfg)
    assert said.count("console.store.validating") == 2


def test_validating_in_small_chunks_gives_what_one_chunk_gives(source, monkeypatch):
    """Rows compared across chunks (a duplicate line in another chunk, a basket split by a chunk's
    edge) are found by the engine over the whole file, so the chunk size changes nothing."""
    cfg, lines = source
    faulty = pd.concat([lines, lines.iloc[[10]], lines.iloc[[20]].assign(store_id="S99")], ignore_index=True)
    faulty.to_parquet(cfg.tables["transactions"].path, index=False)
    whole = load_table(cfg, "transactions", NOW)
    monkeypatch.setattr(validated, "ROWS_PER_CHUNK", 997)
    chunked = load_table(cfg, "transactions", NOW)
    pd.testing.assert_frame_equal(chunked[0], whole[0])
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    assert chunked[2].to_dict() == whole[2].to_dict()
    assert sorted(whole[1]["rule"].unique()) == ["basket_conflict", "duplicate_line"]
    assert int(whole[1]["row"].min()) > 1 and len(whole[0]) == len(faulty) - len(whole[1])


def test_a_long_file_says_how_far_validation_got(source, monkeypatch):
    cfg, lines = source
    monkeypatch.setattr(validated, "ROWS_PER_CHUNK", 2000)
    monkeypatch.setattr(validated, "PROGRESS_ROWS", 5000)
    said = []
    store.update(cfg, now=NOW, say=said.append)
    progress = [m.params["rows"] for m in said if m.key == "console.store.progress" and m.params["table"] == "transactions"]
    read = [min(r, len(lines)) for r in range(2000, len(lines) + 2000, 2000)]   # rows read after each chunk
    assert progress == [r for before, r in zip([0] + read, read) if r // 5000 > before // 5000]
    assert len(progress) == len(lines) // 5000


def test_a_table_the_engine_already_has_is_a_source_like_a_file(source, tmp_path):
    """`tables.transactions: {table: dw.pos_lines}` (here a DuckDB warehouse the config attaches; on Spark,
    the metastore's table): the same validated rows as the file, with Chinese client columns; revalidated
    only when the table changes, and a faulty row goes to the rejects naming the table and its row."""
    import duckdb

    cfg, lines = source
    client = {"customer_id": "会员号", "basket_id": "小票号", "timestamp": "交易时间", "amount": "金额"}
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        db.register("lines", lines.rename(columns=client))
        db.execute("CREATE TABLE pos_lines AS SELECT * FROM lines")
    mapping = ", ".join(f"{ours}: {theirs}" for ours, theirs in client.items())
    yml = tmp_path / "warehouse.yml"
    yml.write_text("name: Warehouse\nsource: files\ncurrency: CNY\nstore: wstore\n"
                   "engine: {attach: {dw: warehouse.duckdb}}\n"
                   f"tables:\n  transactions: {{table: dw.pos_lines, columns: {{{mapping}}}}}\n"
                   "  customers: {path: files/customers.csv}\n", encoding="utf-8")
    from_table = load_config(yml)
    assert from_table.tables["transactions"].origin == "engine table dw.pos_lines"
    current, said = _said(from_table)
    assert said.count("console.store.validating_table") == 1
    reference, _ = _said(cfg)

    def rows(cfg_, current_):   # the table's rows are numbered in its own order: compare them as a set
        frame = pd.concat([pd.read_parquet(cfg_.store_dir / p["file"]) for p in current_["tables"]["transactions"]
                           ["partitions"]]).drop(columns=validated.ROW, errors="ignore")
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(from_table, current), rows(cfg, reference))
    assert [p["sha256"] for p in current["baskets"]["partitions"]] == \
        [p["sha256"] for p in reference["baskets"]["partitions"]]        # netted to the same bytes
    _, said = _said(from_table)
    assert "console.store.validating_table" not in said and said.count("console.store.unchanged") == 2

    from retention_lib.data import engine
    engine.release()   # the warehouse is attached read-only: the client's own process writes to it
    with duckdb.connect(str(warehouse)) as db:
        db.execute(f"UPDATE pos_lines SET 金额 = NULL WHERE 小票号 = '{lines['basket_id'].iloc[0]}'")
    changed, said = _said(from_table)
    assert said.count("console.store.validating_table") == 1
    rejects = store.read_rejects(store.snapshot(changed, from_table.store_dir, pd.Period("2024-12", "M")))
    bad = rejects[rejects["table"] == "transactions"]
    assert len(bad) >= 1 and set(bad["file"]) == {"engine table dw.pos_lines"} and set(bad["column"]) == {"amount"}
