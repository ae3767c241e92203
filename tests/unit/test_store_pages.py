"""A page per store and an email per store manager, on a simulated chain of four stores: each store's
figures and lifecycle states against a pandas computation from the baskets (home-store rule, the lapse
rule), at-risk members (a subset of the active) adding up to the chain's, actions that quote exactly the
store's rows in the list files, and emails that carry only aggregates of their own store."""
import copy
import re
import textwrap

import pandas as pd
import pytest
from conftest import PASSWORD, USER

from retention_lib.analytics import actions, churn, kpis, store_pages, value
from retention_lib.analytics import satisfaction as sat
from retention_lib.data.prepare import open_run
from retention_lib.delivery import smtp, store_emails
from retention_lib.report import action_files, text
from retention_lib.report.sections import stores as store_sections

STORES = ("S01", "S02", "S03", "S04")
CONTACT_BUDGET = 30
THRESHOLD = 0.5          # the fixture's at-risk threshold: chance of no purchase next month
LIST_ACTIONS = {"retain": ("store.action.retain", "store.action.retain.churn"),
                "winback": ("store.action.winback", "store.action.winback.rise"),
                "welcome": ("store.action.welcome",)}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A four-store chain over 14 months, the artifacts of notebooks 02 to 07 (the contact lists, with a
    contact budget of CONTACT_BUDGET so that it bites), and its store pages. The store table lists three
    stores (S04, the smallest, is summed in the rest line); the managers of S01 and S04 get an email, and
    S09 is not a store of the data."""
    folder = tmp_path_factory.mktemp("chain")
    cfg = folder / "chain.yml"
    tables = "\n".join(f"  {t}: {{path: store/{t}.parquet}}" for t in ("transactions", "customers", "surveys",
                                                                         "complaints"))
    cfg.write_text(textwrap.dedent("""\
        name: Test chain (simulated)
        source: demo
        simulated: true
        source_options: {seed: 11, n_customers: 500, months: 14, n_stores: 4}
        currency: CNY
        settings: {store_table_top: 3}
        email:
          stores: {S01: [s01.manager@example.com], S04: [s04.manager@example.com], S09: [nobody@example.com]}
        tables:
        """) + tables + "\n", encoding="utf-8")
    run = open_run(cfg, None, folder / "run")
    lapse = kpis.lapse_rule(run)
    kpis.save(run, kpis.for_month(run, lapse), lapse)
    churn.save(run, churn.for_month(run, "bgnbd", THRESHOLD, lapse.days))
    value.save(run, value.for_month(run, churn.saved(run), horizon_months=12, annual_discount_rate=0.1,
                                    margin=0.25))
    sat.save(run, sat.for_month(run))
    # notebook 07: the contact lists, their files and counts
    scores = value.saved(run, churn.saved(run))
    favourites = actions.favourites_for_month(run)
    lists = [make(scores, run.table("customers"), favourites, CONTACT_BUDGET)
             for make in (actions.retain, actions.winback, actions.welcome)]
    action_files.save(run, lists)
    run.write("actions_summary", {**{lst.name: lst.counts for lst in lists}, "birthdays": {}, "holiday_greetings": {},
                                  "campaigns": [], "track_record": []})
    store_pages.save(run, store_pages.for_month(run))
    run.path("report_html").write_text("<html><body>the chain's report</body></html>", encoding="utf-8")
    return run, lapse.days


def pages_of(run) -> dict:
    facts = run.read("store_pages")
    return {p["store_id"]: p for p in facts["stores"] + facts["more_pages"]}


# --------------------------------------------------------------------------- independent pandas figures
def home_by_pandas(b: pd.DataFrame, month: pd.Period) -> pd.Series:
    """Most purchase baskets in the 12 months to the month's end, then the latest visit, then the lower id."""
    p = b[b["is_member"] & b["is_purchase"] & (pd.to_datetime(b["date"]) <= month.end_time)].copy()
    p["recent"] = pd.to_datetime(p["date"]) >= (month - 11).start_time
    g = p.groupby(["customer_id", "store_id"]).agg(recent=("recent", "sum"), last=("date", "max")).reset_index()
    g = g.sort_values(["customer_id", "recent", "last", "store_id"], ascending=[True, False, False, True])
    return g.drop_duplicates("customer_id").set_index("customer_id")["store_id"].astype(str)


def figures_by_pandas(b: pd.DataFrame, month: pd.Period, n: int) -> pd.DataFrame:
    """Per store: active, new, lapsed and churn by home store; revenue and average basket where they happened."""
    home = home_by_pandas(b, month)
    start, end = month.start_time, month.end_time.normalize()
    days = pd.to_datetime(b.loc[b["is_member"] & b["is_purchase"], ["customer_id", "date"]]
                          .drop_duplicates()["date"])
    buys = b.loc[b["is_member"] & b["is_purchase"], ["customer_id"]].assign(date=days)
    first = buys.groupby("customer_id")["date"].min()
    last = buys[buys["date"] <= end].groupby("customer_id")["date"].max()
    before = buys[buys["date"] < start].groupby("customer_id")["date"].max()
    active = buys.loc[(buys["date"] >= start) & (buys["date"] <= end), "customer_id"].unique()
    lapse_day = last + pd.Timedelta(days=n)
    lapsed = last.index[(lapse_day >= start) & (lapse_day <= end)]
    base = before.index[before + pd.Timedelta(days=n) >= start]
    lapsed_from_base = [c for c in lapsed if c in set(before.index) and last[c] < start]
    in_month = b[(pd.to_datetime(b["date"]) >= start) & (pd.to_datetime(b["date"]) <= end)]

    def per_home(ids) -> pd.Series:
        return home.reindex(pd.Index(ids)).value_counts().reindex(list(STORES), fill_value=0)
    out = pd.DataFrame({"active_customers": per_home(active),
                        "new_customers": per_home([c for c in active if first[c] >= start]),
                        "lapsed_customers": per_home(lapsed),
                        "base": per_home(base), "lapsed_from_base": per_home(lapsed_from_base),
                        "revenue": in_month.groupby("store_id")["amount"].sum().reindex(list(STORES)),
                        "baskets": in_month[in_month["is_purchase"]].groupby("store_id").size().reindex(list(STORES))})
    out["churn_rate"] = out["lapsed_from_base"] / out["base"]
    out["avg_basket_value"] = out["revenue"] / out["baskets"]
    return out


def states_by_pandas(b: pd.DataFrame, month: pd.Period, n: int, w: int, skip: pd.Series) -> pd.DataFrame:
    """Every member's lifecycle state at the month's end, the rule written again: new (first purchase in the
    month), active (a purchase within n days), lapsed (the lapse day, last purchase + n, in the month), dormant
    (silent fewer than w days), lost; at risk = active and drifting: the model's chance of no purchase next
    month (`skip`) at or above the threshold. With the home store."""
    start, end = month.start_time, month.end_time.normalize()
    bought = b["is_member"] & b["is_purchase"] & b["customer_id"].notna()
    days = b.loc[bought, ["customer_id"]].assign(date=pd.to_datetime(b.loc[bought, "date"]).dt.normalize())
    days = days[days["date"] <= end]
    first = days.groupby("customer_id")["date"].min()
    last = days.groupby("customer_id")["date"].max()
    silent = (end - last).dt.days
    lapse_day = last + pd.Timedelta(days=n)
    state = pd.Series("lost", index=last.index)
    state[silent < w] = "dormant"
    state[(lapse_day >= start) & (lapse_day <= end)] = "lapsed"
    state[silent < n] = "active"
    state[first >= start] = "new"
    drifting = skip.reindex(state.index) >= THRESHOLD
    state[(state == "active") & drifting] = "at_risk"
    return pd.DataFrame({"state": state, "home_store": home_by_pandas(b, month).reindex(state.index)})


def test_each_store_page_has_the_figures_of_a_pandas_computation(chain):
    run, n = chain
    b = run.table("baskets")
    expected = figures_by_pandas(b, run.month, n)
    year_ago = figures_by_pandas(b, run.month - 12, n)
    pages = pages_of(run)
    assert sorted(pages) == list(STORES)                      # S04 has a page for its manager's email
    for store, page in pages.items():
        got = {r["kpi"]: r for r in page["kpis"]}
        assert [r["kpi"] for r in page["kpis"]] == list(store_pages.STORE_KPIS)
        for kpi in ("active_customers", "new_customers", "lapsed_customers"):
            assert got[kpi]["value"] == expected.at[store, kpi], (store, kpi)
        assert got["churn_rate"]["value"] == pytest.approx(expected.at[store, "churn_rate"], rel=1e-12)
        assert got["revenue"]["value"] == pytest.approx(expected.at[store, "revenue"], abs=0.005)
        assert got["revenue"]["year_ago"] == pytest.approx(year_ago.at[store, "revenue"], abs=0.005)
        assert got["avg_basket_value"]["value"] == pytest.approx(expected.at[store, "avg_basket_value"], rel=1e-9)
        assert got["active_customers"]["yoy_abs"] == expected.at[store, "active_customers"] \
            - year_ago.at[store, "active_customers"]
    # the stores' member counts add up to the chain's
    board = {r["kpi"]: r["value"] for r in run.read("kpi_board")["board"]}
    assert sum(pages[s]["kpis"][0]["value"] for s in STORES) == board["active_customers"]


def test_pages_list_the_top_stores_and_a_line_for_the_rest(chain):
    run, _ = chain
    facts = run.read("store_pages")
    top = [r["scope"] for r in run.read("kpi_stores")["rows"]][1:4]
    assert [p["store_id"] for p in facts["stores"]] == top and "S04" not in top
    assert facts["rest"]["stores"] == 1
    assert facts["rest"]["revenue"] == pytest.approx(pages_of(run)["S04"]["kpis"][4]["value"])
    html = "".join(i.data for i in store_sections.stores_section(run))
    assert [m for m in re.findall(r"<h3[^>]*>([^<]+)</h3>", html)] == top
    assert "1 more store is not shown on its own page" in html


def test_lifecycle_states_by_home_store_follow_the_rule_and_add_up_to_the_chain(chain):
    run, n = chain
    pages = pages_of(run)
    scores = run.read("churn_scores").join(run.read("clv_scores"))
    w = run.read("lifecycle")["rule"]["winback_days"]
    assert w >= n + 31
    expected = states_by_pandas(run.table("baskets"), run.month, n, w, scores["p_no_purchase_next_month"])
    assert sorted(expected.index) == sorted(scores.index)
    counts = pd.crosstab(expected["home_store"], expected["state"])
    for store, page in pages.items():
        for state in ("new", "active", "at_risk", "lapsed", "dormant", "lost"):
            want = int(counts.at[store, state]) if state in counts else 0
            assert page["states"][state] == want, (store, state)
    # every member counted once, in one store: the stores add up to the chain
    total = run.read("lifecycle")["scopes"]["all"]
    for state in ("new", "active", "at_risk", "lapsed", "dormant", "lost"):
        assert sum(p["states"][state] for p in pages.values()) == total[state] == (expected["state"] == state).sum()
    assert sum(sum(p["states"].values()) for p in pages.values()) == len(expected)


def test_at_risk_members_are_active_members_by_home_store_and_add_up_to_the_chain(chain):
    run, n = chain
    pages = pages_of(run)
    headline = run.read("clv_summary")
    assert sum(p["at_risk"]["at_risk"] for p in pages.values()) == headline["at_risk_members"] > 0
    assert sum(p["at_risk"]["value_at_stake"] for p in pages.values()) == pytest.approx(
        headline["at_risk_value_at_stake"], rel=1e-9)
    s = run.read("churn_scores").join(run.read("clv_scores"))
    b = run.table("baskets")
    # at risk ⊆ active: bought within the lapse rule's days and not new this month
    end = run.month.end_time.normalize()
    bought = b[b["is_member"] & b["is_purchase"] & (pd.to_datetime(b["date"]) <= end)]
    last = pd.to_datetime(bought.groupby("customer_id")["date"].max())
    first = pd.to_datetime(bought.groupby("customer_id")["date"].min())
    risky = s.index[s["state"] == "at_risk"]
    assert ((end - last[risky]).dt.days < n).all()
    assert (first[risky] < run.month.start_time).all()
    # again in pandas: the rule's active members who drift, by home store
    w = run.read("lifecycle")["rule"]["winback_days"]
    expected = states_by_pandas(b, run.month, n, w, s["p_no_purchase_next_month"])
    at_risk = expected[expected["state"] == "at_risk"]
    for store, page in pages.items():
        mine = at_risk.index[at_risk["home_store"] == store]
        assert page["at_risk"]["at_risk"] == len(mine), store
        assert page["at_risk"]["newly_at_risk"] == int(s.loc[mine, "newly_at_risk"].sum())
        stake = (s.loc[mine, "clv_if_alive"] - s.loc[mine, "clv"]).sum()
        assert page["at_risk"]["value_at_stake"] == pytest.approx(stake, rel=1e-9, abs=1e-9)
    facts = run.read("store_pages")
    assert facts["rest"]["at_risk"] == pages["S04"]["at_risk"]["at_risk"]


def list_rows(run, name: str) -> pd.DataFrame:
    return action_files.read(run.path(f"{name}_csv"))


def test_a_store_page_quotes_exactly_its_rows_in_each_list_file(chain):
    run, n = chain
    facts = run.read("store_pages")
    summary = run.read("actions_summary")
    s = run.read("churn_scores")
    w = run.read("lifecycle")["rule"]["winback_days"]
    truth = states_by_pandas(run.table("baskets"), run.month, n, w, s["p_no_purchase_next_month"])
    quoted = 0
    for name in store_pages.LISTS:
        rows = list_rows(run, name)
        # each row's home store is the home-store rule's; each member is in the list's states (never a lost one)
        assert (rows["home_store"] == truth.loc[rows["customer_id"], "home_store"].to_numpy()).all(), name
        states = {"retain": {"at_risk"}, "winback": {"lapsed", "dormant"}, "welcome": {"new"}}[name]
        assert set(truth.loc[rows["customer_id"], "state"]) <= states, name
        assert len(rows) == summary[name]["listed"] <= CONTACT_BUDGET
        per_store = rows["home_store"].value_counts()
        for page in facts["stores"] + facts["more_pages"]:
            store = page["store_id"]
            in_file = int(per_store.get(store, 0))
            assert page["lists"][name] == in_file == summary[name]["by_store"].get(store, 0), (store, name)
            mine = [a for a in page["actions"] if a["key"] in LIST_ACTIONS[name]]
            if in_file == 0:
                assert mine == [], (store, name)      # nobody on the list: no action to call them
            for a in mine:
                assert a["params"]["n"] == in_file and a["params"]["store"] == store
                quoted += 1
    assert quoted > 0          # the chain's pages do quote the lists
    # the budget bites: the win-back list holds fewer than the store's lapsed and dormant members
    assert summary["winback"]["over_budget"] > 0
    assert any(p["lists"]["winback"] < p["states"]["lapsed"] + p["states"]["dormant"] for p in facts["stores"])


def test_a_list_count_of_zero_gives_no_action_to_members(chain):
    run, _ = chain
    facts = run.read("store_pages")
    chain_figures = facts["chain"]
    for page in facts["stores"] + facts["more_pages"]:
        for name in store_pages.LISTS:
            empty = dict(copy.deepcopy(page), lists=dict(page["lists"], **{name: 0}))
            keys = [m.key for m in store_pages.actions(empty, chain_figures)]
            assert not set(keys) & set(LIST_ACTIONS[name]), (page["store_id"], name)
        # with every list empty, only the store's numbers (complaints, KPIs) give actions
        none = dict(copy.deepcopy(page), lists={name: 0 for name in store_pages.LISTS})
        keys = {m.key for m in store_pages.actions(none, chain_figures)}
        assert not keys & {k for ks in LIST_ACTIONS.values() for k in ks}


def test_complaints_per_store_against_the_complaints_table(chain):
    run, _ = chain
    c = run.table("complaints")
    b = run.table("baskets")
    m = run.month
    opened = c[(c["opened_at"] >= m.start_time) & (c["opened_at"] < (m + 1).start_time)]
    month_baskets = b[b["is_purchase"] & (b["timestamp"] >= m.start_time) & (b["timestamp"] < (m + 1).start_time)]
    assert len(opened) > 0
    for store, page in pages_of(run).items():
        here = opened[opened["store_id"].astype(str) == store]
        got = page["complaints"]
        assert got["complaints"] == len(here)
        baskets = int((month_baskets["store_id"] == store).sum())
        assert got["rate"] == pytest.approx(1000 * len(here) / baskets)
        counts = here["category"].value_counts().sort_values(ascending=False)
        if len(counts) and counts.iloc[0] >= 2 and (len(counts) == 1 or counts.iloc[0] > counts.iloc[1]):
            assert (got["top_category"], got["top_category_complaints"]) == (counts.index[0], counts.iloc[0])
        else:                                                  # no category stands out
            assert got["top_category"] is None


def test_actions_follow_the_numbers(chain):
    run, _ = chain
    facts = run.read("store_pages")
    chain_figures = facts["chain"]
    for page in facts["stores"]:
        found = [m.to_dict() for m in store_pages.actions(page, chain_figures)]
        assert found == page["actions"] and 1 <= len(found) <= 3    # the saved actions are the rules' own
        assert page["short"] == (len(found) < 3)
    page = copy.deepcopy(facts["stores"][0])
    store = page["store_id"]
    kpi = {r["kpi"]: r for r in page["kpis"]}
    # 9 members at risk, 4 of them on the retain list (consent, budget): the actions quote the list's 4
    page.update(at_risk=dict(page["at_risk"], at_risk=9), lists={"retain": 4, "winback": 0, "welcome": 0},
                complaints=None)
    # churn above the chain's: call the store's members on the retain list
    above = dict(chain_figures, churn_rate=kpi["churn_rate"]["value"] / (store_pages.ABOVE_BY + 0.01))
    first = store_pages.actions(page, above)[0]
    assert first.key == "store.action.retain.churn" and first.params["n"] == 4 and first.params["store"] == store
    said = text.say(first)
    assert text.percent(kpi["churn_rate"]["value"], 1) in said and "actions/retain.csv" in said
    assert f"call the 4 members at risk on the retain list" in said
    # churn at, below or barely above the chain's: the call is still there, without the comparison
    barely = dict(chain_figures, churn_rate=kpi["churn_rate"]["value"] / (store_pages.ABOVE_BY - 0.02))
    assert store_pages.actions(page, barely)[0].key == "store.action.retain"
    below = dict(chain_figures, churn_rate=kpi["churn_rate"]["value"] + 0.01)
    call = store_pages.actions(page, below)[0]
    assert call.key == "store.action.retain" and (call.params["n"], call.params["at_risk"]) == (4, 9)
    assert "Call the 4 members at risk on the retain list" in text.say(call)
    # nobody of the store on the retain list: no call, however high its churn
    nobody = dict(page, lists={"retain": 0, "winback": 0, "welcome": 0})
    assert not {m.key for m in store_pages.actions(nobody, above)} & {"store.action.retain", "store.action.retain.churn"}
    # complaints above the chain's rate (with enough of them): review the top category
    page["complaints"] = {"complaints": 5, "baskets": 500, "rate": 10.0, "top_category": "freshness",
                          "top_category_complaints": 3}
    keys = [m.key for m in store_pages.actions(page, dict(below, complaint_rate=2.0))]
    assert keys[1] == "store.action.complaints_above"
    assert "store.action.complaints_above" not in [m.key for m in store_pages.actions(page, dict(below,
                                                                                             complaint_rate=12.0))]
    # the average basket down on a year ago, nothing else: one action, said so
    quiet = {"store_id": "S01", "at_risk": {"at_risk": 0, "newly_at_risk": 0, "clv": 0.0, "value_at_stake": 0.0},
             "complaints": None, "lists": {"retain": 0, "winback": 0, "welcome": 0},
             "states": {"new": 3, "active": 50, "at_risk": 0, "lapsed": 12, "dormant": 20, "lost": 40},
             "kpis": [{"kpi": "avg_basket_value", "kind": "money", "value": 90.0, "previous": 95.0, "mom_abs": -5.0,
                       "mom_rel": -0.05, "year_ago": 100.0, "yoy_abs": -10.0, "yoy_rel": -0.1}]}
    [only] = store_pages.actions(quiet, below)
    assert only.key == "store.action.basket_down" and only.params["change"] == -0.1
    quiet["kpis"][0]["yoy_rel"] = -0.01
    assert store_pages.actions(quiet, below) == []
    # new members down on a year ago: by a share and a number, so 3 against 6 is not a trend: welcome the 2 of
    # them on the welcome list
    new = {"kpi": "new_customers", "kind": "count", "value": 3.0, "previous": 2.0, "mom_abs": 1.0, "mom_rel": 0.5,
           "year_ago": 6.0, "yoy_abs": -3.0, "yoy_rel": -0.5}
    quiet["kpis"].append(new)
    assert store_pages.actions(quiet, below) == []                      # nobody on the welcome list
    quiet["lists"]["welcome"] = 2
    [hello] = store_pages.actions(quiet, below)
    assert hello.key == "store.action.welcome" and hello.params == {"n": 2, "store": "S01"}
    assert "actions/welcome.csv" in text.say(hello)
    new.update(value=10.0, yoy_abs=-20.0, yoy_rel=-20 / 30, year_ago=30.0)
    assert [m.key for m in store_pages.actions(quiet, below)] == ["store.action.new_down"]
    # the month's lapsed members: the win-back list's members of the store, against the store's lapsed and
    # dormant (12 + 20); more lapsed than last month says so
    lapsed = {"kpi": "lapsed_customers", "kind": "count", "value": 12.0, "previous": 11.0, "mom_abs": 1.0,
              "mom_rel": 1 / 11, "year_ago": None, "yoy_abs": None, "yoy_rel": None}
    quiet["kpis"].append(lapsed)
    assert [m.key for m in store_pages.actions(quiet, below)] == ["store.action.new_down"]   # win-back list empty
    quiet["lists"]["winback"] = 7
    [_, back] = store_pages.actions(quiet, below)
    assert back.key == "store.action.winback" and back.params == {"n": 7, "pool": 12 + 20, "store": "S01"}
    lapsed.update(value=16.0, mom_abs=5.0, mom_rel=5 / 11)
    [_, up] = store_pages.actions(quiet, below)
    assert up.key == "store.action.winback.rise" and up.params == {"lapsed": 16.0, "previous": 11.0, "n": 7,
                                                                   "store": "S01"}
    quiet["lists"]["winback"] = 0
    assert [m.key for m in store_pages.actions(quiet, below)] == ["store.action.new_down"]
    del quiet["kpis"][1:]
    facts_one = dict(facts, stores=[dict(quiet, actions=[], short=True)])
    shown = store_sections.page_text(facts_one, facts_one["stores"][0], "CNY", as_html=False)
    assert shown["short"].startswith("The store's numbers call for no particular action")


def test_store_pages_are_the_same_bytes_on_the_same_data(chain):
    run, _ = chain
    first = run.path("store_pages").read_bytes()
    store_pages.save(run, store_pages.for_month(run))
    assert run.path("store_pages").read_bytes() == first
    assert not re.search(rb"C\d{6}", first)                   # aggregates only


def test_each_store_manager_gets_only_that_stores_summary_and_no_customer(chain):
    run, _ = chain
    said = []
    paths = store_emails.write_emails(run.run_dir, run.config, str(run.month), log=said.append)
    assert [p.name for p in paths] == [f"retention-report-{run.month}-store-s01.eml",
                                       f"retention-report-{run.month}-store-s04.eml"]
    assert len(said) == 1 and "'S09' has no page" in said[0]
    people = run.table("customers")
    pages = pages_of(run)
    for path, store, to in zip(paths, ("S01", "S04"), ("s01.manager@example.com", "s04.manager@example.com")):
        raw = path.read_bytes()
        msg = smtp.read_eml(path)
        body = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        shown = (raw.decode("ascii", "replace") + body + html).encode("utf-8")
        for column in ("customer_id", "name", "phone"):
            leaked = [v for v in people[column].dropna().astype(str) if v.encode("utf-8") in shown]
            assert leaked == [], column
        assert msg["To"] == to and store in msg["Subject"] and str(run.month) in msg["Subject"]
        assert run.config.name in msg["Subject"]
        assert [a.get_filename() for a in msg.iter_attachments()] == [f"chain-{run.month}-report.html"]
        page = pages[store]
        kpi = {r["kpi"]: r for r in page["kpis"]}
        for content in (body, html):
            assert text.money(kpi["revenue"]["value"], None, "CNY") in content
            assert text.count(page["at_risk"]["at_risk"]) in content
            for other in set(STORES) - {store}:                # only this store's figures
                assert other not in content
                theirs = {r["kpi"]: r for r in pages[other]["kpis"]}
                assert text.money(theirs["revenue"]["value"], None, "CNY") not in content
        assert len(re.findall(r"<li ", html)) == len(page["actions"])


def test_store_emails_wait_in_the_outbox_and_are_sent_once_published(chain, smtp_server, tmp_path):
    run, _ = chain
    inbox, port, _ = smtp_server
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "artifacts").mkdir()
    (folder / "artifacts" / "store_pages.json").write_bytes(run.path("store_pages").read_bytes())
    (folder / "report.html").write_text("<html>report</html>", encoding="utf-8")
    store_emails.write_emails(folder, run.config, str(run.month), log=lambda s: None)
    env = {"RETENTION_SMTP_HOST": "127.0.0.1", "RETENTION_SMTP_PORT": str(port), "RETENTION_SMTP_TLS": "starttls",
           "RETENTION_SMTP_USER": USER, "RETENTION_SMTP_PASSWORD": PASSWORD, "RETENTION_MAIL_FROM": "r@example.com"}
    sent = store_emails.send_emails(folder, run.config, str(run.month), env=env, log=lambda s: None)
    assert [p.parent.name for p in sent] == ["sent", "sent"]
    assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == ["s01.manager@example.com",
                                                                      "s04.manager@example.com"]
    assert store_emails.send_emails(folder, run.config, str(run.month), env=env) == []   # nothing twice
    assert sorted((folder / "outbox" / "sent").glob("*.eml")) == sorted(sent)


def test_without_churn_scores_or_complaints_a_page_says_only_what_it_knows(chain):
    run, _ = chain
    view = store_pages.pages(run.read("kpis_monthly"), run.month, 3, scores=None, lifecycle=None, lists=None,
                             satisfaction=None, complaints=None, currency="CNY")
    facts = view.to_dict()
    assert not facts["has_value"] and not facts["has_complaints"] and facts["rest"]["at_risk"] is None
    assert facts["chain"]["can_contact"] is False
    for page in facts["stores"]:
        assert page["at_risk"] is None and page["complaints"] is None and page["states"] is None
        assert page["lists"] == {"retain": 0, "winback": 0, "welcome": 0}
        keys = {m.key for m in page["actions"]}
        # no list counts: no action to members; no complaints: none about them
        assert not keys & ({k for ks in LIST_ACTIONS.values() for k in ks}
                           | {"store.action.complaints_above", "store.action.complaints_above.all",
                              "store.action.complaints_top"})
        shown = store_sections.page_text(facts, page, "CNY", as_html=False)
        assert shown["at_risk"] == "" and shown["complaints"] == ""


def test_a_top_complaint_category_stands_out_or_is_not_named():
    rows = [("S1", "price"), ("S1", "price"), ("S1", "staff"),      # price stands out
            ("S2", "price"), ("S2", "staff"),                        # one each: none stands out
            ("S3", "freshness"), ("S3", "freshness"), ("S3", None),  # without a category: not counted
            ("S4", "staff"), ("S4", "staff"), ("S4", "price"), ("S4", "price")]  # a tie at the top
    c = pd.DataFrame(rows, columns=["store_id", "category"]).assign(
        opened_at=pd.Timestamp("2025-02-10"), complaint_id=[f"K{i}" for i in range(len(rows))])
    late = c.iloc[:1].assign(opened_at=pd.Timestamp("2025-03-01"), store_id="S2", category="staff")
    assert store_pages.top_categories(pd.concat([c, late]), "2025-02") == {"S1": ("price", 2), "S3": ("freshness", 2)}
    page = {"store_id": "S2", "kpis": [], "at_risk": None,
            "complaints": {"complaints": 4, "baskets": 400, "rate": 10.0, "top_category": None,
                           "top_category_complaints": 0}}
    [action] = store_pages.actions(page, {"currency": "CNY", "complaint_rate": 2.0, "churn_rate": None})
    assert action.key == "store.action.complaints_above.all" and action.params["n"] == 4
    assert "go through this month's 4 complaints" in text.say(action)
