"""What the executed notebooks of a published month show a consultant: no warnings, no raw
dicts, no NaN cells, no DataFrame row numbers, no floats with more than four decimals. And the
console of that run: every line carries the timestamp run.log carries."""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from retention_lib.app.pipeline import notebooks

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.(\d{5,})(?![\w.])")
NAN = re.compile(r"(?<![\w-])(nan|NaN|<NA>)(?![\w-])")
TABLE = re.compile(r"<table\b.*?</table>", re.S)
BODY_ROW_HEAD = re.compile(r"<tr[^>]*>\s*<th[^>]*>(.*?)</th>", re.S)
TAG = re.compile(r"<[^>]+>")


def _text(output) -> list[tuple[str, str]]:
    """(kind, text) of an output: stream text, or each text/plain and text/html; images are skipped."""
    if output.output_type == "stream":
        return [(f"stream:{output.name}", output.text)]
    if output.output_type == "error":
        return [("error", "\n".join(output.traceback))]
    data = output.get("data", {})
    return [(mime, data[mime]) for mime in ("text/html", "text/markdown", "text/plain") if mime in data]


def _unformatted(decimals: str) -> bool:
    """More than four decimals, unless they are four significant digits after leading zeros
    (a = 0.01247 is formatted; 31453.183632 and pandas' 1.000000 are not)."""
    return len(decimals) > 4 and (len(decimals.lstrip("0")) > 4 or decimals.endswith("0"))


def _range_index(table_html: str) -> bool:
    """A pandas table whose body rows are headed 0, 1, 2, …: a default RangeIndex on show."""
    body = table_html.split("<tbody>", 1)[1] if "<tbody>" in table_html else ""
    heads = [TAG.sub("", h).strip() for h in BODY_ROW_HEAD.findall(body)]
    return bool(heads) and heads == [str(i) for i in range(len(heads))]


def problems(book: Path) -> list[str]:
    """Every output of an executed notebook that a reader should not see, as 'cell N (kind): what: excerpt'."""
    nb = nbformat.read(book, as_version=4)
    found = []
    for n, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
        for output in cell.get("outputs", []):
            for kind, content in _text(output):
                if kind == "text/plain" and any(k in output.get("data", {}) for k in ("text/html", "text/markdown")):
                    continue  # the plain fallback of a rich output is never shown
                shown = html.unescape(TAG.sub(" ", content)) if kind != "text/plain" else content

                def add(what, excerpt):
                    found.append(f"cell {n} ({kind}): {what}: {excerpt.strip()[:160]!r}")

                if kind in ("stream:stderr", "error"):
                    add("stderr or error output", content)
                elif "Warning" in content:
                    add("a warning", content[max(0, content.find("Warning") - 80):])
                if "{'" in shown:
                    add("a raw dict", shown[shown.find("{'"):])
                for m in NAN.finditer(shown):
                    add("a NaN", shown[max(0, m.start() - 60):m.end() + 20])
                    break
                for m in LONG_FLOAT.finditer(shown):
                    if _unformatted(m[1]):
                        add("an unformatted float", shown[max(0, m.start() - 60):m.end() + 10])
                        break
                if kind == "text/html":
                    for t in TABLE.findall(content):
                        if _range_index(t):
                            add("DataFrame row numbers (a RangeIndex)", TAG.sub(" ", t)[:160])
    return found


def test_the_checks_catch_what_they_look_for():
    """Each check on a notebook made to fail it (so a clean run means clean notebooks)."""
    import pandas as pd

    frame = pd.DataFrame({"x": [1.0, float("nan")], "y": [0.1234567, 1.000000]})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: obj.round has no effect"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "{'listed_contact_value': 13044.7}"}),
        nbformat.v4.new_output("display_data", data={"text/html": frame.to_html(), "text/plain": "frame"}),
    ])])
    path = Path(__import__("tempfile").mkdtemp()) / "bad.ipynb"
    nbformat.write(nb, path)
    kinds = {p.split(": ")[1] for p in problems(path)}
    assert kinds == {"stderr or error output", "a raw dict", "a NaN", "an unformatted float",
                     "DataFrame row numbers (a RangeIndex)"}
    clean = frame.fillna(0).round(2).set_axis(["a", "b"]).to_html()
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"text/html": clean}),
                           nbformat.v4.new_output("display_data", data={"text/markdown": "a = 0.01247, b = 7.57"})]
    nbformat.write(nb, path)
    assert problems(path) == []


@pytest.mark.parametrize("book", [p.name for p in notebooks()])
def test_an_executed_notebook_shows_nothing_a_reader_should_not_see(published, book):
    reports, _ = published
    executed = reports / "2025-02" / book
    assert executed.exists()
    assert problems(executed) == []


def test_every_console_line_of_the_run_carries_a_timestamp_as_run_log_does(published):
    reports, proc = published
    console = [line for line in proc.stdout.splitlines() if line.strip()]
    assert console and [line for line in console if not STAMP.match(line)] == []
    log = (reports / "2025-02" / "run.log").read_text(encoding="utf-8").splitlines()
    assert [line for line in log if line.strip() and not STAMP.match(line) and not line.startswith("    kernel:")] == []
    assert console[-1].endswith(f"Report for 2025-02: {reports / '2025-02' / 'report.html'}")


def _b64_chunk(data: bytes) -> str:
    """A stretch of a PNG's base64 from its middle (offset divisible by 3, so it is the same text
    wherever the whole file is base64-encoded)."""
    import base64

    start = (len(data) // 2) // 3 * 3
    return base64.b64encode(data[start:start + 300]).decode("ascii")


def test_the_email_inlines_its_two_charts_and_the_report_keeps_the_board(published):
    from retention_lib.core import stages
    from retention_lib.delivery.smtp import read_eml

    reports, _ = published
    folder = reports / "2025-02"
    [eml] = list((folder / "outbox").glob("*.eml"))
    msg = read_eml(eml)
    inline = sorted(p.get_content() for p in msg.walk() if p.get_content_type() == "image/png")
    drawn = sorted((folder / stages.artifact(k).path).read_bytes() for k in ("email_trend_chart", "email_churn_chart"))
    assert inline == drawn  # 14 months of data: both charts, exactly the files notebook 08 wrote
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == "small-2025-02-report.html"
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert _b64_chunk((folder / stages.artifact("kpi_trends_chart").path).read_bytes()) in report
    for png in drawn:  # drawn for the email only: the report shows the full board instead
        assert _b64_chunk(png) not in report
