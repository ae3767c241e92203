"""Report tables: numbers right-aligned and text left, raw numbers with thousands separators,
wide tables in a wrapper that scrolls, and the report's styles that make it so."""
import re
from pathlib import Path

import pandas as pd
import pytest

from retention_lib.report import text
from retention_lib.report.sections import common

TEMPLATE = Path(common.__file__).resolve().parents[1] / "templates" / "offline" / "index.html.j2"


def _cells(html: str) -> list[list[tuple[bool, str]]]:
    """Rows of (right-aligned?, text) from the table's HTML, header row first."""
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [[(cls == ' class="num"', body) for cls, body in re.findall(r"<t[hd]((?: class=\"num\")?)>(.*?)</t[hd]>", r)]
            for r in rows]


def test_numeric_columns_are_marked_and_text_columns_are_not():
    frame = pd.DataFrame({
        "store": ["367", "S02", "all"],                               # names the row, even when it looks like a number
        "members": [2393103, 12, 5],                                  # raw integers
        "share": ["15.6%", "—", "0.0%"],                              # formatted, with a missing cell
        "change": ["+3.4 pp (+2.0%)", "-0.3 pp", "0.0 pp"],
        "month": ["2017-06", "2017-05", "2017-04"],                   # a month is a label
        "segment": ["champions", "lost", "at risk"],
        "revenue": ["1,314,135 CNY", "9,876 CNY", "45.68 CNY"]})
    rows = _cells(common.table(frame).data)
    aligned = [right for right, _ in rows[0]]
    assert aligned == [False, True, True, True, False, False, True]
    assert all([right for right, _ in r] == aligned for r in rows[1:])


def test_raw_numbers_are_shown_with_separators_and_missing_as_a_dash():
    frame = pd.DataFrame({"group": ["a", "b"], "clv": [2393103.0, float("nan")], "mean": [1234.567, 2.0]})
    rows = _cells(common.table(frame).data)
    assert [b for _, b in rows[1]] == ["a", text.count(2393103), text.number(1234.567, 2)]
    assert [b for _, b in rows[2]] == ["b", text.say("missing"), text.number(2.0, 2)]   # one precision per column


def test_cells_are_escaped_and_the_table_scrolls_inside_its_wrapper():
    out = common.table(pd.DataFrame({"name": ["<b>x</b>"], "n": [1]})).data
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert out.startswith('<div class="table-wrap"><table class="report-table">') and out.endswith("</div>")


@pytest.mark.parametrize("rule", [
    r"\.table-wrap\s*\{[^}]*overflow-x:\s*auto",
    r"td\.num\s*\{[^}]*text-align:\s*right",
    r"table\.report-table td\s*\{[^}]*text-align:\s*left",
    r"img[^{]*\{[^}]*max-width:\s*100%",
])
def test_the_report_template_styles_alignment_scrolling_and_images(rule):
    assert re.search(rule, TEMPLATE.read_text(encoding="utf-8")), rule


def test_no_rule_left_aligns_the_last_column():
    assert "last-child" not in TEMPLATE.read_text(encoding="utf-8")


def test_a_named_index_becomes_the_first_column_and_row_numbers_never_show():
    frame = pd.DataFrame({"n": [3, 4]}, index=pd.Index(["detractor", "promoter"], name="group"))
    rows = _cells(common.table(frame).data)
    assert [b for _, b in rows[0]] == ["group", "n"] and rows[1][0] == (False, "detractor")
    filtered = pd.DataFrame({"name": ["a", "b", "c"], "n": [1, 2, 3]}).iloc[[2, 0]]
    rows = _cells(common.table(filtered).data)
    assert [b for _, b in rows[0]] == ["name", "n"] and [b for _, b in rows[1]] == ["c", "3"]


def test_floats_take_the_digits_asked_for():
    rows = _cells(common.table(pd.DataFrame({"x": ["a"], "share": [0.12345]}), digits=3).data)
    assert rows[1][1] == (True, "0.123")


def test_a_note_among_numbers_goes_with_them_and_a_number_among_words_does_not():
    frame = pd.DataFrame({"reason": ["visits", "survey", "any"], "members": [124, "not checked", 276],
                          "note": ["first", "2 of them", "none"]})
    rows = _cells(common.table(frame).data)
    assert [right for right, _ in rows[0]] == [False, True, False]
