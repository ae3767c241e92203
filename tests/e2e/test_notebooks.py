"""Every notebook under nbval (lax mode), parameterised for the small simulated store, and the
key figures they wrote read back from the artifacts and checked against the data itself."""
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from retention_lib.app.pipeline import notebooks
from retention_lib.core.config import load_config
from retention_lib.core.run import Run

MONTH = "2024-11"


@pytest.fixture(scope="module")
def executed(small_config, tmp_path_factory):
    """The notebooks run one by one under nbval, as a consultant runs them in JupyterLab."""
    folder = tmp_path_factory.mktemp("nbval")
    run_dir = folder / "run"
    for book in notebooks():
        nb = load_notebook_node(str(book))
        nb = parameterize_notebook(nb, {"config": str(small_config), "month": MONTH, "run_dir": str(run_dir)})
        nbformat.write(nb, folder / book.name)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", *sorted(str(p) for p in folder.glob("*.ipynb"))],
                          cwd=folder, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout
    return Run(load_config(small_config), pd.Period(MONTH, "M"), run_dir)


def test_the_kpi_board_counts_what_the_data_says(executed, small_config):
    lines = pd.read_parquet(small_config.parent / "store" / "transactions.parquet")
    month = lines[lines["timestamp"].dt.strftime("%Y-%m") == MONTH]
    baskets = month.groupby("basket_id").agg(customer=("customer_id", "first"), amount=("amount", "sum"))
    bought = baskets[baskets["amount"] > 0]
    board = {row["kpi"]: row["value"] for row in executed.read("kpi_board")["board"]}
    assert board["active_customers"] == bought["customer"].dropna().nunique()
    assert board["baskets"] == len(bought)
    assert board["revenue"] == pytest.approx(baskets["amount"].sum(), rel=1e-12)


def test_churn_and_clv_cover_every_member_and_add_up(executed):
    baskets = executed.table("baskets")
    members = baskets.loc[baskets["is_member"] & baskets["is_purchase"], "customer_id"].nunique()
    churn = executed.read("churn_summary")["headline"]
    scores = executed.read("churn_scores")
    assert churn["members_scored"] == members == len(scores)
    assert churn["at_risk"] == int(scores["at_risk"].sum())
    value = executed.read("clv_summary")
    clv = executed.read("clv_scores")
    assert value["total_clv"] == pytest.approx(clv["clv"].sum(), rel=1e-12)
    assert sum(g["members"] for g in value["groups"]) == members
    assert (clv["clv_if_alive"] >= clv["clv"] - 1e-9).all()


def test_segments_and_tiers_count_every_member_once(executed):
    seg = executed.read("segments_summary")
    members = executed.read("segments_members")
    assert sum(s["members"] for s in seg["segments"]) == sum(t["members"] for t in seg["tiers"]) == len(members)
    assert members.index.is_unique


def test_the_months_nps_is_the_surveys(executed):
    surveys = executed.table("surveys")
    month = surveys[surveys["submitted_at"].dt.strftime("%Y-%m") == MONTH]
    expected = 100 * (np.mean(month["nps"] >= 9) - np.mean(month["nps"] <= 6))
    saved = executed.read("satisfaction_summary")["headline"]["now"]["nps"]
    assert saved["n"] == len(month) and saved["nps"] == pytest.approx(expected)
