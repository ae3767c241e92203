"""储值沉淀: the stored-value balance and points held by members by lifecycle state and home store, on a simulated
three-store chain: the figures against a pandas computation from the customers table and the lifecycle states,
stores that sum to the chain (and the run's check that says so), the report's paragraph and table (or its one
note when the member table has no balance), the store pages, the contact lists' columns, and the demo's
balances, drawn so that no other column of the demo changed."""
import copy
import textwrap

import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import actions, churn, kpis, lifecycle, store_pages, stored_value, value
from retention_lib.app import consistency
from retention_lib.data.prepare import open_run
from retention_lib.data.sources import demo, demo_people
from retention_lib.report import action_files, text
from retention_lib.report.sections import churn_value
from retention_lib.report.sections import stores as store_sections

IN_PLAY = ("at_risk", "lapsed", "dormant")


def _config(folder, name="chain.yml"):
    cfg = folder / name
    tables = "\n".join(f"  {t}: {{path: store/{t}.parquet}}" for t in ("transactions", "customers", "surveys",
                                                                         "complaints"))
    cfg.write_text(textwrap.dedent("""\
        name: Test chain (simulated)
        source: demo
        simulated: true
        source_options: {seed: 13, n_customers: 600, months: 14, n_stores: 3}
        currency: CNY
        tables:
        """) + tables + "\n", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The chain's last month through notebooks 02 to 04 (stored value included), the contact lists of 07 and
    the store pages of 08."""
    folder = tmp_path_factory.mktemp("stored-value")
    cfg = _config(folder)
    run = open_run(cfg, None, folder / "run")
    lapse = kpis.lapse_rule(run)
    kpis.save(run, kpis.for_month(run, lapse), lapse)
    churn.save(run, churn.for_month(run, "bgnbd", 0.5, lapse.days))
    churned = churn.saved(run)
    value.save(run, value.for_month(run, churned, horizon_months=12, annual_discount_rate=0.1, margin=0.25))
    stored_value.save(run, stored_value.for_month(run, churned.scores))
    scores = value.saved(run, churned)
    favourites = actions.favourites_for_month(run)
    lists = [make(scores, run.table("customers"), favourites, 10_000)
             for make in (actions.retain, actions.winback, actions.welcome)]
    action_files.save(run, lists)
    run.write("actions_summary", {**{lst.name: lst.counts for lst in lists}, "birthdays": {}, "holiday_greetings": {},
                                  "campaigns": [], "track_record": []})
    store_pages.save(run, store_pages.pages(
        run.read("kpis_monthly"), run.month, None, scores=scores, lifecycle=run.read("lifecycle"),
        lists=run.read("actions_summary"), satisfaction=None, complaints=None, currency="CNY",
        stored_value=run.read("stored_value")))
    return run, cfg, {lst.name: lst for lst in lists}


def by_pandas(run) -> pd.DataFrame:
    """Per (home store, state): members, members with a balance, their balance, with points, their points."""
    scores = run.read("churn_scores")[["state", "home_store"]]
    people = run.table("customers").set_index("customer_id")[["stored_value", "points"]]
    f = scores.join(people).fillna({"stored_value": 0.0, "points": 0.0})
    f["home_store"] = f["home_store"].astype(str)
    pos = f.assign(balance=f["stored_value"].where(f["stored_value"] > 0, 0.0),
                   pts=f["points"].where(f["points"] > 0, 0.0),
                   with_balance=f["stored_value"] > 0, with_points=f["points"] > 0)
    return pos.groupby(["home_store", "state"]).agg(members=("state", "size"), with_balance=("with_balance", "sum"),
                                                     balance=("balance", "sum"), with_points=("with_points", "sum"),
                                                     points=("pts", "sum"))


def test_the_balance_by_state_and_store_is_a_pandas_recomputation(chain):
    run, _, _ = chain
    held = run.read("stored_value")
    assert held["available"] and held["columns"] == ["stored_value", "points"] and held["month"] == str(run.month)
    expected = by_pandas(run)
    chain_wide = expected.groupby(level="state").sum()
    for scope, rows in held["scopes"].items():
        want = chain_wide if scope == held["total"] else expected.xs(scope, level="home_store")
        for state in lifecycle.STATES:
            got = rows[state]
            row = want.loc[state] if state in want.index else pd.Series(0.0, index=want.columns)
            assert got["members"] == row["members"] and got["with_balance"] == row["with_balance"], (scope, state)
            assert got["with_points"] == row["with_points"], (scope, state)
            assert got["balance"] == pytest.approx(row["balance"], abs=0.005), (scope, state)
            assert got["points"] == pytest.approx(row["points"], abs=1e-6), (scope, state)
        play = want.reindex(list(IN_PLAY)).fillna(0).sum()
        assert rows["in_play"]["balance"] == pytest.approx(play["balance"], abs=0.01)
        assert rows["in_play"]["with_balance"] == play["with_balance"]
    # the demo gives the in-play members a real balance to speak of
    assert held["scopes"]["all"]["in_play"]["with_balance"] > 10 and held["scopes"]["all"]["lost"]["balance"] > 0


def test_the_stores_sum_to_the_chain_and_the_run_checks_it(chain):
    run, _, _ = chain
    held = run.read("stored_value")
    stores = [s for s in held["scopes"] if s != held["total"]]
    assert len(stores) == 3
    for state in (*lifecycle.STATES, "in_play"):
        for f in stored_value.FIGURES:
            assert sum(held["scopes"][s][state][f] for s in stores) == pytest.approx(held["scopes"]["all"][state][f])
    assert stored_value.identities(held) == []
    assert consistency.check(run.run_dir) == []
    broken = copy.deepcopy(held)
    broken["scopes"][stores[0]]["dormant"]["balance"] += 100.0
    found = stored_value.identities(broken)
    assert any("dormant balance" in f and "stores sum" in f for f in found)
    assert any("in play balance" in f for f in found)


def test_the_report_says_how_much_sits_with_whom_and_what_to_do(chain):
    run, _, _ = chain
    held = run.read("stored_value")
    items = churn_value.stored_value_items(run)
    html = " ".join(i.data for i in items)
    play = held["scopes"]["all"]["in_play"]
    assert text.money(play["balance"], 0, "CNY") in html
    assert f"<b>{text.count(play['with_balance'])}</b> members who are at risk, lapsed or dormant" in html
    assert text.month_label(str(run.month)) in html and "By home store:" in html
    top = stored_value.by_store(held).iloc[0]
    assert f"{top['store']} {text.money(top['balance'], 0, 'CNY')}" in html
    assert "balance reminder is the cheapest win-back message" in html
    assert "lost members" in html and '<table class="report-table">' in html
    assert "<th class=\"num\">balance</th>" in html    # the currency is in the cells


def test_without_the_column_there_is_no_table_only_the_note(chain, tmp_path):
    run, cfg, _ = chain
    customers = run.table("customers").drop(columns=["stored_value", "points"])
    held = stored_value.facts(run.read("churn_scores"), customers, run.month)
    assert held["available"] is False and "scopes" not in held
    assert stored_value.identities(held) == []
    other = open_run(cfg, str(run.month), tmp_path / "run")
    stored_value.save(other, held)
    items = churn_value.stored_value_items(other)
    html = " ".join(i.data for i in items)
    assert len(items) == 1 and "<table" not in html
    assert "no stored-value balance" in html and "customers.stored_value" in html
    # nor does a store page say anything about it
    pages = store_pages.pages(run.read("kpis_monthly"), run.month, None, scores=run.read("churn_scores"),
                              lifecycle=run.read("lifecycle"), lists=None, satisfaction=None, complaints=None,
                              currency="CNY", stored_value=held)
    assert all(p["stored_value"] is None for p in pages.stores)
    facts = pages.to_dict()
    assert all(store_sections.page_text(facts, p, "CNY", as_html=True)["stored_value"] == "" for p in facts["stores"])


def test_a_points_only_member_table_speaks_of_points(chain):
    run, _, _ = chain
    customers = run.table("customers").drop(columns=["stored_value"])
    held = stored_value.facts(run.read("churn_scores"), customers, run.month)
    assert held["columns"] == ["points"] and held["scopes"]["all"]["in_play"]["balance"] is None
    assert stored_value.identities(held) == []
    assert list(stored_value.table(held).columns) == ["state", "members", "with_points", "points"]


def test_each_store_page_shows_its_stored_value(chain):
    run, _, _ = chain
    held = run.read("stored_value")
    facts = run.read("store_pages")
    for page in facts["stores"] + facts["more_pages"]:
        mine = held["scopes"][page["store_id"]]["in_play"]
        assert page["stored_value"] == mine
        line = store_sections.page_text(facts, page, "CNY", as_html=False)["stored_value"]
        if mine["with_balance"]:
            assert text.money(mine["balance"], 0, "CNY") in line and "balance reminder" in line


def test_the_retain_and_winback_rows_carry_balance_and_points(chain):
    run, _, lists = chain
    people = run.table("customers").set_index("customer_id")
    for name in ("retain", "winback"):
        rows = lists[name].rows.set_index("customer_id")
        assert len(rows) and {"stored_value", "points"} <= set(rows.columns), name
        pd.testing.assert_series_equal(rows["stored_value"], people["stored_value"].reindex(rows.index),
                                       check_names=False)
        pd.testing.assert_series_equal(rows["points"], people["points"].reindex(rows.index), check_names=False)
        written = action_files.read(run.path(f"{name}_csv"))
        assert "stored_value" in written and "points" in written
    none = actions.retain(run.read("churn_scores").join(run.read("clv_scores")[["clv", "clv_if_alive"]]),
                          run.table("customers").drop(columns=["stored_value", "points"]),
                          actions.favourites_for_month(run), 10)
    assert "stored_value" not in none.rows and "points" not in none.rows


# --------------------------------------------------------------------------- the demo's balances
@pytest.fixture(scope="module")
def demo_pair():
    """A small demo store with its balances, and the same store with the balances left out."""
    options = dict(seed=21, n_customers=800, months=12, data_language="zh-CN")
    with_balances = demo.simulate_store(**options)
    mp = pytest.MonkeyPatch()
    mp.setattr(demo_people, "_balances", lambda side, members: {})
    try:
        without = demo.simulate_store(**options)
    finally:
        mp.undo()
    return with_balances, without


def test_the_demo_balances_change_no_other_column(demo_pair):
    with_balances, without = demo_pair
    assert "stored_value" not in without.tables["customers"]
    pd.testing.assert_frame_equal(with_balances.tables["customers"].drop(columns=["stored_value", "points"]),
                                  without.tables["customers"])
    for name in ("transactions", "surveys", "complaints", "campaigns"):
        pd.testing.assert_frame_equal(with_balances.tables[name], without.tables[name], obj=name)
    pd.testing.assert_frame_equal(with_balances.truth.customers, without.truth.customers)
    assert with_balances.truth.campaigns == without.truth.campaigns


def test_the_demo_balances_look_like_a_supermarkets(demo_pair):
    store, _ = demo_pair
    c = store.tables["customers"].set_index("customer_id")
    sv = c["stored_value"]
    assert (sv >= 0).all() and 0.22 < (sv > 0).mean() < 0.38
    assert np.allclose(sv, sv.round(2))
    truth = store.truth.customers.set_index("customer_id")
    frequent = truth["lam"] > truth["lam"].median()
    assert (sv[frequent] > 0).mean() > (sv[~frequent] > 0).mean()
    assert sv[frequent & (sv > 0)].median() > sv[~frequent & (sv > 0)].median()
    spend = store.tables["transactions"].groupby("customer_id")["amount"].sum().reindex(c.index).fillna(0)
    assert (c["points"] >= 0).all() and c["points"].corr(spend) > 0.8
    again = demo.simulate_store(seed=21, n_customers=800, months=12, data_language="en").tables["customers"]
    pd.testing.assert_series_equal(again["stored_value"], store.tables["customers"]["stored_value"])
