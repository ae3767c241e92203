"""Read a client's file (CSV, Excel, Parquet) into a raw DataFrame, text kept as text.

A CSV is streamed: its encoding is checked by decoding it in chunks, then pyarrow parses
it block by block from a UTF-8 stream transcoded on the way, so a chain's 10 GB GBK export
is never in memory as bytes or as one string. Its rows read as pandas' read_csv(dtype=str,
keep_default_na=False, na_values=[""], skipinitialspace=True, skip_blank_lines=False) did.

The delimiter and the title lines above the header are read from the file's first lines
(data/sniff.py) unless the table's config sets 'delimiter' or 'skip_rows'. Rows keep the
file's own numbers: with 2 title lines the header is row 3 and the data start at row 4.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from retention_lib.data.sniff import HEAD_LINES, delimiter_hint, header_line, layout, no_controls

# Tried in order when the encoding is "auto". GB18030 is a superset of GBK, so it
# reads both; UTF-8 is tried first because GB18030 accepts almost any byte string.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
UNDECODABLE = "cannot decode as UTF-8, GBK or GB18030; set 'encoding' for this table in the config"
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SCAN_BYTES = 1 << 22   # chunk of the encoding checks
BLOCK_BYTES = 1 << 20  # pyarrow's parse block (its default; larger is slower): a row must fit
TEXT = pa.large_string()  # what pandas' str dtype holds: no copy in to_pandas


class ReadError(ValueError):
    """A file could not be read at all."""


def detect_encoding(raw: bytes, path: Path) -> str:
    """The auto encoding of bytes in memory; read_raw uses detect_file_encoding."""
    for enc in AUTO_ENCODINGS:
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{path}: {UNDECODABLE}")


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _scan(path: Path, encodings) -> tuple[list, bool]:
    """Decode the file in chunks with each encoding side by side: the first error of each
    (None if the whole file decodes), placed by file offset, and whether it is all ASCII."""
    decoders = [codecs.getincrementaldecoder(enc)() for enc in encodings]
    errors, ascii_only, offset = [None] * len(decoders), True, 0
    with open(path, "rb") as fh:
        while None in errors:
            chunk = fh.read(SCAN_BYTES)
            ascii_only = ascii_only and chunk.isascii()
            for i, decoder in enumerate(decoders):
                try:
                    if errors[i] is None:
                        decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:  # exc.object starts with bytes held back
                    at = offset + len(chunk) - len(exc.object) + exc.start
                    errors[i] = f"'{exc.encoding}' codec can't decode byte {at}: {exc.reason}"
            if not chunk:
                break
            offset += len(chunk)
    return errors, ascii_only


def detect_file_encoding(path: Path) -> str:
    """detect_encoding for a file, decoding it in chunks (a UTF-8 file is read to its end)."""
    for enc in AUTO_ENCODINGS:
        if _scan(path, [enc])[0][0] is None:
            return enc
    raise ReadError(f"{path}: {UNDECODABLE}")


def _check_declared(path: Path, enc: str) -> None:
    try:
        utf8 = _is_utf8(enc)
        (error, *as_utf8), ascii_only = _scan(path, [enc] if utf8 else [enc, "utf-8"])
    except LookupError as exc:
        error = exc
    if error is not None:
        raise ReadError(f"{path}: cannot decode with declared encoding {enc!r}: {error}")
    if not utf8 and not ascii_only and as_utf8[0] is None:
        # GBK and friends decode many UTF-8 files without error, into mojibake.
        raise ReadError(f"{path}: declared encoding {enc!r} but the file is UTF-8; "
                        "set 'encoding: auto' (or utf-8) for this table in the config")


class _Utf8Stream(io.RawIOBase):
    """The CSV as UTF-8 for pyarrow, without its trailing line breaks (blank lines at the very
    end are not rows), then `tail`. No read ends in "\\r": arrow drops the "\\n" of a "\\r\\n"
    split between two reads, even inside a quoted field (apache/arrow#51368); that is why
    this transcodes, and not pyarrow's ReadOptions(encoding=...), which cuts reads anywhere."""

    def __init__(self, path: Path, encoding: str, tail: bytes, skip: int = 0):
        self._fh, self._out, self._held = open(path, "rb"), b"", b""
        self._tail, self._text = tail, False  # the tail goes after text only: empty stays empty
        self._skip = skip  # lines above the header (title lines), dropped
        self._decoder = None if _is_utf8(encoding) else codecs.getincrementaldecoder(encoding)()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = size if size >= 0 else 1 << 62
        while len(self._out) < size and not self._fh.closed:
            raw = self._fh.read(BLOCK_BYTES)
            text = raw if self._decoder is None else self._decoder.decode(raw, not raw).encode()
            while self._skip and text:
                cut = text.find(b"\n") + 1
                text, self._skip = (text[cut:], self._skip - 1) if cut else (b"", self._skip)
            body = text.rstrip(b"\r\n")  # line breaks wait for more text, or are dropped
            if body:
                self._out, self._held = self._out + self._held + body, text[len(body):]
                self._text = True
            else:
                self._held += text
            if not raw:
                self._fh.close()
                self._out += self._tail if self._text else b""
        piece = self._out[:size]
        if piece.endswith(b"\r") and len(piece) > 1:  # more follows: _out never ends in "\r"
            piece = piece[:-1]
        self._out = self._out[len(piece):]
        return piece

    def close(self) -> None:
        self._fh.close()
        super().close()


_SPACED_QUOTE = re.compile(r' *"((?:[^"]|"")*)"(.*)', re.S)


def _unquote(value: str) -> str:
    """pandas' skipinitialspace on one field: `  "a ""b"" c"d` reads as `a "b" cd`."""
    quoted = _SPACED_QUOTE.fullmatch(value)
    return quoted[1].replace('""', '"') + quoted[2] if quoted else value.lstrip(" ")


def _header(names: list[str], quoted: bool = True) -> list[str]:
    """pandas' header names: blanks are 'Unnamed: i', repeats get '.1', '.2'; then stripped,
    without control characters (a line break in a header name reaches no chart or mail)."""
    names = [no_controls(_unquote(n) if quoted else n) or f"Unnamed: {i}" for i, n in enumerate(names)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        count = seen.get(name, 0)
        while count:
            seen[name] = count + 1
            name = f"{name}.{count}"
            count = seen.get(name, 0)
        names[i], seen[name] = name, count + 1
    return [n.strip() for n in names]


def _clean(table: pa.Table) -> pa.Table:
    """skipinitialspace, which pyarrow lacks: leading spaces go (and a quote after them opens
    a quoted field), and a field of spaces is then empty, so NA."""
    columns = []
    for column in table.columns:
        if pc.any(pc.starts_with(column, " ")).as_py():  # else no copy, the usual case
            column = column.combine_chunks()
            quoted = pc.fill_null(pc.match_substring_regex(column, r'^ +"'), False)
            fixed = pc.utf8_ltrim(column, " ")
            if pc.any(quoted).as_py():  # rare: done in Python
                values = [_unquote(v) for v in pc.filter(column, quoted).to_pylist()]
                fixed = pc.replace_with_mask(fixed, quoted, pa.array(values, TEXT))
            column = pc.if_else(pc.equal(fixed, ""), pa.scalar(None, TEXT), fixed)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _put_back(table: pa.Table, extras: list, row: int, last: bool = False) -> pa.Table:
    """Insert the rows pyarrow skipped, extras [(file row, values)], where they were; `row`
    is the file row of the table's first row. Extras after its last row wait, unless last."""
    k = 0
    while k < len(extras) and (last or extras[k][0] - row < table.num_rows + k):
        k += 1
    if not k:
        return table
    taken, extras[:k] = extras[:k], []
    columns = zip(*(values for _, values in taken))
    extra = pa.Table.from_arrays([pa.array(c, TEXT) for c in columns], schema=table.schema)
    at = np.zeros(table.num_rows + k, dtype=bool)
    at[[n - row for n, _ in taken]] = True
    order = np.empty(len(at), dtype=np.int64)
    order[~at], order[at] = np.arange(table.num_rows), table.num_rows + np.arange(k)
    return pa.concat_tables([table, extra]).take(order)


def _after(skip: int) -> str:
    return f" after the {skip} lines skipped; check 'skip_rows' for this table in the config" if skip else ""


def _csv_tables(path: Path, enc: str, sep: str, skip: int) -> Iterator[pa.Table]:
    """The data rows of a CSV as all-text Arrow tables, in file order, an empty one first;
    `skip` lines above the header are not read."""
    read = pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False)  # serial: rows numbered
    extras, bad, ends = [], [], []

    def invalid(row) -> str:
        if row.text == end_mark:
            ends.append(row)
            return "skip"
        # pandas pads a short row with NA and reads ` "a,b"` as one field; pyarrow refuses both.
        try:
            values, *more = list(csv.reader(io.StringIO(row.text, newline=""), delimiter=sep,
                                            skipinitialspace=True)) or [[]]
        except csv.Error:
            values, more = [], [None]
        if more or len(values) > row.expected_columns:
            bad.append(f"Expected {row.expected_columns} fields in line {row.number + skip}, "
                       f"saw {row.actual_columns if more else len(values)}"
                       + delimiter_hint(path, enc, sep, skip, row.expected_columns))
            return "error"
        padding = [None] * (row.expected_columns - len(values))
        extras.append((row.number + skip, [v or None for v in values] + padding))
        return "skip"

    def parse(handler):
        return pcsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False,
                                 invalid_row_handler=handler)
    try:
        with _Utf8Stream(path, enc, b"\n", skip) as head:  # a first look for the header: no types
            names = pcsv.open_csv(head, read_options=read,
                                  parse_options=parse(lambda row: "skip")).schema.names
        if names == [""]:  # as pandas: a blank first line is no header
            raise ReadError(f"{path}: the file is empty (no header row{_after(skip)})")
        # A last row of the wrong width marks the end: pyarrow ends a quoted field at the end
        # of the file silently, so a missing mark means an unclosed quote (pandas refuses it).
        end_mark = "\0end\0" if len(names) > 1 else f"\0end\0{sep}"
        convert = pcsv.ConvertOptions(column_types={n: TEXT for n in names},
                                      strings_can_be_null=True, null_values=[""])
        names, row = _header(names), skip + 2
        with _Utf8Stream(path, enc, f"\n{end_mark}".encode(), skip) as stream:
            reader = pcsv.open_csv(stream, read_options=read, parse_options=parse(invalid),
                                   convert_options=convert)
            empty = reader.schema.empty_table().rename_columns(names)
            yield empty
            for batch in reader:
                table = _put_back(pa.Table.from_batches([batch]).rename_columns(names), extras, row)
                row += table.num_rows
                yield _clean(table)
            table = _put_back(empty, extras, row, last=True)  # skipped rows after the last batch
            row += table.num_rows
            yield _clean(table)
        if not ends:
            raise ReadError(f"{path}: not a well-formed CSV: a quoted field opened in line "
                            f"{row - 1} or before is not closed at the end of the file")
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise ReadError(f"{path}: the file is empty (no header row{_after(skip)})") from exc
        raise ReadError(f"{path}: not a well-formed CSV: {bad[0] if bad else exc}") from exc


def _rechunk(tables: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    """Tables of `rows` rows (the last one shorter) from a non-empty run of tables."""
    if rows < 1:
        raise ValueError("rows_per_chunk must be at least 1")
    held, count, yielded = [], 0, False
    for table in tables:
        held.append(table)
        count += table.num_rows
        while count >= rows:
            whole = pa.concat_tables(held)
            yield whole.slice(0, rows)
            held, count, yielded = [whole.slice(rows)], count - rows, True
    if count or not yielded:
        yield pa.concat_tables(held)


def _frame(table: pa.Table, start: int = 0) -> pd.DataFrame:
    frame = table.to_pandas()
    if isinstance(frame.index, pd.RangeIndex):  # a chunk's index goes on from the last one
        frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def _source(path: Path, encoding: str) -> tuple[Path, str, str]:
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES:
        raise ReadError(f"{path}: unsupported file type {suffix!r} (use CSV, Excel or Parquet)")
    if suffix in CSV_SUFFIXES and encoding == "auto":
        encoding = detect_file_encoding(path)
    elif suffix in CSV_SUFFIXES:
        _check_declared(path, encoding)
    return path, suffix, encoding


def _read_excel(path: Path, sheet, skip_rows="auto", columns=()) -> tuple[pd.DataFrame, int]:
    """The sheet's rows below its header, and the sheet row of the first: rows above the header
    (a report's title, an export time) are skipped as in a CSV."""
    try:
        grid = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, header=None)
    except ValueError as exc:
        raise ReadError(f"{path}: {exc}") from exc
    if skip_rows == "auto":  # row i of the grid is sheet row i + 1
        head = grid.head(HEAD_LINES)
        lines = {i: ",".join('"' + str(v).replace('"', '""') + '"' for v in row if not pd.isna(v))
                 for i, row in enumerate(head.itertuples(index=False))}
        skip_rows = header_line(lines, (",",), columns, others=())[0]
    skip = int(skip_rows)
    header = [] if skip >= len(grid) else ["" if pd.isna(v) else str(v) for v in grid.iloc[skip]]
    frame = grid.iloc[skip + 1:].reset_index(drop=True)
    frame.columns = _header(header + [""] * (grid.shape[1] - len(header)), quoted=False)
    return frame, skip + 2


def reader_options(source) -> dict:
    """read_raw's and iter_raw's keyword arguments for a configured table (a TableSource):
    its encoding, sheet, delimiter and skip_rows, and the client's names of its required columns,
    by which 'skip_rows: auto' finds the header."""
    from retention_lib.core.schema import TABLES
    table = TABLES.get(source.table)
    required = tuple(source.client_column(c.name) for c in table.columns if c.required) if table else ()
    return {"encoding": source.encoding, "sheet": source.sheet, "delimiter": source.delimiter,
            "skip_rows": source.skip_rows, "columns": required}


def read_raw(path: Path, *, encoding: str = "auto", sheet=None, delimiter: str = "auto",
             skip_rows: int | str = "auto", columns=()) -> tuple[pd.DataFrame, int]:
    """Return the table and the file row number of its first data row.

    CSV and Excel count the header as row 1, so data starts at row 2 (with `skip_rows` title
    rows above the header, at row skip_rows + 2); Parquet rows are numbered from 1. Error
    messages use these numbers so a client can find the row. `delimiter` and `skip_rows` may
    be "auto": read from the file's first lines (the header is the first line holding every
    name in `columns`, else the first with two values or more).
    """
    path, suffix, encoding = _source(path, encoding)
    if suffix in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path), 1
        except (OSError, ValueError) as exc:  # pyarrow's errors subclass these
            raise ReadError(f"{path}: not a readable Parquet file: {exc}") from exc
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet, skip_rows, columns)
    sep, skip = layout(path, encoding, suffix, delimiter, skip_rows, columns)
    return _frame(pa.concat_tables(_csv_tables(path, encoding, sep, skip))), skip + 2


def iter_raw(path: Path, *, encoding: str = "auto", sheet=None, delimiter: str = "auto",
             skip_rows: int | str = "auto", columns=(),
             rows_per_chunk: int = 1_000_000) -> Iterator[tuple[pd.DataFrame, int]]:
    """read_raw in chunks, (frame of up to rows_per_chunk rows, file row of its first row),
    that concatenate to read_raw's frame; Excel is one chunk. A malformed CSV row raises
    when its chunk is reached."""
    done = 0
    for table, first in iter_tables(path, encoding=encoding, sheet=sheet, delimiter=delimiter, skip_rows=skip_rows,
                                    columns=columns, rows_per_chunk=rows_per_chunk):
        yield (_frame(table, done) if isinstance(table, pa.Table) else table), first
        done += len(table)


def iter_tables(path: Path, *, encoding: str = "auto", sheet=None, delimiter: str = "auto",
                skip_rows: int | str = "auto", columns=(),
                rows_per_chunk: int = 1_000_000) -> Iterator[tuple[pa.Table | pd.DataFrame, int]]:
    """iter_raw's chunks as Arrow tables, as read (no copy into pandas); an Excel sheet is its one
    frame, as pandas reads it."""
    path, suffix, encoding = _source(path, encoding)
    if suffix in EXCEL_SUFFIXES:
        yield _read_excel(path, sheet, skip_rows, columns)
        return
    if suffix in PARQUET_SUFFIXES:
        try:
            parquet = pq.ParquetFile(path)
        except (OSError, ValueError) as exc:
            raise ReadError(f"{path}: not a readable Parquet file: {exc}") from exc
        schema = parquet.schema_arrow  # pandas' metadata (dtypes, index) on every chunk
        batches = parquet.iter_batches(batch_size=rows_per_chunk)
        tables = itertools.chain([schema.empty_table()],
                                 (pa.Table.from_batches([b], schema) for b in batches))
        first = 1
    else:
        sep, skip = layout(path, encoding, suffix, delimiter, skip_rows, columns)
        tables, first = _csv_tables(path, encoding, sep, skip), skip + 2
    done = 0
    for table in _rechunk(tables, rows_per_chunk):
        yield table, first + done
        done += table.num_rows
