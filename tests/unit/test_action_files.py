"""The action-list files store staff open (report/action_files): headers, labels and rounded numbers in the
report's language, a workbook laid out for reading, and the files read back under the internal column names
whatever language they speak."""
import csv
import re

import openpyxl
import pandas as pd
import pytest
from test_actions import ALL_YES, IDS, customers, favs, scores

from retention_lib.analytics import actions
from retention_lib.report import action_files, language

TIERS = pd.Series(["core", "key", "developable", "low-priority", "core", "key"] + ["core"] * 6,
                  index=pd.Index(IDS, name="customer_id"))
# balances: one of 20,000 or more puts the column in whole units; points of 0.4 round to 0
PEOPLE = customers(ALL_YES).assign(stored_value=[12.345, 0.0, None, 20000.5] * 3, points=[10, 20, None, 0.4] * 3)


@pytest.fixture
def zh():
    language.use("zh-CN")
    yield
    language.use(language.DEFAULT)


def lists() -> list[actions.ActionList]:
    s = scores().join(TIERS.rename("tier"))
    return [actions.retain(s, PEOPLE, favs(), 10), actions.winback(s, PEOPLE, favs(), 10),
            actions.welcome(s, PEOPLE, favs(), 10),
            actions.birthdays(PEOPLE, pd.Period("2025-01", "M"), pd.Index(["A", "C", "E"])),
            actions.holiday_greetings(PEOPLE, TIERS)]


def written(folder, lst):
    return action_files.write(lst, folder / f"{lst.name}.csv", folder / f"{lst.name}.xlsx", "CNY")


def csv_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_chinese_run_writes_headers_labels_and_rounded_numbers_a_clerk_reads(tmp_path, zh):
    files = {lst.name: written(tmp_path, lst) for lst in lists()}
    header, *body = csv_rows(files["retain"][0])
    assert header == ["序号", "会员编号", "姓名", "电话", "归属门店", "价值分层", "最近到店", "常买品类（近6个月）",
                      "储值余额（元）", "积分", "仍在光顾的概率（%）", "预计价值（元）", "面临流失的价值（元）", "本月新增预警"]
    first = dict(zip(header, body[0]))   # H: core, P(alive) 0.50, CLV 100, at stake 300, not newly at risk
    assert (first["会员编号"], first["价值分层"], first["仍在光顾的概率（%）"], first["本月新增预警"], first["最近到店"]) == (
        "H", "核心客户", "50", "否", "2025-03-06")
    assert csv_rows(files["winback"][0])[0][5] == "会员状态"
    assert {r[5] for r in csv_rows(files["winback"][0])[1:]} == {"新流失", "沉睡"}
    assert {r[-1] for r in csv_rows(files["holiday_greetings"][0])[1:]} <= {"核心客户", "重点客户"}
    for csv_path, _ in files.values():
        cells = [c for row in csv_rows(csv_path) for c in row]
        assert not [c for c in cells if c in ("True", "False", "nan", "NaT") or re.search(r"[A-Za-z]{3,}", c)
                    and c not in ("fresh produce",)]
        assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d{3,}", c)]   # no float beyond 2 decimals
        assert not [c for c in cells if re.search(r"\d{2}:\d{2}", c)]         # dates without a time


def test_money_follows_the_report_rule_and_percentages_are_whole(tmp_path, zh):
    retain = lists()[0]
    frame, formats = action_files.shown(retain.rows, "CNY")
    # a balance of 20,000.5 puts the column in whole units; P(alive) 0.5 is 50; CLV (all under 10,000) keeps cents
    assert frame["储值余额（元）"].tolist()[:1] == [20000] and formats["储值余额（元）"] == "#,##0"
    assert frame["仍在光顾的概率（%）"].tolist() == [50, 60, 70] and formats["仍在光顾的概率（%）"] == "0"
    assert formats["预计价值（元）"] == "#,##0.00" and formats["积分"] == "#,##0"
    assert frame["积分"].tolist()[:1] == [0]


def test_the_workbook_is_laid_out_for_reading(tmp_path, zh):
    _, xlsx = written(tmp_path, lists()[1])
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.title == "唤回名单" and ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    heads = {c.value: c.column_letter for c in ws[1]}
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths[heads["如能留住的预计价值（元）"]] == 2 * 12 + 2   # twelve wide characters
    assert widths[heads["序号"]] >= 4 and widths[heads["会员编号"]] == 10
    row = {c.value: cell for c, cell in zip(ws[1], ws[2])}
    assert isinstance(row["仍在光顾的概率（%）"].value, int) and row["仍在光顾的概率（%）"].number_format == "0"
    assert row["如能留住的预计价值（元）"].number_format == "#,##0" and row["最近到店"].number_format == "yyyy-mm-dd"
    assert row["会员状态"].value == "新流失" and row["会员状态"].data_type == "s"


def test_an_english_run_has_english_headers(tmp_path):
    csv_path, xlsx = written(tmp_path, lists()[1])
    assert csv_rows(csv_path)[0] == [
        "Rank", "Member id", "Name", "Phone", "Home store", "Member state", "Last visit", "Days since last visit",
        "Top categories (6 months)", "Stored-value balance (CNY)", "Points", "Chance still shopping (%)",
        "Value if retained (CNY)", "Expected value of a contact (CNY)"]
    assert csv_rows(csv_path)[1][5] == "Lapsed this month"
    assert openpyxl.load_workbook(xlsx).active.title == "Win back"


@pytest.mark.parametrize("tag", ["zh-CN", "en"])
def test_every_list_reads_back_under_its_internal_names_in_either_language(tmp_path, tag):
    language.use(tag)
    try:
        made = {lst.name: (lst, written(tmp_path, lst)) for lst in lists()}
    finally:
        language.use(language.DEFAULT if tag != language.DEFAULT else "zh-CN")   # read in the other language
    try:
        for name, (lst, paths) in made.items():
            for path in paths:
                back = action_files.read(path)
                expected = lst.rows[[c for c in action_files.KINDS if c in lst.rows]]
                assert list(back.columns) == list(expected.columns), (name, path.suffix)
                for column in expected:
                    want, got = expected[column], back[column]
                    if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
                        assert got.astype(float).tolist() == pytest.approx(want.astype(float).tolist(), abs=0.5,
                                                                           nan_ok=True), (name, column)
                    else:
                        assert got.astype(object).where(got.notna(), None).tolist() == \
                            want.astype(object).where(want.notna(), None).tolist(), (name, column)
    finally:
        language.use(language.DEFAULT)


def test_an_empty_list_writes_and_reads_back_empty(tmp_path, zh):
    nothing = actions.birthdays(None, pd.Period("2025-01", "M"), pd.Index([]))
    csv_path, xlsx = written(tmp_path, nothing)
    assert action_files.read(csv_path).empty and action_files.read(xlsx).empty


def test_a_column_without_a_header_is_an_error_and_an_unknown_header_too():
    with pytest.raises(KeyError, match="fax"):
        action_files.shown(pd.DataFrame({"customer_id": ["A"], "fax": ["1"]}), "CNY")
    with pytest.raises(KeyError, match="传真"):
        action_files.column_of("传真")
    assert action_files.column_of("储值余额（美元）") == "stored_value"   # any currency's unit
    assert action_files.column_of("customer_id") == "customer_id"    # files of earlier runs
