"""The data store's files: each written once under a temporary name, then kept under the name of its
content (sha256), so a file never changes once written and a month's run can list the files it read.
A table's months are written two at a time (Parquet's writer keeps to one core); the baskets come from
the engine a month at a time.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retention_lib.core.schema import NO_MONTH, TIME_COLUMN
from retention_lib.data import engine
from retention_lib.data.validation import REJECT_COLUMNS

TOPUPS = "topups"     # the transactions' stored-value top-ups: money paid in, no sale (settings.topup_markers)
# Timestamps in microseconds: Spark reads no nanosecond Parquet, and no till records finer than that.
PARQUET = {"compression": "zstd", "coerce_timestamps": "us", "allow_truncated_timestamps": True}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def holds(path: Path, digest: str, size: int) -> bool:
    """Whether the file at `path` has this content (missing or unreadable: no)."""
    try:
        return path.stat().st_size == size and sha256(path) == digest
    except OSError:
        return False


def stat(path: Path) -> dict:
    stat = path.stat()
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def publish_file(tmp: Path, root: Path, prefix: str = "") -> tuple[str, str]:
    """Move a written file to its content name; (its path in the store, sha256). A file of that name is
    kept only when its content is the name's: a truncated or overwritten one is replaced."""
    digest = sha256(tmp)
    final = tmp.parent / f"{prefix}{digest[:16]}.parquet"
    if holds(final, digest, tmp.stat().st_size):
        tmp.unlink()
    else:
        os.replace(tmp, final)
    return final.relative_to(root).as_posix(), digest


def write_month(root: Path, name: str, month: str, rows: pa.Table) -> dict:
    """One month of a table as its content-named partition file, with its size and mtime."""
    folder = root / name / f"month={month}"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}.parquet"
    pq.write_table(rows, tmp, **PARQUET)
    file, digest = publish_file(tmp, root)
    return {"month": month, "file": file, "sha256": digest, "rows": rows.num_rows} | stat(root / file)


def write_engine_partitions(con, expr, root: Path, name: str, schema: pa.Schema, order: list[str]) -> list[dict]:
    """`expr` kept as one content-named file of `schema` per month, sorted by `order`, so DuckDB and Spark
    give the same bytes. DuckDB streams it in `order` (time first: month after month), each month
    written as its last rows arrive; Spark writes it partitioned by month with its own writer (its
    results would come to this process whole), each month then read back and sorted here. Either way
    nothing passes through this process but one month at a time."""
    if con.name == "duckdb":
        return _write_streamed(con, expr.order_by(order), root, name, schema)
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    column = TIME_COLUMN.get(name)
    month = (expr[column].strftime("%Y-%m").coalesce(NO_MONTH) if column in expr.columns
             else ibis.literal(NO_MONTH))
    engine.write_parquet(con, expr.mutate(month=month), tmp, "month")
    parts = []
    try:
        for folder in sorted(tmp.glob("month=*")):
            month = folder.name.split("=", 1)[1]
            files = sorted(folder.rglob("*.parquet"))
            rows = pa.concat_tables([pq.read_table(f) for f in files]).sort_by([(c, "ascending") for c in order])
            parts.append(write_month(root, name, month, rows.select(schema.names).cast(schema)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return parts or [write_month(root, name, NO_MONTH, schema.empty_table())]   # no rows: its columns are kept


def _write_streamed(con, expr, root: Path, name: str, schema: pa.Schema) -> list[dict]:
    """_write_engine_partitions on DuckDB: `expr`'s rows, in time order, cut into months as they come, two
    months written at once while the next arrive."""
    column, written, held, month = TIME_COLUMN[name], [], [], None

    def write(month: str, held: list[pa.Table]) -> dict:
        return write_month(root, name, month, pa.concat_tables(held).select(schema.names).cast(schema)
                            .combine_chunks())

    with ThreadPoolExecutor(max_workers=2) as pool:
        for batch in con.to_pyarrow_batches(expr, chunk_size=1 << 20):
            keys = pc.fill_null(pc.add(pc.multiply(pc.year(batch[column]), 100), pc.month(batch[column])), 0)
            keys = keys.to_numpy(zero_copy_only=False)
            for start, end in zip(*_runs(keys)):
                key = f"{keys[start] // 100:04d}-{keys[start] % 100:02d}" if keys[start] else NO_MONTH
                if key != month and held:
                    if len(written) > 1:
                        written[-2].result()   # at most two months in memory
                    written.append(pool.submit(write, month, held))
                    held = []
                month = key
                held.append(pa.Table.from_batches([batch.slice(start, end - start)]))
        if held:
            written.append(pool.submit(write, month, held))
        parts = [w.result() for w in written]
    return parts or [write_month(root, name, NO_MONTH, schema.empty_table())]   # no rows: its columns are kept


def _runs(keys) -> tuple[list[int], list[int]]:
    """Where each run of equal keys starts and ends."""
    cuts = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist()
    return [0, *cuts], [*cuts, len(keys)]


def write_validated_months(root: Path, name: str, checked, topups: bool = False) -> list[dict]:
    """The kept rows of each month as its content-named file: the month's chunk files as validation
    wrote them (in file order), less the rows the engine set aside for comparing rows, after the first
    rows of its stored partition that a resumed file keeps (a partition it keeps whole stays as it is).
    `topups`: the transactions' top-ups, stored as table TOPUPS."""
    months, carried = (checked.topups, checked.carried_topups) if topups else (checked.months, checked.carried)

    def write(month: str) -> dict | None:
        old, n = carried.get(month, (None, 0))
        if month not in months and n == (old or {}).get("rows"):
            return old
        rows = [pq.read_table(root / old["file"]).slice(0, n)] if n else []
        if month in months:
            rows.append(checked.kept(months[month]).select(checked.schema.names).cast(checked.schema))
        rows = pa.concat_tables(rows).cast(checked.schema).combine_chunks() if rows else checked.schema.empty_table()
        return write_month(root, TOPUPS if topups else name, month, rows) if rows.num_rows else None

    with ThreadPoolExecutor(max_workers=2) as pool:   # two months at once: Parquet's writer keeps one core
        parts = [p for p in pool.map(write, sorted(months.keys() | carried.keys())) if p]
    return parts or [write_month(root, TOPUPS if topups else name, NO_MONTH, checked.schema.empty_table())]


def publish_keys(root: Path, name: str, chunks: list[dict]) -> list[dict]:
    """The chunks' records with their new keys files moved into the store, content-named."""
    folder = root / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for rec in chunks:
        if not isinstance(rec["keys"], dict):
            tmp = folder / f".tmp-{os.getpid()}.parquet"
            shutil.move(rec["keys"], tmp)
            file, digest = publish_file(tmp, root, prefix=f"{name}-")
            rec = rec | {"keys": {"file": file, "sha256": digest} | stat(root / file)}
        out.append(rec)
    return out


def write_rejects(root: Path, name: str, rejects: pd.DataFrame) -> dict | None:
    """The rows set aside as their content-named file: {file, sha256, bytes, mtime_ns}."""
    if rejects.empty:
        return None
    folder = root / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}.parquet"
    rejects[REJECT_COLUMNS].astype("string").to_parquet(tmp, index=False)
    file, digest = publish_file(tmp, root, prefix=f"{name}-")
    return {"file": file, "sha256": digest} | stat(root / file)
