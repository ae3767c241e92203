"""A line is a duplicate only when every column of the client's row repeats (or a mapped line_id repeats in
its basket): double scans and split payments are kept, stored-value top-ups are counted apart, walk-in ids
are no member."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from retention_lib.core.config import load_config
from retention_lib.data import store
from retention_lib.data.loading import load_table

END = pd.Timestamp("2025-03-01")
HEADER = ["行号", "会员号", "单号", "销售时间", "实收金额", "门店", "支付方式", "单据类型"]
ROWS = [
    (1, "M1", "B1", "2025-01-05 09:15", 10.0, "S1", "现金", "销售"),
    (2, "M1", "B1", "2025-01-05 09:15", 10.0, "S1", "现金", "销售"),    # a double scan: 行号 tells it apart
    (1, "M2", "B2", "2025-01-06 10:00", 25.0, "S1", "储值卡", "销售"),   # one sale paid in two rows
    (1, "M2", "B2", "2025-01-06 10:00", 25.0, "S1", "现金", "销售"),
    (1, "M3", "B3", "2025-01-07 11:00", 200.0, "S1", "现金", "充值"),   # a stored-value top-up: no sale
    (1, "M1", "B4", "2025-02-01 12:00", 5.0, "S1", "微信", "销售"),
    (1, "M1", "B4", "2025-02-01 12:00", 5.0, "S1", "微信", "销售"),     # the same row exported twice
    (1, "M1", "B5", "2025-02-02 12:00", 7.0, "S1", "微信", "销售"),
    (1, "M1", "B5", "2025-02-02 12:00", 8.0, "S1", "微信", "销售"),     # basket + line number reused
    (1, "0", "B6", "2025-02-03 12:00", 8.0, "S1", "微信", "销售"),      # Pospal's walk-in customer
    (1, "０", "B7", "2025-02-03 12:05", 6.0, "S1", "微信", "销售"),     # the same, in full-width digits
    (1, "散客", "B8", "2025-02-03 12:10", 4.0, "S1", "现金", "销售"),
]
MAPPING = {"customer_id": "会员号", "basket_id": "单号", "timestamp": "销售时间", "amount": "实收金额",
           "store_id": "门店", "line_id": "行号", "payment_method": "支付方式", "line_type": "单据类型"}


def _config(folder, frame, columns, **settings):
    frame.to_csv(folder / "pos.csv", index=False, encoding="gbk")
    path = folder / "pos.yml"
    path.write_text(yaml.safe_dump({"name": "pos", "tables": {"transactions": {"path": "pos.csv", "columns": columns}},
                                    "settings": {"data_end": "2025-02-28", "max_reject_share": 0.5, **settings}},
                                   allow_unicode=True), encoding="utf-8")
    return load_config(path)


@pytest.fixture
def pos(tmp_path):
    return _config(tmp_path, pd.DataFrame(ROWS, columns=HEADER), MAPPING)


def test_double_scans_and_split_payments_are_kept_and_only_true_repeats_set_aside(pos):
    clean, rejects, report = load_table(pos, "transactions", END)
    assert len(clean[clean["basket_id"] == "B1"]) == 2 and len(clean[clean["basket_id"] == "B2"]) == 2
    by_rule = dict(zip(rejects["rule"], rejects["row"].astype(int)))
    assert by_rule == {"duplicate_line": 8, "duplicate_line_id": 10}   # file rows: the header is row 1
    reason = rejects.loc[rejects["rule"] == "duplicate_line", "reason"].iloc[0]
    assert all(column in reason for column in HEADER)                  # it names the columns compared
    # stock of rows: read = kept + set aside + top-ups
    assert report.rows_read == report.rows_kept + len(rejects) + report.topup_rows
    sales = sum(r[4] for r in ROWS if r[7] == "销售")
    assert clean["amount"].sum() == pytest.approx(sales - 5.0 - 8.0)


def test_a_topup_is_no_sale_and_a_walk_in_id_is_no_member(pos):
    clean, _, report = load_table(pos, "transactions", END)
    assert report.topup_rows == 1 and "B3" not in set(clean["basket_id"])
    assert clean.loc[clean["basket_id"].isin(["B6", "B7", "B8"]), "customer_id"].isna().all()
    assert report.null_like_ids == {"0": 2, "散客": 1}   # counted as the placeholder they spell


def test_the_store_keeps_topups_apart_for_the_run(pos):
    current = store.update(pos, now=END)
    snap = store.snapshot(current, pos.store_dir, pd.Period("2025-02", "M"))
    topups = pd.concat([pd.read_parquet(pos.store_dir / p["file"]) for p in snap["tables"]["topups"]])
    assert topups["amount"].tolist() == [200.0] and topups["payment_method"].tolist() == ["现金"]
    lines = pd.concat([pd.read_parquet(pos.store_dir / p["file"]) for p in snap["tables"]["transactions"]])
    assert "_line" not in lines.columns and 200.0 not in set(lines["amount"])


def test_a_file_of_only_the_required_columns_says_which_column_would_keep_its_repeats(tmp_path):
    frame = pd.DataFrame(ROWS, columns=HEADER)[["会员号", "单号", "销售时间", "实收金额", "门店"]]
    cfg = _config(tmp_path, frame, {k: v for k, v in MAPPING.items()
                                    if k in ("customer_id", "basket_id", "timestamp", "amount", "store_id")})
    _, rejects, _ = load_table(cfg, "transactions", END)
    reasons = rejects.loc[rejects["rule"] == "duplicate_line", "reason"]
    assert len(reasons) == 3 and reasons.str.contains("line_id or product_id").all()   # B1, B2 and B4


def test_an_unmapped_column_alone_tells_lines_apart(tmp_path):
    """Without a mapping for 行号 or the payment method, they still make two rows two lines."""
    cfg = _config(tmp_path, pd.DataFrame(ROWS, columns=HEADER),
                  {k: v for k, v in MAPPING.items() if k not in ("line_id", "payment_method", "line_type")})
    clean, rejects, report = load_table(cfg, "transactions", END)
    assert rejects["row"].astype(int).tolist() == [8] and report.topup_rows == 0   # top-ups need line_type
    assert len(clean) == len(ROWS) - 1
