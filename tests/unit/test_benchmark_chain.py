"""The chain benchmark's generator and bookkeeping on a small chain (two chunks, two stores, six months).

No timing is asserted: speed is what `python -m benchmarks chain` itself reports.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmarks import chain, chain_data
from retention_lib.core.config import load_config
from retention_lib.data.loading import load_source

SMALL = {"members": 3000, "stores": 2, "months": 6, "seed": 11, "chunk_members": 1500}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    directory = tmp_path_factory.mktemp("chain")
    stamp, reused = chain_data.ensure(directory, log=lambda _: None, **SMALL)
    assert not reused
    return directory, stamp


def test_same_arguments_make_byte_identical_files(made, tmp_path):
    directory, _ = made
    chain_data.generate(tmp_path, log=lambda _: None, **SMALL)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(chain_data.generated_files() - {chain_data.STAMP})
    for name in names:
        assert (tmp_path / name).read_bytes() == (directory / name).read_bytes(), name


def test_a_stamp_with_the_same_arguments_is_reused_and_other_arguments_are_not(made, tmp_path):
    directory, stamp = made
    again, reused = chain_data.ensure(directory, log=lambda _: None, **SMALL)
    assert reused and again["lines"] == stamp["lines"]
    assert chain_data.options(**{**SMALL, "seed": 12}) != stamp["options"]


@pytest.fixture(scope="module")
def loaded(made):
    directory, _ = made
    return load_source(load_config(directory / chain_data.CONFIG))


def test_the_files_load_as_the_files_source_with_no_rejects(made, loaded):
    directory, stamp = made
    assert load_config(directory / chain_data.CONFIG).source == "files"
    assert len(loaded.rejects) == 0
    assert set(loaded.tables) == set(chain_data.TABLES)
    assert len(loaded.tables["transactions"]) == stamp["lines"]
    assert len(loaded.tables["customers"]) == SMALL["members"]


def test_ids_are_unique_chain_wide_and_every_basket_is_in_one_store(loaded):
    tx, customers = loaded.tables["transactions"], loaded.tables["customers"]
    assert customers["customer_id"].is_unique
    assert set(tx["customer_id"].dropna()) <= set(customers["customer_id"])
    # both chunks' baskets are there under their own ids: as many baskets as (basket id) groups
    per_basket = tx.groupby("basket_id").agg(stores=("store_id", "nunique"), customers=("customer_id", "nunique"),
                                             at=("timestamp", "nunique"))
    assert (per_basket[["stores", "at"]] == 1).all().all() and (per_basket["customers"] <= 1).all()
    for name, key in (("surveys", "response_id"), ("complaints", "complaint_id")):
        assert loaded.tables[name][key].is_unique
    assert not loaded.tables["campaigns"].duplicated(["campaign_id", "customer_id"]).any()


def test_members_span_the_stores_and_some_shop_in_two(made, loaded):
    _, stamp = made
    tx, customers = loaded.tables["transactions"], loaded.tables["customers"]
    stores = set(tx["store_id"])
    assert len(stores) == SMALL["stores"] and set(customers["home_store_id"]) == stores
    per_member = tx.dropna(subset=["customer_id"]).groupby("customer_id")["store_id"].nunique()
    share_two = (per_member > 1).mean()
    assert 0.05 < share_two <= chain_data.SECOND_STORE_SHARE + 0.03
    assert share_two * len(per_member) <= stamp["two_store_members"]


def test_the_console_lines_give_the_steps_and_the_json_has_every_key(tmp_path):
    at = lambda t, text: (t, f"2026-01-01 00:00:00 {text}")
    lines = [at(1.0, "Loading and validating chain (chain.yml)"), at(3.0, "[1/2] 01_data_quality.ipynb ..."),
             at(4.0, "    01_data_quality.ipynb still running: cell 2 of 9, 1 min 00 s"),
             at(5.0, "[1/2] 01_data_quality.ipynb done in 2.0 s"), at(5.5, "[2/2] 02_kpis.ipynb 运行中…"),
             at(8.0, "[2/2] 02_kpis.ipynb 完成，用时2.5秒"), at(9.0, "report.html written (1.0 MB)")]
    got = chain.steps(lines, 0.5, 10.0)
    assert got == [("prepare", 0.5, 3.0), ("01_data_quality", 3.0, 5.5), ("02_kpis", 5.5, 8.0), ("publish", 8.0, 10.0)]
    samples = [(0.4, 100e6), (2.0, 300e6), (6.0, 200e6), (9.5, 50e6)]
    assert chain.peak_mb(samples, 3.0, 5.5) == 300   # the memory at the step's start counts
    assert chain.peak_mb(samples, 8.0, 10.0) == 200

    made = {"members": 3000, "lines": 12345}
    results = [chain.row("generate", made, 1.0, 10.0, reused=False)]
    results += [chain.row(name, made, t1 - t0, chain.peak_mb(samples, t0, t1)) for name, t0, t1 in got]
    results.append(chain.row("chain_month", made, 9.5, chain.peak_mb(samples, 0.5, 10.0)))
    out = tmp_path / "chain.json"
    chain.write_json(results, out)
    back = json.loads(out.read_text(encoding="utf-8"))
    assert [r["name"] for r in back] == ["generate", "prepare", "01_data_quality", "02_kpis", "publish",
                                         "chain_month"]
    for r in back:
        assert set(chain.KEYS) <= set(r) and r["members"] == 3000 and r["lines"] == 12345
        assert isinstance(r["wall_s"], float) and isinstance(r["peak_mb"], float)
    assert "chain_month" in chain.table(back)


def test_the_data_end_on_the_last_complete_month():
    assert chain_data.last_month(24) == "2025-12" and chain_data.data_end(24) == "2025-12-31"
    assert chain_data.last_month(6) == "2024-06"
    assert pd.Timestamp(chain_data.data_end(6)) == pd.Timestamp("2024-06-30")
