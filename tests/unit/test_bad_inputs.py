"""The bad-input corpus (tests/corpus): each fault leads to its expected error or reject.

Every case is a folder with a config.yml and small client files. A fault either sets
rows aside (rejects: table, file, row, column, rule, reason, value) or stops the load
with an error naming the file, column, rule and first offending rows. Row numbers are
the client's: in a CSV or Excel file the header is row 1.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retention_lib.core.config import load_config
from retention_lib.data.loading import load_source
from retention_lib.data.readers import ReadError
from retention_lib.data.prepare import prepare_run
from retention_lib.data.validation import REJECT_COLUMNS, ValidationError

CORPUS = Path(__file__).parent / "corpus"
NOW = pd.Timestamp("2024-04-05 12:00")  # only used by configs without settings.data_end
TX, CU, SV, CO, CA = "transactions", "customers", "surveys", "complaints", "campaigns"


def config(case: str, name: str = "config.yml", **changes):
    cfg = load_config(CORPUS / case / name)
    return cfg.with_settings(**changes) if changes else cfg


def load(case: str, name: str = "config.yml", **changes):
    return load_source(config(case, name, **changes), now=NOW)


def reject_set(rejects: pd.DataFrame) -> set[tuple]:
    return {(r.table, r.rule, r.column, int(r.row), None if pd.isna(r.value) else r.value)
            for r in rejects.itertuples()}


def assert_conserved(loaded) -> None:
    """Every row read is either kept or rejected, and each reject is one row in rejects."""
    for name, rep in loaded.reports.items():
        rejected = sum(rep.rejected_by_rule.values())
        assert rep.rows_read == rep.rows_kept + rejected, name
        assert len(loaded.tables[name]) == rep.rows_kept, name
        assert (loaded.rejects["table"] == name).sum() == rejected, name


# --------------------------------------------------------------------------- rejects
# case -> every reject expected, as (table, rule, column, file row, raw value).
# "" as the column means a whole-row rule; None as the value means no single value.
REJECT_CASES = {
    "unparseable_dates": {
        (TX, "unparseable_timestamp", "timestamp", 5, "2024-02-30 09:00:00"),
        (TX, "unparseable_timestamp", "timestamp", 9, "unknown"),
    },
    "future_dates": {  # data_end 2024-03-31; 2024-03-31 23:59:59 (row 10) is still in
        (TX, "future_timestamp", "timestamp", 7, "2024-04-02 10:00:00"),
        (TX, "future_timestamp", "timestamp", 9, "2030-01-01 00:00:00"),
    },
    "amounts": {
        (TX, "not_numeric", "amount", 5, "abc"),
        (TX, "not_numeric", "amount", 8, "N/A"),
    },
    "decimal_comma": {  # "12.50" is ambiguous when the decimal mark is a comma
        (TX, "not_numeric", "amount", 8, "12.50"),
    },
    "duplicate_lines": {(TX, "duplicate_line", "", 4, None)},
    "basket_conflict": {
        (TX, "basket_conflict", "customer_id", 2, "00123"),
        (TX, "basket_conflict", "customer_id", 3, "00999"),
        (TX, "basket_conflict", "store_id", 10, "S01"),
        (TX, "basket_conflict", "store_id", 11, "S02"),
    },
    "blank_line": {  # an empty line is an (empty) row; the rows after it keep their numbers
        (TX, "missing_value", "basket_id", 5, None),
        (TX, "unparseable_timestamp", "timestamp", 8, "unknown"),
    },
    "customers_bad": {
        (CU, "missing_value", "customer_id", 10, None),
        (CU, "duplicate_row", "", 11, None),
        (CU, "duplicate_key", "customer_id", 12, "00123"),
        (CU, "not_boolean", "marketing_consent", 13, "maybe"),
        (CU, "future_timestamp", "join_date", 14, "2024-05-01"),
        (CU, "out_of_range", "birthday", 15, "9999-12-31"),
    },
    "surveys_bad": {
        (SV, "out_of_range", "nps", 3, "11"),
        (SV, "out_of_range", "nps", 4, "-1"),
        (SV, "not_integer", "nps", 5, "7.5"),
        (SV, "not_numeric", "nps", 6, "ten"),
        (SV, "out_of_range", "csat", 7, "0"),
        (SV, "out_of_range", "csat", 8, "6"),
        (SV, "out_of_range", "dim_price", 9, "6"),
        (SV, "missing_value", "response_id", 10, None),
        (SV, "duplicate_key", "response_id", 11, "S01"),
    },
    "complaints_bad": {
        (CO, "closed_before_opened", "closed_at", 4, "2024-01-31 09:00:00"),
        (CO, "future_timestamp", "closed_at", 5, "9999-12-31 00:00:00"),
        (CO, "not_boolean", "resolved", 6, "maybe"),
        (CO, "missing_value", "resolved", 7, None),
    },
    "campaigns_bad": {
        (CA, "missing_value", "customer_id", 4, None),
        (CA, "not_allowed_value", "group", 7, "test"),
        (CA, "duplicate_key", "customer_id", 8, "00123"),
        (CA, "future_timestamp", "redeemed_at", 11, "2024-04-10 10:00:00"),
    },
    "timestamp_format_iso": {  # format '%d/%m/%Y %H:%M' first, then ISO 8601 and year-first
        (TX, "future_timestamp", "timestamp", 4, "2099-01-01 10:00:00"),
        (TX, "unparseable_timestamp", "timestamp", 6, "31/02/2024 10:00"),
    },
}


@pytest.mark.parametrize("case", sorted(REJECT_CASES))
def test_fault_goes_to_rejects_with_its_rule_and_row(case):
    loaded = load(case)
    rejects = loaded.rejects
    assert list(rejects.columns) == REJECT_COLUMNS
    assert reject_set(rejects) == REJECT_CASES[case]
    cfg = config(case)
    for table, file in rejects[["table", "file"]].drop_duplicates().itertuples(index=False):
        assert Path(file) == cfg.tables[table].path
    assert rejects["reason"].str.len().gt(0).all()
    assert_conserved(loaded)


@pytest.mark.parametrize("case", ["good", "timestamp_format", "year_first_slash", "month_gap",
                                  *sorted(REJECT_CASES)])
def test_rows_read_are_the_file_rows(case):
    """Nothing is lost before validation either: rows read == data lines in the file."""
    loaded = load(case)
    for name, src in config(case).tables.items():
        lines = src.path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        assert loaded.reports[name].rows_read == len(lines) - 1, name
    assert_conserved(loaded)


def test_good_corpus_loads_without_rejects():
    loaded = load("good")
    assert loaded.rejects.empty and list(loaded.rejects.columns) == REJECT_COLUMNS
    assert set(loaded.tables) == {TX, CU, SV, CO, CA}
    tx = loaded.tables[TX]
    assert tx["customer_id"].tolist()[:4] == ["00123", "00123", "00456", pd.NA]  # zeros kept
    assert tx["customer_id"].isna().sum() == 1  # a non-member basket is allowed
    assert loaded.data_end == pd.Timestamp("2024-03-31 23:59:59.999999")


def test_future_is_judged_against_now_without_data_end():
    # Without settings.data_end the clock decides: at NOW (2024-04-05) only 2030 is future.
    loaded = load("future_dates", data_end=None)
    assert reject_set(loaded.rejects) == {
        (TX, "future_timestamp", "timestamp", 9, "2030-01-01 00:00:00")}
    assert "2024-04-05" in loaded.rejects["reason"].iloc[0]


# --------------------------------------------------------------------------- values that parse
def _timestamps(case):
    return load(case).tables[TX]["timestamp"].tolist()


def test_configured_timestamp_format_parses_the_day_first_file():
    assert _timestamps("timestamp_format") == _timestamps("good")


def test_configured_format_first_then_iso_and_year_first():
    tx = load("timestamp_format_iso").tables[TX].set_index("basket_id")["timestamp"]
    assert tx.to_dict() == {
        "B001": pd.Timestamp("2024-03-05 10:23"),  # 05/03: day first, as configured
        "B002": pd.Timestamp("2024-03-06 11:00"),  # ISO 8601
        "B004": pd.Timestamp("2024-03-07 09:00"),  # year-first slash
        "B006": pd.Timestamp("2024-03-07 18:30"),  # 07/03 is 7 March, not 3 July
    }


def test_year_first_slash_timestamps_parse_without_config():
    assert _timestamps("year_first_slash") == _timestamps("good")


def test_currency_signs_and_thousands_separators_parse():
    tx = load("amounts").tables[TX].set_index("basket_id")
    assert tx["amount"].tolist() == [12.5, 8.0, 1234.5, -8.0, 60.0, 15.0, 9.9, 5.0]
    assert tx.loc["B004", "amount"] == -8.0  # "-¥8.00", a return


def test_decimal_comma_parses():
    tx = load("decimal_comma").tables[TX]
    assert tx["amount"].tolist() == [12.5, 8.0, 1234.5, 4.5, -8.0, 60.0, 15.0, 9.9, 5.0]


def test_duplicate_line_keeps_the_first():
    tx = load("duplicate_lines").tables[TX]
    assert tx.equals(load("good").tables[TX])


def test_booleans_in_many_spellings():
    cu = load("customers_bad").tables[CU].set_index("customer_id")
    consent = cu["marketing_consent"]
    assert consent.loc[["00123", "00789", "01001", "01003"]].tolist() == [True] * 4  # yes 是 1 TRUE
    assert consent.loc[["00456", "01000", "01002", "01004"]].tolist() == [False] * 4  # no 否 0 false
    assert pd.isna(consent.loc["01008"])
    assert cu.loc["00123", "join_date"] == pd.Timestamp("2023-05-01")  # the first 00123 kept
    co = load("complaints_bad").tables[CO].set_index("complaint_id")
    assert co["resolved"].to_dict() == {"C01": True, "C02": False, "C07": True, "C08": False,
                                        "C09": True, "C10": False}


def test_survey_scales_keep_inclusive_bounds_and_blank_dimensions():
    sv = load("surveys_bad").tables[SV].set_index("response_id")
    assert sv.loc["S10", ["nps", "csat"]].tolist() == [0, 1]
    assert sv.loc["S11", "nps"] == 8
    assert sv.loc["S09", ["dim_variety", "dim_price"]].isna().all()


def test_campaign_group_is_case_and_space_insensitive():
    ca = load("campaigns_bad").tables[CA]
    assert set(ca["group"]) == {"treatment", "control"}
    assert ca.set_index("customer_id").loc["01000", "group"] == "control"


# --------------------------------------------------------------------------- errors
# case, config, exception, rule, column, first rows, text the message must contain
ERROR_CASES = [
    ("missing_column", "config.yml", ValidationError, "missing_column", "amount", [],
     ["missing_column/transactions.csv", "required column 'amount' not found"]),
    ("missing_mapped_column", "config.yml", ValidationError, "missing_column", "customer_id", [],
     ["good/transactions.csv", "required column '会员号' not found"]),
    ("mapped_optional_missing", "config.yml", ValidationError, "missing_column", "discount", [],
     ["good/transactions.csv", "'折扣' not found"]),
    ("dates_wrong_format", "config.yml", ValidationError, "unparseable_timestamp", "timestamp",
     list(range(2, 12)), ["dates_wrong_format/transactions.csv", "10 of 10 rows",
                          "'05/01/2024 10:23'", "first offending rows: 2, 3, 4, 5, 6"]),
    ("mapped_column_error", "config.yml", ValidationError, "unparseable_timestamp", "timestamp",
     [2, 3, 4], ["mapped_column_error/transactions.csv", "(client column '交易时间')",
                 "first offending rows: 2, 3, 4"]),
    ("mixed_timezones", "config.yml", ValidationError, "mixed_timezones", "timestamp", [],
     ["mixed_timezones/transactions.csv", "offset"]),
    ("empty_transactions", "config.yml", ValidationError, "empty_table", None, [],
     ["empty_transactions/transactions.csv", "no rows"]),
    ("empty_file", "config.yml", ReadError, None, None, [],
     ["empty_file/transactions.csv", "empty"]),
    ("missing_file", "config.yml", ReadError, None, None, [],
     ["missing_file/no_such_file.csv", "file not found"]),
    ("unsupported_suffix", "config.yml", ReadError, None, None, [],
     ["unsupported_suffix/transactions.json", "unsupported file type '.json'"]),
    ("malformed", "config.yml", ReadError, None, None, [],
     ["malformed/transactions.csv", "not a well-formed CSV", "line 3"]),
    ("encodings", "declared_utf8_on_gbk.yml", ReadError, None, None, [],
     ["transactions_gbk.csv", "declared encoding 'utf-8'"]),
    ("encodings", "declared_gbk_on_utf8.yml", ReadError, None, None, [],
     ["transactions_utf8.csv", "declared encoding 'gbk'"]),
]


@pytest.mark.parametrize("case,name,exc,rule,column,rows,fragments", ERROR_CASES,
                         ids=[f"{c[0]}/{c[1]}" for c in ERROR_CASES])
def test_fault_stops_with_a_clear_error(case, name, exc, rule, column, rows, fragments):
    with pytest.raises(exc) as info:
        load(case, name)
    message = str(info.value)
    for text in fragments:
        assert text in message
    if exc is ValidationError:
        err = info.value
        assert (err.rule, err.column, err.rows) == (rule, column, rows)
        assert f"rule '{rule}'" in message
        assert (f"column '{column}'" if column else "table:") in message


@pytest.mark.parametrize("share,outcome", [(0.05, "error"), (0.19, "error"), (0.2, "rejects"),
                                           (0.25, "rejects")])
def test_max_reject_share_turns_many_rejects_into_an_error(share, outcome):
    # 2 of the 10 rows of the amounts case are not numbers: 20 %.
    if outcome == "rejects":
        loaded = load("amounts", max_reject_share=share)
        assert loaded.reports[TX].rejected_by_rule == {"not_numeric": 2}
        return
    with pytest.raises(ValidationError) as info:
        load("amounts", max_reject_share=share)
    err = info.value
    assert (err.rule, err.column, err.rows) == ("not_numeric", "amount", [5, 8])
    message = str(info.value)
    for text in ("amounts/transactions.csv", "column 'amount'", "rule 'not_numeric'",
                 "2 of 10 rows", "['abc', 'N/A']", "first offending rows: 5, 8"):
        assert text in message


# --------------------------------------------------------------------------- the month
@pytest.mark.parametrize("case,month", [("good", "2023-06"), ("good", "2024-05"),
                                        ("month_gap", "2024-02")])
def test_month_without_data(case, month, tmp_path):
    with pytest.raises(ValidationError) as info:
        prepare_run(config(case), month, tmp_path / "run", now=NOW)
    err = info.value
    assert (err.rule, err.column) == ("month_without_data", "timestamp")
    assert f"no transactions in {month}" in str(err)
    assert str(err).startswith(str(config(case).tables[TX].path))


def test_prepared_run_writes_the_rejects_table(tmp_path):
    run = prepare_run(config("unparseable_dates"), "2024-03", tmp_path / "run", now=NOW)
    rejects = pd.read_csv(run.run_dir / "rejects.csv", dtype=str)
    assert list(rejects.columns) == REJECT_COLUMNS
    assert rejects["row"].tolist() == ["5", "9"]
    quality = run.read("data_quality")
    assert quality["rejected_rows"] == 2
    assert quality["tables"][TX]["rows_read"] == 10


# --------------------------------------------------------------------------- encodings and formats
VARIANTS = ["utf8_bom", "gbk", "gb18030", "xlsx", "parquet"]


@pytest.fixture(scope="module")
def utf8_tables():
    loaded = load("encodings", "utf8.yml")
    assert loaded.rejects.empty
    return loaded.tables


def test_chinese_text_reads_right(utf8_tables):
    tx, sv = utf8_tables[TX], utf8_tables[SV]
    assert tx["category"].tolist() == ["生鲜", "乳品", "肉禽水产", "饮料", "日用品"]
    assert tx["customer_id"].tolist() == ["00123", "00123", "00456", pd.NA, "00789"]
    assert tx["store_id"].iloc[-1] == "门店二"
    assert sv["comment"].tolist() == ["很满意", "蔬菜不新鲜", "价格贵, 但是新鲜"]
    assert sv["channel"].tolist() == ["小程序", "门店", "电话"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_encoding_and_format_loads_identically(variant, utf8_tables):
    loaded = load("encodings", f"{variant}.yml")
    assert loaded.rejects.empty
    for name in (TX, SV):
        pd.testing.assert_frame_equal(loaded.tables[name], utf8_tables[name], obj=f"{variant} {name}")
    assert_conserved(loaded)


# --------------------------------------------------------------------------- null-like customer ids
# The null_ids transactions (GBK): 14 baskets. Members: B001 (40.00), B012 (50.00), B013 (15.00,
# id "NULL01" is a real id) and B014 (25.00). Every other basket has a placeholder id or none.
NULL_LIKE_LINES = {"NULL": 3, "null": 1, "N/A": 1, "#N/A": 1, "None": 1, "nan": 1, "-": 1, "n/a": 1}
MEMBER_BASKETS = {"B001", "B012", "B013", "B014"}


def test_null_like_ids_become_non_member_baskets():
    loaded = load("null_ids")
    tx = loaded.tables[TX]
    assert set(tx.loc[tx["customer_id"].notna(), "basket_id"]) == MEMBER_BASKETS
    assert tx["basket_id"].nunique() - len(MEMBER_BASKETS) == 10
    assert set(tx["customer_id"].dropna()) == {"00123", "00456", "00789", "NULL01"}
    assert loaded.reports[TX].null_like_ids == NULL_LIKE_LINES  # the blank id (B009) is not counted
    assert loaded.reports[TX].rejected_by_rule == {}
    # Optional ids elsewhere become null too.
    assert loaded.tables[SV]["customer_id"].isna().tolist() == [False, True, True]
    assert loaded.reports[SV].null_like_ids == {"None": 1}
    assert loaded.tables[CO].set_index("complaint_id")["customer_id"].isna().to_dict() == {"C1": False,
                                                                                             "C2": True}
    assert loaded.reports[CO].null_like_ids == {"-": 1}
    assert_conserved(loaded)


def test_required_null_like_ids_are_missing_value_rejects():
    loaded = load("null_ids")
    assert reject_set(loaded.rejects) == {
        (CU, "missing_value", "customer_id", 6, "NULL"),
        (CU, "missing_value", "customer_id", 7, "n/a"),
        (CU, "missing_value", "customer_id", 8, None),
        (CA, "missing_value", "customer_id", 3, "#N/A"),
    }
    reasons = loaded.rejects.set_index(["table", "row"])["reason"]
    assert "'NULL' is a placeholder for no customer" in reasons[(CU, 6)]
    assert "null_customer_ids" in reasons[(CA, 3)]
    assert reasons[(CU, 8)] == "customer_id is empty"
    assert sorted(loaded.tables[CU]["customer_id"]) == ["00123", "00456", "00789", "NULL01"]


def test_null_customer_ids_setting_replaces_the_list():
    cfg = config("null_ids")
    cfg = cfg.with_settings(null_customer_ids=("null01", "-"))
    loaded = load_source(cfg, now=NOW)
    tx = loaded.tables[TX]
    assert loaded.reports[TX].null_like_ids == {"NULL01": 1, "-": 1}
    assert tx.loc[tx["basket_id"] == "B002", "customer_id"].tolist() == ["NULL", "NULL"]  # a member now


def test_a_too_large_share_of_null_like_required_ids_stops_the_load():
    with pytest.raises(ValidationError) as info:
        load("null_ids", max_reject_share=0.2)
    err = info.value
    assert (err.rule, err.column, err.rows) == ("missing_value", "customer_id", [6, 7, 8])
    assert "customers.csv" in str(err) and "placeholder for no customer such as 'NULL'" in str(err)


def test_data_quality_shows_null_like_ids(tmp_path):
    from retention_lib.data import quality

    run = prepare_run(config("null_ids"), "2024-03", tmp_path / "run", now=NOW)
    assert run.read("data_quality")["tables"][TX]["null_like_ids"] == NULL_LIKE_LINES
    shown = quality.loaded_tables(run).set_index("table")[quality.NULL_LIKE]
    assert shown[TX] == "NULL: 3; #N/A: 1; -: 1; N/A: 1; None: 1; n/a: 1; nan: 1; null: 1"
    assert shown[CU] == "—"
    facts = quality.facts(run)
    assert (facts["member_baskets"], facts["non_member_baskets"]) == (4, 10)
    assert facts["member_revenue_share"] == pytest.approx(130 / 217)  # 40+50+15+25 of all 217
    assert facts["null_like_customer_ids"] == NULL_LIKE_LINES
