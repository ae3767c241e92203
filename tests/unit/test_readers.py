"""read_raw: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030), Excel and Parquet, text kept as text."""
from __future__ import annotations

import gc
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from retention_lib.data import readers
from retention_lib.data.readers import (ReadError, detect_encoding, detect_file_encoding,
                                        iter_raw, read_raw)

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


# --------------------------------------------------------------------------- streaming CSV
# read_raw streams a CSV through pyarrow; these pin down that it reads as the old
# pd.read_csv(dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
# skip_blank_lines=False) did, whatever the block and chunk boundaries.

def pandas_reference(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                        skipinitialspace=True, skip_blank_lines=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


PANDAS_CASES = {
    "blank lines": "id,v\n1,a\n\n3,c\n\n\n6,f\n",
    "short rows": "id,v,w\n1\n2,b\n3,c,d\n",
    "spaces after delimiters": "id,v\n 1,  a \n2,   \n",
    "space then quote": 'id,v\n1, "a, b"\n2,  "say ""hi"""\n3, "x"y\n',
    "quoted line breaks": 'id,v\n1,"line one\nline two"\n2,"a\r\nb"\n3,"\n"\n',
    "crlf": "id,v\r\n1,a\r\n\r\n3,c\r\n",
    "null-like text": 'id,v\nNULL,NA\nnan,N/A\n,""\nNone,#N/A\n',
    "duplicate and blank headers": "a,a, a,,b\n1,2,3,4,5\n",
    "tabs are text": "id,v\n1,\ta\n\t,b\n",
    "text after a closing quote": 'id,v\n"a"b,c\n',
    "quotes inside a field": 'id,v\n12" pizza,a"b\n',
    "one column": "id\n1\n\n3\n",
}


@pytest.mark.parametrize("case", sorted(PANDAS_CASES))
@pytest.mark.parametrize("block", [readers.BLOCK_BYTES, 16])
def test_reads_as_pandas_read_csv_did(tmp_path, monkeypatch, case, block):
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)  # 16 bytes: a block boundary in every row
    text = PANDAS_CASES[case]
    frame, first_row = read_raw(write(tmp_path, "x.csv", text))
    assert first_row == 2
    pd.testing.assert_frame_equal(frame, pandas_reference(text))
    assert (frame.dtypes == "str").all()


# Chinese headers, blank lines (rows 4 and 7), a short row, quoted commas and line breaks.
MIXED = ("会员号,品类,备注\n"
         "00123,生鲜,\"新鲜, 好吃\"\n"
         "00456,乳品,\"第一行\n第二行\"\n"
         "\n"
         "00789, 粮油,NULL\n"
         "00999\n"
         "\n"
         "01000,酒水,\"说 \"\"不错\"\"\"\n")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
@pytest.mark.parametrize("declared", [False, True])
def test_chinese_csv_in_every_encoding_reads_as_utf8(tmp_path, encoding, declared):
    reference, _ = read_raw(write(tmp_path, "utf8.csv", MIXED))
    path = write(tmp_path, "x.csv", MIXED, encoding)
    frame, _ = read_raw(path, encoding=encoding if declared else "auto")
    pd.testing.assert_frame_equal(frame, reference)
    pd.testing.assert_frame_equal(frame, pandas_reference(MIXED))
    assert list(frame.columns) == ["会员号", "品类", "备注"]
    assert frame["备注"].iloc[:2].tolist() == ["新鲜, 好吃", "第一行\n第二行"]
    assert frame.iloc[[2, 5]].isna().all().all()  # the blank lines, file rows 4 and 7
    assert frame["品类"].iloc[3] == "粮油" and frame["备注"].iloc[3] == "NULL"
    assert frame["会员号"].iloc[4] == "00999" and frame.iloc[4, 1:].isna().all()  # padded
    assert frame["备注"].iloc[6] == '说 "不错"'


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("rows_per_chunk", [1, 2, 3, 1000])
def test_iter_raw_chunks_make_up_read_raw(tmp_path, monkeypatch, encoding, rows_per_chunk):
    monkeypatch.setattr(readers, "BLOCK_BYTES", 32)  # many pyarrow blocks, too
    path = write(tmp_path, "x.csv", MIXED + "\n\n", encoding)  # trailing blank lines: no rows
    frame, first_row = read_raw(path)
    chunks = list(iter_raw(path, rows_per_chunk=rows_per_chunk))
    assert [len(c) for c, _ in chunks[:-1]] == [rows_per_chunk] * (len(chunks) - 1)
    starts = [row for _, row in chunks]
    assert starts[0] == first_row == 2
    assert starts == [2 + sum(len(c) for c, _ in chunks[:i]) for i in range(len(chunks))]
    pd.testing.assert_frame_equal(pd.concat([c for c, _ in chunks]), frame)
    assert len(frame) == 7


def test_iter_raw_of_a_header_only_csv_is_one_empty_chunk(tmp_path):
    [(chunk, first_row)] = list(iter_raw(write(tmp_path, "x.csv", "a,b\n\n")))
    assert chunk.empty and list(chunk.columns) == ["a", "b"] and first_row == 2


def test_iter_raw_parquet_and_excel():
    frame, _ = read_raw(ENC / "transactions.parquet")
    chunks = list(iter_raw(ENC / "transactions.parquet", rows_per_chunk=2))
    assert [row for _, row in chunks] == [1 + 2 * i for i in range(len(chunks))]
    pd.testing.assert_frame_equal(pd.concat([c for c, _ in chunks]), frame)
    [(sheet, first_row)] = list(iter_raw(ENC / "client.xlsx", sheet="交易"))
    pd.testing.assert_frame_equal(sheet, read_raw(ENC / "client.xlsx", sheet="交易")[0])
    assert first_row == 2


def test_quoted_crlf_across_every_block_boundary(tmp_path, monkeypatch):
    # pyarrow drops the "\n" of a "\r\n" split between two reads, even in a quoted field
    # (apache/arrow#51368); the stream never hands it a read ending in "\r".
    monkeypatch.setattr(readers, "BLOCK_BYTES", 32)
    for pad in range(40):
        path = write(tmp_path, "x.csv", f'id,v\r\n{"1" * pad},"a\r\nb\r\n\r\nc"\r\n2,d\r\n')
        frame, _ = read_raw(path)
        assert frame["v"].tolist() == ["a\r\nb\r\n\r\nc", "d"], pad


def test_unclosed_quote_at_the_end_is_malformed(tmp_path):
    # pyarrow would end the quoted field at the end of the file; pandas refused it.
    with pytest.raises(ReadError, match=r"x\.csv: not a well-formed CSV: .*not closed"):
        read_raw(write(tmp_path, "x.csv", 'id,v\n1,a\n2,"b\n3,c\n'))


def test_too_many_fields_names_the_file_row(tmp_path):
    # Rows count as pandas counted them: a quoted line break does not start a row.
    path = write(tmp_path, "x.csv", 'a,b\n1,"x\ny"\n\n3\n4,5,6\n')
    with pytest.raises(ReadError, match=r"Expected 2 fields in line 5, saw 3"):
        read_raw(path)


def test_the_gb18030_bom_is_dropped(tmp_path):
    frame, _ = read_raw(write(tmp_path, "x.csv", "\ufeff品类\n生鲜\n", "gb18030"))
    assert list(frame.columns) == ["品类"]


# --------------------------------------------------------------------------- encoding, streamed
def ascii_then(tail: bytes, size: int) -> bytes:
    """`size` bytes of plain ASCII rows, then `tail`: beyond the encoding check's first chunk."""
    assert size > readers.SCAN_BYTES
    row = b"00123,2024-01-05 10:23:00,12.50\n"
    return b"id,ts,amount\n" + row * (size // len(row)) + tail


def test_auto_detects_gb18030_from_a_byte_after_several_mb(tmp_path):
    path = write(tmp_path, "x.csv", ascii_then("00456,生鲜,1\n".encode("gbk"), 6_000_000))
    assert detect_file_encoding(path) == "gb18030"
    frame, _ = read_raw(path)
    assert frame["ts"].iloc[-1] == "生鲜" and frame["id"].iloc[0] == "00123"


def test_utf8_character_split_between_check_chunks_is_still_utf8(tmp_path):
    head = ascii_then(b"", 4_500_000)
    pad = b"x" * (readers.SCAN_BYTES - len(head) % readers.SCAN_BYTES - 1)
    path = write(tmp_path, "x.csv", head[:-1] + pad + "生,1,2\n".encode())  # 生 spans the cut
    assert detect_file_encoding(path) == "utf-8-sig"


def test_declared_gbk_on_a_utf8_file_whose_chinese_comes_late(tmp_path):
    path = write(tmp_path, "x.csv", ascii_then("00456,生鲜,1\n".encode(), 6_000_000))
    with pytest.raises(ReadError, match=r"x\.csv: declared encoding 'gbk' but the file is UTF-8"):
        read_raw(path, encoding="gbk")
    [(chunk, _)] = list(iter_raw(path, encoding="utf-8", rows_per_chunk=10_000_000))
    assert chunk["ts"].iloc[-1] == "生鲜"


def test_declared_encoding_error_gives_the_file_offset(tmp_path):
    raw = ascii_then(b"\xff\n", 5_000_000)
    path = write(tmp_path, "x.csv", raw)
    with pytest.raises(ReadError, match=rf"declared encoding 'utf-8': .*byte {len(raw) - 2}\b"):
        read_raw(path, encoding="utf-8")
    with pytest.raises(ReadError, match="cannot decode as UTF-8, GBK or GB18030"):
        read_raw(path)


# --------------------------------------------------------------------------- memory
def rss_and_peak() -> tuple[int, int]:
    status = Path("/proc/self/status").read_text()
    kb = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in status.splitlines())
          if k in ("VmRSS", "VmHWM")}
    return kb["VmRSS"] * 1024, kb["VmHWM"] * 1024


@pytest.mark.slow
def test_a_large_gbk_csv_is_read_without_the_whole_file_in_memory(tmp_path):
    # Measured on this 150 MB file: the old read (the bytes, then one str, then the frame)
    # peaked 1440 MB over the baseline (9.6x the file), the streamed one 394 MB (2.6x), of
    # which the frame itself is ~270 MB (1.8x: UTF-8 text is longer than GBK, plus offsets).
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pytest.skip("needs /proc/self/clear_refs (Linux)")
    stores = ["朝阳门店", "海淀店", "浦东新区店", "天河店"]
    cats = ["生鲜", "乳品", "粮油调味", "日用百货"]
    lines = [f"{i:08d},B{i:09d},2024-03-{1 + i % 28:02d} 10:{i % 60:02d}:00,{i % 997 / 10:.2f},"
             f"{stores[i % 4]},{cats[i % 4]}\n" for i in range(20_000)]
    block = ("".join(lines) + "\n").encode("gbk")  # a blank line per block, kept as a row
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.write("会员号,小票号,交易时间,金额,门店,品类\n".encode("gbk"))
        blocks = 150_000_000 // len(block)
        for _ in range(blocks):
            fh.write(block)
    size = path.stat().st_size
    del lines, block
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before, _ = rss_and_peak()
    frame, _ = read_raw(path)
    growth = rss_and_peak()[1] - before
    assert len(frame) == blocks * 20_001 - 1  # the blank line at the very end is no row
    assert frame["品类"].iloc[0] == "生鲜" and frame.iloc[20_000].isna().all()
    assert growth < 4 * size, f"peak grew by {growth / size:.1f}x the file size"
