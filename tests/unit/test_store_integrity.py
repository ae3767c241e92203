"""The data store checks itself: every update compares each file it lists with what current.json
recorded (size and mtime; the sha256 where they differ, or of every file with --verify-store), and
rebuilds a damaged file from the table's source file. Without the source file the run stops with
exit 7, naming the damaged file and the command that rebuilds it."""
from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest

from retention_lib import open_run
from retention_lib.app import cli, pipeline
from retention_lib.core.config import load_config
from retention_lib.core.faults import MachineFault
from retention_lib.data import store, store_files
from retention_lib.data.sources.demo import simulate_store

NOW = pd.Timestamp("2025-01-10")


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A client's files (lines in Parquet, customers in CSV), a config, and its private store."""
    for key in [k for k in os.environ if k.startswith("RETENTION_SMTP")]:
        monkeypatch.delenv(key)
    sim = simulate_store(seed=5, n_customers=150, months=6, start="2024-07-01")
    (tmp_path / "files").mkdir()
    lines = sim.tables["transactions"]
    lines.to_parquet(tmp_path / "files" / "transactions.parquet", index=False)
    people = sim.tables["customers"].astype({"join_date": "string"})
    people.loc[3, "join_date"] = "not a date"            # set aside: the store keeps a rejects file too
    people.to_csv(tmp_path / "files" / "customers.csv", index=False)
    cfg = tmp_path / "client.yml"
    cfg.write_text("name: Client\nsource: files\ncurrency: CNY\nstore: store\n"
                   "tables:\n  transactions: {path: files/transactions.parquet}\n"
                   "  customers: {path: files/customers.csv}\n", encoding="utf-8")
    return load_config(cfg), lines


def _update(cfg, full=False):
    said = []
    current = (store.verify if full else store.update)(cfg, now=NOW, say=said.append)
    return current, said


def _part(current, table, month):
    parts = current["baskets"]["partitions"] if table == "baskets" else current["tables"][table]["partitions"]
    return next(p for p in parts if p["month"] == month)


def _revenue(lines, month):
    return round(float(lines.loc[lines["timestamp"].dt.to_period("M") == pd.Period(month), "amount"].sum()), 2)


def test_a_partition_replaced_by_another_valid_file_is_found_and_rebuilt(source, tmp_path):
    cfg, lines = source
    current, _ = _update(cfg)
    sept, octo = _part(current, "transactions", "2024-09"), _part(current, "transactions", "2024-10")
    shutil.copy(cfg.store_dir / octo["file"], cfg.store_dir / sept["file"])   # valid Parquet, October's rows
    after, said = _update(cfg)
    [rebuilt] = [m for m in said if m.key == "console.store.rebuilding"]
    assert rebuilt.params["table"] == "transactions" and rebuilt.params["file"] == sept["file"]
    assert rebuilt.params["problem"].key == "console.store.problem.changed"
    assert [m.params["table"] for m in said if m.key == "console.store.validating"] == ["transactions"]
    assert _part(after, "transactions", "2024-09")["file"] == sept["file"]            # the same content again
    assert store.sha256(cfg.store_dir / sept["file"]) == sept["sha256"]
    run = open_run(cfg, "2024-10", tmp_path / "run", now=NOW)
    got = run.table("transactions")
    for month in ("2024-09", "2024-10"):   # September is September's again: no month twice, none missing
        assert _revenue(got, month) == _revenue(lines, month)
    snap = run.snapshot()
    assert all(store.sha256(cfg.store_dir / p["file"]) == p["sha256"] for parts in snap["tables"].values()
               for p in parts)


def test_a_truncated_partition_is_rebuilt_and_its_file_replaced(source, tmp_path):
    cfg, lines = source
    current, _ = _update(cfg)
    for victim in (cfg.store_dir / _part(current, "transactions", "2024-08")["file"],
                   cfg.store_dir / _part(current, "baskets", "2024-08")["file"]):
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    after, said = _update(cfg)
    keys = [m.key for m in said]
    assert "console.store.rebuilding" in keys and "console.store.netting" in keys
    for table in ("transactions", "customers"):
        assert store._listed(after["tables"][table]["partitions"]) == store._listed(current["tables"][table]
                                                                                     ["partitions"])
    for table in ("transactions", "baskets"):
        part = _part(after, table, "2024-08")
        assert part["sha256"] == _part(current, table, "2024-08")["sha256"]          # rebuilt to the same bytes
        assert store.sha256(cfg.store_dir / part["file"]) == part["sha256"]
        assert (cfg.store_dir / part["file"]).stat().st_size == part["bytes"]
    run = open_run(cfg, "2024-08", tmp_path / "run", now=NOW)
    assert _revenue(run.table("transactions"), "2024-08") == _revenue(lines, "2024-08")
    _, said = _update(cfg)                                                           # and then it is quiet
    assert [m.key for m in said] == ["console.store.unchanged"] * 2


def test_publishing_replaces_a_file_whose_content_is_not_its_name(tmp_path):
    root = tmp_path / "store"
    (root / "t").mkdir(parents=True)
    good = root / "t" / ".tmp-1.parquet"
    good.write_bytes(b"the rows")
    name = store.sha256(good)[:16]
    (root / "t" / f"{name}.parquet").write_bytes(b"the ro")                          # cut short
    file, digest = store_files.publish_file(good, root)
    assert file == f"t/{name}.parquet" and (root / file).read_bytes() == b"the rows" and not good.exists()
    again = root / "t" / ".tmp-2.parquet"
    again.write_bytes(b"the rows")
    assert store_files.publish_file(again, root) == (file, digest) and not again.exists()


def test_a_damaged_partition_without_its_source_stops_the_run_with_exit_7(source, tmp_path, capsys):
    cfg, _ = source
    current, _ = _update(cfg)
    victim = cfg.store_dir / _part(current, "transactions", "2024-09")["file"]
    victim.write_bytes(victim.read_bytes()[:100])
    cfg.tables["transactions"].path.unlink()
    with pytest.raises(MachineFault):
        store.update(cfg, now=NOW)
    code = cli.main(["run", "--config", str(cfg.path), "--month", "2024-10", "--reports-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == cli.EXIT_MACHINE == 7
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {victim}: ")
    assert "changed" in err and str(cfg.tables["transactions"].path) in err
    assert f"retention run --config {cfg.path} --verify-store" in err
    assert not (tmp_path / "r" / "2024-10").exists()


def test_a_missing_table_file_with_an_intact_store_names_the_config_key(source, tmp_path, capsys):
    cfg, _ = source
    _update(cfg)
    cfg.tables["customers"].path.unlink()
    code = cli.main(["run", "--config", str(cfg.path), "--month", "2024-10", "--reports-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 7 and len(err.splitlines()) == 1
    assert err == (f"error: {cfg.tables['customers'].path}: the customers table's file does not exist — "
                   f"check tables.customers.path in {cfg.path}")


def test_verify_store_hashes_every_file_and_finds_what_size_and_mtime_miss(source):
    cfg, _ = source
    current, _ = _update(cfg)
    part = _part(current, "transactions", "2024-11")
    victim = cfg.store_dir / part["file"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF                                    # bit rot: same size, same mtime
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(part["mtime_ns"], part["mtime_ns"]))
    _, said = _update(cfg)
    assert "console.store.rebuilding" not in [m.key for m in said]  # the cheap check trusts size and mtime
    after, said = _update(cfg, full=True)
    keys = [m.key for m in said]
    assert keys[0] == "console.store.verifying" and keys[-1] == "console.store.verified"
    assert "console.store.rebuilding" in keys
    assert store.sha256(victim) == part["sha256"]
    listed = sum(len(store._files(entry)) for entry in after["tables"].values()) + len(after["baskets"]["partitions"])
    assert said[-1].params["files"] == listed
    _, said = _update(cfg, full=True)                               # all intact now
    assert "console.store.rebuilding" not in [m.key for m in said]


def test_retention_run_verify_store_checks_the_store_before_the_run(source, tmp_path, monkeypatch, capsys):
    cfg, _ = source
    _update(cfg)
    ran = []

    def fake_run_month(config, month, **kw):
        ran.append(month)
        return pipeline.RunResult(month, tmp_path / month, tmp_path / month / "report.html", {})

    monkeypatch.setattr(pipeline, "run_month", fake_run_month)
    code = cli.main(["run", "--config", str(cfg.path), "--month", "2024-10", "--reports-dir", str(tmp_path),
                     "--verify-store", "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0 and ran == ["2024-10"]
    assert "Checking every file of the data store" in out and "Data store checked:" in out


def test_a_store_made_before_sizes_were_recorded_is_hashed_once_not_rebuilt(source, tmp_path):
    cfg, _ = source
    current, _ = _update(cfg)
    snap = store.snapshot(current, cfg.store_dir, pd.Period("2024-10", "M"))
    old = json.loads((cfg.store_dir / "current.json").read_text(encoding="utf-8"))
    for entry in [*old["tables"].values(), old["baskets"]]:
        for part in entry["partitions"]:
            del part["bytes"], part["mtime_ns"]
        if entry.get("rejects_file"):
            del entry["rejects_file"]
    (cfg.store_dir / "current.json").write_text(json.dumps(old), encoding="utf-8")
    after, said = _update(cfg)
    assert [m.key for m in said] == ["console.store.unchanged"] * 2           # nothing revalidated or netted
    assert after == current
    assert store.snapshot(after, cfg.store_dir, pd.Period("2024-10", "M")) == snap


def test_an_unreadable_current_json_revalidates_and_keeps_the_files(source):
    cfg, _ = source
    current, _ = _update(cfg)
    (cfg.store_dir / "current.json").write_text('{"format": 1, "tab', encoding="utf-8")
    after, said = _update(cfg)
    keys = [m.key for m in said]
    assert keys[0] == "console.store.current_unreadable" and keys.count("console.store.validating") == 2
    assert [p["sha256"] for p in after["baskets"]["partitions"]] == [p["sha256"] for p in current["baskets"]
                                                                      ["partitions"]]
