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
    return [[("num" in re.findall(r'class="([^"]*)"', attrs)[0].split() if "class=" in attrs else False, body)
             for attrs, body in re.findall(r"<t[hd]((?: [\w-]+=\"[^\"]*\")*)>(.*?)</t[hd]>", r)]
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


def test_every_cell_carries_its_column_header_for_the_phone_cards():
    frame = pd.DataFrame({"KPI": ["churn"], 'the "month" <now>': ["8.9%"], "month on month": ["+2.0 pp (+29.1%)"]})
    out = common.table(frame).data
    labels = re.findall(r'<td[^>]* data-label="([^"]*)"', out)
    assert labels == ["KPI", "the &quot;month&quot; &lt;now&gt;", "month on month"]
    assert out.count("<td") == 3 == len(labels)


def test_a_column_of_sentences_takes_a_whole_line_of_its_card():
    frame = pd.DataFrame({"campaign": ["WB"], "type": ["coupon"], "sent": ["2025-09-18"],
                          "effect": ["reactivation 24.7% against 11.1% in control: +13.6 pp"],
                          "change": ["-7.2 pp (-16.0 to +1.7 pp), within normal variation"], "n": [184]})
    found = re.findall(r'<td(?: class="([^"]*)")? data-label="([^"]*)"', common.table(frame).data)
    assert {label: cls for cls, label in found} == {"campaign": "", "type": "", "sent": "", "effect": "wide", "change": "num wide", "n": "num"}
    # a Chinese character is two letters wide
    zh = pd.DataFrame({"活动": ["沉睡唤醒"], "效果": ["回流率24.7%，对照组11.1%：增量+13.6个百分点"], "类型": ["挽回优惠券"]})
    assert re.findall(r'<td(?: class="([^"]*)")? data-label', common.table(zh).data) == ["", "wide", ""]


def test_on_a_phone_a_report_table_reads_as_cards_with_each_value_under_its_header():
    css = TEMPLATE.read_text(encoding="utf-8")
    phone = css[css.index("@media (max-width: 760px)"):]
    assert re.search(r"table\.report-table td:not\(:first-child\)::before\s*\{[^}]*content:\s*attr\(data-label\)", phone)
    assert re.search(r"table\.report-table thead th:not\(:first-child\)\s*\{[^}]*display:\s*none", phone)
    assert re.search(r"table\.report-table td\.wide\s*\{[^}]*grid-column:\s*1\s*/\s*-1", phone)
    assert "<script" not in css
