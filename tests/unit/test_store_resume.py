"""A changed file under the same rules resumes from its first changed chunk: a new month appended to an
unchanged history validates the new rows, and the store it leaves is the one a validation of the whole
file leaves, file for file (partitions, rejects, keys files, reports, baskets)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from retention_lib.core.config import load_config
from retention_lib.data import store, validated
from retention_lib.data.sources.demo import simulate_store

NOW = pd.Timestamp("2025-01-10")
DECEMBER = pd.Timestamp("2024-12-01")


@pytest.fixture
def chain(tmp_path, monkeypatch):
    """A store's lines with faults before and after December, in chunks of 1,000 rows, and two configs of
    the same file: one resumed month after month, one validated whole."""
    monkeypatch.setattr(validated, "ROWS_PER_CHUNK", 1000)
    lines = simulate_store(seed=7, n_customers=150, months=6, start="2024-07-01").tables["transactions"]
    lines = lines.sort_values("timestamp", kind="stable", ignore_index=True)
    lines = lines.astype({"amount": "string", "customer_id": "string"})
    lines.loc[[40, 3100], "amount"] = ["abc", "12,50"]                        # not numbers, one in a later chunk
    lines.loc[[77, 2500], "customer_id"] = ["NULL", "散客"]                    # placeholders for no member
    old = int((lines["timestamp"] < DECEMBER).sum())
    lines.loc[[old + 5, old + 9], "amount"] = ["¥3.50", "x"]
    lines = pd.concat([lines, lines.loc[[12]]], ignore_index=True)           # December repeats an old line
    configs = []
    for name in ("resumed", "whole"):
        path = tmp_path / f"{name}.yml"
        text = (f"name: Client\nsource: files\ncurrency: CNY\nstore: {name}\n"
                "settings: {max_reject_share: 1}\ntables: {transactions: {path: lines.csv}}\n")
        path.write_text(text, encoding="utf-8")
        configs.append(load_config(path))
    return configs, lines, old


def _update(cfg):
    said = []
    return store.update(cfg, now=NOW, say=said.append), [m.key for m in said]


def _without_times(current: dict) -> dict:
    text = json.dumps(current["tables"]["transactions"] | {"baskets": current["baskets"]}, sort_keys=True)
    return json.loads(text.replace('"mtime_ns"', '"_"'), object_hook=lambda d: {k: v for k, v in d.items() if k != "_"})


def _same_store(resumed: dict, whole: dict) -> None:
    got, want = _without_times(resumed), _without_times(whole)
    for key in want:
        assert got[key] == want[key], key


def _judged(monkeypatch) -> list[int]:
    """The first rows of the chunks the one-row rules judge from now on."""
    judged, by_values = [], validated.by_values
    monkeypatch.setattr(validated, "by_values", lambda raw, source, row, *a, **k: judged.append(row) or
                        by_values(raw, source, row, *a, **k))
    return judged


def test_a_new_month_validates_the_new_rows_and_leaves_the_store_a_whole_validation_leaves(chain, monkeypatch):
    (resumed, whole), lines, old = chain
    path = resumed.tables["transactions"].path
    lines.iloc[:old].to_csv(path, index=False)
    first, _ = _update(resumed)
    lines.to_csv(path, index=False)                                          # December arrives
    judged = _judged(monkeypatch)
    after, said = _update(resumed)
    assert "console.store.resumed" in said
    kept = first["tables"]["transactions"]["chunks"][:-1]                    # the last, partial chunk grows
    assert judged == list(range(2 + 1000 * len(kept), len(lines) + 2, 1000))  # CSV rows: the header is row 1
    assert after["tables"]["transactions"]["chunks"][:len(kept)] == kept
    full, said = _update(whole)
    assert "console.store.resumed" not in said
    _same_store(after, full)
    rules = after["tables"]["transactions"]["report"]["rejected_by_rule"]
    assert rules["not_numeric"] == 3 and rules["duplicate_line"] == 1                 # "¥3.50" reads as 3.5
    old = {p["month"]: p["file"] for p in first["tables"]["transactions"]["partitions"]}
    assert all(p["file"] == old[p["month"]] for p in after["tables"]["transactions"]["partitions"]
               if p["month"] < "2024-11")                                   # the history's months stay as they were


def test_a_new_line_that_changes_an_old_basket_validates_the_whole_file(chain, monkeypatch):
    (resumed, whole), lines, old = chain
    path = resumed.tables["transactions"].path
    lines.iloc[:old].to_csv(path, index=False)
    _update(resumed)
    odd = lines.loc[[30]].assign(customer_id="C_other", timestamp=DECEMBER)  # an old basket, another customer
    grown = pd.concat([lines, odd])
    grown.to_csv(path, index=False)
    judged = _judged(monkeypatch)
    after, said = _update(resumed)
    assert "console.store.resumed" in said and judged[0] == 1 + 1000 * (old // 1000) + 1 and 2 in judged  # then whole
    full, _ = _update(whole)
    _same_store(after, full)
    assert after["tables"]["transactions"]["report"]["rejected_by_rule"]["basket_conflict"] > 1


def test_an_unchanged_chunk_keeps_its_outcome_only_under_the_same_clock(chain):
    """Without data_end the clock is the end: a chunk with rows later than the last end is validated again."""
    (resumed, _), lines, _ = chain
    path = resumed.tables["transactions"].path
    lines.to_csv(path, index=False)
    said = []
    store.update(resumed, now=pd.Timestamp("2024-09-15"), say=said.append)   # later rows are in the future
    entry = json.loads((resumed.store_dir / "current.json").read_text(encoding="utf-8"))["tables"]["transactions"]
    futures = [i for i, c in enumerate(entry["chunks"]) if c["report"]["rejected_by_rule"].get("future_timestamp")]
    assert futures
    resume = validated.Resume(resumed.store_dir, entry, NOW)
    chunk = entry["chunks"][futures[0]]
    assert resume.fits(futures[0], chunk["first_row"], chunk["lines"]) is None
    assert resume.fits(0, entry["chunks"][0]["first_row"], entry["chunks"][0]["lines"]) is entry["chunks"][0]


def test_a_later_data_end_keeps_a_table_with_no_row_after_the_old_one(chain):
    (resumed, _), lines, _ = chain
    lines.to_csv(resumed.tables["transactions"].path, index=False)
    for data_end, validates in (("2024-12-31", True), ("2025-01-05", False), ("2024-12-15", True),
                                ("2024-12-20", True)):                       # the last: rows after 2024-12-15
        said = _update(resumed.with_settings(data_end=data_end))[1]
        assert ("console.store.validating" in said) == validates, data_end


def test_a_basket_across_a_new_month_nets_every_month_again(chain):
    """A November basket with a line on 1 December: November's baskets change too, though its lines do not."""
    (resumed, whole), lines, old = chain
    path = resumed.tables["transactions"].path
    lines.iloc[:old].to_csv(path, index=False)
    first, _ = _update(resumed)
    late = lines.iloc[[old - 1]].assign(timestamp=DECEMBER + pd.Timedelta(seconds=30), amount="9.99")
    pd.concat([lines.iloc[:old], late, lines.iloc[old:]]).to_csv(path, index=False)
    after, _ = _update(resumed)
    full, _ = _update(whole)
    _same_store(after, full)
    november = {p["month"]: p["file"] for p in first["baskets"]["partitions"]}["2024-11"]
    assert {p["month"]: p["file"] for p in after["baskets"]["partitions"]}["2024-11"] != november
