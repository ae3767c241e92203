"""What every section is made of: paragraphs from the catalogue, tables, charts by key, and the
line that says why a part is unavailable this month."""
from __future__ import annotations


import pandas as pd
from IPython.display import HTML, Image

from retention_lib.core import stages
from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.text import say_html


def paragraph(key: str, **params) -> HTML:
    return HTML(f"<p>{say_html(key, **params)}</p>")


def table(frame: pd.DataFrame) -> HTML:
    return HTML(frame.to_html(index=False, border=0, classes="report-table", na_rep="—"))


def unavailable(run: Run, *parts: str) -> list:
    """A line per reason the data cannot support parts of a section this month (parts that are
    missing for the same reason share it)."""
    gone = {part: run.reason(part) for part in parts if run.reason(part)}
    return [HTML('<p class="unavailable">'
                 f'{say_html("unavailable.html", titles="; ".join(titles), reason=text.render(reason))}</p>')
            for titles, reason in stages.by_reason(gone)]


def image(run: Run, key: str) -> list:
    """A chart by key; nothing when its part is unavailable (the reason is shown instead)."""
    path = run.read(key)
    return [Image(filename=str(path))] if path is not None else []
