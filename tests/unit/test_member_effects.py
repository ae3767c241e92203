"""Who buys more and who leaves sooner on a simulated store: the attributes read from the run, and the effects
of the BG/NBD with covariates in the words the report uses."""
import pandas as pd
import pytest

from conftest import write_demo_config
from retention_lib.analytics import churn, member_effects
from retention_lib.data.prepare import open_run
from retention_lib.report import effects_display, language


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("effects")
    run = open_run(write_demo_config(root, seed=5, n_customers=1500, months=18), "2025-06", root / "run")
    view = churn.score_month(run)
    return run, view


def test_attributes_are_the_members_own_written_again(month):
    run, view = month
    raw = member_effects.attributes(run, view.scores)
    assert list(raw.index) == list(view.scores.index)
    assert (raw["home_store"] == view.scores["home_store"].astype("string")).all()
    surveys = run.table("surveys")
    year = surveys[surveys["customer_id"].notna() & (surveys["submitted_at"] >= run.end - pd.Timedelta(days=365))
                   & (surveys["submitted_at"] < run.end) & surveys["nps"].notna()]
    last = year.sort_values(["submitted_at", "response_id"]).drop_duplicates("customer_id", keep="last")
    expected = (last.set_index("customer_id")["nps"] <= 6).reindex(raw.index)
    answered = expected.notna()
    assert answered.sum() > 100
    assert (raw.loc[answered, "detractor"].astype(bool) == expected[answered].astype(bool)).all()
    assert raw.loc[~answered, "detractor"].isna().all()
    complained = run.table("complaints")
    assert raw["complained"].sum() == complained.loc[
        (complained["opened_at"] >= run.end - pd.Timedelta(days=365)) & (complained["opened_at"] < run.end),
        "customer_id"].dropna().isin(raw.index).groupby(complained["customer_id"]).any().sum()


def test_effects_have_intervals_and_the_tier_set_by_spend_is_clear(month):
    run, view = month
    effects = member_effects.for_month(run, view.scores, view.model)
    assert "reason" not in effects and effects["members"] == len(view.scores)
    assert effects["likelihood_ratio"]["p_value"] < 0.001
    for e in effects["purchase"] + effects["leaving"]:
        assert e["low"] < e["ratio"] < e["high"] and e["clear"] == (e["low"] > 1 or e["high"] < 1)
    gold = [e for e in effects["purchase"] if e["attribute"] == "tier" and e["level"] == "gold"]
    assert gold and gold[0]["clear"] and gold[0]["ratio"] > 1   # the simulator's gold tier is its top spenders
    with language.speaking("zh-CN"):
        said = " ".join(effects_display.sentences(effects))
    assert "会员等级为gold的会员" in said and "倍" in said
    shown = member_effects.clear_effects(effects)
    assert len(shown) <= member_effects.SHOWN and all(e["clear"] for e in shown)
