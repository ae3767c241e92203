"""`retention init`'s look at a file: its layout (encoding as the reader decides it, delimiter, title rows
above the header, Excel sheet), its first rows, which table it is and what its values say (a timestamp
layout, the decimal mark, walk-in ids, top-ups, full-width digits, control characters). All guesses."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from retention_lib.app.init_columns import Column, Preset, match_columns, preset_of
from retention_lib.core.schema import TABLES
from retention_lib.core.settings import DEFAULT_NULL_CUSTOMER_IDS, DEFAULT_TOPUP_MARKERS
from retention_lib.data.readers import (CSV_SUFFIXES, EXCEL_SUFFIXES, PARQUET_SUFFIXES, ReadError,
                                        detect_file_encoding)
from retention_lib.data.readers import _header as reader_header_names   # the names the reader gives columns
from retention_lib.data.validation import _parse_number, _parse_time

SAMPLE_ROWS = 2_000       # rows read from each file to guess and to validate
HEAD_LINES = 60           # lines looked at for the delimiter and the header
MAX_TITLE_ROWS = 20       # a header further down than this is not looked for
DELIMITERS = (",", ";", "\t", "|")
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES

# Timestamp layouts tried when the values are not ISO 8601 nor year-first (validation reads those alone).
TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                "%m/%d/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M:%S",
                "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日",
                "%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f")
TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
DECIMAL_COMMA = re.compile(r"^-?[¥￥$€£]?\s*\d{1,3}(\.\d{3})*,\d{1,2}$")
FULLWIDTH_DIGIT = re.compile(r"[０-９]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- what a file holds
@dataclass
class FileGuess:
    path: Path
    kind: str                      # csv | excel | parquet
    columns: list[str]             # the file's column names, as the reader names them
    sample: pd.DataFrame           # the first rows, as the reader reads them (text, except Parquet)
    first_row: int                 # the file row of the sample's first row (a CSV's header is row 1 + title rows)
    encoding: str | None = None
    encoding_note: str = ""
    delimiter: str | None = None
    delimiter_note: str = ""
    skip_rows: int = 0
    titles: list[str] = field(default_factory=list)
    sheet: str | None = None
    sheet_note: str = ""
    table: str | None = None
    table_note: str = ""
    preset: Preset | None = None
    mapping: dict[str, Column] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)   # required canonical columns not found
    timestamp_format: str | None = None
    timestamp_note: str = ""
    decimal: str = "."
    decimal_note: str = ""
    notes: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # commented suggestions for the settings block

    @property
    def unused(self) -> list[str]:
        used = {c.column for c in self.mapping.values()}
        return [c for c in self.columns if c not in used]


class InitError(ValueError):
    """Nothing to write: no file, or none readable."""


def discover(paths) -> list[Path]:
    """The files named, and the data files in each folder named (not recursive), in order."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                            and not p.name.startswith((".", "~$")))
            if not inside:
                raise InitError(f"{path}: no CSV, Excel or Parquet file in this folder")
            found += inside
        elif path.exists():
            if path.suffix.lower() not in SUFFIXES:
                raise InitError(f"{path}: unsupported file type {path.suffix!r} (use CSV, Excel or Parquet)")
            found.append(path)
        else:
            raise InitError(f"{path}: file not found")
    return list(dict.fromkeys(p.resolve() for p in found))


def _records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True))


def _widths(rows: list[list[str]]) -> list[int]:
    return [len(r) for r in rows]


def _header_index(rows: list[list], width: int) -> int | None:
    """The first row that names the columns: `width` fields, most of them filled and not numbers, with a
    row of the same width after it (a title row padded with delimiters has one field filled)."""
    for i, row in enumerate(rows[:MAX_TITLE_ROWS + 1]):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip() not in ("", "nan")]
        if len(row) != width or len(cells) < max(2, width // 2):
            continue
        numbers = sum(bool(re.fullmatch(r"-?[\d.,:/ -]+", c)) for c in cells)
        if numbers > len(cells) // 2:
            continue
        if i + 1 < len(rows) and len(rows[i + 1]) != width:
            continue
        return i
    return None


def _sniff_delimiter(text: str, suffix: str) -> tuple[str, str]:
    """The delimiter that splits the most lines of the head into the same number of fields (the header
    included: a decimal comma splits the body but not the header)."""
    if suffix == ".tsv":
        return "\t", "a .tsv file"
    best, best_score = ",", None
    for d in DELIMITERS:
        rows = [r for r in _records(text, d) if r]
        if len(rows) > 2:
            rows = rows[:-1]   # the last line of the head may be cut
        widths = Counter(w for w in _widths(rows) if w > 1)
        if not widths:
            continue
        width, n = widths.most_common(1)[0]
        score = (n, width)
        if best_score is None or score > best_score:
            best, best_score = d, score
    if best_score is None:
        return ",", "no delimiter splits the lines: the file has one column, or is not a table"
    shown = {"\t": "a tab", ",": '","', ";": '";"', "|": '"|"'}[best]
    return best, f"guessed: {best_score[0]} lines of the first {HEAD_LINES} split into {best_score[1]} fields on {shown}"


def _text_head(path: Path, encoding: str) -> str:
    lines = []
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            lines.append(line)
            if len(lines) >= HEAD_LINES:
                break
    return "".join(lines)


def _frame(rows: list[list], names: list[str]) -> pd.DataFrame:
    width = len(names)
    body = [[(v if v not in ("", None) else None) for v in (r + [None] * width)[:width]] for r in rows]
    return pd.DataFrame(body, columns=range(width), dtype="str").set_axis(names, axis=1)


def _sniff_csv(path: Path) -> FileGuess:
    encoding = detect_file_encoding(path)
    note = ("the file decodes as UTF-8" if encoding == "utf-8-sig" else
            "the file is not UTF-8; GB18030 reads GBK too (guessed: a Chinese Windows export)")
    head = _text_head(path, encoding)
    delimiter, delimiter_note = _sniff_delimiter(head, path.suffix.lower())
    rows = [r for r in _records(head, delimiter)]
    widths = Counter(w for w in _widths(rows) if w > 1)
    width = widths.most_common(1)[0][0] if widths else 1
    at = _header_index(rows, width)
    guess = FileGuess(path=path, kind="csv", columns=[], sample=pd.DataFrame(), first_row=2, encoding=encoding,
                      encoding_note=note, delimiter=delimiter, delimiter_note=delimiter_note)
    if at is None:
        at = 0
        guess.notes.append(f"no row in the first {MAX_TITLE_ROWS} looks like a header (names, not numbers): "
                           "the first row is taken as the header; does the file have one?")
    guess.skip_rows = at
    guess.titles = [" ".join(c for c in r if c).strip() for r in rows[:at]]
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, skipinitialspace=True)
        for _ in range(at):
            next(reader, None)
        header = next(reader, [])
        body = []
        for row in reader:
            body.append(row)
            if len(body) >= SAMPLE_ROWS:
                break
    guess.columns = reader_header_names(list(header))
    guess.sample = _frame(body, guess.columns)
    guess.first_row = at + 2
    return guess


def _sniff_excel(path: Path) -> FileGuess:
    try:
        book = pd.ExcelFile(path)
    except (ValueError, OSError, ImportError) as exc:
        raise ReadError(f"{path}: not a readable Excel file: {exc}") from exc
    sheets = [str(s) for s in book.sheet_names]
    chosen, frame, at = None, None, None
    for name in sheets:   # the first sheet with a header row and data under it
        raw = pd.read_excel(book, sheet_name=name, header=None, dtype=str, nrows=SAMPLE_ROWS + MAX_TITLE_ROWS + 1)
        rows = [[None if pd.isna(v) else v for v in r] for r in raw.itertuples(index=False)]
        width = raw.shape[1]
        # Excel rows have the sheet's width: a header is a row with most cells filled.
        filled = [sum(v is not None for v in r) for r in rows]
        rows_w = [r if n >= max(2, width // 2) else r[:1] for r, n in zip(rows, filled)]
        found = _header_index(rows_w, width)
        if found is not None:
            chosen, frame, at = name, raw, found
            break
    guess = FileGuess(path=path, kind="excel", columns=[], sample=pd.DataFrame(), first_row=2)
    if chosen is None:
        chosen, at = sheets[0], 0
        frame = pd.read_excel(book, sheet_name=chosen, header=None, dtype=str, nrows=SAMPLE_ROWS + 1)
        guess.notes.append(f"no sheet has a row that looks like a header; the first row of {chosen!r} is taken")
    guess.sheet = chosen
    others = [s for s in sheets if s != chosen]
    guess.sheet_note = ("the workbook's only sheet" if not others else
                        f"guessed: the first sheet with a table (also in the workbook: {', '.join(others)})")
    rows = [[None if pd.isna(v) else str(v) for v in r] for r in frame.itertuples(index=False)]
    guess.skip_rows = at
    guess.titles = [" ".join(c for c in r if c).strip() for r in rows[:at]]
    guess.columns = reader_header_names([c or "" for c in rows[at]], quoted=False)
    guess.sample = _frame(rows[at + 1:at + 1 + SAMPLE_ROWS], guess.columns)
    guess.first_row = at + 2
    return guess


def _sniff_parquet(path: Path) -> FileGuess:
    try:
        parquet = pq.ParquetFile(path)
        batch = next(parquet.iter_batches(batch_size=SAMPLE_ROWS), None)
    except (OSError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable Parquet file: {exc}") from exc
    sample = (batch.to_pandas() if batch is not None else parquet.schema_arrow.empty_table().to_pandas())
    return FileGuess(path=path, kind="parquet", columns=[str(c) for c in sample.columns], sample=sample, first_row=1)


def sniff_file(path: Path) -> FileGuess:
    """The file's layout and first rows, and what each of its columns is (guessed)."""
    suffix = path.suffix.lower()
    guess = (_sniff_csv(path) if suffix in CSV_SUFFIXES else _sniff_excel(path) if suffix in EXCEL_SUFFIXES
             else _sniff_parquet(path))
    _recognise(guess)
    return guess


def _recognise(guess: FileGuess) -> None:
    """Which table the file is, and its columns (guessed)."""
    guess.preset = preset_of(guess.columns)
    tx = match_columns(guess.columns, "transactions", guess.preset)
    cu = match_columns(guess.columns, "customers", guess.preset)
    sale_keys = {"basket_id", "timestamp", "amount"}
    member_extra = set(cu) - {"customer_id", "join_date", "home_store_id"}
    tx_required = [c for c in TABLES["transactions"].required if c in tx]
    if sale_keys <= set(tx):
        guess.table, guess.mapping = "transactions", tx
        guess.table_note = "guessed: it has a receipt number, a time and an amount"
    elif "customer_id" in cu and ("join_date" in cu or len(member_extra) >= 2):
        guess.table, guess.mapping = "customers", cu
        guess.table_note = ("guessed: it has a member id and a join date" if "join_date" in cu else
                            "guessed: it has a member id and members' details")
    elif len(tx_required) >= 3:
        guess.table, guess.mapping = "transactions", tx
        guess.table_note = f"guessed: it has {', '.join(tx_required)} of a sales lines table"
    else:
        guess.table_note = ("no table recognised: it has neither a receipt number, a time and an amount "
                            "(sales lines) nor a member id with a join date (members)")
        return
    guess.missing = [c for c in TABLES[guess.table].required if c not in guess.mapping]
    _check_values(guess)


def _text(series: pd.Series) -> pd.Series:
    return series.dropna().astype(str).str.strip().loc[lambda s: s.ne("")]


def _parsed_share(values: pd.Series, fmt: str | None) -> float:
    if not len(values):
        return 0.0
    if fmt is None:
        parsed = _parse_time(values, None)
    else:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return float(parsed.notna().mean())


def _excel_serials(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(len(numbers) and numbers.between(20_000, 80_000).mean() > 0.9)


def _guess_time_format(values: pd.Series) -> tuple[str | None, str, float]:
    """(timestamp_format or None, why, share of the values it reads)."""
    plain = _parsed_share(values, None)
    if plain >= 0.99:
        return None, f"the times are ISO or year-first (e.g. {values.iloc[0]}): read without a timestamp_format", plain
    shares = [(_parsed_share(values, fmt), -k, fmt) for k, fmt in enumerate(TIME_FORMATS)]
    share, _, fmt = max(shares)
    if share <= plain or share == 0:
        return None, f"no layout reads them (e.g. {values.iloc[0]})", plain
    also = [f for s, _, f in shares if s == share and f != fmt]
    day_first = fmt.startswith("%d")
    example = values.iloc[0]
    why = f"guessed: {'day-first ' if day_first else ''}layout of values like {example}"
    if also and any(f.startswith("%m") for f in also) and day_first:
        why += " (every day in the sample is 12 or less, so month-first fits too: check)"
    if share < 0.99:
        why += f"; it reads {share:.0%} of the sample, the rest would be rejected as unparseable_timestamp"
    return fmt, why, share


def _check_values(guess: FileGuess) -> None:
    """Guesses from the values: the timestamp layout, the decimal mark, a time of day alone, Excel serial
    numbers, full-width digits, control characters, placeholder ids, top-ups."""
    sample, mapping, table = guess.sample, guess.mapping, guess.table
    if guess.kind == "parquet":
        text_columns = [c for c in sample.columns if sample[c].dtype == object or pd.api.types.is_string_dtype(sample[c])]
    else:
        text_columns = list(sample.columns)
    time_col = {"transactions": "timestamp", "customers": "join_date"}[table]
    if time_col in mapping and mapping[time_col].column in text_columns:
        values = _text(sample[mapping[time_col].column])
        if len(values) and values.map(lambda v: bool(TIME_ONLY.match(v))).mean() > 0.9:
            date_col = next((c for c in guess.columns if c != mapping[time_col].column and c in text_columns
                             and _parsed_share(_text(sample[c]).head(200), None) > 0.9), None)
            if date_col is not None:
                guess.notes.append(f"{mapping[time_col].column} holds a time of day only; the date is in "
                                   f"{date_col}: {date_col} is used (the time of day is not)")
                mapping[time_col] = Column(time_col, date_col, f"guessed: the date of the sale "
                                           f"({mapping[time_col].column} has the time of day only)")
                values = _text(sample[date_col])
            else:
                guess.notes.append(f"{mapping[time_col].column} holds a time of day only and no column holds the "
                                   "date: the report needs the date; export it with the date")
        if len(values) and _excel_serials(values):
            if guess.kind == "excel":
                guess.notes.append(f"{mapping[time_col].column} holds numbers like {values.iloc[0]}: Excel serial "
                                   "days without a date format; a run reads them as dates from the .xlsx itself "
                                   "(the sample check below reads a copy and may count them as unparseable)")
            else:
                guess.notes.append(f"{mapping[time_col].column} holds numbers like {values.iloc[0]}: Excel serial "
                                   "days, which a CSV cannot mark as dates: every row would be rejected as "
                                   "unparseable_timestamp; export the column as dates, or give the .xlsx")
        elif len(values):
            fmt, why, share = _guess_time_format(values.head(500))
            guess.timestamp_format, guess.timestamp_note = fmt, why
            if share < 0.5:
                guess.notes.append(f"{mapping[time_col].column} does not read as a time for most of the sample "
                                   f"(e.g. {values.iloc[0]}): is it the right column?")
    money = [c for c in ("amount", "discount", "coupon_discount", "stored_value") if c in mapping
             and mapping[c].column in text_columns]
    values = pd.concat([_text(sample[mapping[c].column]) for c in money]) if money else pd.Series(dtype=str)
    commas = values.map(lambda v: bool(DECIMAL_COMMA.match(v))) if len(values) else values
    dots = values.str.contains(r"\.\d{1,2}$", regex=True) if len(values) else values
    if len(values) and commas.any() and not dots.any():
        guess.decimal = ","
        guess.decimal_note = f"guessed from values like {values[commas].iloc[0]}: a decimal comma"
    elif len(values):
        guess.decimal_note = "a decimal point (values like " + (values[dots].iloc[0] if dots.any() else values.iloc[0]) + ")"
    if "amount" in mapping and mapping["amount"].column in text_columns:
        amounts = _text(sample[mapping["amount"].column])
        read = _parse_number(amounts, guess.decimal).notna().mean() if len(amounts) else 1.0
        if read < 0.5:
            guess.notes.append(f"{mapping['amount'].column} does not read as money for most of the sample "
                               f"(e.g. {amounts.iloc[0]}): is it the right column?")
    for canonical, col in mapping.items():
        if col.column not in text_columns:
            continue
        values = _text(sample[col.column])
        if values.str.contains(FULLWIDTH_DIGIT).any():
            example = values[values.str.contains(FULLWIDTH_DIGIT)].iloc[0]
            guess.notes.append(f"{col.column} has full-width digits (e.g. {example!r}): "
                               f"{int(values.str.contains(FULLWIDTH_DIGIT).sum())} of the sample's values")
        raw = sample[col.column].dropna().astype(str)   # not stripped: strip() takes some control characters
        if raw.str.contains(CONTROL).any():
            example = raw[raw.str.contains(CONTROL)].iloc[0]
            guess.notes.append(f"{col.column} has control characters (e.g. {example!r}): "
                               f"{int(raw.str.contains(CONTROL).sum())} of the sample's values")
    if table == "transactions" and "customer_id" in mapping and mapping["customer_id"].column in text_columns:
        ids = _text(sample[mapping["customer_id"].column])
        known = {t.strip().lower() for t in DEFAULT_NULL_CUSTOMER_IDS}
        walk_ins = ids[ids.str.lower().isin(known)]
        if len(walk_ins):
            top = walk_ins.value_counts().index[0]
            guess.notes.append(f"{mapping['customer_id'].column} is {top!r} on {len(walk_ins):,} of "
                               f"{len(ids):,} sample rows: walk-in customers (a default of settings.null_customer_ids)")
        members = ids[~ids.str.lower().isin(known)]
        if len(members) >= 50:
            top, n = members.value_counts().index[0], int(members.value_counts().iloc[0])
            if n / len(ids) > 0.2:
                suggestion = json.dumps(list(DEFAULT_NULL_CUSTOMER_IDS) + [top], ensure_ascii=False)
                guess.settings.append(f"null_customer_ids: {suggestion}   # guessed: {top!r} is on {n / len(ids):.0%} "
                                      "of the sample's lines, a placeholder for walk-ins? uncomment if so")
    if table == "transactions":
        markers = {m.strip().lower() for m in DEFAULT_TOPUP_MARKERS}
        for canonical in ("line_type", "payment_method"):
            if canonical in mapping and mapping[canonical].column in text_columns:
                values = _text(sample[mapping[canonical].column])
                topups = values[values.str.lower().isin(markers)]
                if len(topups):
                    guess.notes.append(f"{mapping[canonical].column} marks {len(topups):,} sample rows as "
                                       f"{topups.iloc[0]}: stored-value top-ups, counted apart from sales "
                                       "(settings.topup_markers)")
        if "line_id" not in mapping and "basket_id" in mapping:
            guess.notes.append("no line number column (行号): two identical lines of one receipt (a double scan) "
                               "are read as a duplicate line; if the POS can export 行号, add it")
    if guess.preset is not None:
        guess.notes += [note for canonical, note in guess.preset.missing_notes.get(table, {}).items()
                        if canonical not in mapping]
