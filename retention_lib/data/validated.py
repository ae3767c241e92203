"""A client's file validated in a stream: chunk by chunk for the rules on one row, then over the whole
file in the engine for the rules that compare rows (exact duplicates, reused keys, baskets with two
customers or stores) and for the share of rows a rule may set aside. Memory depends on the chunk, not
on the file: a chain's 100-million-line export validates like a store's.

The rules on one row judge one value at a time (retention_lib.data.validation), so a transaction
chunk is judged on each column's distinct values, far fewer than its rows, and the rows whose values
all pass stay in Arrow; only the rows that break a rule go through pandas, together, so their rejects
read as validating the whole chunk gives. A row is rejected by the first rule it breaks, in the same
order as retention_lib.data.validation, and keeps its file row number, so rejects.csv reads as it
always has. The rows kept go to a file per month (Arrow IPC, which writes and reads back in a fraction
of Parquet's time) for the data store to write out, and the columns the rules comparing rows read go
to one Parquet file the engine scans.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retention_lib.core.config import Config
from retention_lib.core.messages import Message
from retention_lib.core.schema import NO_MONTH, TIME_COLUMN
from retention_lib.data import engine
from retention_lib.data.compared import RULES, across_rows
from retention_lib.data.distinct import LINE, MONTH, RepeatedLines, by_values, columns_of, fields_of, line_hash
from retention_lib.data.readers import iter_tables, read_raw, reader_options
from retention_lib.data.validation import (REJECT_COLUMNS, ROW, SHOW_ROWS, SUMMARY, TOPUP, TableReport,
                                           ValidationError, validate_table)

ROWS_PER_CHUNK = 1_000_000
PROGRESS_ROWS = 10_000_000
# The columns the rules comparing transaction lines read, besides ROW and LINE (other tables': all of them).
KEYS = ("basket_id", "customer_id", "store_id", "amount", "line_id", "payment_method")
IPC = pa.ipc.IpcWriteOptions(compression="zstd")
# The keys file is read once: row numbers delta-encoded, hashes and amounts plain, no statistics.
KEYS_PARQUET = {"compression": "snappy", "use_dictionary": ["basket_id", "customer_id", "store_id", "line_id",
                                                            "payment_method"],
                "column_encoding": {ROW: "DELTA_BINARY_PACKED", LINE: "PLAIN"}, "write_statistics": False}


@dataclass
class Validated:
    schema: pa.Schema          # of the kept rows, without ROW (pandas' dtypes in its metadata)
    rejects: pd.DataFrame
    report: TableReport
    months: dict[str, Path]    # the rows that passed the one-row rules, a file per month, in file order (with ROW)
    topups: dict[str, Path]    # transactions: the stored-value top-ups (no sales), a file per month (with ROW)
    chunks: list[dict] = field(default_factory=list)   # each chunk's record, for resuming (Resume); keys: its file
    # a resumed file: each month's stored partition and how many of its first rows stay (of the top-ups too)
    carried: dict[str, tuple[dict, int]] = field(default_factory=dict)
    carried_topups: dict[str, tuple[dict, int]] = field(default_factory=dict)

    @cached_property
    def dropped(self) -> pa.Array:
        return pa.array(self.rejects["row"].astype("int64").unique(), pa.int64())

    def kept(self, file: Path) -> pa.Table:
        """A month file's rows less those the rules comparing rows set aside, in file order."""
        rows = pa.ipc.open_file(pa.memory_map(str(file))).read_all()
        keep = pc.invert(pc.is_in(rows[ROW], value_set=self.dropped))
        return rows if pc.all(keep).as_py() is not False else rows.filter(keep)   # most months lose no row


class Stale(Exception):
    """A resumed file's new rows change what the rules comparing rows did to its unchanged ones (a new line
    in an old basket with another customer): the whole file is validated again."""


class Resume:
    """A changed file's last validation as the data store keeps it (its table `entry`): a chunk whose rows
    are the same as then (the hash of its lines), validated against the same end or a later one without
    future rows, keeps its one-row outcome (rejects, report, keys file), so only the chunks from the first
    changed one on are validated again, as a validation of the whole file would validate them."""

    def __init__(self, root: Path, entry: dict, end: pd.Timestamp):
        self.root, self.entry, self.end = root, entry, end
        old = pd.read_parquet(root / entry["rejects"]) if entry.get("rejects") else pd.DataFrame(columns=REJECT_COLUMNS)
        self.rejected = old.astype({"row": "int64"})

    def fits(self, i: int, first_row: int, lines: str) -> dict | None:
        chunks = self.entry.get("chunks") or []
        if i >= len(chunks) or (chunks[i]["first_row"], chunks[i]["lines"]) != (first_row, lines):
            return None
        later = not chunks[i]["report"]["rejected_by_rule"].get("future_timestamp") and \
            self.end >= pd.Timestamp(self.entry["end"])
        return chunks[i] if later or str(self.end) == self.entry["end"] else None

    def chunk(self, rec: dict, source) -> tuple[pd.DataFrame, TableReport]:
        """A reused chunk's one-row rejects, each with its rule's summary, and its report."""
        old = self.rejected
        rows = old[(old["row"] >= rec["first_row"]) & (old["row"] < rec["first_row"] + rec["rows"])
                   & ~old["rule"].isin(RULES)]
        summary = {(rule, column): text for rule, column, text in rec["summaries"]}
        rows = rows.assign(file=source.origin, **{SUMMARY: [summary[k] for k in zip(rows["rule"], rows["column"])]})
        return rows, TableReport(**(json.loads(json.dumps(rec["report"])) | {"file": source.origin}))

    def schema(self) -> pa.Schema:
        return pq.read_schema(self.root / self.entry["partitions"][0]["file"])

    def check(self, found: list[pd.DataFrame], start: int) -> None:
        """Raise Stale unless the rules comparing rows set aside the same rows before `start` as then."""
        columns = [c for c in REJECT_COLUMNS if c != "file"]
        old = self.rejected[self.rejected["rule"].isin(RULES) & (self.rejected["row"] < start)]
        new = pd.concat([old.iloc[:0], *(r[r["row"] < start] for r in found)], ignore_index=True)
        if not new[columns].astype("string").equals(old[columns].astype("string").reset_index(drop=True)):
            raise Stale()

    def carried(self, reused: list[dict], keys: list[Path], dropped: pa.Array) -> tuple[dict, dict]:
        """Each stored month and how many of its first rows the reused chunks keep (they come first in
        file order): of the kept rows, by the keys files, and of the top-ups, by the chunks' records."""
        counts = {}
        for file in keys:
            rows = pq.read_table(file, columns=[ROW, MONTH])
            kept = rows.filter(pc.invert(pc.is_in(rows[ROW], value_set=dropped)))
            for found in pc.value_counts(kept[MONTH]).to_pylist():
                month = _month_name(found["values"])
                counts[month] = counts.get(month, 0) + found["counts"]
        topups = {}
        for rec in reused:
            for month, n in rec["topups"].items():
                topups[month] = topups.get(month, 0) + n
        return ({p["month"]: (p, counts.get(p["month"], 0)) for p in self.entry["partitions"] if p["rows"]},
                {p["month"]: (p, topups.get(p["month"], 0)) for p in self.entry.get("topups") or [] if p["rows"]})


def _merge(total: TableReport | None, part: TableReport) -> TableReport:
    if total is None:
        return part
    total.rows_read += part.rows_read
    total.rows_kept += part.rows_kept
    for rule, n in part.rejected_by_rule.items():
        total.rejected_by_rule[rule] = total.rejected_by_rule.get(rule, 0) + n
    total.topup_rows += part.topup_rows
    for token, n in part.null_like_ids.items():
        total.null_like_ids[token] = total.null_like_ids.get(token, 0) + n
    return total


def _raw_chunks(source, con):
    """(the first chunk, the rest): the client's file read in a stream (Arrow tables; an Excel sheet as
    pandas reads it), or the engine's table in batches (pandas). Rows are numbered as in the file (a
    CSV's header is row 1), or 1, 2, ... in the table's order."""
    if source.engine_table is None:
        chunks = iter_tables(source.path, **reader_options(source), rows_per_chunk=ROWS_PER_CHUNK)
        first = next(chunks, None)
        if first is None:    # a file without a single row still has its columns to check
            first = read_raw(source.path, **reader_options(source))
        return first, chunks
    table = engine.source_table(con, source.engine_table)

    def numbered():
        done = 0
        for frame in engine.source_batches(con, table, ROWS_PER_CHUNK):
            yield frame, 1 + done
            done += len(frame)

    chunks = numbered()
    first = next(chunks, None)
    return (con.to_pyarrow(table.limit(0)).to_pandas(), 1) if first is None else first, chunks


class _MonthFiles:
    """Where the rows that pass the one-row rules go: one Arrow IPC file per month, a batch per chunk, so
    each month's rows stay in file order."""

    def __init__(self, folder: Path):
        self.folder, self.writers, self.months = folder, {}, {}

    def write(self, month: str, rows: pa.Table) -> None:
        if month not in self.writers:
            self.months[month] = self.folder / f"month={month}.arrow"
            self.writers[month] = pa.ipc.new_file(self.months[month], rows.schema, options=IPC)
        self.writers[month].write_table(rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for writer in self.writers.values():
            writer.close()


def _month_numbers(rows: pa.Table, column: str | None) -> pa.Array:
    """Each row's month as YYYYMM, 0 without a time."""
    if column not in rows.column_names:
        return pa.array(np.zeros(rows.num_rows, dtype=np.int32))
    time = rows[column]
    return pc.fill_null(pc.add(pc.multiply(pc.year(time), 100), pc.month(time)), 0).cast(pa.int32()).combine_chunks()


def _month_name(number: int) -> str:
    return f"{number // 100:04d}-{number % 100:02d}" if number else NO_MONTH


def _by_month(rows: pa.Table, months: pa.Array):
    """(month, its rows) of a chunk by its rows' month numbers, months as YYYY-MM (NO_MONTH without a
    time), each in file order."""
    counts = sorted((v["values"], v["counts"]) for v in pc.value_counts(months).to_pylist())
    if len(counts) > 1:   # an export in time order has one or two months a chunk: most chunks need no sort
        rows = rows.take(pc.sort_indices(months))   # a stable sort: rows of a month keep their order
    at = 0
    for key, n in counts:
        yield _month_name(key), rows.slice(at, n)
        at += n


def _schema(name: str, head: pd.DataFrame) -> pa.Schema:
    """The kept rows' schema, with pandas' dtypes (of `head`, the kept columns) in its metadata."""
    meta = pa.Table.from_pandas(head, preserve_index=False).schema.metadata
    return pa.schema(fields_of(name, list(head.columns)), metadata=meta)


def _with_lines(clean: pd.DataFrame, table: str, first_row: int, lines: np.ndarray | None) -> pa.Table:
    """The kept rows of a chunk validated whole, as Arrow: the canonical columns, then LINE and ROW."""
    columns = [c for c in clean.columns if c not in (ROW, TOPUP)]
    row = clean[ROW].to_numpy("int64")
    extra = {} if lines is None else {LINE: pa.array(lines[row - first_row])}
    rows = pa.Table.from_pandas(clean[columns], preserve_index=False).cast(pa.schema(fields_of(table, columns)))
    return pa.Table.from_arrays([*rows.columns, *extra.values(), pa.array(row)], names=[*columns, *extra, ROW])


def _whole(raw, source, first_row: int, lines, **rules):
    """validate_table on a whole chunk: (kept rows, top-up flags, rejects, report, kept columns' dtypes)."""
    frame = raw.to_pandas() if isinstance(raw, pa.Table) else raw
    clean, rejects, report = validate_table(frame, source, first_row, **rules)
    is_topup = clean.pop(TOPUP).to_numpy(bool) if TOPUP in clean.columns else None
    head = clean[[c for c in clean.columns if c != ROW]].head(0)
    return _with_lines(clean, source.table, first_row, lines), is_topup, rejects, report, head


def _ahead(items, work):
    """`work(item)` of each of `items`, in order, each done in a thread of its own while the caller uses
    the one before: reading and hashing the next chunk overlap validating this one."""
    def step():
        item = next(items, None)
        return None if item is None else work(*item)

    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(step)
        while (done := upcoming.result()) is not None:
            upcoming = pool.submit(step)
            yield done


def _lines(raw, row: int):
    """A chunk with its line hashes and their digest (with the columns': a renamed column is a change)."""
    lines = line_hash(raw)
    names = raw.schema if isinstance(raw, pa.Table) else list(zip(raw.columns, map(str, raw.dtypes)))
    return raw, row, lines, hashlib.sha256(str(names).encode() + lines.tobytes()).hexdigest()


def _chunks(cfg: Config, name: str, end: pd.Timestamp, folder: Path, con, say, resume: Resume | None):
    """Validate each chunk's rows and write the kept ones by month (top-ups apart), and the columns the
    rules comparing rows read, a keys file per chunk; (schema, rejects, report, months, top-up months,
    each chunk's record, the file's columns). A chunk that `resume` finds unchanged keeps its stored
    outcome and keys file. Every PROGRESS_ROWS rows it says how far it got, so a long file does not look
    frozen. The next chunk is read, and this one written, in threads of their own while one is validated."""
    source, started, transactions = cfg.tables[name], time.monotonic(), name == "transactions"
    rules = {"now": end, "null_ids": cfg.setting("null_customer_ids"), "topup_markers": cfg.setting("topup_markers")}
    rejects, report, schema, written, records = [], None, None, [], []
    first, chunks = _raw_chunks(source, con)
    file_columns = [str(c) for c in columns_of(first[0])]
    for sub in ("topups", "keys"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    repeated = RepeatedLines(folder / "lines") if transactions else None
    read = _ahead(itertools.chain([first], chunks), _lines)
    # the writer's last task ends before the files it writes close
    with _MonthFiles(folder) as out, _MonthFiles(folder / "topups") as topups, closing(read), \
            ThreadPoolExecutor(1) as writer:
        def write(rows: pa.Table, is_topup, rec: dict) -> None:
            months = _month_numbers(rows, TIME_COLUMN.get(name))
            if is_topup is not None and is_topup.any():
                for month, part_rows in _by_month(rows.filter(is_topup).drop_columns([LINE]),
                                                  months.filter(pa.array(is_topup))):
                    topups.write(month, part_rows)
                    rec["topups"][month] = part_rows.num_rows
                rows, months = rows.filter(pa.array(~is_topup)), months.filter(pa.array(~is_topup))
            pq.write_table(rows.append_column(MONTH, months).select(shown), rec["keys"], **KEYS_PARQUET)
            if repeated is not None:
                repeated.add(rows[LINE].to_numpy())
            for month, part_rows in _by_month(rows.drop_columns([LINE]), months):
                out.write(month, part_rows)

        for i, (raw, first_row, lines, digest) in enumerate(read):
            rec = resume.fits(i, first_row, digest) if resume else None
            if rec:   # as it was: its rows' one-row outcome is the stored one
                schema = resume.schema() if schema is None else schema
                rej, part = resume.chunk(rec, source)
                if repeated is not None:
                    written.append(writer.submit(lambda keys: repeated.add(pq.read_table(keys, columns=[LINE])[
                        LINE].to_numpy()), resume.root / rec["keys"]["file"]))
            else:
                if resume and i:
                    say(Message("console.store.resumed", table=name, rows=first_row - records[0]["first_row"]))
                resume = None
                done = by_values(raw, source, first_row, lines, **rules) \
                    if transactions and isinstance(raw, pa.Table) else None
                rows, is_topup, rej, part, head = done or _whole(raw, source, first_row, lines, **rules)
                schema = _schema(name, head) if schema is None else schema
                shown = [ROW, MONTH, LINE, *(c for c in KEYS if c in schema.names)] if transactions \
                    else [ROW, MONTH, *schema.names]
                part.topup_rows = int(is_topup.sum()) if is_topup is not None else 0
                rec = {"first_row": first_row, "rows": part.rows_read, "lines": digest,
                       "report": json.loads(json.dumps(part.to_dict())), "keys": folder / "keys" / f"{i:05d}.parquet",
                       "summaries": rej[["rule", "column", SUMMARY]].drop_duplicates(["rule", "column"]).values.tolist()
                       if len(rej) else [], "topups": {}}
                if written:
                    written[-1].result()
                written.append(writer.submit(write, rows, is_topup, rec))
            del raw
            records.append(rec)
            rejects.append(rej)
            report = _merge(report, part)
            if report.rows_read // PROGRESS_ROWS > (report.rows_read - part.rows_read) // PROGRESS_ROWS:
                say(Message("console.store.progress", table=name, rows=report.rows_read,
                            seconds=time.monotonic() - started))
        for task in written:
            task.result()
    if resume is not None:   # every chunk as it was
        say(Message("console.store.resumed", table=name, rows=report.rows_read))
    if repeated is not None:   # the lines the rule on repeated lines compares: few, for the engine
        pq.write_table(pa.table({LINE: repeated.repeated()}), folder / "repeated.parquet")
    frames = [r for r in rejects if len(r)]
    rejects = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
    return schema, rejects, report, out.months, topups.months, records, file_columns


def _enforce_shares(rejects: pd.DataFrame, report: TableReport, source, limit: float) -> None:
    """A rule that set aside more than the allowed share of the file stops the run, naming its rows."""
    if not report.rows_read:
        return
    for (rule, _), hits in rejects.groupby(["rule", "column"], sort=False):   # as each rule is applied
        share = len(hits) / report.rows_read
        if share > limit:
            column = hits["column"].iloc[0] or None
            values = [v for v in hits["value"].head(SHOW_ROWS).tolist() if not pd.isna(v)]
            shown = f"; values {values}" if values and column else ""
            raise ValidationError(
                source.origin, column, rule,
                f"{hits[SUMMARY].iloc[0]}: {len(hits)} of {report.rows_read} rows ({share:.1%}), more than the "
                f"{limit:.0%} that may be set aside{shown}", hits["row"].tolist(),
                client_column=source.client_column(column) if column else None)


def validate_file(cfg: Config, name: str, end: pd.Timestamp, folder: Path, con=None, say=None,
                  resume: Resume | None = None) -> Validated:
    """Validate the configured table `name` into `folder` (chunk files the engine then reads); a file
    that changed since the data store validated it resumes from its first changed chunk (Resume)."""
    source, started, say = cfg.tables[name], time.monotonic(), say or (lambda message: None)
    folder.mkdir(parents=True, exist_ok=True)
    con = con or engine.connect(cfg.engine, folder / ".spill")
    schema, rejects, report, months, topups, chunks, file_columns = _chunks(cfg, name, end, folder, con, say, resume)
    if name == "transactions" and report.rows_read == 0:
        raise ValidationError(source.origin, None, "empty_table", "the file has no rows")
    if report.rows_read >= PROGRESS_ROWS:   # a long file: the rules comparing rows take a while too
        say(Message("console.store.comparing", table=name, rows=report.rows_read, engine=cfg.engine.backend,
                    seconds=time.monotonic() - started))
    keys = [resume.root / c["keys"]["file"] if isinstance(c["keys"], dict) else c["keys"] for c in chunks]
    found = across_rows(con, engine.scan(con, keys), name, source, folder, file_columns, schema.names,
                        cfg.setting("max_basket_amount"))
    frames = [r for r in [rejects, *found] if len(r)]
    rejects = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
    for r in found:
        if len(r):
            rule = r["rule"].iloc[0]
            report.rejected_by_rule[rule] = report.rejected_by_rule.get(rule, 0) + len(r)
    report.rows_kept = report.rows_read - len(rejects) - report.topup_rows
    _enforce_shares(rejects, report, source, cfg.max_reject_share)
    checked = Validated(schema, rejects.drop(columns=SUMMARY, errors="ignore"), report, months, topups, chunks)
    reused = [c for c in chunks if isinstance(c["keys"], dict)]
    if resume is not None and reused:
        resume.check(found, reused[-1]["first_row"] + reused[-1]["rows"])
        checked.carried, checked.carried_topups = resume.carried(reused, keys[:len(reused)], checked.dropped)
    return checked


def to_frame(con, validated: Validated) -> pd.DataFrame:
    """The kept rows in file order, as pandas reads them (for a small table or a test). They are read
    from the month files: `con`, the engine's connection, is not needed."""
    parts = [validated.kept(file) for file in validated.months.values()]
    table = pa.concat_tables(parts).sort_by(ROW) if parts else validated.schema.empty_table()
    return table.select(validated.schema.names).cast(validated.schema).to_pandas()
