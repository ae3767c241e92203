"""Retain, win-back, welcome and care lists on small hand-built tables: who is on each list (by lifecycle
state), ranking, consent, budget, the counts per home store, and the sentences and tables that show them."""
import openpyxl
import pandas as pd
import pytest

from retention_lib.analytics import actions
from retention_lib.report import action_files
from retention_lib.report import actions_display as shown

MONTH_END = pd.Timestamp("2025-03-31")
IDS = list("ABCDEFGHIJKL")

# One member per row: lifecycle state at the month's end, home store, days silent, P(alive), CLV, CLV if retained.
#   win-back (lapsed, dormant): contact value = P(alive) × CLV if retained
#     A lapsed  0.40 ×   100 =  40     B dormant 0.30 ×  500 = 150     C lapsed 0.20 × 900 = 180
#     D dormant 0.45 ×    50 =  22.5   L dormant 0.02 × 5000 = 100
#     F is lost: 0.05 × 20000 = 1000 would top the list if a lost member could be on it
#   retain (at risk): value at stake = CLV if retained − CLV
#     G 500 − 300 = 200 (P 0.60)   H 400 − 100 = 300 (P 0.50)   I 400 − 200 = 200 (P 0.70)
#   welcome (new): J silent 3 days, K silent 10 days
#   E is active (and safe): on no list
ROWS = [  # id, state, home, silent, p_alive, clv, clv_if_alive, newly_at_risk
    ("A", "lapsed", "S1", 40, 0.40, 30.0, 100.0, False),
    ("B", "dormant", "S2", 90, 0.30, 100.0, 500.0, False),
    ("C", "lapsed", "S1", 50, 0.20, 150.0, 900.0, False),
    ("D", "dormant", "S2", 90, 0.45, 20.0, 50.0, False),
    ("E", "active", "S1", 5, 0.90, 700.0, 800.0, False),
    ("F", "lost", "S1", 400, 0.05, 800.0, 20000.0, False),
    ("G", "at_risk", "S2", 20, 0.60, 300.0, 500.0, True),
    ("H", "at_risk", "S1", 25, 0.50, 100.0, 400.0, False),
    ("I", "at_risk", "S2", 30, 0.70, 200.0, 400.0, True),
    ("J", "new", "S1", 3, 0.95, 200.0, 210.0, False),
    ("K", "new", "S2", 10, 0.92, 150.0, 160.0, False),
    ("L", "dormant", "S2", 120, 0.02, 50.0, 5000.0, False),
]
WINBACK_ORDER = ["C", "B", "L", "A", "D"]       # 180, 150, 100, 40, 22.5
RETAIN_ORDER = ["H", "G", "I"]                  # 300; then 200 and 200, the lower P(alive) (G 0.60) first
WELCOME_ORDER = ["J", "K"]                      # latest purchase (fewest days silent) first


def scores():
    f = pd.DataFrame(ROWS, columns=["customer_id", "state", "home_store", "silent", "p_alive", "clv", "clv_if_alive",
                                    "newly_at_risk"]).set_index("customer_id")
    f["last_purchase"] = MONTH_END - pd.to_timedelta(f["silent"], unit="D")
    return f


def customers(consent):
    return pd.DataFrame({"customer_id": IDS, "marketing_consent": pd.array(consent, dtype="boolean"),
                         "name": ["n" + c for c in IDS], "phone": ["1" * 11] * len(IDS),
                         "birthday": pd.to_datetime(["1980-01-05", "1975-02-11", "1990-01-30", "1988-07-01",
                                                     "1970-01-15", None] + ["1985-06-01"] * 6)})


def favs():
    return pd.DataFrame({"top_categories": ["fresh produce"] * len(IDS), "usual_store": ["S9"] * len(IDS),
                         "last_purchase": pd.Timestamp("2020-01-01")},
                        index=pd.Index(IDS, name="customer_id"))


ALL_YES = [True] * len(IDS)
LISTS = {"retain": actions.retain, "winback": actions.winback, "welcome": actions.welcome}


def by_store(s, ids):
    """The rows per home store, counted again from the scores."""
    return {str(k): int(v) for k, v in s.loc[ids, "home_store"].value_counts().sort_index().items()}


def test_winback_holds_lapsed_and_dormant_members_ranked_by_p_alive_times_clv():
    s = scores()
    out = actions.winback(s, customers(ALL_YES), favs(), budget=10)
    assert out.rows["customer_id"].tolist() == WINBACK_ORDER
    assert out.rows["rank"].tolist() == [1, 2, 3, 4, 5]
    # no lost member (F, the largest contact value) and no active, at-risk or new member
    assert set(out.rows["state"]) == {"lapsed", "dormant"} and "F" not in set(out.rows["customer_id"])
    assert out.rows["contact_value"].tolist() == pytest.approx([180, 150, 100, 40, 22.5])
    assert out.rows["top_categories"].eq("fresh produce").all()
    # the home store is the lifecycle's (the scores'), not the favourites' usual store
    assert out.rows["home_store"].tolist() == ["S1", "S2", "S2", "S1", "S2"] and "usual_store" not in out.rows
    assert out.rows["last_purchase"].tolist() == (MONTH_END - pd.to_timedelta([50, 90, 120, 40, 90], unit="D")).tolist()
    c = out.counts
    assert (c["candidates"], c["without_consent"], c["eligible"], c["over_budget"], c["listed"], c["budget"]) == (
        5, 0, 5, 0, 5, 10)
    assert c["by_store"] == {"S1": 2, "S2": 3} == by_store(s, WINBACK_ORDER)
    assert c["by_state"] == {"lapsed": 2, "dormant": 3}                  # A, C; B, D, L
    assert c["listed_value"] == pytest.approx(180 + 150 + 100 + 40 + 22.5)
    assert c["ranked_by"] == "p_alive_x_clv_if_alive"


def test_without_the_churn_model_winback_ranks_by_days_silent():
    out = actions.winback(scores().assign(p_alive=float("nan")), customers(ALL_YES), favs(), budget=10)
    # days silent: A 40, C 50, B 90, D 90, L 120; B and D tie, the larger CLV if retained (B 500) first
    assert out.rows["customer_id"].tolist() == ["A", "C", "B", "D", "L"]
    assert out.counts["ranked_by"] == "days_silent"
    assert out.counts["listed_value"] == pytest.approx(100 + 900 + 500 + 50 + 5000)   # CLV if retained alone


def test_retain_holds_the_members_at_risk_ranked_by_value_at_stake():
    s = scores()
    out = actions.retain(s, customers(ALL_YES), favs(), budget=10)
    assert out.rows["customer_id"].tolist() == RETAIN_ORDER
    assert set(s.loc[out.rows["customer_id"], "state"]) == {"at_risk"}
    assert out.rows["value_at_stake"].tolist() == pytest.approx([300, 200, 200])
    assert out.rows["newly_at_risk"].tolist() == [False, True, True]
    c = out.counts
    assert (c["candidates"], c["eligible"], c["listed"]) == (3, 3, 3)
    assert c["by_store"] == {"S1": 1, "S2": 2} == by_store(s, RETAIN_ORDER)
    assert c["listed_value"] == pytest.approx(700) and c["value_if_consented"] == pytest.approx(700)
    # with value tiers, each row carries its member's tier
    tiers = pd.Series({"G": "core", "H": "key", "I": "developable"}, name="tier")
    with_tiers = actions.retain(s.join(tiers), customers(ALL_YES), favs(), budget=10)
    assert with_tiers.rows["tier"].tolist() == ["key", "core", "developable"]


def test_welcome_holds_the_new_members_latest_first():
    s = scores()
    out = actions.welcome(s, customers(ALL_YES), favs(), budget=10)
    assert out.rows["customer_id"].tolist() == WELCOME_ORDER
    assert out.counts["candidates"] == 2 and out.counts["by_store"] == {"S1": 1, "S2": 1} == by_store(s, WELCOME_ORDER)
    assert "listed_value" not in out.counts


def test_each_member_is_on_at_most_one_list_and_only_that_of_their_state():
    s = scores()
    listed = {name: make(s, customers(ALL_YES), favs(), budget=100).rows["customer_id"].tolist()
              for name, make in LISTS.items()}
    # the rule again: the list of each state, all of its members when everyone consented and the budget is ample
    assert {n: sorted(ids) for n, ids in listed.items()} == {
        "retain": sorted(s.index[s["state"] == "at_risk"]),
        "winback": sorted(s.index[s["state"].isin(["lapsed", "dormant"])]),
        "welcome": sorted(s.index[s["state"] == "new"])}
    everyone = [i for ids in listed.values() for i in ids]
    assert len(everyone) == len(set(everyone))
    assert not set(everyone) & set(s.index[s["state"].isin(["active", "lost"])])     # E and F


def test_consent_is_opt_in_and_the_left_out_are_counted():
    # no consent: B (False), C (unknown), H (False), J (unknown)
    consent = [True, False, None, True, True, True, True, False, True, None, True, True]
    s = scores()
    win = actions.winback(s, customers(consent), favs(), budget=10)
    assert win.rows["customer_id"].tolist() == ["L", "A", "D"]          # C and B left out, the order kept
    assert (win.counts["candidates"], win.counts["without_consent"], win.counts["eligible"]) == (5, 2, 3)
    assert win.counts["by_store"] == {"S1": 1, "S2": 2} == by_store(s, ["L", "A", "D"])
    assert win.counts["by_state"] == {"lapsed": 1, "dormant": 2}
    assert win.counts["listed_value"] == pytest.approx(100 + 40 + 22.5)
    # what the list would hold if every candidate had said yes: all five
    assert win.counts["listed_if_consented"] == 5 and win.counts["value_if_consented"] == pytest.approx(492.5)
    keep = actions.retain(s, customers(consent), favs(), budget=10)
    assert keep.rows["customer_id"].tolist() == ["G", "I"] and keep.counts["without_consent"] == 1
    assert keep.counts["listed_value"] == pytest.approx(400)
    hello = actions.welcome(s, customers(consent), favs(), budget=10)
    assert hello.rows["customer_id"].tolist() == ["K"] and hello.counts["without_consent"] == 1


def test_budget_caps_each_list_and_counts_the_rest():
    s = scores()
    win = actions.winback(s, customers(ALL_YES), favs(), budget=2)
    assert win.rows["customer_id"].tolist() == ["C", "B"]
    assert (win.counts["over_budget"], win.counts["listed"], win.counts["budget"]) == (3, 2, 2)
    assert win.counts["by_store"] == {"S1": 1, "S2": 1} and win.counts["listed_value"] == pytest.approx(330)
    keep = actions.retain(s, customers(ALL_YES), favs(), budget=2)
    assert keep.rows["customer_id"].tolist() == ["H", "G"] and keep.counts["over_budget"] == 1
    assert keep.counts["by_store"] == {"S1": 1, "S2": 1} and keep.counts["listed_value"] == pytest.approx(500)
    # the counts per home store are the list's rows per home store, after consent and budget
    for make in LISTS.values():
        out = make(s, customers(ALL_YES), favs(), budget=2)
        assert out.counts["by_store"] == by_store(s, out.rows["customer_id"])
        assert sum(out.counts["by_store"].values()) == out.counts["listed"] == len(out.rows)


def test_no_consent_column_means_nobody_is_contacted():
    people = customers(ALL_YES).drop(columns="marketing_consent")
    for name, make in LISTS.items():
        out = make(scores(), people, favs(), budget=10)
        assert out.rows.empty and out.counts["by_store"] == {}, name
        assert out.counts["without_consent"] == out.counts["candidates"] == {"retain": 3, "winback": 5, "welcome": 2}[name]


def _would_be(states, value, budget):
    """The list if everyone had consented, from the scores by hand: its size and value."""
    s = scores()
    pool = s[s["state"].isin(states)]
    v = value(pool).sort_values(ascending=False)
    return min(budget, len(v)), float(v.head(budget).sum())


@pytest.mark.parametrize("strip", [
    lambda c: c.drop(columns="marketing_consent"),                                    # no such column
    lambda c: c.assign(marketing_consent=pd.array([pd.NA] * len(c), dtype="boolean")),  # a column with no answer
    lambda c: None,                                                                   # no customers table
])
def test_without_a_consent_field_the_lists_say_what_they_would_hold(strip):
    people = strip(customers(ALL_YES))
    out = {name: make(scores(), people, favs(), budget=2) for name, make in LISTS.items()}
    for name, lst in out.items():
        assert lst.rows.empty and lst.counts["consent_field"] is False and lst.counts["listed"] == 0, name
        assert lst.counts["listed_if_consented"] == 2, name
    win = _would_be(["lapsed", "dormant"], lambda d: d["p_alive"] * d["clv_if_alive"], 2)        # C 180 + B 150
    keep = _would_be(["at_risk"], lambda d: d["clv_if_alive"] - d["clv"], 2)                    # H 300 + G 200
    assert (out["winback"].counts["listed_if_consented"], out["winback"].counts["value_if_consented"]) == \
        pytest.approx(win)
    assert (out["retain"].counts["listed_if_consented"], out["retain"].counts["value_if_consented"]) == \
        pytest.approx(keep)
    summary = {name: lst.counts for name, lst in out.items()} | {"birthdays": {}, "holiday_greetings": {}}
    retain_s, winback_s, welcome_s = shown.list_sentences(summary, "USD", 12, html=False)
    for sentence in (retain_s, winback_s):
        assert "this data has no consent field, so no one can be contacted" in sentence
        assert "no marketing consent and are left out" not in sentence
    assert f"would hold {win[0]} of the 5 lapsed and dormant members" in winback_s and f"{win[1]:,.0f} USD" in winback_s
    assert f"would hold {keep[0]} of the 3 members at risk" in retain_s and f"{keep[1]:,.0f} USD" in retain_s
    assert "none without a consent field (2 new members this month)" in welcome_s


def test_with_a_consent_field_each_sentence_names_its_file_and_counts_the_left_out():
    consent = [True, False, None, True, True, True, True, False, True, None, True, True]
    out = {name: make(scores(), customers(consent), favs(), budget=10) for name, make in LISTS.items()}
    assert all(lst.counts["consent_field"] is True for lst in out.values())
    summary = {name: lst.counts for name, lst in out.items()} | {"birthdays": {}, "holiday_greetings": {}}
    retain_s, winback_s, welcome_s = shown.list_sentences(summary, "USD", 12, html=False)
    # win-back: L, A, D listed (A lapsed; L, D dormant) of 5; B and C without consent
    assert "Win-back list (actions/winback.csv): 3 members" in winback_s and "(1 lapsed this month, 2 dormant)" in winback_s
    assert "Of 5 lapsed and dormant members, 2 have no marketing consent and are left out" in winback_s
    assert f"{100 + 40 + 22.5:,.0f} USD" in winback_s
    # retain: G, I listed of 3 (H without consent), 200 + 200 at stake
    assert "Retain list (actions/retain.csv): 2 members at risk" in retain_s and "400 USD" in retain_s
    assert "Of 3 members at risk, 1 have no marketing consent" in retain_s
    assert "Welcome list (actions/welcome.csv): 1 of the 2 new members" in welcome_s
    assert not any("no consent field" in t for t in (retain_s, winback_s, welcome_s))


def test_care_lists_without_a_consent_field_say_who_would_qualify():
    people = customers(ALL_YES).drop(columns="marketing_consent")
    born = actions.birthdays(people, pd.Period("2025-01", "M"), active=pd.Index(["A", "C", "E"]))
    tiers = pd.Series(["core", "key", "developable", "low-priority", "core", "key"],
                      index=pd.Index(list("ABCDEF"), name="customer_id"))
    greet = actions.holiday_greetings(people, tiers)
    assert born.rows.empty and greet.rows.empty
    assert born.counts["consent_field"] is False and greet.counts["consent_field"] is False
    win = actions.winback(scores(), people, favs(), budget=10)
    _, birthdays, holidays = shown.list_sentences(
        {"winback": win.counts, "birthdays": born.counts, "holiday_greetings": greet.counts}, "USD", 12, html=False)
    # A, C and E are born in January and in the base; four of six are core or key
    assert "none without a consent field (3 members have a birthday then)" in birthdays
    assert "none without a consent field (4 core and key members" in holidays


def test_birthdays_next_month_among_consenting_members_of_the_base():
    c = customers([True, True, False] + [True] * 9)
    out = actions.birthdays(c, pd.Period("2025-01", "M"), active=pd.Index(["A", "C", "E"]))
    assert sorted(out.rows["customer_id"]) == ["A", "E"]  # C has no consent; F has no birthday
    assert out.counts == {"consent_field": True, "birthdays": 3, "without_consent": 1, "listed": 2}


def test_holiday_greetings_for_core_and_key_tiers():
    tiers = pd.Series(["core", "key", "developable", "low-priority", "core", "key"],
                      index=pd.Index(list("ABCDEF"), name="customer_id"))
    out = actions.holiday_greetings(customers([True, True, True, True, False] + [True] * 7), tiers)
    assert sorted(out.rows["customer_id"]) == ["A", "B", "F"]   # core or key: A, B, E, F; E without consent
    assert out.counts["without_consent"] == 1
    [sentence] = shown.list_sentences({"birthdays": {}, "holiday_greetings": out.counts}, "USD", 12, html=False)
    assert sentence == "Holiday care: 3 of the 4 core and key members (1 without marketing consent)."


def test_favourites_pick_top_categories_by_recent_spend_and_usual_store():
    lines = pd.DataFrame({
        "customer_id": ["A"] * 5, "timestamp": pd.to_datetime(["2024-12-01"] * 4 + ["2024-01-01"]),
        "amount": [30.0, 20.0, 10.0, -5.0, 999.0],
        "category": ["dairy & eggs", "snacks", "bakery", "snacks", "beverages"]})
    baskets = pd.DataFrame({"customer_id": ["A", "A", "A"], "store_id": ["S2", "S1", "S2"],
                            "timestamp": pd.to_datetime(["2024-11-01", "2024-12-01", "2024-12-20"])})
    out = actions.favourites(lines, baskets, pd.Timestamp("2025-01-01"), top=2)
    assert out.loc["A", "top_categories"] == "dairy & eggs, snacks"  # beverages is older than 6 months
    assert out.loc["A", "usual_store"] == "S2"
    assert out.loc["A", "last_purchase"] == pd.Timestamp("2024-12-20")


def test_lists_write_csv_and_xlsx(tmp_path):
    out = actions.winback(scores(), customers(ALL_YES), favs(), budget=3)
    paths = action_files.write(out, tmp_path / "winback.csv", tmp_path / "winback.xlsx", "CNY")
    assert [p.suffix for p in paths] == [".csv", ".xlsx"]
    assert action_files.read(paths[1])["customer_id"].tolist() == WINBACK_ORDER[:3]


def test_winback_files_from_a_hostile_customers_table_hold_no_formula(tmp_path):
    hostile = customers(ALL_YES).assign(
        name=['=HYPERLINK("http://x","store")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] * 2)
    tricky = favs().assign(top_categories='=cmd|" /C calc"!A0')
    csv_path, xlsx_path = action_files.write(actions.winback(scores().assign(home_store="@S1"), hostile, tricky,
                                                             budget=10), tmp_path / "winback.csv",
                                             tmp_path / "winback.xlsx", "CNY")
    cells = [c for row in openpyxl.load_workbook(xlsx_path).active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in text if t[:1] in "=+-@\t\r\n"]
    assert text.count("'@S1") == 5 and text.count("'=cmd|\" /C calc\"!A0") == 5
    listed = action_files.read(csv_path)
    assert listed["customer_id"].tolist() == WINBACK_ORDER          # same ranking as before
    assert listed["name"].str[0].eq("'").all() and (listed["home_store"] == "'@S1").all()
    assert pd.api.types.is_float_dtype(listed["contact_value"])


def test_the_notebook_shows_the_lists_as_display_text():
    s = scores()
    s.loc["B", "last_purchase"] = pd.NaT
    out = actions.winback(s, customers(ALL_YES), favs(), budget=3)
    table = shown.list_table(out.rows, "CNY")
    cells = table.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells) and not [c for c in cells if c.lower() in ("nan", "nat", "none")]
    assert "name" not in table and "phone" not in table and "n" + "C" not in cells
    first = table.iloc[0]
    # C: lapsed, home S1, P(alive) 0.20, CLV if retained 900 -> contact value 180, silent 50 days on 2025-03-31
    assert (first["member"], first["home store"], first["state"], first["P(alive)"], first["CLV if retained (CNY)"],
            first["contact value (CNY)"], first["last purchase"]) == (
        "C", "S1", "Lapsed this month", "20%", "900", "180", "2025-02-09")
    assert table.iloc[1]["state"] == "Dormant" and table.iloc[1]["last purchase"] == "—"
    keep = shown.list_table(actions.retain(s, customers(ALL_YES), favs(), budget=3).rows, "CNY")
    # H: CLV 100, value at stake 400 - 100 = 300, not newly at risk; G newly
    top = keep.iloc[0]
    assert (top["member"], top["expected CLV (CNY)"], top["value at stake (CNY)"], top["newly at risk"]) == (
        "H", "100", "300", "no")
    assert keep.iloc[1]["newly at risk"] == "yes" and "state" not in keep


def test_the_track_record_is_shown_as_display_text():
    record = pd.DataFrame([{"for_month": "2025-02", "made_in": "2025-01", "members": 1234, "predicted_purchases": 4021.37,
                            "actual_purchases": 3890.0, "aggregate_error_pct": 3.3771, "mae": 0.812345,
                            "predicted_active": 950.4, "actual_active": 911.0, "brier_active": 0.1623456}])
    row = shown.track_record_table(record).iloc[0].tolist()
    assert row == ["2025-02", "2025-01", "1,234", "4,021", "3,890", "+3.4%", "0.81", "950", "911", "0.162"]
