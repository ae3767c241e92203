"""Two months run as cron runs them (`retention run` for M, then M+1): M's contact lists keep a random
holdout, go to the ledger when M is published, and M+1's report measures them, contacted against held out;
the stores' action register written with M comes back filled in the client's folder and M+1 reads it."""
import json

import openpyxl
import pandas as pd
import pytest

from retention_lib.analytics import holdouts
from retention_lib.report import action_register
from tests.conftest import retention_cli, write_demo_config

M, NEXT = "2025-01", "2025-02"


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cron")
    config = write_demo_config(folder)
    # the small store's lists are short: keep a holdout from 10 members on, and put more members at risk (25 of
    # its 155 active at 2025-01's end at a 30% chance of no purchase next month, 7 at 50%)
    config.write_text(config.read_text(encoding="utf-8")
                      + "settings: {holdout_min_members: 10, holdout_share: 0.2, at_risk_threshold: 0.3}\n",
                      encoding="utf-8")
    reports = folder / "reports"
    first = retention_cli("run", "--config", str(config), "--month", M, "--reports-dir", str(reports))
    assert first.returncode in (0, 5), first.stdout[-3000:] + first.stderr[-3000:]
    # the stores fill in M's register and the consultant drops it into the client's folder
    register = reports / M / "actions" / action_register.FILE
    book = openpyxl.load_workbook(register)
    ws = book.active
    status = [c.column for c in ws[1] if c.value == action_register.header("status")][0]
    for row in range(2, ws.max_row + 1):   # one status a store typed that is none of the four
        ws.cell(row, status).value = "maybe" if row == 3 else "done" if row % 2 == 0 else "not_done"
    book.save(folder / action_register.FILE)
    second = retention_cli("run", "--config", str(config), "--month", NEXT, "--reports-dir", str(reports))
    assert second.returncode in (0, 5), second.stdout[-3000:] + second.stderr[-3000:]
    return reports, config


def test_the_first_months_lists_hold_out_members_who_are_not_in_the_files(two_months):
    reports, _ = two_months
    book = pd.concat(pd.read_parquet(p) for p in (reports / "ledger").glob("*.lists.parquet"))
    first = book[book["made_in"] == M]
    summary = json.loads((reports / M / "artifacts" / "actions_summary.json").read_text(encoding="utf-8"))
    for name in ("retain", "winback"):
        held = first[(first["list"] == name) & (first["group"] == holdouts.HELD_OUT)]
        counts = summary[name]
        assert len(held) == counts["held_out"] > 0
        assert (first[(first["list"] == name) & (first["group"] == holdouts.CONTACTED)].shape[0] == counts["listed"])
        listed = pd.read_csv(reports / M / "actions" / f"{name}.csv", dtype=str).iloc[:, :3].astype(str)
        assert not set(held["customer_id"]) & set(listed.stack())   # a held-out member is in no file
        assert counts["candidates"] == (counts["listed"] + counts["held_out"] + counts["over_budget"]
                                        + counts["without_consent"])


def test_the_next_months_report_measures_last_months_lists(two_months):
    reports, _ = two_months
    results = pd.read_parquet(reports / NEXT / "artifacts" / "list_results.parquet")
    measured = results[(results["made_in"] == M) & (results["store"] == holdouts.TOTAL)]
    assert set(measured["list"]) >= {"retain", "winback"}
    for _, r in measured.iterrows():
        assert 0 <= r["held_out_returned"] <= 1 and 0 <= r["contacted_returned"] <= 1
        assert r["low"] <= r["difference"] <= r["high"]
        by_store = results[(results["made_in"] == M) & (results["list"] == r["list"]) & (results["store"] != holdouts.TOTAL)]
        if len(by_store):   # stores sum to the chain
            assert by_store["contacted"].sum() == r["contacted"] and by_store["held_out"].sum() == r["held_out"]
    report = (reports / NEXT / "report.html").read_text(encoding="utf-8")
    assert "Did last month's lists work?" in report and "came back (held out)" in report
    assert "The welcome list has fewer than 10 members: it keeps no holdout" in report   # said, not hidden
    # the ledger keeps the result once M+1 is published
    kept = pd.concat(pd.read_parquet(p) for p in (reports / "ledger").glob("*.list_results.parquet"))
    assert len(kept[kept["made_in"] == M]) == len(results[results["made_in"] == M])


def test_the_filled_register_is_read_back_and_its_done_actions_carry_their_lists_result(two_months):
    reports, _ = two_months
    follow = json.loads((reports / NEXT / "artifacts" / "action_follow_up.json").read_text(encoding="utf-8"))
    assert follow["found"] and follow["readable"]
    totals = follow["totals"]
    assert totals["actions"] > 0 and totals["done"] + totals["not_done"] + totals["unfilled"] == totals["actions"]
    # the typed status is a problem naming the file, the column and the row; the month still published
    [problem] = follow["problems"]
    assert action_register.FILE in problem and "maybe" in problem and "3" in problem
    report = (reports / NEXT / "report.html").read_text(encoding="utf-8")
    assert "maybe" in report
    if follow["done_lists"]:
        assert any(f"did its {holdouts_name} action" in report
                   for holdouts_name in ("retain list", "win-back list", "welcome list"))


def test_the_ledger_command_prints_the_track_record_of_lists(two_months):
    reports, config = two_months
    out = retention_cli("ledger", "--config", str(config), "--reports-dir", str(reports))
    assert out.returncode == 0, out.stderr
    assert "Lists made for 2025-01" in out.stdout and "retain list" in out.stdout
