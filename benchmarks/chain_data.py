"""A deterministic supermarket chain for `python -m benchmarks chain`, made by the demo simulator.

Members are simulated in chunks of CHUNK_MEMBERS with demo.simulate_store, each chunk from a seed
derived from the base seed and its index, and appended to Parquet files with ParquetWriter: one
chunk is in memory at a time, however large the chain. A chunk is simulated as a single store and
then placed on the chain: each member gets a home store (largest first, the simulator's store
weights), SECOND_STORE_SHARE of them also shop at a second store, which gets SECOND_STORE_BASKETS of
their baskets; non-member baskets go to a store by the same weights. Customer, basket, response and
complaint ids are renumbered chain-wide. The campaigns have the same ids and send times in every
chunk, so they are one chain-wide win-back and one flyer.

Lines per member: the simulator's own parameters give about 296 lines per member over 24 months
(about 223 on members' baskets plus 74 on non-member baskets, its 25% of all baskets), so 400,000
members make about 119 million lines, as the issue says. Nothing is rescaled.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from retention_lib.core import schema
from retention_lib.data.sources.demo import simulate_store, store_ids

VERSION = 2                 # part of the stamp: bump when the generated data change
CHUNK_MEMBERS = 20_000      # most members simulated at once: the generation peaks near 3 GB of RSS
MEMBERS_PER_STORE = 20_000  # default chain size: one store per this many members, at least 2
SECOND_STORE_SHARE = 0.15
SECOND_STORE_BASKETS = 0.25
START = "2024-01-01"
LANGUAGE = "zh-CN"          # a Chinese chain's exports: stores by name, Chinese categories
STAMP = "stamp.json"
CONFIG = "chain.yml"
TABLES = ("transactions", "customers", "surveys", "complaints", "campaigns")
# Chain-wide ids: prefix and digits (C00000001, B0000000001, ...).
ID_FORMATS = {"customer_id": ("C", 8), "basket_id": ("B", 10), "response_id": ("R", 9),
              "complaint_id": ("K", 8)}
ARROW_TYPES = {schema.ID: pa.large_string(), schema.TEXT: pa.large_string(), schema.TIMESTAMP: pa.timestamp("us"),
               schema.DATE: pa.timestamp("us"), schema.MONEY: pa.float64(), schema.NUMBER: pa.float64(),
               schema.INTEGER: pa.int64(), schema.BOOL: pa.bool_()}


def default_stores(members: int) -> int:
    return max(2, members // MEMBERS_PER_STORE)


def last_month(months: int) -> str:
    """The data's last (complete) month, YYYY-MM."""
    return str(pd.Period(START, "M") + months - 1)


def data_end(months: int) -> str:
    return (pd.Timestamp(START) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date().isoformat()


def options(members: int, stores: int | None = None, months: int = 24, seed: int = 2024,
            chunk_members: int = CHUNK_MEMBERS) -> dict:
    """The arguments that make a chain, as the stamp keeps them."""
    return {"version": VERSION, "members": members, "stores": stores or default_stores(members),
            "months": months, "seed": seed, "chunk_members": chunk_members}


def ensure(directory, log=print, **kwargs) -> tuple[dict, bool]:
    """The chain in `directory`, generated unless its stamp shows the same arguments made it.
    Returns (the stamp, whether it was reused)."""
    directory, opts = Path(directory), options(**kwargs)
    stamp = directory / STAMP
    if stamp.exists():
        try:
            made = json.loads(stamp.read_text(encoding="utf-8"))
        except ValueError:
            made = {}
        if made.get("options") == opts and all((directory / f"{t}.parquet").exists() for t in made["tables"]):
            return made, True
        stamp.unlink()   # stale: never reuse half-overwritten files
    made = generate(directory, log=log, **kwargs)
    stamp.write_text(json.dumps(made, indent=1) + "\n", encoding="utf-8")   # last: only a finished chain
    return made, False


def note(directory, **facts) -> dict:
    """Add facts (the generation's time and memory) to the stamp, for runs that reuse the chain."""
    stamp = Path(directory) / STAMP
    made = {**json.loads(stamp.read_text(encoding="utf-8")), **facts}
    stamp.write_text(json.dumps(made, indent=1) + "\n", encoding="utf-8")
    return made


def generated_files() -> set[str]:
    """The names of the files a generation writes in its folder."""
    return {STAMP, CONFIG, *(f"{t}.parquet" for t in TABLES)}


def generate(directory, members: int, stores: int | None = None, months: int = 24, seed: int = 2024,
             chunk_members: int = CHUNK_MEMBERS, log=print) -> dict:
    """Write <directory>/<table>.parquet and chain.yml; return the options and what was made."""
    opts = options(members, stores, months, seed, chunk_members)
    n_stores = opts["stores"]
    if members < 1 or n_stores < 1:
        raise ValueError("members and stores must be at least 1")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = pa.array(store_ids(n_stores, LANGUAGE), pa.large_string())
    weights = 1 / (1 + 0.5 * np.arange(n_stores))   # the simulator's: the largest store first
    weights /= weights.sum()
    writers: dict[str, pq.ParquetWriter] = {}
    offsets = dict.fromkeys(ID_FORMATS, 0)
    counts = {"lines": 0, "baskets": 0, "two_store_members": 0}
    n_chunks = -(-members // chunk_members)   # as even as possible: no chunk of a handful of members
    sizes = [members // n_chunks + (i < members % n_chunks) for i in range(n_chunks)]
    try:
        for index, size in enumerate(sizes):
            tables, made = _chunk(seed, index, size, months, n_stores, weights, names, offsets)
            for name, table in tables.items():
                if name not in writers:
                    writers[name] = pq.ParquetWriter(directory / f"{name}.parquet", table.schema)
                writers[name].write_table(table.cast(writers[name].schema))
            for key in counts:
                counts[key] += made[key]
            log(f"  chunk {index + 1}/{len(sizes)}: {offsets['customer_id']:,} of {members:,} members, "
                f"{counts['lines']:,} lines")
    finally:
        for writer in writers.values():
            writer.close()
    tables = sorted(writers, key=TABLES.index)
    _write_config(directory, opts, tables)
    return {"options": opts, "members": members, **counts, "month": last_month(months),
            "config": CONFIG, "tables": tables}


def _chunk(seed, index, size, months, n_stores, weights, names, offsets):
    """One chunk's tables, placed on the chain's stores and renumbered; advances `offsets`."""
    sim_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
    sim = simulate_store(seed=sim_seed, n_customers=size, start=START, months=months, n_stores=1,
                         campaigns=months >= 6, data_language=LANGUAGE).tables
    rng = np.random.default_rng([seed, index, 1])   # the placement's own stream
    home = rng.choice(n_stores, size, p=weights)
    second = (home + rng.integers(1, max(n_stores, 2), size)) % n_stores   # any other store
    two = (rng.random(size) < SECOND_STORE_SHARE) & (n_stores > 1)
    place = dict(home=home, second=second, two=two, rng=rng, weights=weights)

    tables = {name: _arrow(name, frame) for name, frame in sim.items()}
    del sim
    tx = tables["transactions"]
    owner = _number(tx["customer_id"])   # 1..size, 0 for a non-member basket
    basket = _number(tx["basket_id"])    # 1..baskets, one number for all a basket's lines
    n_baskets = int(basket.max())
    tx = _set(tx, "store_id", pc.take(names, _stores(owner, basket, n_baskets, **place)))
    tables["transactions"] = tx
    for name in ("surveys", "complaints"):   # the visit's store is unknown here: draw as a basket's
        frame = tables[name]
        member = _number(frame["customer_id"])
        row = np.arange(1, len(frame) + 1)
        tables[name] = _set(frame, "store_id", pc.take(names, _stores(member, row, len(frame), **place)))
    tables["customers"] = _set(tables["customers"], "home_store_id", pc.take(names, pa.array(home)))

    made = {"lines": len(tx), "baskets": n_baskets, "two_store_members": int(two.sum())}
    counts = {"customer_id": size, "basket_id": n_baskets, "response_id": len(tables["surveys"]),
              "complaint_id": len(tables["complaints"])}
    for name, table in tables.items():
        for column in ID_FORMATS:
            if column in table.column_names:
                table = _set(table, column, _renumber(table[column], column, offsets[column]))
        tables[name] = table
    for column, n in counts.items():
        offsets[column] += n
    return tables, made


def _stores(member, row, n_rows, *, home, second, two, rng, weights):
    """The store of each line: a member's home store, or their second store for a share of their
    baskets (one draw per basket, so a basket's lines stay together); a non-member's by weight."""
    away = rng.random(n_rows) < SECOND_STORE_BASKETS
    anyone = rng.choice(len(weights), n_rows, p=weights)
    m, r = np.maximum(member - 1, 0), row - 1
    return pa.array(np.where(member > 0, np.where(two[m] & away[r], second[m], home[m]), anyone[r]))


def _arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    """The canonical Arrow types of the `files` source, fixed so every chunk has the same schema."""
    table = schema.TABLES[name]
    fields = [pa.field(c, ARROW_TYPES[table.column(c).kind]) for c in frame.columns]
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def _number(ids: pa.ChunkedArray) -> np.ndarray:
    """The number in a simulator id (C000123 -> 123); 0 for null."""
    digits = pc.utf8_slice_codeunits(ids, 1)
    return pc.fill_null(pc.cast(digits, pa.int64()), 0).to_numpy()


def _renumber(ids: pa.ChunkedArray, column: str, offset: int) -> pa.ChunkedArray:
    """A simulator id moved up by the ids of earlier chunks, in the chain's format; null stays null."""
    prefix, width = ID_FORMATS[column]
    number = pc.add(pc.cast(pc.utf8_slice_codeunits(ids, 1), pa.int64()), offset)
    padded = pc.utf8_lpad(pc.cast(number, pa.string()), width, "0")
    return pc.cast(pc.binary_join_element_wise(prefix, padded, ""), pa.large_string())


def _set(table: pa.Table, column: str, values) -> pa.Table:
    i = table.column_names.index(column)
    return table.set_column(i, table.field(i), pc.cast(values, table.field(i).type))


def _write_config(directory: Path, opts: dict, tables: list[str]) -> None:
    config = {
        "name": f"连锁超市（模拟，{opts['members']:,} 名会员，{opts['stores']} 家门店）",
        "source": "files", "simulated": True, "currency": "CNY",
        "report": {"language": LANGUAGE},
        "tables": {t: {"path": f"{t}.parquet"} for t in tables},
        # the extract's day: the run does not depend on today's date
        "settings": {"data_end": data_end(opts["months"])},
    }
    text = "# written by benchmarks/chain_data.py: " + json.dumps(opts) + "\n"
    text += yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    (directory / CONFIG).write_text(text, encoding="utf-8")


def lines_per_member(stamp: dict) -> float:
    return stamp["lines"] / stamp["members"] if stamp["members"] else math.nan
