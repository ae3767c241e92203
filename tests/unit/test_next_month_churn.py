"""Next-month churn on simulated stores, across seeds: the chance of no purchase next month is calibrated
against what members then did, ranks them better than days since the last purchase, and the members the
report puts at risk or flags go without a purchase more often than the rest of the base."""
import numpy as np
import pandas as pd
import pytest

from conftest import write_demo_config
from retention_lib.analytics import churn, early_warning, ledger, lifecycle
from retention_lib.core.stats import auc
from retention_lib.data import engine
from retention_lib.data.prepare import open_run

SEEDS = (3, 17, 29)


@pytest.fixture(scope="module", params=SEEDS)
def month(request, tmp_path_factory):
    """Members in the base at the end of 2025-05 with the month's scores and flags, and whether they bought
    nothing in 2025-06."""
    root = tmp_path_factory.mktemp(f"next-month-{request.param}")
    cfg = write_demo_config(root, seed=request.param, n_customers=1500, months=18)
    run = open_run(cfg, "2025-05", root / "run")
    view = churn.score_month(run)
    warned = early_warning.for_month(run, view.scores)
    after = open_run(cfg, "2025-06", root / "after")   # a run reads its data to its month's end only
    june = ledger.purchase_days_by_month(engine.run_table(after, "baskets"), [pd.Period("2025-06", "M")])
    base = view.scores[view.scores["state"].isin(lifecycle.BASE_STATES)].copy()
    base["bought_nothing"] = june.get("2025-06", pd.Series(dtype=float)).reindex(base.index).fillna(0).eq(0)
    base["warned"] = base.index.isin(warned.index[warned["n_reasons"] > 0])
    return base


def test_the_chance_of_no_purchase_matches_what_members_did(month):
    p, y = month["p_no_purchase_next_month"], month["bought_nothing"].astype(float)
    assert len(month) > 500
    # on the whole base and by fifths of the chance: the model's own process, so within sampling noise
    assert abs(p.mean() - y.mean()) < 3 * np.sqrt(y.mean() * (1 - y.mean()) / len(y)) + 0.01
    fifths = pd.qcut(p.rank(method="first"), 5, labels=False)
    by = pd.DataFrame({"p": p, "y": y, "f": fifths}).groupby("f").mean()
    assert (by["y"] - by["p"]).abs().max() < 0.08
    assert ((p - y) ** 2).mean() < ((y.mean() - y) ** 2).mean()   # better than one rate for everybody


def test_it_ranks_members_better_than_days_since_the_last_purchase(month):
    y = month["bought_nothing"]
    assert auc(month["p_no_purchase_next_month"], y) >= auc(month["days_since_last_purchase"], y) + 0.03


@pytest.mark.parametrize("group", ["at_risk", "warned"])
def test_members_at_risk_or_flagged_go_without_a_purchase_more_often_than_the_rest(month, group):
    flagged = (month["state"] == "at_risk") if group == "at_risk" else month["warned"]
    y = month["bought_nothing"]
    assert flagged.sum() >= 20
    assert y[flagged].mean() >= 1.5 * y[~flagged].mean()


def test_auc_is_the_chance_a_member_with_the_outcome_scores_above_one_without():
    rng = np.random.default_rng(0)
    score, outcome = rng.random(400), rng.random(400) < 0.3
    pairs = (score[outcome][:, None] > score[~outcome][None, :]).mean()
    assert auc(score, outcome) == pytest.approx(pairs)
    assert auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0 and auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
    assert np.isnan(auc([1, 2], [1, 1]))
