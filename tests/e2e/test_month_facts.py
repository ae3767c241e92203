"""A published month's numbers agree with each other: the lifecycle's identities, and every count the KPI
board, the churn and CLV sections, the lists, the tiers and the store pages quote (app/consistency.py, which
every run checks before publishing: the other e2e runs — the young store, the client export, one month of
data, the Chinese report, the Complete Journey — pass through it too). Here the check is read against the
files themselves, and shown to catch a contradiction."""
from __future__ import annotations

import json
import shutil

import openpyxl
import pandas as pd
import pytest

from retention_lib.analytics import lifecycle, segments
from retention_lib.app import consistency
from retention_lib.report import action_files


@pytest.fixture(scope="module")
def month(published):
    reports, _ = published
    [folder] = [p for p in reports.iterdir() if p.is_dir() and p.name[:4].isdigit()]
    return folder


def read(folder, name):
    return json.loads((folder / "artifacts" / name).read_text(encoding="utf-8"))


def test_the_published_month_has_no_contradiction(month):
    assert consistency.check(month) == []


def test_the_files_obey_the_lifecycle(month):
    facts = read(month, "lifecycle.json")
    total = facts["scopes"][facts["total"]]
    scores = pd.read_parquet(month / "artifacts" / "churn_scores.parquet")
    # every member has one state, and the counts are those states
    assert scores["state"].value_counts().reindex(list(lifecycle.STATES), fill_value=0).to_dict() == \
        {s: total[s] for s in lifecycle.STATES}
    # at risk is a subset of the active: silent fewer days than the lapse rule, never new
    at_risk = scores[scores["state"] == "at_risk"]
    assert (at_risk["silent"] < facts["rule"]["lapse_days"]).all() and not at_risk["new"].any()
    # the win-back list holds lapsed and dormant members only, the retain list members at risk
    winback = action_files.read(month / "actions" / "winback.csv")
    assert set(winback["state"]) <= {"lapsed", "dormant"}
    assert set(scores.loc[winback["customer_id"], "state"]) <= {"lapsed", "dormant"}
    retain = action_files.read(month / "actions" / "retain.csv")
    assert (scores.loc[retain["customer_id"], "state"] == "at_risk").all()
    # no lapsed, dormant or lost member in a value tier
    members = pd.read_parquet(month / "artifacts" / "segments_members.parquet")
    living = scores["state"].reindex(members.index).isin(lifecycle.BASE_STATES)
    assert members.loc[living, "tier"].isin(segments.TIERS).all()
    assert (members.loc[~living, "tier"] == scores["state"].reindex(members.index)[~living]).all()
    # the churn rate's numerator is the month's lapses, from the base at its start
    board = {r["kpi"]: r["value"] for r in read(month, "kpi_board.json")["board"]}
    assert board["churn_rate"] == pytest.approx(total["lapsed_event"] / total["base_start"])


def test_a_contradiction_is_found(month, tmp_path):
    copy = tmp_path / month.name
    shutil.copytree(month, copy)
    facts = read(copy, "lifecycle.json")
    facts["scopes"][facts["total"]]["returned"] += 1
    (copy / "artifacts" / "lifecycle.json").write_text(json.dumps(facts), encoding="utf-8")
    found = consistency.check(copy)
    assert any("returned" in f for f in found) and any("stores summed, returned" in f for f in found)

    shutil.rmtree(copy)
    shutil.copytree(month, copy)
    winback = action_files.read(copy / "actions" / "winback.csv")
    pd.concat([winback, winback.head(1).assign(state="lost")]).to_csv(copy / "actions" / "winback.csv", index=False)
    found = consistency.check(copy)
    assert any("winback list" in f and "rows" in f for f in found) and any("'lost'" in f for f in found)


def test_the_lists_of_an_english_month_have_english_headers(month):
    """The published lists speak the report's language (English here; test_chinese_report has zh-CN)."""
    header = (month / "actions" / "winback.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith('"Rank","Member id",') and '"Member state"' in header and "p_alive" not in header
    retain = openpyxl.load_workbook(month / "actions" / "retain.xlsx").active
    assert retain.title == "Retain" and retain.freeze_panes == "A2"
    assert [c.value for c in retain[1]][:2] == ["Rank", "Member id"]
