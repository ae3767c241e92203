"""The stores' action register (report/action_register): written from the store pages' own actions in the
report's language, filled in by a store in Excel as it would be, read back in either language, and
followed up the next month; a malformed register gives problems naming file, column, row and rule, and
never an exception."""
import datetime as dt
import json
import os
import shutil

import openpyxl
import pandas as pd
import pytest

from retention_lib.analytics import store_pages
from retention_lib.core.config import Config
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.report import action_register as ar
from retention_lib.report import language
from retention_lib.report.text import say

MONTH = "2025-11"
CHAIN = {"currency": "CNY", "churn_rate": 0.05, "complaint_rate": 2.0, "avg_basket_value": 50.0}


@pytest.fixture
def zh():
    language.use("zh-CN")
    yield
    language.use(language.DEFAULT)


def kpi(name, **values):
    cols = ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel")
    return {"kpi": name, "kind": "x", **{c: values.get(c) for c in cols}}


def page(store, churn=0.03, lists=(4, 6, 3), complaints=None, basket_yoy=None):
    return {"store_id": store, "kpis": [kpi("churn_rate", value=churn),
                                        kpi("avg_basket_value", value=48.0, year_ago=52.0, yoy_rel=basket_yoy)],
            "states": {"lapsed": 5, "dormant": 7}, "at_risk": {"at_risk": 9},
            "lists": dict(zip(("retain", "winback", "welcome"), lists)), "complaints": complaints}


def month_run(tmp_path, month=MONTH, lang="en", pages=None, with_pages=True) -> Run:
    """A run folder of `month` whose store_pages artifact holds the pages' actions; the client's folder
    (the config's) is tmp_path/client."""
    client = tmp_path / "client"
    client.mkdir(parents=True, exist_ok=True)
    config = Config(path=client / "client.yml", name="Test chain", source="files", simulated=False, tables={},
                    language=lang)
    run = Run(config, pd.Period(month, "M"), tmp_path / f"run-{month}-{lang}")
    if with_pages:
        pages = pages or [page("S01", churn=0.08), page("S02", basket_yoy=-0.08, lists=(0, 2, 0)),
                          page("S03", lists=(0, 0, 0))]
        view = store_pages.StorePages(month, str(pd.Period(month, "M") - 1), str(pd.Period(month, "M") - 12), CHAIN)
        view.stores = [{**p, "actions": store_pages.actions(p, CHAIN)} for p in pages]
        run.write("store_pages", view.to_dict())
    return run


def header_positions(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1]}


def fill(path, values: dict[str, dict[str, object]], out=None, drop=()):
    """Fill the register as a store does in Excel: by action id, the columns named by their headers; `drop`
    deletes columns by header."""
    book = openpyxl.load_workbook(path)
    ws = book.active
    where = header_positions(ws)
    for row in range(2, ws.max_row + 1):
        for header, value in values.get(ws.cell(row, 1).value, {}).items():
            ws.cell(row, where[header]).value = value
    for header in drop:
        ws.delete_cols(header_positions(ws)[header])
    book.save(out or path)
    return out or path


# --------------------------------------------------------------------------- writing
def test_one_row_per_store_action_with_a_stable_id_its_text_and_its_list(tmp_path):
    run = month_run(tmp_path)
    pages_ = run.read("store_pages")
    frame = ar.rows(pages_, MONTH)
    # S01: churn above the chain's → retain (churn), win-back, welcome; S02: basket down, win-back; S03: no list
    assert frame["action_id"].tolist() == ["2025-11-S01-1", "2025-11-S01-2", "2025-11-S01-3", "2025-11-S02-1",
                                           "2025-11-S02-2"]
    assert frame["list"].tolist() == ["retain", "winback", "welcome", None, "winback"]
    assert frame["action"].iloc[0] == say(Message.from_dict(pages_["stores"][0]["actions"][0]))
    assert frame["action"].iloc[0].startswith("Churn here is 8.0% against 5.0%")
    assert not frame["action"].str.contains("<").any()          # plain text
    assert frame["store"].tolist() == ["S01"] * 3 + ["S02"] * 2 and set(frame["month"]) == {MONTH}
    assert ar.rows(pages_, MONTH).equals(frame)                  # the same data, the same ids


def test_the_register_is_written_in_chinese_with_a_status_drop_down_and_a_due_date(tmp_path):
    run = month_run(tmp_path, lang="zh-CN")
    path = ar.write(run)
    assert path == run.run_dir / "actions" / "action_register.xlsx"
    assert language.active() == "en"                          # the run's language only while writing
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "行动登记"
    assert [c.value for c in ws[1]] == ["行动编号", "月份", "门店", "行动", "联系名单", "负责人", "截止日期", "状态", "备注"]
    assert ws["B2"].value == "2025年11月" and ws["E2"].value == "留住名单" and ws["E5"].value is None
    assert ws["D2"].value.startswith("本店流失率为8.0%")
    assert ws["G2"].value == dt.datetime(2025, 12, 31) and ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].value is None and ws["H2"].value is None and ws.freeze_panes == "A2"
    (check,) = ws.data_validations.dataValidation
    assert (check.type, check.formula1, str(check.sqref)) == ("list", '"未开始,进行中,已完成,未完成"', "H2:H6")


def test_the_english_register_speaks_english(tmp_path):
    ws = openpyxl.load_workbook(ar.write(month_run(tmp_path))).active
    assert [c.value for c in ws[1]][-4:] == ["Owner", "Due date", "Status", "Note"]
    assert ws["B2"].value == "2025-11" and ws["E3"].value == "Win-back list"
    assert ws.data_validations.dataValidation[0].formula1 == '"Not started,In progress,Done,Not done"'


def test_the_same_data_gives_the_same_bytes(tmp_path):
    run = month_run(tmp_path, lang="zh-CN")
    first = ar.write(run).read_bytes()
    os.utime(run.path("action_register"), (0, 0))
    assert ar.write(run).read_bytes() == first
    assert ar.write(month_run(tmp_path / "again", lang="zh-CN")).read_bytes() == first   # another folder


def test_no_register_without_store_pages(tmp_path):
    run = month_run(tmp_path, with_pages=False)
    assert ar.write(run) is None
    assert not (run.path("action_register")).exists()


def test_client_text_never_becomes_a_formula(tmp_path):
    hostile = '=HYPERLINK("http://x","y")'
    run = month_run(tmp_path, pages=[page(hostile, churn=0.08), page("<b>S2</b>", lists=(1, 0, 0))])
    frame = ar.rows(run.read("store_pages"), MONTH)
    frame.loc[1, "action"] = "=1+1"
    path = ar.to_xlsx(frame, tmp_path / "hostile.xlsx", MONTH)
    ws = openpyxl.load_workbook(path).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.value.startswith(("=", "+", "-", "@")) or c.data_type == "f"]
    assert ws["C2"].value == "'" + hostile and ws["D3"].value == "'=1+1"
    back = ar.read(path).rows                                  # read back as the client wrote it
    assert back["store"].iloc[0] == hostile and back["action"].iloc[1] == "=1+1"
    assert back["action_id"].iloc[0] == f"{MONTH}-{hostile}-1"
    # store names are client text: the report's sentences escape them
    fill(ar.write(run), {"2025-11-<b>S2</b>-1": {"Status": "Done"}}, tmp_path / "client" / ar.FILE)
    said = " ".join(ar.sentences(ar.follow_up(month_run(tmp_path, "2025-12", with_pages=False))))
    assert "&lt;b&gt;S2&lt;/b&gt;: 1 done." in said and "<b>" not in said


# --------------------------------------------------------------------------- reading back
def test_a_chinese_register_filled_by_a_store_reads_back(tmp_path, zh):
    run = month_run(tmp_path, lang="zh-CN")
    filled = fill(ar.write(run), {
        "2025-11-S01-1": {"状态": "已完成", "负责人": "王店长", "备注": "已致电4人"},
        "2025-11-S01-2": {"状态": "　进行中 ", "负责人": " 李 ", "截止日期": dt.datetime(2026, 1, 15)},   # full-width space
        "2025-11-S01-3": {"状态": "Not done"},                    # typed by hand in English
        "2025-11-S02-1": {"状态": "未开始", "截止日期": "2026/1/20"},  # a day typed as text
    }, tmp_path / "client" / "action_register.xlsx")
    got = ar.read(filled)
    assert got.problems == [] and got.readable
    rows = got.rows.set_index("action_id")
    assert rows["status"].tolist() == ["done", "in_progress", "not_done", "not_started", None]
    assert rows["owner"].tolist()[:3] == ["王店长", "李", None]
    assert rows.loc["2025-11-S01-1", "note"] == "已致电4人"
    assert rows["due"].tolist() == [pd.Timestamp(d) for d in ("2025-12-31", "2026-01-15", "2025-12-31",
                                                                 "2026-01-20", "2025-12-31")]
    assert rows["list"].tolist() == ["retain", "winback", "welcome", None, "winback"]
    assert set(rows["month"]) == {MONTH} and rows["row"].tolist() == [2, 3, 4, 5, 6]

    later = month_run(tmp_path, "2025-12", lang="zh-CN", with_pages=False)
    fu = ar.follow_up(later)
    assert json.loads(json.dumps(fu)) == fu                   # an artifact
    assert fu["found"] and fu["file"] == "action_register.xlsx"
    assert fu["totals"] == {"actions": 5, "done": 1, "in_progress": 1, "not_started": 1, "not_done": 1, "unfilled": 1}
    (month,) = fu["months"]
    assert [s["store"] for s in month["stores"]] == ["S01", "S02"]
    assert month["stores"][0]["done_actions"] == ["2025-11-S01-1"]
    assert fu["done_lists"] == [{"month": MONTH, "store": "S01", "list": "retain", "action_id": "2025-11-S01-1"}]
    said = ar.sentences(fu)
    assert said[0] == "2025年11月的行动登记表已交回：共5项行动，已完成1项、进行中1项、未开始1项、未完成1项、未填写1项。"
    assert said[1] == "S01：已完成1项、进行中1项、未完成1项。"


def test_an_english_register_reads_back_with_statuses_typed_in_either_language(tmp_path):
    run = month_run(tmp_path)
    filled = fill(ar.write(run), {
        "2025-11-S01-1": {"Status": "Done", "Owner": "Store manager"},
        "2025-11-S01-2": {"Status": "done"},
        "2025-11-S01-3": {"Status": "已完成"},
        "2025-11-S02-1": {"Status": "NOT DONE "},
    }, tmp_path / "client" / "Action_Register_2025-11.xlsx")
    assert ar.find(month_run(tmp_path, "2025-12", with_pages=False)) == filled
    got = ar.read(filled)
    assert got.rows["status"].tolist() == ["done", "done", "done", "not_done", None] and got.problems == []
    fu = ar.follow_up(month_run(tmp_path, "2025-12", with_pages=False))
    assert [d["list"] for d in fu["done_lists"]] == ["retain", "winback", "welcome"]
    assert ar.sentences(fu)[:3] == [
        "The action register for 2025-11 came back: 5 actions, 3 done, 1 not done, 1 left blank.",
        "S01: 3 done.", "S02: 1 not done, 1 left blank."]


def test_a_blank_register_counts_every_action_as_left_blank(tmp_path):
    shutil.copy(ar.write(month_run(tmp_path)), tmp_path / "client" / ar.FILE)
    fu = ar.follow_up(month_run(tmp_path, "2025-12", with_pages=False))
    assert fu["totals"] == {"actions": 5, "done": 0, "in_progress": 0, "not_started": 0, "not_done": 0, "unfilled": 5}
    assert fu["done_lists"] == [] and fu["problems"] == []
    assert ar.sentences(fu)[0] == "The action register for 2025-11 came back: 5 actions, 5 left blank."


def test_only_actions_of_earlier_months_are_followed_up(tmp_path):
    shutil.copy(ar.write(month_run(tmp_path)), tmp_path / "client" / ar.FILE)
    fu = ar.follow_up(month_run(tmp_path, MONTH, with_pages=False))   # the same month: nothing earlier
    assert fu["found"] and fu["months"] == [] and fu["totals"]["actions"] == 0
    assert ar.sentences(fu) == ["The action register action_register.xlsx in the client's folder holds no action "
                                "from before 2025-11: there is nothing to follow up."]


# --------------------------------------------------------------------------- finding it
def test_find_takes_the_newest_register_in_the_clients_folder(tmp_path):
    run = month_run(tmp_path, "2025-12", with_pages=False)
    client = tmp_path / "client"
    assert ar.find(run) is None
    for i, name in enumerate(["action_register_2025-10.xlsx", "行动登记_2025-11.xlsx", "~$action_register.xlsx",
                              "action_register.csv", "other.xlsx"]):
        (client / name).write_bytes(b"x")
        os.utime(client / name, (1_000_000 + i, 1_000_000 + i))
    assert ar.find(run) == client / "行动登记_2025-11.xlsx"
    os.utime(client / "action_register_2025-10.xlsx", (2_000_000, 2_000_000))
    assert ar.find(run) == client / "action_register_2025-10.xlsx"


def test_no_register_is_a_sentence_not_an_error(tmp_path, zh):
    run = month_run(tmp_path, "2025-12", lang="zh-CN", with_pages=False)
    fu = ar.follow_up(run)
    assert fu["found"] is False and fu["months"] == [] and json.loads(json.dumps(fu)) == fu
    (said,) = ar.sentences(fu)
    # where to drop it, without a server path in a report that is emailed
    assert said.startswith("在客户文件夹（配置文件所在的文件夹）中没有找到填好的行动登记表：2025年11月各门店的行动无法跟进")
    assert str(tmp_path) not in said and fu["folder"] == str(tmp_path / "client")
    language.use("en")
    assert ar.sentences(fu)[0].startswith("No filled action register was found in the client's folder (the config "
                                          "file's folder): the stores' actions of 2025-11 cannot be followed up.")


# --------------------------------------------------------------------------- malformed registers
def test_a_missing_status_column_is_a_problem_naming_file_column_and_row(tmp_path):
    path = fill(ar.write(month_run(tmp_path)), {}, tmp_path / "client" / "action_register.xlsx", drop=["Status"])
    got = ar.read(path)
    assert not got.readable and got.rows.empty
    assert got.texts() == ["action_register.xlsx, row 1: the header row has no column “Status”, which the register "
                           "needs. The register was not read."]
    fu = ar.follow_up(month_run(tmp_path, "2025-12", with_pages=False))
    assert fu["found"] and fu["totals"]["actions"] == 0 and fu["problems"] == got.texts()
    assert ar.sentences(fu) == ["1 problem in the action register action_register.xlsx; fix it in the file and put it "
                                "back before next month's run:", got.texts()[0]]


def test_unknown_statuses_text_due_dates_and_duplicate_ids_are_problems_and_the_rest_reads(tmp_path, zh):
    path = fill(ar.write(month_run(tmp_path, lang="zh-CN")), {
        "2025-11-S01-1": {"状态": "搞定了"},
        "2025-11-S01-2": {"状态": "已完成", "截止日期": "下周五"},
        "2025-11-S01-3": {"状态": "已完成", "行动编号": "2025-11-S01-1"},
        "2025-11-S02-1": {"状态": "已完成", "联系名单": "大客户名单"},
    }, tmp_path / "bad.xlsx")
    got = ar.read(path)
    assert got.rows["action_id"].tolist() == ["2025-11-S01-1", "2025-11-S01-2", "2025-11-S02-1", "2025-11-S02-2"]
    assert got.rows["status"].tolist() == [None, "done", "done", None]   # the unknown status is kept, unfilled
    assert pd.isna(got.rows["due"].iloc[1]) and got.rows["list"].iloc[2] is None
    assert got.texts() == [
        "bad.xlsx，“状态”列第2行：“搞定了”不是有效状态（应为未开始、进行中、已完成、未完成之一）。该行动按未填写计。",
        "bad.xlsx，“截止日期”列第3行：“下周五”不是日期（截止日期应为某一天，例如登记表发出时预填的日期）。截止日期未计入。",
        "bad.xlsx，“行动编号”列第4行：行动编号“2025-11-S01-1”已在第2行出现，每个行动编号只能出现一次。此行未计入。",
        "bad.xlsx，“联系名单”列第5行：“大客户名单”不是联系名单（应为留住名单、唤回名单、新客欢迎名单之一）。该行动未对应到任何名单。"]
    language.use("en")
    assert got.texts()[1] == ("bad.xlsx, column “截止日期”, row 3: “下周五” is not a date (a due date is a day, such "
                              "as the one the register was sent with). The due date was left out.")


def test_a_csv_named_xlsx_and_a_damaged_file_are_problems_never_exceptions(tmp_path):
    fake = tmp_path / "client" / "action_register.xlsx"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("action_id,status\n2025-11-S01-1,done\n", encoding="utf-8")
    got = ar.read(fake)
    assert got.rows.empty and not got.readable
    assert got.texts() == ["action_register.xlsx: the file cannot be opened as an Excel workbook (.xlsx); save it "
                           "from Excel or WPS as .xlsx. The register was not read."]
    fu = ar.follow_up(month_run(tmp_path, "2025-12", with_pages=False))
    assert fu["found"] and fu["readable"] is False and len(fu["problems"]) == 1
    assert len(ar.sentences(fu)) == 2                         # the problem, not "nothing to follow up"
    half = tmp_path / "half.xlsx"
    half.write_bytes(ar.write(month_run(tmp_path / "whole")).read_bytes()[:500])   # cut off
    assert [p.key for p in ar.read(half).problems] == ["action_register.problem.unreadable"]
    assert ar.read(tmp_path / "nowhere.xlsx").problems[0].params == {"file": "nowhere.xlsx"}


def test_a_title_above_the_header_and_empty_rows_are_tolerated(tmp_path):
    path = ar.write(month_run(tmp_path))
    book = openpyxl.load_workbook(path)
    ws = book.active
    ws.insert_rows(1, 2)
    ws["A1"] = "Store actions, November"
    ws.cell(6, 8).value = "Done"          # 2025-11-S01-3, now on row 6
    ws.append([None] * 9)
    ws.append(["", None, None, None, None, "someone", None, None, None])   # a row without an action id
    book.save(path)
    got = ar.read(path)
    assert got.rows["status"].tolist() == [None, None, "done", None, None] and got.rows["row"].iloc[0] == 4
    assert got.texts() == ["action_register.xlsx, column “Action id”, row 10: the row has no action id, so it cannot "
                           "be matched to an action. The row was left out."]
