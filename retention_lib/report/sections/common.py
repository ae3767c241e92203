"""What every section is made of: paragraphs from the catalogue, tables, charts by key, and the
line that says why a part is unavailable this month."""
from __future__ import annotations

import base64
import html
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML

from retention_lib.core import stages
from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.text import say_html

# A cell that shows a number: optional sign, then digits ("1,234", "-0.3 pp (+2.0%)", "45% to 88%",
# "12 (small sample)", "2,130 CNY"); a month or a date is a label, not a number.
FORMATTED_NUMBER = re.compile(r"[+\-−]?\d[\d,]*(\.\d+)?(%|\b).*", re.DOTALL)
DATE_LIKE = re.compile(r"\d{4}-\d{2}(-\d{2})?")
# A cell wider than this (in Latin letters' widths; a Chinese character counts two) reads as a sentence.
SENTENCE_WIDTH = 24


def paragraph(key: str, **params) -> HTML:
    return HTML(f"<p>{say_html(key, **params)}</p>")


def _cell(v, digits: int | None = 2) -> str:
    """A value as the reader reads it: raw numbers with thousands separators (floats to `digits`
    decimals, None: whole), missing as '—'."""
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return text.say("missing")
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return text.count(v)
    if isinstance(v, (float, np.floating)):
        return text.count(v) if digits is None else text.number(v, digits)
    return str(v)


def _width(s: str) -> int:
    """How wide a text reads: a Chinese (wide) character counts two Latin letters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _reads_as_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    return isinstance(v, str) and bool(FORMATTED_NUMBER.fullmatch(v)) and not DATE_LIKE.fullmatch(v)


def is_numeric(values) -> bool:
    """Whether a column shows numbers (right-aligned): most of its cells are numbers or text that
    reads as one (a note such as "not checked" among counts goes with them); missing cells do
    not decide."""
    shown = [v for v in values if _cell(v) != text.say("missing")]
    return bool(shown) and 2 * sum(map(_reads_as_number, shown)) >= len(shown)


def table(frame: pd.DataFrame, digits: int = 2) -> HTML:
    """A report table: the first column names the row (left-aligned), every other column is
    right-aligned when it shows numbers (raw floats to `digits` decimals). Each cell carries its
    column's header (`data-label`): on a phone every row reads as a card, the row's name its title and
    each value under its header (the report's styles); a column of sentences is marked `wide`. A named
    index becomes the first column; row numbers never show."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    numeric = [i > 0 and is_numeric(frame.iloc[:, i]) for i in range(frame.shape[1])]
    # one precision per column: whole when every float in it is whole (counts, rounded money)
    floats = [[v for v in frame.iloc[:, i] if isinstance(v, (float, np.floating)) and np.isfinite(v)]
              for i in range(frame.shape[1])]
    places = [None if all(float(v).is_integer() for v in f) else digits for f in floats]

    # a column of sentences (not the row's name; "回流率24.7%，对照组11.1%：增量…", "-7.2 pp (-16.0 to +1.7), …")
    # takes a whole line of its card on a phone
    wide = [i > 0 and SENTENCE_WIDTH < max((_width(_cell(v, places[i])) for v in frame.iloc[:, i]), default=0)
            for i in range(frame.shape[1])]

    def cls(i: int, cell: bool = False) -> str:
        names = ["num"] * numeric[i] + ["wide"] * (cell and wide[i])
        return f' class="{" ".join(names)}"' if names else ""
    # each cell carries its column's header: on a phone a row becomes a card, each value under its label
    cells = [f'<td{cls(i, True)} data-label="{html.escape(str(c), quote=True)}">' for i, c in enumerate(frame.columns)]
    head = "".join(f"<th{cls(i)}>{html.escape(str(c))}</th>" for i, c in enumerate(frame.columns))
    rows = "".join("<tr>" + "".join(f"{cells[i]}{html.escape(_cell(v, places[i]))}</td>" for i, v in enumerate(row))
                   + "</tr>" for row in frame.itertuples(index=False, name=None))
    return HTML(f'<div class="table-wrap"><table class="report-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>")


def unavailable(run: Run, *parts: str) -> list:
    """A line per reason the data cannot support parts of a section this month (parts that are
    missing for the same reason share it)."""
    gone = {part: run.reason(part) for part in parts if run.reason(part)}
    return [HTML('<p class="unavailable">'
                 f'{say_html("unavailable.html", titles=text.say("list.semicolon").join(titles), reason=text.render(reason))}</p>')
            for titles, reason in stages.by_reason(gone)]


def image(run: Run, key: str) -> list:
    """A chart by key, embedded with what it shows as its alt text (catalogue `alt.<key>`, in the report's
    language: what a screen reader says and a mail app shows when it blocks images); nothing when its
    part is unavailable (the reason is shown instead). A chart drawn for a phone too (stages.phone_key) is a
    <picture> whose phone form shows at the report's phone widths (the template's max-width: 600px)."""
    path = run.read(key)
    if path is None:
        return []
    alt = html.escape(text.say(f"alt.{key}", month=run.month), quote=True)
    img = f'<img src="{_png_uri(path)}" alt="{alt}">'
    phone = run.read(stages.phone_key(key)) if stages.phone_key(key) in stages.ARTIFACTS else None
    if phone is None:
        return [HTML(img)]
    return [HTML(f'<picture><source media="(max-width: 600px)" srcset="{_png_uri(phone)}">{img}</picture>')]


def _png_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")
