"""CSV/XLSX for people: hostile client text never becomes a live formula (OWASP CSV injection)."""
import csv
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from retention_lib.core import spreadsheets

HOSTILE = ['=HYPERLINK("http://x","s")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def hostile_frame():
    n = len(HOSTILE)
    return pd.DataFrame({
        "customer_id": ["=1+2", "C2", "C3", "-7", "C5", "C6"],
        "name": HOSTILE,
        "top_categories": pd.Categorical(list(reversed(HOSTILE))),
        "store": pd.array(["S1", None, "@S3", "S4", "+S5", "S6"], dtype="str"),
        "amount": [-12.5, 3.0, -0.25, 100.0, np.nan, -1e6],
        "visits": np.arange(-2, n - 2),
        "consent": [True, False, True, True, False, True],
        "last_purchase": pd.to_datetime(["2025-01-03", None, "2025-02-01", "2025-02-28", "2024-12-31", "2025-01-15"]),
        # category names become headers in wide tables
        "=cmd|' /C calc'!A0": ["fresh produce"] * n,
        "-spend": [1.0] * n,
    })


def dangerous(text):
    return isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")


def number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_neutralise_quotes_dangerous_text_and_leaves_other_values_alone():
    frame = hostile_frame()
    safe = spreadsheets.neutralise(frame)
    assert safe["name"].tolist() == ["'" + text for text in HOSTILE]
    assert safe.loc[0, "customer_id"] == "'=1+2" and safe.loc[3, "customer_id"] == "'-7"
    assert safe["store"].tolist()[2:5] == ["'@S3", "S4", "'+S5"] and pd.isna(safe.loc[1, "store"])
    assert set(safe["top_categories"].cat.categories) == {"'" + text for text in HOSTILE}
    assert list(safe.columns[-2:]) == ["'=cmd|' /C calc'!A0", "'-spend"]
    for column in ("amount", "visits", "consent", "last_purchase"):
        pd.testing.assert_series_equal(safe[column], frame[column])
    assert frame.loc[0, "name"] == HOSTILE[0]  # the caller's frame is not changed


def test_xlsx_has_no_formula_and_keeps_numbers_numeric(tmp_path):
    path = spreadsheets.write_xlsx(hostile_frame(), tmp_path / "list.xlsx", sheet="winback")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["winback"]
    cells = [cell for row in book["winback"].iter_rows() for cell in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.coordinate for c in cells if dangerous(c.value)]
    table = {c.value: [row[i].value for row in book["winback"].iter_rows(min_row=2)]
             for i, c in enumerate(next(book["winback"].iter_rows(max_row=1)))}
    assert "'=cmd|' /C calc'!A0" in table and "'-spend" in table
    # XML reads a stored CR back as LF; the quote in front is what matters
    assert table["name"] == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert table["amount"] == [-12.5, 3, -0.25, 100, None, -1e6]
    assert table["visits"] == [-2, -1, 0, 1, 2, 3]
    assert table["consent"] == [True, False, True, True, False, True]
    assert table["last_purchase"][0] == pd.Timestamp("2025-01-03").to_pydatetime()
    assert table["last_purchase"][1] is None


def test_xlsx_text_is_a_string_cell_even_without_the_quote(tmp_path, monkeypatch):
    # if neutralising ever missed a case, the cell must still not become a formula
    monkeypatch.setattr(spreadsheets, "neutralise", lambda frame: frame)
    path = spreadsheets.write_xlsx(pd.DataFrame({"x": ["=1+1"]}), tmp_path / "raw.xlsx")
    cell = openpyxl.load_workbook(path).active["A2"]
    assert cell.data_type == "s" and cell.value == "=1+1"


def test_csv_quotes_dangerous_text_and_keeps_numbers_numeric(tmp_path):
    path = spreadsheets.write_csv(hostile_frame(), tmp_path / "list.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    # a leading minus is fine on a number: Excel reads -12.5 as a value, not a formula
    assert not [field for row in rows for field in row if dangerous(field) and not number(field)]
    header, body = rows[0], rows[1:]
    assert "'=cmd|' /C calc'!A0" in header and "'-spend" in header
    assert [row[header.index("name")] for row in body] == ["'" + text for text in HOSTILE]
    assert b"\n-12.5," not in raw and b",-12.5," in raw  # a bare, unquoted number
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(back["amount"]) and pd.api.types.is_integer_dtype(back["visits"])
    np.testing.assert_array_equal(back["amount"], hostile_frame()["amount"])
    assert back["visits"].tolist() == [-2, -1, 0, 1, 2, 3]
    assert back["consent"].tolist() == [True, False, True, True, False, True]


def test_csv_without_excel_has_no_bom_and_can_keep_the_index(tmp_path):
    frame = pd.DataFrame({"amount": [-1.5]}, index=pd.Index(["=evil"], name="@id"))
    path = spreadsheets.write_csv(frame, tmp_path / "x.csv", index=True, excel=False)
    assert path.read_bytes().decode("utf-8").splitlines() == ['"\'@id","amount"', '"\'=evil",-1.5']


def test_xlsx_is_laid_out_for_reading(tmp_path):
    """A bold, frozen header row with filters, widths fitted to the content (a CJK character counts two)
    within bounds, and the caller's number formats on numeric cells only."""
    frame = pd.DataFrame({"会员编号": ["C1", "C22"], "x": [1234.5, float("inf")], "常买品类": ["新鲜蔬果、乳制品", None],
                          "note": ["a" * 80, "b"], "d": pd.to_datetime(["2025-01-03", None])})
    path = spreadsheets.write_xlsx(frame, tmp_path / "laid.xlsx", formats={"x": "#,##0.00"})
    ws = openpyxl.load_workbook(path).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E3"
    assert all(c.font.b for c in ws[1])
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    # 会员编号: 4 wide characters = 8 (+2); "1,234.50" 8 (+2); 新鲜蔬果、乳制品: 16 (+2); 80 a's capped; a date is 10
    assert widths == {"A": 10, "B": 10, "C": 18, "D": spreadsheets.MAX_WIDTH, "E": 12}
    assert (ws["B2"].value, ws["B2"].number_format) == (1234.5, "#,##0.00")
    assert ws["B3"].data_type == "s" and ws["B3"].number_format == "General"   # inf is text, unformatted
    assert ws["E2"].number_format == "yyyy-mm-dd"


def test_same_frame_gives_the_same_bytes(tmp_path, monkeypatch):
    frame = hostile_frame().assign(常买品类="新鲜蔬果")
    first = [spreadsheets.write_xlsx(frame, tmp_path / "a.xlsx", formats={"amount": "#,##0.00"}).read_bytes(),
             spreadsheets.write_csv(frame, tmp_path / "a.csv").read_bytes()]
    clock = time.time
    monkeypatch.setattr(time, "time", lambda: clock() + 3 * 86400)  # a later day, as zip entries see it
    second = [spreadsheets.write_xlsx(frame, tmp_path / "b.xlsx", formats={"amount": "#,##0.00"}).read_bytes(),
              spreadsheets.write_csv(frame, tmp_path / "b.csv").read_bytes()]
    assert first == second
    with zipfile.ZipFile(tmp_path / "b.xlsx") as archive:
        core = archive.read("docProps/core.xml").decode()
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert core.count("1980-01-01T00:00:00Z") == 2  # created and modified are pinned


def test_too_many_rows_for_excel_is_a_plain_error(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(ValueError, match=r"big\.xlsx: 5 rows .* write it as CSV"):
        spreadsheets.write_xlsx(pd.DataFrame({"x": range(5)}), tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_a_column_can_offer_a_drop_down_of_its_values(tmp_path):
    """`choices` adds an Excel list validation on the column's rows (a typed value is let in after a
    warning); other columns get none, and a workbook without `choices` has no validation at all."""
    frame = pd.DataFrame({"action": ["call", "=1+1", "mail"], "状态": [None, "进行中", None]})
    path = spreadsheets.write_xlsx(frame, tmp_path / "v.xlsx", choices={"状态": ["未开始", "进行中", "已完成"]})
    ws = openpyxl.load_workbook(path).active
    (check,) = ws.data_validations.dataValidation
    assert (check.type, check.formula1, str(check.sqref)) == ("list", '"未开始,进行中,已完成"', "B2:B4")
    assert check.allow_blank and check.errorStyle == "warning"
    assert ws["A3"].value == "'=1+1" and ws["A3"].data_type == "s"   # still neutralised
    plain = spreadsheets.write_xlsx(frame, tmp_path / "plain.xlsx")
    assert openpyxl.load_workbook(plain).active.data_validations.dataValidation == []


def test_drop_down_values_excel_cannot_hold_are_a_plain_error(tmp_path):
    frame = pd.DataFrame({"status": ["a"]})
    with pytest.raises(ValueError, match="commas"):
        spreadsheets.write_xlsx(frame, tmp_path / "x.xlsx", choices={"status": ["done, mostly", "open"]})
    with pytest.raises(ValueError, match="too long"):
        spreadsheets.write_xlsx(frame, tmp_path / "x.xlsx", choices={"status": ["x" * 100] * 3})
    with pytest.raises(KeyError, match="does not have"):
        spreadsheets.write_xlsx(frame, tmp_path / "x.xlsx", choices={"state": ["a"]})
