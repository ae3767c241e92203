"""Read a client's file (CSV, Excel, Parquet) into a raw DataFrame, text kept as text."""
from __future__ import annotations

import codecs
import io
from pathlib import Path

import pandas as pd

# Tried in order when the encoding is "auto". GB18030 is a superset of GBK, so it
# reads both; UTF-8 is tried first because GB18030 accepts almost any byte string.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class ReadError(ValueError):
    """A file could not be read at all."""


def detect_encoding(raw: bytes, path: Path) -> str:
    for enc in AUTO_ENCODINGS:
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{path}: cannot decode as UTF-8, GBK or GB18030; "
                    "set 'encoding' for this table in the config")


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _decodes_as_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def read_raw(path: Path, *, encoding: str = "auto", sheet=None) -> tuple[pd.DataFrame, int]:
    """Return the table and the file row number of its first data row.

    CSV and Excel count the header as row 1, so data starts at row 2; Parquet rows are
    numbered from 1. Error messages use these numbers so a client can find the row.
    """
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path), 1
        except (OSError, ValueError) as exc:  # pyarrow's errors subclass these
            raise ReadError(f"{path}: not a readable Parquet file: {exc}") from exc
    if suffix in EXCEL_SUFFIXES:
        try:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
        except ValueError as exc:
            raise ReadError(f"{path}: {exc}") from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, 2
    if suffix in CSV_SUFFIXES:
        raw = path.read_bytes()
        enc = detect_encoding(raw, path) if encoding == "auto" else encoding
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(f"{path}: cannot decode with declared encoding {enc!r}: {exc}") from exc
        if encoding != "auto" and not _is_utf8(enc) and not raw.isascii() and _decodes_as_utf8(raw):
            # GBK and friends decode many UTF-8 files without error, into mojibake.
            raise ReadError(f"{path}: declared encoding {enc!r} but the file is UTF-8; "
                            "set 'encoding: auto' (or utf-8) for this table in the config")
        if text.startswith("\ufeff"):  # BOM under a declared plain utf-8
            text = text[1:]
        # Blank lines are kept as (empty) rows so file row numbers stay right, as in Excel;
        # blank lines at the very end are not rows.
        text = text.rstrip("\r\n") + "\n"
        sep = "\t" if suffix == ".tsv" else ","
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_values=[""], skipinitialspace=True, skip_blank_lines=False)
        except pd.errors.EmptyDataError as exc:
            raise ReadError(f"{path}: the file is empty (no header row)") from exc
        except pd.errors.ParserError as exc:
            raise ReadError(f"{path}: not a well-formed CSV: {exc}") from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, 2
    raise ReadError(f"{path}: unsupported file type {suffix!r} (use CSV, Excel or Parquet)")
