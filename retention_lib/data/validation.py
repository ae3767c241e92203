"""Validate a raw client table against the canonical schema.

Each rule either sets rows aside (they go to rejects.csv with the rule and reason) or,
when a rule would set aside more than the configured share of a table, stops the run
with an error that names the file, column, rule and first offending rows. A row is
rejected by the first rule it breaks, so every reject has exactly one reason.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retention_lib.core.config import SETTINGS, TableSource
from retention_lib.core.schema import BOOL, DATE, ID, INTEGER, MONEY, NUMBER, TABLES, TEXT, TIMESTAMP, Column, Table
from retention_lib.data.readers import EXCEL_SUFFIXES

REJECT_COLUMNS = ["table", "file", "row", "column", "rule", "reason", "value"]
ROW = "_row"   # a chunk's kept rows: their row number in the client's file
SUMMARY = "_summary"   # a chunk's rejects: the rule's reason for all its rows (the error quotes it)
TOPUP = "_topup"       # a transaction row that is a stored-value top-up, not a sale
# Unambiguous year-first layouts tried after the configured format (if any) and ISO 8601.
FALLBACK_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
TRUE_WORDS = {"true", "t", "yes", "y", "1", "是", "1.0"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否", "0.0"}
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")  # with decimal: ","
SHOW_ROWS = 5


class ValidationError(ValueError):
    """Input that cannot be used: names file, column, rule and the first offending rows."""

    def __init__(self, file, column, rule, detail, rows=(), client_column=None):
        self.file, self.column, self.rule, self.rows = str(file), column, rule, list(rows)
        where = f"column '{column}'" if column else "table"
        if column and client_column and client_column != column:
            where += f" (client column '{client_column}')"
        rows_text = f"; first offending rows: {', '.join(map(str, self.rows[:SHOW_ROWS]))}" if self.rows else ""
        super().__init__(f"{self.file}: {where}: rule '{rule}': {detail}{rows_text}")


@dataclass
class TableReport:
    table: str
    file: str
    rows_read: int
    rows_kept: int = 0
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    # Kept rows whose customer_id was a null-like token (settings.null_customer_ids) and is now
    # null, by the token as written in the file: {"NULL": 2149}. Blank ids are not counted.
    null_like_ids: dict[str, int] = field(default_factory=dict)
    # Transactions: rows that are stored-value top-ups (settings.topup_markers), kept apart from the sales:
    # rows_read = rows_kept + the rejected + topup_rows.
    topup_rows: int = 0

    def to_dict(self) -> dict:
        return self.__dict__.copy()


# POS exports' habits, read without configuration. Control characters (a line break in a store's
# name) would reach charts, file names and mail headers: ids and text lose them.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
CURRENCY_BEFORE = re.compile(r"^([-+]?)\s*(?:RMB|CNY|[¥￥$€£])\s*", re.I)  # "-¥12.50", "RMB 12.00"
CURRENCY_AFTER = re.compile(r"\s*(?:元|RMB|CNY|[¥￥$€£])$", re.I)           # "1,234.50元", "12 CNY"
CHINESE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")  # 2025年1月5日 9:15
EXCEL_EPOCH = np.datetime64("1899-12-30", "us")  # Excel's day 0 (1900 date system, from 1900-03-01 on)
EXCEL_DAYS = (1, 2958465)                        # Excel's serial days: 1900-01-01 to 9999-12-31
SERIAL = r"\d+(?:\.\d+)?"
TIME_EXAMPLE = ("set 'timestamp_format' for this table in the config to the file's layout "
                "(e.g. timestamp_format: '%d/%m/%Y %H:%M' for 05/01/2025 09:15)")


def _may_hold_controls(text: pd.Series) -> bool:
    """False when no value holds a control character, from the bytes of its Arrow strings at once
    (a few ms a million values); True when some may, or when the strings are not Arrow's."""
    to_arrow = getattr(text.array, "__arrow_array__", None)
    if to_arrow is None:
        return True
    for chunk in to_arrow().chunks:
        if str(chunk.type) not in ("string", "large_string"):
            return True
        if not len(chunk):
            continue
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(offsets, np.int64 if str(chunk.type) == "large_string" else np.int32)
        raw = np.frombuffer(data, np.uint8)[ends[chunk.offset]:ends[chunk.offset + len(chunk)]] if data else []
        if not len(raw):
            continue
        if raw.min() < 0x20 or (raw == 0x7F).any():
            return True
        c1 = np.flatnonzero(raw[:-1] == 0xC2)  # U+0080-U+009F: C2 80-9F
        if c1.size and (raw[c1 + 1] < 0xA0).any():
            return True
        ls = np.flatnonzero(raw[:-2] == 0xE2)  # U+2028, U+2029: E2 80 A8, E2 80 A9
        if ls.size and ((raw[ls + 1] == 0x80) & ((raw[ls + 2] == 0xA8) | (raw[ls + 2] == 0xA9))).any():
            return True
    return False


def _no_controls(text: pd.Series) -> pd.Series:
    """Trimmed text with each run of control characters (CR, LF, tab, NUL, DEL, C1, U+2028/9) as one
    space, and spaces collapsed, in the values that hold one; the rest are left as they are."""
    if not _may_hold_controls(text):
        return text
    hit = text.str.contains(CONTROLS, regex=True).fillna(False).astype(bool)
    if not hit.any():
        return text
    fixed = text[hit].str.replace(CONTROLS, " ", regex=True).str.replace(r" {2,}", " ", regex=True).str.strip()
    return text.where(~hit, fixed)


def _nfkc(text: pd.Series) -> pd.Series:
    """Full-width digits, signs and separators as ASCII (８１．４６, －１２, ，, ￥, ：): NFKC on the
    non-ASCII values only, each distinct value once."""
    wide = ~text.str.isascii().fillna(True).astype(bool)
    if not wide.any():
        return text
    fixed = {v: unicodedata.normalize("NFKC", v).replace("\u2212", "-") for v in text[wide].unique().tolist()}
    return text.where(~wide, text[wide].map(fixed).astype("string"))


def _is_blank(series: pd.Series) -> pd.Series:
    blank = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        # A value of control characters only ("\x00", a lone line break) is blank too.
        blank |= _no_controls(series.astype("string").str.strip()).fillna("").eq("")
    return blank


def _to_id(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        # Integer ids read as floats (because of nulls) must not become "123.0".
        whole = series.dropna()
        if (whole == np.floor(whole)).all():
            series = series.astype("Int64")
    out = _nfkc(_no_controls(series.astype("string").str.strip()))   # ８０１２３ is member 80123
    return out.mask(out.eq(""))


def _null_like(series: pd.Series, tokens: Iterable[str]) -> pd.Series:
    """True where the value is one of `tokens` after trimming, ignoring case and width (０ is 0)."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series)):
        return pd.Series(False, index=series.index)  # numeric ids cannot spell "NULL"
    text = _nfkc(series.astype("string").str.strip())
    wanted = {t.strip().lower() for t in tokens} - {""}  # blanks are null anyway
    # Lower-case the distinct values only: millions of lines carry a few thousand ids.
    hits = [v for v in text.dropna().unique().tolist() if v.lower() in wanted]
    return text.isin(hits).fillna(False).astype(bool)


def _excel_serial(number: pd.Series) -> pd.Series:
    """Excel's serial day numbers (45658.385972: 2025-01-01 09:15:48) as times, to the second."""
    ok = number.between(*EXCEL_DAYS).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=number.index, dtype="datetime64[us]")
    if ok.any():
        micros = (number[ok].to_numpy(dtype="float64") * 86400).round().astype("int64") * 1_000_000
        out[ok] = EXCEL_EPOCH + micros.astype("timedelta64[us]")
    return out


def _by_formats(text: pd.Series, formats: list[str]) -> pd.Series:
    """Each value as the first of `formats` that reads it reads it."""
    parsed = pd.to_datetime(text, format=formats[0], errors="coerce")
    for alt in formats[1:]:
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        more = pd.to_datetime(text[todo], format=alt, errors="coerce")
        if more.isna().all():  # nothing read: a naive NaT must not meet times with an offset
            continue
        parsed = more.reindex(text.index) if parsed.isna().all() else parsed.where(~todo, more)
    if parsed.dtype == object:  # "+08:00" on some values, none on others
        raise ValueError("some values have a UTC offset and others none")
    return parsed


def _parse_time(series: pd.Series, fmt: str | None, excel: bool = False) -> pd.Series:
    """`excel`: the values come from an Excel file, where a number is a serial date."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    elif excel and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        parsed = _excel_serial(series.astype("float64"))
    else:
        text = series.astype("string").str.strip()
        # A configured format first, then ISO 8601 and the year-first layouts: a day-first
        # file may still hold ISO values (an export's sentinel, a later system), and those
        # must reach the future/range rules rather than become unparseable.
        formats = ([fmt] if fmt else []) + ["ISO8601", *FALLBACK_FORMATS]
        parsed = _by_formats(text, formats)
        todo = parsed.isna() & text.notna()
        if todo.any() and getattr(parsed.dt, "tz", None) is None:
            # The values left, in rarer forms: full-width digits (２０２５－０１－０５), Chinese
            # dates (2025年1月5日 9:15) and, in an Excel file, serial numbers (45658.385972).
            left = text[todo]
            rest = _nfkc(left).str.replace(CHINESE_DATE, r"\1/\2/\3 ", regex=True)
            rest = rest.str.replace(r"\s+", " ", regex=True).str.strip()
            again = pd.Series(pd.NaT, index=left.index, dtype="datetime64[us]")
            changed = rest.ne(left).fillna(False).astype(bool)
            if changed.any():
                again[changed] = _by_formats(rest[changed], formats).astype("datetime64[us]")
            if excel:
                number = pd.to_numeric(rest.where(rest.str.fullmatch(SERIAL).fillna(False).astype(bool)),
                                       errors="coerce").astype("float64")
                again = again.fillna(_excel_serial(number))
            parsed = parsed.where(~todo, again)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    # Not yet nanoseconds: a "9999-12-31" sentinel must reach the rules, not overflow here.
    return parsed


def _parse_number(series: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        out = series.astype("float64")
    else:
        text = series.astype("string").str.strip()
        out = pd.Series(np.nan, index=text.index)
        if decimal == ".":  # plain numbers, nearly all of them, at once
            out = pd.to_numeric(text, errors="coerce").astype("float64")
        todo = out.isna() & text.notna()
        if todo.any():
            out[todo] = _read_number(text[todo], decimal)
    return out.where(np.isfinite(out))


def _read_number(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers as POS exports write them: full-width (８１．４６, －１２), with currency signs or
    words ("-¥12.50", "¥-12.50", "RMB 12.00", "1,234.50元") and thousands separators."""
    text = _nfkc(text).str.replace(CURRENCY_BEFORE, r"\1", regex=True)
    text = text.str.replace(CURRENCY_AFTER, "", regex=True).str.strip()
    if decimal == ",":
        # "1.234,50" -> 1234.50. Any other dot ("12.50") is ambiguous under a decimal
        # comma: the value is left unread (not_numeric) rather than read as 1250.
        grouped = text.str.match(THOUSANDS_DOT).fillna(False).astype(bool)
        text = text.where(~grouped, text.str.replace(".", "", regex=False))
        text = text.mask(text.str.contains(".", regex=False).fillna(False).astype(bool))
        text = text.str.replace(",", ".", regex=False)
    else:
        grouped = text.str.match(THOUSANDS).fillna(False).astype(bool)
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _parse_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean")
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
    out[text.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
    return out


def _is_topup(frame: pd.DataFrame, markers: Iterable[str]) -> pd.Series:
    """True where line_type or payment_method is a top-up marker (trimmed, ignoring case)."""
    wanted = {m.strip().casefold() for m in markers} - {""}
    out = pd.Series(False, index=frame.index)
    for column in ("line_type", "payment_method"):
        if column in frame and wanted:
            values = frame[column].astype("string")
            hits = [v for v in values.dropna().unique().tolist() if v.strip().casefold() in wanted]
            out |= values.isin(hits).fillna(False).astype(bool)
    return out


class _Checker:
    """Applies rules in order, moving failing rows from `frame` into `rejects`."""

    def __init__(self, frame, source: TableSource, first_row: int, report: TableReport,
                 null_ids: tuple[str, ...] = ()):
        self.frame = frame
        self.source = source
        self.null_ids = null_ids
        self.null_like = pd.Series(pd.NA, index=frame.index[:0], dtype="string")  # token by row
        self.rows = pd.Series(np.arange(len(frame)) + first_row, index=frame.index)
        self.raw = frame.copy()
        self.report = report
        self.rejects: list[pd.DataFrame] = []

    def reject(self, mask: pd.Series, column: str | None, rule: str, reason: str,
               reasons: pd.Series | None = None):
        """Set `mask` rows aside; `reasons` (by row) overrides `reason` in the rejects file."""
        mask = mask.reindex(self.frame.index, fill_value=False).fillna(False).astype(bool)
        n = int(mask.sum())
        if not n:
            return
        hit = mask.index[mask.to_numpy()]
        rows = self.rows[hit].tolist()
        value = (self.raw.loc[hit, column].astype("string") if column in self.raw
                 else pd.Series(pd.NA, index=hit, dtype="string"))
        self.rejects.append(pd.DataFrame({
            "table": self.source.table, "file": self.source.origin, "row": rows,
            "column": column or "", "rule": rule,
            "reason": reason if reasons is None else reasons.loc[hit].to_numpy(), "value": value.to_numpy(),
            SUMMARY: reason,
        }))
        self.report.rejected_by_rule[rule] = self.report.rejected_by_rule.get(rule, 0) + n
        self.frame = self.frame.loc[~mask]


def mapped_columns(columns: list, source: TableSource) -> dict[str, str]:
    """{canonical column: the client's column} of a file with `columns`. A required column it lacks,
    or an optional one the config maps (a typo must not silently lose, say, every discount), stops
    the load."""
    present = {}
    for col in TABLES[source.table].columns:
        client = source.client_column(col.name)
        if client in columns:
            present[col.name] = client
        elif col.required or col.name in source.columns:
            what = "required column" if col.required else "column mapped in the config,"
            raise ValidationError(source.origin, col.name, "missing_column",
                                  f"{what} '{client}' not found; the file has {list(map(str, columns))}")
    return present


def validate_table(raw: pd.DataFrame, source: TableSource, first_row: int, *,
                   now: pd.Timestamp,
                   null_ids: Iterable[str] = SETTINGS["null_customer_ids"].default,
                   topup_markers: Iterable[str] = SETTINGS["topup_markers"].default,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, TableReport]:
    """Return (clean canonical rows of one chunk of a file, rejects, report).

    A customer_id equal to one of `null_ids` (trimmed, any case) means no customer: null where
    the column is nullable (a non-member basket), a missing_value reject where it is required.
    Only the rules on one row apply here, and no share is enforced: the rules that compare rows
    (duplicates, basket conflicts) and the shares run over the whole file in the engine
    (retention_lib.data.validated). The kept rows carry their file row number in ROW; transaction
    lines also carry TOPUP, whether the row is a stored-value top-up (its line_type or
    payment_method is one of `topup_markers`).
    """
    table: Table = TABLES[source.table]
    report = TableReport(source.table, source.origin, len(raw))
    present = mapped_columns(list(raw.columns), source)
    report.ignored_columns = [str(c) for c in raw.columns if c not in present.values()]
    if raw.empty and source.table == "transactions":
        raise ValidationError(source.origin, None, "empty_table", "the file has no rows")

    frame = raw[list(present.values())].copy()
    frame.columns = list(present)
    frame.index = pd.RangeIndex(len(frame))
    check = _Checker(frame, source, first_row, report, tuple(null_ids))

    for col in (c for c in table.columns if c.name in present):
        _check_column(check, col, source, now)

    frame = check.frame
    if source.table == "complaints" and "closed_at" in frame:
        check.reject(frame["closed_at"] < frame["opened_at"], "closed_at", "closed_before_opened",
                     "closed before it was opened")
    check.frame[ROW] = check.rows[check.frame.index].astype("int64")
    if source.table == "transactions":
        check.frame[TOPUP] = _is_topup(check.frame, topup_markers)

    kept_tokens = check.null_like[check.null_like.index.isin(check.frame.index)]
    report.null_like_ids = {str(k): int(v) for k, v in kept_tokens.value_counts().items()}
    clean = check.frame.reset_index(drop=True)
    report.rows_kept = len(clean)
    rejects = (pd.concat(check.rejects, ignore_index=True) if check.rejects
               else pd.DataFrame(columns=REJECT_COLUMNS + [SUMMARY]))
    return clean, rejects, report


def _check_column(check: _Checker, col: Column, source: TableSource, now):
    name = col.name
    series = check.frame[name]
    blank = _is_blank(series)
    null_like = (_null_like(series, check.null_ids) if name == "customer_id"
                 else pd.Series(False, index=series.index))
    if not col.nullable:
        if null_like.any():
            tokens = series.astype("string").str.strip()
            reasons = pd.Series(f"{name} is empty", index=series.index, dtype=object)
            reasons[null_like] = [f"{name} {t!r} is a placeholder for no customer "
                                  "(settings.null_customer_ids)" for t in tokens[null_like]]
            check.reject(blank | null_like, name, "missing_value",
                         f"{name} is empty or a placeholder for no customer such as "
                         f"{tokens[null_like].iloc[0]!r} (settings.null_customer_ids)", reasons)
        else:
            check.reject(blank, name, "missing_value", f"{name} is empty")
        series, blank = check.frame[name], blank.loc[check.frame.index]
        null_like = null_like.loc[check.frame.index]  # all False now: they were set aside

    if col.kind == ID:
        ids = _to_id(series)
        if null_like.any():
            check.null_like = ids[null_like]
            ids = ids.mask(null_like)
        check.frame[name] = ids
    elif col.kind == TEXT:
        text = _no_controls(series.astype("string").str.strip())
        if col.choices:
            text = text.str.lower()
            check.reject(~blank & ~text.isin(col.choices).fillna(False).astype(bool), name,
                         "not_allowed_value", f"{name} must be one of {', '.join(col.choices)}")
            text = text.loc[check.frame.index]
        check.frame[name] = text.mask(text.eq(""))
    elif col.kind in (TIMESTAMP, DATE):
        excel = source.path is not None and source.path.suffix.lower() in EXCEL_SUFFIXES
        try:
            parsed = _parse_time(series, source.timestamp_format, excel)
        except ValueError as exc:  # e.g. "+08:00" on some values and "Z" on others
            raise ValidationError(source.origin, name, "mixed_timezones",
                                  f"{name} mixes UTC offsets (or offsets and none), so its "
                                  "values are not on one local clock; give every value the "
                                  f"same offset or none ({exc})",
                                  client_column=source.client_column(name)) from exc
        failed = ~blank & parsed.isna()
        reason = (f"{name} is not a date/time"
                  + (f" in format {source.timestamp_format!r}, ISO 8601 or year-first"
                     if source.timestamp_format else "") + f"; {TIME_EXAMPLE}")
        if not excel and failed.any():
            numbers = pd.to_numeric(series[failed].astype("string").str.strip(), errors="coerce")
            serials = numbers[numbers.between(20_000, 80_000)]  # Excel's days of 1954-2119
            if len(serials):
                reason += (f"; numbers such as {series[serials.index[0]]!r} look like Excel serial dates, "
                           "which are read only from an Excel file: load the .xlsx itself, or export the "
                           "column as dates")
        check.reject(failed, name, "unparseable_timestamp", reason)
        parsed = parsed.loc[check.frame.index]
        if name in TABLES[source.table].time_columns:
            check.reject(parsed > now, name, "future_timestamp",
                         f"{name} is later than the data's end ({now:%Y-%m-%d %H:%M})")
            parsed = parsed.loc[check.frame.index]
        check.reject((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max), name, "out_of_range",
                     f"{name} outside the years {pd.Timestamp.min.year + 1}–{pd.Timestamp.max.year - 1}")
        parsed = parsed.loc[check.frame.index].astype("datetime64[ns]")
        check.frame[name] = parsed.dt.normalize() if col.kind == DATE else parsed
    elif col.kind in (MONEY, NUMBER, INTEGER):
        number = _parse_number(series, source.decimal)
        failed = ~blank & number.isna()
        reason = f"{name} is not a number"
        if failed.any():  # "12,50" under decimal '.', "12.50" under ','
            other = "," if source.decimal == "." else "."
            read = _parse_number(series[failed], other).dropna()
            if len(read):
                reason += (f"; values such as {series[read.index[0]]!r} are numbers with the decimal mark "
                           f"{other!r}: set 'decimal' for this table in the config (decimal: \"{other}\")")
        check.reject(failed, name, "not_numeric", reason)
        number = number.loc[check.frame.index]
        if col.kind == INTEGER:
            check.reject(number.notna() & (number != np.round(number)), name, "not_integer",
                         f"{name} must be a whole number")
            number = number.loc[check.frame.index]
        out_of_range = pd.Series(False, index=number.index)
        if col.low is not None:
            out_of_range |= number < col.low
        if col.high is not None:
            out_of_range |= number > col.high
        bounds = f"[{col.low if col.low is not None else '-inf'}, {col.high if col.high is not None else 'inf'}]"
        check.reject(out_of_range, name, "out_of_range", f"{name} outside {bounds}")
        number = number.loc[check.frame.index]
        check.frame[name] = number.astype("Int64") if col.kind == INTEGER else number
    elif col.kind == BOOL:
        parsed = _parse_bool(series)
        check.reject(~blank & parsed.isna(), name, "not_boolean",
                     f"{name} must be yes/no (true/false, 1/0, 是/否)")
        check.frame[name] = parsed.loc[check.frame.index]
