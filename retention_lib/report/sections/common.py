"""What every section is made of: paragraphs from the catalogue, tables, charts by key, and the
line that says why a part is unavailable this month."""
from __future__ import annotations

import base64
import html
import re
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
    right-aligned when it shows numbers (raw floats to `digits` decimals); wide tables scroll
    sideways on a phone. A named index becomes the first column; row numbers never show."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    numeric = [i > 0 and is_numeric(frame.iloc[:, i]) for i in range(frame.shape[1])]
    # one precision per column: whole when every float in it is whole (counts, rounded money)
    floats = [[v for v in frame.iloc[:, i] if isinstance(v, (float, np.floating)) and np.isfinite(v)]
              for i in range(frame.shape[1])]
    places = [None if all(float(v).is_integer() for v in f) else digits for f in floats]

    def cls(i: int) -> str:
        return ' class="num"' if numeric[i] else ""
    head = "".join(f"<th{cls(i)}>{html.escape(str(c))}</th>" for i, c in enumerate(frame.columns))
    rows = "".join("<tr>" + "".join(f"<td{cls(i)}>{html.escape(_cell(v, places[i]))}</td>"
                                    for i, v in enumerate(row)) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
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
    part is unavailable (the reason is shown instead)."""
    path = run.read(key)
    if path is None:
        return []
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    alt = html.escape(text.say(f"alt.{key}", month=run.month), quote=True)
    return [HTML(f'<img src="data:image/png;base64,{data}" alt="{alt}">')]
