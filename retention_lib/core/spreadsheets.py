"""CSV and XLSX files for people to open in Excel or WPS, safe from formula injection.

Client text (names, stores, categories, even column headers) that starts with = + - @ tab
or CR would run as a formula when the file is opened. Following the OWASP CSV-injection
guidance such text gets a leading single quote, and every text field in a CSV is quoted
so a stray separator cannot start a new cell. In XLSX every text cell is also written
explicitly as a string cell, never a formula. The same frame always gives the same bytes.

A workbook is laid out for reading: a bold, frozen header row with filters, columns as wide as their
content (a CJK character counts two), and numbers as numeric cells in the number format the caller
gives each column, so they still sort and filter as numbers. A column can offer a drop-down of the
values it allows (`choices`), for a sheet people fill in.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
import unicodedata
import zipfile
from typing import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_576
# Pinned so the same data gives the same file (zip entries cannot go before 1980).
FIXED_TIME = dt.datetime(1980, 1, 1)
# Column widths in characters of the default font: a column stays readable, and long text wraps off-screen.
MIN_WIDTH, MAX_WIDTH, PADDING = 6, 50, 2
# Excel keeps a drop-down's values as one quoted, comma-separated formula of at most 255 characters.
MAX_CHOICES_LENGTH = 255


def safe_text(value):
    """One value: text that a spreadsheet would read as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell, header and index label made safe; other values untouched."""
    out = frame.copy(deep=False)
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _is_text(column.dtype):
            out.isetitem(position, _safe_values(column))
    out = out.rename(columns=safe_text)
    if _is_text(out.index.dtype) or isinstance(out.index, pd.MultiIndex):
        out = out.rename(index=safe_text)
    out.index = out.index.set_names([safe_text(n) for n in out.index.names])
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, index: bool = False, excel: bool = True) -> Path:
    """CSV with safe text; `excel` adds the UTF-8 BOM that Excel needs to show Chinese."""
    path = Path(path)
    neutralise(frame).to_csv(path, index=index, encoding="utf-8-sig" if excel else "utf-8",
                             quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    return path


def write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str = "Sheet1",
               formats: Mapping[str, str] | None = None, choices: Mapping[str, Sequence[str]] | None = None) -> Path:
    """One-sheet workbook: a bold, frozen header row with filters, then the rows; text cells are always
    strings. `formats` gives columns (by name) an Excel number format ("#,##0.00"); days are yyyy-mm-dd.
    `choices` gives columns (by name) a drop-down of the values they take (an Excel list validation on
    the rows; another value is let in after a warning, so a person can still type one by hand)."""
    path = Path(path)
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise ValueError(f"{path.name}: {len(frame):,} rows do not fit in one Excel sheet "
                         f"(at most {EXCEL_MAX_ROWS - 1:,}); write it as CSV instead")
    unknown = [c for c in (choices or {}) if c not in frame.columns]
    if unknown:
        raise KeyError(f"{path.name}: drop-down choices for columns the frame does not have: {unknown}")
    safe = neutralise(frame)
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]  # Excel's limit for sheet names
    bold = Font(bold=True)
    for col, name in enumerate(safe.columns, start=1):
        _put(ws, 1, col, " / ".join(map(str, name)) if isinstance(name, tuple) else name).font = bold
    for col in range(1, safe.shape[1] + 1):
        column = safe.iloc[:, col - 1]
        number_format = (formats or {}).get(frame.columns[col - 1]) or ("yyyy-mm-dd" if _dates_only(column) else None)
        for row, value in enumerate(column.tolist(), start=2):
            cell = _put(ws, row, col, value)
            if number_format and not isinstance(cell.value, str):
                cell.number_format = number_format
        ws.column_dimensions[get_column_letter(col)].width = _width(ws.iter_rows(min_col=col, max_col=col))
    ws.freeze_panes = "A2"
    if safe.shape[1]:
        ws.auto_filter.ref = f"A1:{get_column_letter(safe.shape[1])}{len(safe) + 1}"
    for name, values in (choices or {}).items():
        letter = get_column_letter(list(frame.columns).index(name) + 1)
        ws.add_data_validation(_drop_down(values, f"{letter}2:{letter}{max(len(frame), 1) + 1}"))
    book.properties.created = book.properties.modified = FIXED_TIME
    book.properties.creator = "retention-report"
    path.write_bytes(_workbook_bytes(book))
    return path


def _drop_down(values: Sequence[str], cells: str) -> DataValidation:
    """A list validation offering `values` on `cells` ("H2:H40")."""
    values = [str(v) for v in values]
    if not values or any(not v or "," in v or '"' in v or v.startswith(DANGEROUS_STARTS) for v in values):
        raise ValueError("drop-down values must be non-empty texts without commas, quotes or a formula start: "
                         f"{values}")
    formula = '"' + ",".join(values) + '"'
    if len(formula) > MAX_CHOICES_LENGTH:
        raise ValueError(f"drop-down values too long for Excel ({len(formula)} of {MAX_CHOICES_LENGTH} characters)")
    check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                           errorStyle="warning")
    check.add(cells)
    return check


def _width(rows) -> int:
    """A column's width: its widest cell as shown, within MIN_WIDTH and MAX_WIDTH."""
    widest = max((_shown_width(cell) for (cell,) in rows), default=0)
    return min(MAX_WIDTH, max(MIN_WIDTH, widest + PADDING))


def _shown_width(cell) -> int:
    """About how many characters a cell shows: a CJK (wide) character counts two."""
    value = cell.value
    if value is None:
        return 0
    if isinstance(value, (dt.date, dt.time)):
        return 10
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if "0" not in cell.number_format:   # General: Excel shows about 11 characters at most
            return min(len(str(value)), 11)
        decimals = cell.number_format.partition(".")[2].count("0")
        return len(f"{value:,.{decimals}f}" if "," in cell.number_format else f"{value:.{decimals}f}")
    text = str(value)
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
               for line in text.splitlines() or [""])


def _is_text(dtype) -> bool:
    if isinstance(dtype, pd.CategoricalDtype):
        return _is_text(dtype.categories.dtype)
    return dtype == object or isinstance(dtype, pd.StringDtype)


def _safe_values(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.map(safe_text)  # maps the categories; stays categorical when 1:1
    safe = column.map(safe_text, na_action="ignore")
    return safe.astype(column.dtype) if isinstance(column.dtype, pd.StringDtype) else safe


def _dates_only(column: pd.Series) -> bool:
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        return False
    present = column.dropna()
    return bool((present == present.dt.normalize()).all())


def _put(ws, row: int, col: int, value):
    """Write one cell; text is forced to a string cell so it can never become a formula."""
    value = _excel_value(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control chars Excel cannot store
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _excel_value(value):
    """A value openpyxl writes natively (number, bool, date, text) or None for missing."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.datetime64, np.timedelta64)):
        value = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime(warn=False)
    elif isinstance(value, pd.Timedelta):
        value = value.to_pytimedelta()
    if isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: keep the wall-clock time
    if isinstance(value, (bool, dt.date, dt.time, dt.timedelta)):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value if math.isfinite(value) else str(value)  # XML has no inf: show it as text
    return safe_text(str(value))  # periods, lists, bytes…: their text, made safe too


def _workbook_bytes(book: Workbook) -> bytes:
    """The .xlsx bytes with the pinned properties and fixed zip entry times."""
    raw = io.BytesIO()
    # ExcelWriter directly: Workbook.save would stamp the modified time with now()
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    pinned = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(item.filename))
    return pinned.getvalue()
