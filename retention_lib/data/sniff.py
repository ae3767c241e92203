"""Where a CSV's header is and which delimiter splits it, read from the file's first lines.

A POS export's habits: the delimiter (',' ';' tab '|') and the title lines above the header
("销售明细报表", "导出时间: ..."), unless the table's config sets 'delimiter' or 'skip_rows'. The
header is the first line holding every name of the table's required columns, else the first with
two values or more. A sheet's title rows are found the same way (readers._read_excel).
"""
from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

DELIMITERS = (",", "\t", ";", "|")  # what 'delimiter: auto' chooses from; the first of equals wins
HEAD_LINES = 20       # the header is looked for in the file's first lines (skip_rows: auto)
HEAD_BYTES = 1 << 16  # read at a time for them
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # line breaks, tabs, NUL, C1, ...


def no_controls(value: str) -> str:
    """Control characters (line breaks, tabs, NUL, ...) as one space, trimmed."""
    return re.sub(" {2,}", " ", CONTROL.sub(" ", value)).strip() if CONTROL.search(value) else value


def _head_lines(path: Path, enc: str, n: int = HEAD_LINES) -> dict[int, str]:
    """The rows that start in the file's first `n` lines, decoded, by the index of that line (a
    row with a quoted line break spans two lines), without their line breaks (nor a BOM)."""
    decoder, text = codecs.getincrementaldecoder(enc)(errors="replace"), ""
    with open(path, "rb") as fh:
        while text.count("\n") < 2 * n and len(text) < 64 * HEAD_BYTES * max(1, n // HEAD_LINES):
            raw = fh.read(HEAD_BYTES)
            text += decoder.decode(raw, final=not raw)
            if not raw:
                break
    rows, start, held = {}, 0, None
    for i, line in enumerate(text.removeprefix("\ufeff").split("\n")[:2 * n]):
        held, start = (line, i) if held is None else (f"{held}\n{line}", start)
        if held.count('"') % 2 == 0 or i - start >= n:  # quotes balance at the end of a row
            rows[start], held = held.removesuffix("\r"), None
    if held is not None:
        rows[start] = held
    return {i: row for i, row in rows.items() if i < n}


def _fields(line: str, sep: str) -> list[str]:
    """A line's values at `sep`, as a header name reads (quotes, spaces, control characters)."""
    try:
        values = next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:  # a quoted line break: the rest of the field is on the next line
        values = line.split(sep)
    return [no_controls(v).strip() for v in values]


def header_line(lines: dict[int, str], seps: tuple, columns,
                others: tuple = DELIMITERS) -> tuple[int, str | None]:
    """(the header's line, the delimiter that shows it, if that decides), of the first `lines`
    (by line index): the first holding every name in `columns` (the config's names of the
    required columns); else, with no such line, the first with two values or more at any
    delimiter (a title line holds one, or none: "销售明细报表", "导出时间: 2025-01-31", a blank
    line, "报表,,,,")."""
    wanted = {str(c).strip() for c in columns} - {""}
    if wanted:
        for i, line in lines.items():
            for sep in seps:
                if wanted <= set(_fields(line, sep)):
                    return i, sep
    for i, line in lines.items():
        if any(sum(1 for v in _fields(line, sep) if v) >= 2 for sep in dict.fromkeys(seps + others)):
            return i, None
    return 0, None


def layout(path: Path, enc: str, suffix: str, delimiter: str, skip_rows, columns) -> tuple[str, int]:
    """(delimiter, title lines to skip) of a CSV: as configured, else read from its first lines.
    'auto' chooses the delimiter that splits the header into the most columns (a .tsv: tab)."""
    seps = (delimiter,) if delimiter != "auto" else ("\t",) if suffix == ".tsv" else DELIMITERS
    if len(seps) == 1 and skip_rows != "auto":
        return seps[0], int(skip_rows)
    lines = _head_lines(path, enc, HEAD_LINES if skip_rows == "auto" else int(skip_rows) + 1)
    skip, sep = (int(skip_rows), None) if skip_rows != "auto" else header_line(lines, seps, columns)
    if sep is None:
        header = lines.get(skip, "")
        sep = max(seps, key=lambda s: len(_fields(header, s)))
    return sep, skip


def _show_sep(sep: str) -> str:
    return '"\\t"' if sep == "\t" else f'"{sep}"'  # as the YAML would say it


def delimiter_hint(path: Path, enc: str, sep: str, skip: int, width: int) -> str:
    """When another delimiter splits the header into more columns: the option that fixes it."""
    header = _head_lines(path, enc, skip + 1).get(skip, "")
    widths = {s: len(_fields(header, s)) for s in DELIMITERS if s != sep}
    best = max(widths, key=widths.get)
    if widths[best] <= width:
        return ""
    return (f"; the header splits into {widths[best]} columns at {_show_sep(best)} but {width} at "
            f"{_show_sep(sep)}: set 'delimiter' for this table in the config (delimiter: {_show_sep(best)})")
