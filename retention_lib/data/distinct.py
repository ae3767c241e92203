"""The rules on one row of a transactions chunk judged on each column's distinct values, and the
identity of each line, for retention_lib.data.validated.

The one-row rules (retention_lib.data.validation) judge one value at a time, so a column's distinct
values, far fewer than the chunk's rows, are read by pandas as it reads the chunk and judged there;
what they decide is then taken for every row, in Arrow. The rows whose values all pass are kept
without passing through pandas; the rows that break a rule go through validate_table together, so
their rejects, and the reasons that quote a chunk's first offending value, read as validating the
whole chunk gives.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retention_lib.core.schema import BOOL, DATE, ID, INTEGER, MONEY, NUMBER, TABLES, TIMESTAMP
from retention_lib.data.validation import (REJECT_COLUMNS, ROW, SUMMARY, TableReport, ValidationError, _Checker,
                                           _check_column, _is_topup, mapped_columns, validate_table)

ARROW = {TIMESTAMP: pa.timestamp("us"), DATE: pa.timestamp("us"), MONEY: pa.float64(), NUMBER: pa.float64(),
         INTEGER: pa.int64(), BOOL: pa.bool_()}   # ids and text: strings
LINE = "_line"   # a transaction line's identity: the hash of every column of the client's row
MONTH = "_month"   # a kept row's month in the keys file, YYYYMM (0: none), by which a changed file resumes
# Column types whose pandas values depend on the value alone (an integer column with nulls reads as floats).
BY_VALUE = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_floating,
            pa.types.is_timestamp)
BUCKET_BITS = 6   # RepeatedLines: a file per value of a hash's top bits (a chain's: a few million hashes each)


def fields_of(name: str, columns: list[str]) -> list[pa.Field]:
    kinds = {c.name: c.kind for c in TABLES[name].columns}
    return [pa.field(c, ARROW.get(kinds.get(c), pa.string())) for c in columns]


def columns_of(raw) -> list:
    """A chunk's columns as pandas reads them (a Parquet file's pandas metadata may make one the index)."""
    return list(raw.slice(0, 0).to_pandas().columns if isinstance(raw, pa.Table) else raw.columns)


def _judged(values: pa.ChunkedArray, field: pa.Field, meta, col, source, now, null_ids, markers):
    """One column of a chunk judged on its distinct values, read by pandas as it reads the chunk (by the
    file's own metadata): (which rows pass, the rows' clean values, the kept dtype as an empty series,
    null-like tokens by row or None, top-up flags by row or None), or None when the values cannot be
    judged apart (mixed UTC offsets fail or pass as a whole)."""
    codes = pc.dictionary_encode(values.combine_chunks())
    k = len(codes.dictionary)
    m = k + (values.null_count > 0)                                   # a null is the last value
    distinct = pa.concat_arrays([codes.dictionary, pa.nulls(m - k, codes.dictionary.type)])
    frame = pa.Table.from_arrays([distinct], schema=pa.schema([field], metadata=meta)).to_pandas()
    check = _Checker(frame.set_axis([col.name], axis=1), source, 0, TableReport(source.table, source.origin, m),
                     tuple(null_ids))
    try:
        _check_column(check, col, source, now)
    except ValidationError:
        return None
    index = pc.fill_null(codes.indices, k).to_numpy()
    good = np.zeros(m, dtype=bool)
    good[check.frame.index.to_numpy()] = True
    kept = check.frame[col.name]
    clean = pa.Table.from_pandas(kept.reindex(pd.RangeIndex(m)).to_frame(), preserve_index=False)[0]
    clean = clean.combine_chunks().cast(ARROW.get(col.kind, pa.string()))
    same = values.type == clean.type or (pa.types.is_large_string(values.type) and pa.types.is_string(clean.type))
    if same and clean.filter(good).equals(distinct.cast(clean.type).filter(good)):
        rows = values.cast(clean.type)       # the clean values are the file's: no copy row by row
    else:
        rows = clean.take(index)
    tokens = check.null_like.reindex(pd.RangeIndex(m)).take(index) if len(check.null_like) else None
    topups = _is_topup(check.frame[[col.name]], markers).reindex(pd.RangeIndex(m), fill_value=False).to_numpy(
        bool)[index] if col.name in ("line_type", "payment_method") else None
    return good[index], rows, kept.iloc[:0], tokens, topups


def by_values(raw: pa.Table, source, first_row: int, lines: np.ndarray, *, now, null_ids, topup_markers):
    """The one-row rules of a transactions chunk, judged on each column's distinct values (_judged) and
    taken for every row: _whole's result, or None when the chunk must be validated whole (a value's fate
    depends on its neighbours: float ids become whole numbers only if all of them are; a time column
    whose values mix UTC offsets fails as a whole; an integer column with nulls reads as floats)."""
    n, table = raw.num_rows, TABLES[source.table]
    if not n or columns_of(raw) != raw.column_names:
        return None
    present = mapped_columns(raw.column_names, source)
    fields = {c: raw.schema.field(client) for c, client in present.items()}
    if any(not any(kind(f.type) for kind in BY_VALUE) or (pa.types.is_integer(f.type) and raw[f.name].null_count)
           or (pa.types.is_floating(f.type) and table.column(c).kind == ID) for c, f in fields.items()):
        return None
    ok, columns, heads, tokens, topup = np.ones(n, dtype=bool), {}, {}, None, None
    for col in (c for c in table.columns if c.name in present):
        judged = _judged(raw[present[col.name]], fields[col.name], raw.schema.metadata, col, source, now, null_ids,
                         topup_markers)
        if judged is None:
            return None
        passed, columns[col.name], heads[col.name], found, flags = judged
        ok &= passed
        tokens = found if found is not None else tokens
        topup = flags if topup is None else topup if flags is None else topup | flags
    rejects, report = pd.DataFrame(columns=REJECT_COLUMNS + [SUMMARY]), TableReport(source.table, source.origin, n)
    rest = np.flatnonzero(~ok)
    if len(rest):   # every such row breaks a rule: validated together, their rejects are the chunk's
        clean, rejects, report = validate_table(raw.take(rest).to_pandas(), source, 0, now=now, null_ids=null_ids,
                                                topup_markers=topup_markers)
        if len(clean):
            return None
        rejects["row"] = rest[rejects["row"].to_numpy("int64")] + first_row
        report.rows_read = n
    report.rows_kept = n - len(rest)
    report.ignored_columns = [c for c in raw.column_names if c not in present.values()]
    if tokens is not None:
        report.null_like_ids = {str(k): int(v) for k, v in tokens[ok].dropna().value_counts().items()}
    rows = pa.Table.from_arrays([*columns.values(), pa.array(lines), pa.array(np.arange(n) + first_row)],
                                names=[*columns, LINE, ROW])
    if len(rest):
        rows, topup = rows.filter(ok), None if topup is None else topup[ok]
    return rows, topup, rejects, report, pd.DataFrame(heads)


_HASHER: list = []   # a DuckDB of this process's own: the run's engine may be Spark


def line_hash(raw: pa.Table | pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row of every column of the client's file, mapped or not, as int64: two lines
    are one line repeated only when all their columns are (a 行号 or a payment method tells two
    identical items of one basket, or two payments of one sale, apart)."""
    if isinstance(raw, pa.Table) and columns_of(raw) != raw.column_names:
        raw = raw.to_pandas()     # its index is no column of the client's row
    table = raw if isinstance(raw, pa.Table) else pa.Table.from_pandas(raw, preserve_index=False)
    if not _HASHER:
        _HASHER.append(duckdb.connect())
    columns = ", ".join('"' + str(c).replace('"', '""') + '"' for c in table.column_names)
    _HASHER[0].register("_chunk", table)
    try:
        found = _HASHER[0].sql(f"SELECT hash({columns}) AS h FROM _chunk").arrow().read_all()["h"]
    finally:
        _HASHER[0].unregister("_chunk")
    return found.to_numpy().view(np.int64)


class RepeatedLines:
    """The LINE hashes a file holds more than once, found without the engine's GROUP BY over every line
    (a hash table of a hundred million distinct keys is its slowest work): each chunk's hashes go to
    a file by their top bits, then each file is sorted on its own."""

    def __init__(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        self.files = [folder / f"{i:02d}.bin" for i in range(1 << BUCKET_BITS)]

    def add(self, lines: np.ndarray) -> None:
        bucket = (lines.view(np.uint64) >> np.uint64(64 - BUCKET_BITS)).astype(np.uint8)
        ends = np.cumsum(np.bincount(bucket, minlength=len(self.files)))[:-1]
        for file, part in zip(self.files, np.split(lines[np.argsort(bucket, kind="stable")], ends)):
            with open(file, "ab") as out:
                part.tofile(out)

    def repeated(self) -> np.ndarray:
        found = [np.empty(0, dtype=np.int64)]
        for file in (f for f in self.files if f.exists()):
            lines = np.sort(np.fromfile(file, dtype=np.int64))
            found.append(np.unique(lines[1:][lines[1:] == lines[:-1]]))
        return np.concatenate(found)
