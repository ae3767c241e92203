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

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retention_lib.core.config import Config
from retention_lib.core.messages import Message
from retention_lib.core.schema import NO_MONTH, TABLES, TIME_COLUMN
from retention_lib.data import aggregate, engine
from retention_lib.data.distinct import LINE, RepeatedLines, by_values, columns_of, fields_of, line_hash
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

    @cached_property
    def dropped(self) -> pa.Array:
        return pa.array(self.rejects["row"].astype("int64").unique(), pa.int64())

    def kept(self, file: Path) -> pa.Table:
        """A month file's rows less those the rules comparing rows set aside, in file order."""
        rows = pa.ipc.open_file(pa.memory_map(str(file))).read_all()
        keep = pc.invert(pc.is_in(rows[ROW], value_set=self.dropped))
        return rows if pc.all(keep).as_py() is not False else rows.filter(keep)   # most months lose no row


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


def _by_month(rows: pa.Table, column: str | None):
    """(month, its rows) of a chunk, months as YYYY-MM (NO_MONTH without a time), each in file order."""
    if not rows.num_rows:
        return
    if column not in rows.column_names:
        yield NO_MONTH, rows
        return
    time = rows[column]
    keys = pc.fill_null(pc.add(pc.multiply(pc.year(time), 100), pc.month(time)), 0)   # YYYYMM; 0: no time
    counts = sorted((v["values"], v["counts"]) for v in pc.value_counts(keys).to_pylist())
    if len(counts) > 1:   # an export in time order has one or two months a chunk: most chunks need no sort
        rows = rows.take(pc.sort_indices(keys))   # a stable sort: rows of a month keep their order
    at = 0
    for key, n in counts:
        yield (f"{key // 100:04d}-{key % 100:02d}" if key else NO_MONTH), rows.slice(at, n)
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


def _chunks(cfg: Config, name: str, end: pd.Timestamp, folder: Path, con, say):
    """Validate each chunk's rows and write the kept ones by month (top-ups apart), and the columns the
    rules comparing rows read; (their file, months, top-up months, schema, rejects, report, the file's
    columns). Every PROGRESS_ROWS rows it says how far it got, so a long file does not look frozen. The
    next chunk is read, and this one written, in threads of their own while a chunk is validated."""
    source, started, transactions = cfg.tables[name], time.monotonic(), name == "transactions"
    rules = {"now": end, "null_ids": cfg.setting("null_customer_ids"), "topup_markers": cfg.setting("topup_markers")}
    rejects, report, schema, written = [], None, None, None
    first, chunks = _raw_chunks(source, con)
    file_columns = [str(c) for c in columns_of(first[0])]
    (folder / "topups").mkdir(parents=True, exist_ok=True)
    repeated = RepeatedLines(folder / "lines") if transactions else None
    read = _ahead(itertools.chain([first], chunks), lambda raw, row: (raw, row, line_hash(raw) if transactions else None))
    # the writer's last task ends before the files it writes close
    with _MonthFiles(folder) as out, _MonthFiles(folder / "topups") as topups, ExitStack() as stack, closing(read), \
            ThreadPoolExecutor(1) as writer:
        def write(rows: pa.Table, is_topup) -> None:
            if is_topup is not None and is_topup.any():
                for month, part_rows in _by_month(rows.filter(is_topup).drop_columns([LINE]), TIME_COLUMN.get(name)):
                    topups.write(month, part_rows)
                rows = rows.filter(pa.array(~is_topup))
            keys.write_table(rows.select(shown))
            if repeated is not None:
                repeated.add(rows[LINE].to_numpy())
            for month, part_rows in _by_month(rows.drop_columns([c for c in [LINE] if c in rows.column_names]),
                                              TIME_COLUMN.get(name)):
                out.write(month, part_rows)

        for raw, first_row, lines in read:
            done = by_values(raw, source, first_row, lines, **rules) if transactions and isinstance(raw, pa.Table) \
                else None
            rows, is_topup, rej, part, head = done or _whole(raw, source, first_row, lines, **rules)
            del raw
            if schema is None:
                schema = _schema(name, head)
                shown = [ROW, LINE, *(c for c in KEYS if c in schema.names)] if transactions else [ROW, *schema.names]
                keys = stack.enter_context(pq.ParquetWriter(folder / "keys.parquet", rows.select(shown).schema,
                                                            **KEYS_PARQUET))
            part.topup_rows = int(is_topup.sum()) if is_topup is not None else 0
            if written is not None:
                written.result()
            written = writer.submit(write, rows, is_topup)
            rejects.append(rej)
            report = _merge(report, part)
            if report.rows_read // PROGRESS_ROWS > (report.rows_read - part.rows_read) // PROGRESS_ROWS:
                say(Message("console.store.progress", table=name, rows=report.rows_read,
                            seconds=time.monotonic() - started))
        written.result()
    if repeated is not None:   # the lines the rule on repeated lines compares: few, for the engine
        pq.write_table(pa.table({LINE: repeated.repeated()}), folder / "repeated.parquet")
    frames = [r for r in rejects if len(r)]
    rejects = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
    return folder / "keys.parquet", out.months, topups.months, schema, rejects, report, file_columns


def _rejected(con, rows, source, column: str | None, rule: str, reason: str) -> pd.DataFrame:
    picked = rows.select(ROW, *( [column] if column else [])).order_by(ROW)
    found = con.to_pyarrow(picked).to_pandas()
    return pd.DataFrame({"table": source.table, "file": source.origin, "row": found[ROW].astype("int64"),
                         "column": column or "", "rule": rule, "reason": reason,
                         "value": found[column].astype("string") if column else pd.NA, SUMMARY: reason})


def _materialized(con, expr, folder: Path):
    """`expr` written once by the engine and scanned again, so later steps do not recompute it."""
    engine.write_parquet(con, expr, folder)
    return engine.scan_folder(con, folder)


def _duplicates(con, rows, columns: list[str], folder: Path):
    """Rows identical (on `columns`) to a row earlier in the file. Only rows whose hash another row
    shares are compared column by column: a transaction line's LINE when RepeatedLines found it twice,
    else a GROUP BY on one 64-bit hash, not on every column."""
    if LINE in columns:
        candidates = rows.semi_join(engine.scan(con, [folder.parent / "repeated.parquet"]), LINE)
    else:
        hashed = rows.mutate(_h=ibis.struct({c: rows[c] for c in columns}).hash())
        shared = hashed.group_by("_h").aggregate(_n=hashed.count())
        candidates = hashed.semi_join(shared.filter(shared._n > 1).select("_h"), "_h").drop("_h")
    candidates = _materialized(con, candidates, folder)
    first = candidates.group_by(columns).aggregate(**{ROW: candidates[ROW].min()}).select(ROW)
    return candidates.anti_join(first, ROW)


def _duplicate_reason(name: str, file_columns: list[str], mapped: dict[str, str]) -> str:
    """What a duplicate is in this file, naming the columns compared; for a file whose rows cannot tell two
    identical items of one basket from a repeated row, which column would keep them."""
    if name != "transactions":
        return "exact duplicate of an earlier row"
    reason = f"repeats an earlier line in every column of the file ({', '.join(file_columns)})"
    if set(file_columns) <= set(mapped.values()) and "line_id" not in mapped and "product_id" not in mapped:
        reason += ("; the file has no line-level column, so the same item bought twice in one basket looks "
                   "the same: if these are real purchases, export the line number (行号) or the product and "
                   "map it as line_id or product_id")
    return reason


def _across_rows(con, rows, name: str, source, folder: Path, file_columns: list[str], canonical: list[str],
                 cap: float | None = None) -> list[pd.DataFrame]:
    """The rules that compare rows, in validation's order, on the columns they read (`rows`, with ROW):
    the rejects of each rule. The first of identical rows, or of rows sharing a key, is the one earliest
    in the file. Transaction lines are identical only when every column of the client's row is (LINE),
    so a double scan told apart by its 行号 and a sale paid in two rows are kept; a mapped line_id
    repeated in a basket is not. A basket whose lines add up to more than `cap`
    (settings.max_basket_amount) is set aside whole."""
    table = TABLES[name]
    columns = [c for c in rows.columns if c != ROW]
    found = []
    if name != "transactions" and not table.key:
        return found
    rule = "duplicate_line" if name == "transactions" else "duplicate_row"
    mapped = {c: source.client_column(c) for c in canonical if source.client_column(c) in file_columns}
    dups = _materialized(con, _duplicates(con, rows, columns, folder / "candidates").select(ROW), folder / "dups")
    found.append(_rejected(con, rows.semi_join(dups, ROW), source, None, rule,
                           _duplicate_reason(name, file_columns, mapped)))
    rows = rows.anti_join(dups, ROW)
    if name == "transactions":
        if "line_id" in rows.columns:
            # A line paid two ways is two rows with one line number: the payment method is part of its key.
            key = [c for c in ("basket_id", "line_id", "payment_method") if c in rows.columns]
            numbered = rows.filter(rows.line_id.notnull())
            firsts = numbered.group_by(key).aggregate(**{ROW: numbered[ROW].min()}).select(ROW)
            again = _materialized(con, numbered.anti_join(firsts, ROW).select(ROW), folder / "line_ids")
            found.append(_rejected(con, rows.semi_join(again, ROW), source, "line_id", "duplicate_line_id",
                                   f"{'+'.join(key)} already used by an earlier line with different values"))
            rows = rows.anti_join(again, ROW)
        # A basket belongs to one customer (or none) and one store: one pass over the baskets finds both
        # conflicts; a basket already set aside for its customers is not judged again on its stores.
        def mixed(col):   # two values or more, a null counting as one: no distinct count needed
            values = rows[col]
            return (values.min() != values.max()).fill_null(False) | (
                (values.count() > 0) & (values.count() < rows.count()))

        kinds = rows.group_by("basket_id").aggregate(_c=mixed("customer_id"), _s=mixed("store_id"))
        bad = _materialized(con, kinds.filter(kinds._c | kinds._s), folder / "conflicts")
        for col, which in (("customer_id", bad._c), ("store_id", ~bad._c & bad._s)):
            found.append(_rejected(con, rows.semi_join(bad.filter(which).select("basket_id"), "basket_id"), source,
                                   col, "basket_conflict", f"basket has lines with different {col} values"))
        rows = rows.anti_join(bad.select("basket_id"), "basket_id")
        if cap is not None:
            totals = rows.group_by("basket_id").aggregate(_t=aggregate.money(rows.amount).sum())
            over = _materialized(con, totals.filter(totals._t > cap).select("basket_id"), folder / "over_cap")
            found.append(_rejected(con, rows.semi_join(over, "basket_id"), source, "basket_id", "basket_over_cap",
                                   f"the basket's lines add up to more than settings.max_basket_amount ({cap:,.2f})"))
    else:
        key = list(table.key)
        firsts = rows.group_by(key).aggregate(**{ROW: rows[ROW].min()}).select(ROW)
        found.append(_rejected(con, rows.anti_join(firsts, ROW), source, key[-1], "duplicate_key",
                               f"{'+'.join(key)} already used by an earlier row with different values"))
    return found


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


def validate_file(cfg: Config, name: str, end: pd.Timestamp, folder: Path, con=None, say=None) -> Validated:
    """Validate the configured table `name` into `folder` (chunk files the engine then reads)."""
    source, started, say = cfg.tables[name], time.monotonic(), say or (lambda message: None)
    folder.mkdir(parents=True, exist_ok=True)
    con = con or engine.connect(cfg.engine, folder / ".spill")
    keys, months, topups, schema, rejects, report, file_columns = _chunks(cfg, name, end, folder, con, say)
    if name == "transactions" and report.rows_read == 0:
        raise ValidationError(source.origin, None, "empty_table", "the file has no rows")
    if report.rows_read >= PROGRESS_ROWS:   # a long file: the rules comparing rows take a while too
        say(Message("console.store.comparing", table=name, rows=report.rows_read, engine=cfg.engine.backend,
                    seconds=time.monotonic() - started))
    found = _across_rows(con, engine.scan(con, [keys]), name, source, folder, file_columns, schema.names,
                         cfg.setting("max_basket_amount"))
    frames = [r for r in [rejects, *found] if len(r)]
    rejects = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
    for r in found:
        if len(r):
            rule = r["rule"].iloc[0]
            report.rejected_by_rule[rule] = report.rejected_by_rule.get(rule, 0) + len(r)
    report.rows_kept = report.rows_read - len(rejects) - report.topup_rows
    _enforce_shares(rejects, report, source, cfg.max_reject_share)
    return Validated(schema, rejects.drop(columns=SUMMARY, errors="ignore"), report, months, topups)


def to_frame(con, validated: Validated) -> pd.DataFrame:
    """The kept rows in file order, as pandas reads them (for a small table or a test). They are read
    from the month files: `con`, the engine's connection, is not needed."""
    parts = [validated.kept(file) for file in validated.months.values()]
    table = pa.concat_tables(parts).sort_by(ROW) if parts else validated.schema.empty_table()
    return table.select(validated.schema.names).cast(validated.schema).to_pandas()
