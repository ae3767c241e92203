"""read_raw: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030), Excel and Parquet, text kept as text."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from retention_lib.data.readers import ReadError, detect_encoding, read_raw

CORPUS = Path(__file__).parent / "corpus"
ENC = CORPUS / "encodings"
HEADER = ["会员号", "小票号", "交易时间", "金额", "门店", "品类"]


def write(tmp_path, name, data: bytes | str, encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


@pytest.mark.parametrize("tag,detected", [("utf8", "utf-8-sig"), ("utf8_bom", "utf-8-sig"),
                                          ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_auto_encoding_reads_the_same_text(tag, detected):
    path = ENC / f"transactions_{tag}.csv"
    assert detect_encoding(path.read_bytes(), path) == detected
    frame, first_row = read_raw(path)
    reference, _ = read_raw(ENC / "transactions_utf8.csv")
    assert first_row == 2
    assert list(frame.columns) == HEADER  # no BOM glued to the first header
    pd.testing.assert_frame_equal(frame, reference)
    assert frame["品类"].iloc[0] == "生鲜"
    assert frame["会员号"].iloc[0] == "00123"  # text stays text: leading zeros survive


@pytest.mark.parametrize("tag,encoding", [("utf8", "utf-8"), ("utf8_bom", "utf-8"),
                                          ("utf8_bom", "utf-8-sig"), ("gbk", "gbk"),
                                          ("gb18030", "GB18030")])
def test_declared_right_encoding(tag, encoding):
    frame, _ = read_raw(ENC / f"transactions_{tag}.csv", encoding=encoding)
    assert list(frame.columns) == HEADER
    assert frame["品类"].tolist()[:2] == ["生鲜", "乳品"]


def test_gb18030_only_characters_are_detected(tmp_path):
    # 𠮷 is outside GBK: a file with it can only be GB18030.
    path = write(tmp_path, "names.csv", "customer_id,name\n00123,𠮷野家\n", "gb18030")
    frame, _ = read_raw(path)
    assert frame["name"].tolist() == ["𠮷野家"]


def test_undecodable_bytes_with_auto(tmp_path):
    path = write(tmp_path, "x.csv", b"customer_id\n\xff\x80\n")
    with pytest.raises(ReadError, match=r"x\.csv: cannot decode as UTF-8, GBK or GB18030"):
        read_raw(path)


def test_declared_utf8_on_a_gbk_file():
    with pytest.raises(ReadError, match=r"transactions_gbk\.csv: cannot decode with declared "
                                        r"encoding 'utf-8'"):
        read_raw(ENC / "transactions_gbk.csv", encoding="utf-8")


def test_declared_gbk_on_a_utf8_file_that_gbk_would_garble(tmp_path):
    # These UTF-8 bytes are also valid GBK ("鍝佺被"): without a check they load as mojibake.
    path = write(tmp_path, "x.csv", "品类\n生鲜\n")
    assert path.read_bytes().decode("gbk") == "鍝佺被\n鐢熼矞\n"
    with pytest.raises(ReadError, match=r"x\.csv: declared encoding 'gbk' but the file is UTF-8"):
        read_raw(path, encoding="gbk")


def test_unknown_encoding_name(tmp_path):
    path = write(tmp_path, "x.csv", "a\n1\n")
    with pytest.raises(ReadError, match=r"x\.csv: cannot decode with declared encoding 'klingon'"):
        read_raw(path, encoding="klingon")


def test_blank_lines_keep_row_numbers(tmp_path):
    path = write(tmp_path, "x.csv", "id,v\n1,a\n\n3,c\n,\n5,e\n\n\n")
    frame, first_row = read_raw(path)
    # Row i of the frame is file row first_row + i: the blank line is row 3, "5,e" row 6.
    assert first_row == 2
    assert frame["id"].fillna("-").tolist() == ["1", "-", "3", "-", "5"]
    assert frame.iloc[1].isna().all()


def test_text_is_kept_as_text(tmp_path):
    path = write(tmp_path, "x.csv", "id,amount,flag,note\n00123,1e3, yes ,N/A\n0042,,NA,\n")
    frame, _ = read_raw(path)
    assert frame.iloc[0].tolist() == ["00123", "1e3", "yes ", "N/A"]  # N/A is not a null
    assert frame["id"].tolist() == ["00123", "0042"]
    assert frame["flag"].iloc[1] == "NA"
    assert frame["amount"].isna().tolist() == [False, True]


def test_header_whitespace_is_trimmed(tmp_path):
    path = write(tmp_path, "x.csv", " customer_id , amount\n1,2\n")
    frame, _ = read_raw(path)
    assert list(frame.columns) == ["customer_id", "amount"]


def test_tsv(tmp_path):
    path = write(tmp_path, "x.tsv", "id\tnote\n00123\ta, b\n")
    frame, _ = read_raw(path)
    assert frame.iloc[0].tolist() == ["00123", "a, b"]


def test_empty_file(tmp_path):
    with pytest.raises(ReadError, match=r"x\.csv: the file is empty"):
        read_raw(write(tmp_path, "x.csv", b""))


def test_header_only_file_is_an_empty_table(tmp_path):
    frame, _ = read_raw(write(tmp_path, "x.csv", "customer_id,amount\n"))
    assert frame.empty and list(frame.columns) == ["customer_id", "amount"]


def test_malformed_csv_names_file_and_line(tmp_path):
    path = write(tmp_path, "x.csv", "a,b\n1,2\n1,2,3\n")
    with pytest.raises(ReadError, match=r"x\.csv: not a well-formed CSV: .*line 3"):
        read_raw(path)


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match=r"nope\.csv: file not found"):
        read_raw(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", ["x.json", "x.xml", "x"])
def test_unsupported_suffix(tmp_path, name):
    path = write(tmp_path, name, "{}")
    with pytest.raises(ReadError, match="unsupported file type"):
        read_raw(path)


def test_excel_sheets_text_cells_and_headers():
    frame, first_row = read_raw(ENC / "client.xlsx", sheet="交易")
    assert first_row == 2
    assert list(frame.columns) == HEADER  # " 金额" in the workbook
    assert frame["会员号"].tolist()[:3] == ["00123", "00123", "00456"]
    assert pd.isna(frame["会员号"].iloc[3])
    surveys, _ = read_raw(ENC / "client.xlsx", sheet="问卷")
    assert surveys["意见"].tolist() == ["很满意", "蔬菜不新鲜", "价格贵, 但是新鲜"]


def test_excel_blank_row_keeps_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["id", "v"])
    wb.active.append(["1", "a"])
    wb.active.append([])
    wb.active.append(["3", "c"])
    wb.save(tmp_path / "x.xlsx")
    frame, first_row = read_raw(tmp_path / "x.xlsx")
    assert first_row == 2 and frame["id"].tolist()[::2] == ["1", "3"]
    assert frame.iloc[1].isna().all()


def test_excel_missing_sheet():
    with pytest.raises(ReadError, match=r"client\.xlsx: .*nope"):
        read_raw(ENC / "client.xlsx", sheet="nope")


def test_corrupt_excel(tmp_path):
    with pytest.raises(ReadError, match=r"x\.xlsx"):
        read_raw(write(tmp_path, "x.xlsx", "not a workbook"))


def test_parquet_rows_count_from_one():
    frame, first_row = read_raw(ENC / "transactions.parquet")
    assert first_row == 1
    assert list(frame.columns) == HEADER
    assert pd.api.types.is_datetime64_any_dtype(frame["交易时间"])


def test_corrupt_parquet(tmp_path):
    with pytest.raises(ReadError, match=r"x\.parquet: not a readable Parquet file"):
        read_raw(write(tmp_path, "x.parquet", "not parquet"))
