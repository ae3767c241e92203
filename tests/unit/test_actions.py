"""Win-back and care lists on small hand-built tables: ranking, consent and budget."""
import openpyxl
import pandas as pd
import pytest

from retention_lib.analytics import actions
from retention_lib.report import actions_display as shown


def scores():
    return pd.DataFrame({
        "p_alive":      [0.40, 0.30, 0.20, 0.45, 0.90, 0.05],
        "clv_if_alive": [100., 500., 900., 50., 800., 2000.],
        "at_risk":      [True, True, True, True, False, True],
        "newly_at_risk": [True, False, False, True, False, False],
    }, index=pd.Index(["A", "B", "C", "D", "E", "F"], name="customer_id"))


def customers(consent):
    return pd.DataFrame({"customer_id": list("ABCDEF"), "marketing_consent": pd.array(consent, dtype="boolean"),
                         "name": ["n" + c for c in "ABCDEF"], "phone": ["1" * 11] * 6,
                         "birthday": pd.to_datetime(["1980-01-05", "1975-02-11", "1990-01-30",
                                                     "1988-07-01", "1970-01-15", None])})


def favs():
    return pd.DataFrame({"top_categories": ["fresh produce"] * 6, "usual_store": ["S1"] * 6,
                         "last_purchase": pd.Timestamp("2025-01-01")},
                        index=pd.Index(list("ABCDEF"), name="customer_id"))


def test_winback_ranks_by_p_alive_times_clv_and_skips_the_safe():
    out = actions.winback(scores(), customers([True] * 6), favs(), budget=10)
    # contact values: A 40, B 150, C 180, D 22.5, F 100; E is not at risk
    assert out.rows["customer_id"].tolist() == ["C", "B", "F", "A", "D"]
    assert out.rows["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out.rows["top_categories"].notna().all() and (out.rows["usual_store"] == "S1").all()
    assert out.counts["listed_contact_value"] == 40 + 150 + 180 + 22.5 + 100


def test_consent_is_opt_in_and_the_left_out_are_counted():
    out = actions.winback(scores(), customers([True, False, None, True, True, True]), favs(), budget=10)
    assert "B" not in set(out.rows["customer_id"]) and "C" not in set(out.rows["customer_id"])
    assert out.counts["without_consent"] == 2
    assert out.counts["eligible"] == 3 and out.counts["at_risk"] == 5


def test_budget_caps_the_list_and_counts_the_rest():
    out = actions.winback(scores(), customers([True] * 6), favs(), budget=2)
    assert out.rows["customer_id"].tolist() == ["C", "B"]
    assert out.counts["over_budget"] == 3 and out.counts["listed"] == 2


def test_no_consent_column_means_nobody_is_contacted():
    out = actions.winback(scores(), customers([True] * 6).drop(columns="marketing_consent"), favs(), budget=10)
    assert out.rows.empty and out.counts["without_consent"] == 5


def _would_be(budget):
    """The list if everyone at risk had consented, computed from the scores by hand."""
    s = scores()[scores()["at_risk"]]
    value = (s["p_alive"] * s["clv_if_alive"]).sort_values(ascending=False)
    return min(budget, len(value)), float(value.head(budget).sum())


@pytest.mark.parametrize("strip", [
    lambda c: c.drop(columns="marketing_consent"),                                    # no such column
    lambda c: c.assign(marketing_consent=pd.array([pd.NA] * len(c), dtype="boolean")),  # a column with no answer
    lambda c: None,                                                                   # no customers table
])
def test_without_a_consent_field_the_list_says_what_it_would_hold(strip):
    out = actions.winback(scores(), strip(customers([True] * 6)), favs(), budget=2)
    assert out.rows.empty and out.counts["consent_field"] is False and out.counts["listed"] == 0
    assert (out.counts["listed_if_consented"], out.counts["contact_value_if_consented"]) == pytest.approx(_would_be(2))
    summary = {"winback": out.counts, "birthdays": {}, "holiday_greetings": {}}
    [sentence] = shown.list_sentences(summary, "USD", 12, html=False)
    assert "this data has no consent field, so no one can be contacted" in sentence
    assert "no marketing consent and are left out" not in sentence
    listed, value = _would_be(2)
    assert f"would hold {listed} of the 5 members at risk" in sentence and f"{value:,.0f} USD" in sentence


def test_with_a_consent_field_the_list_keeps_its_wording_and_counts_the_left_out():
    out = actions.winback(scores(), customers([True, False, None, True, True, True]), favs(), budget=10)
    assert out.counts["consent_field"] is True
    [sentence] = shown.list_sentences({"winback": out.counts, "birthdays": {}, "holiday_greetings": {}}, "USD", 12,
                                      html=False)
    assert "Win-back list: 3 members" in sentence and "2 have no marketing consent and are left out" in sentence
    assert "no consent field" not in sentence


def test_care_lists_without_a_consent_field_say_who_would_qualify():
    people = customers([True] * 6).drop(columns="marketing_consent")
    born = actions.birthdays(people, pd.Period("2025-01", "M"), active=pd.Index(["A", "C", "E"]))
    tiers = pd.Series(["core", "key", "developable", "low-priority", "core", "key"],
                      index=pd.Index(list("ABCDEF"), name="customer_id"))
    greet = actions.holiday_greetings(people, tiers)
    assert born.rows.empty and greet.rows.empty
    assert born.counts["consent_field"] is False and greet.counts["consent_field"] is False
    win = actions.winback(scores(), people, favs(), budget=10)
    _, birthdays, holidays = shown.list_sentences(
        {"winback": win.counts, "birthdays": born.counts, "holiday_greetings": greet.counts}, "USD", 12, html=False)
    # A, C and E are born in January and active; four of six are core or key
    assert "none without a consent field (3 members have a birthday then)" in birthdays
    assert "none without a consent field (4 core and key members" in holidays


def test_birthdays_next_month_among_active_consenting_members():
    c = customers([True, True, False, True, True, True])
    out = actions.birthdays(c, pd.Period("2025-01", "M"), active=pd.Index(["A", "C", "E"]))
    assert sorted(out.rows["customer_id"]) == ["A", "E"]  # C has no consent; F has no birthday
    assert out.counts == {"consent_field": True, "birthdays": 3, "without_consent": 1, "listed": 2}


def test_holiday_greetings_for_core_and_key_tiers():
    tiers = pd.Series(["core", "key", "developable", "low-priority", "core", "key"],
                      index=pd.Index(list("ABCDEF"), name="customer_id"))
    out = actions.holiday_greetings(customers([True, True, True, True, False, True]), tiers)
    assert sorted(out.rows["customer_id"]) == ["A", "B", "F"]
    assert out.counts["without_consent"] == 1


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
    out = actions.winback(scores(), customers([True] * 6), favs(), budget=3)
    paths = out.write(tmp_path / "winback.csv", tmp_path / "winback.xlsx")
    assert [p.suffix for p in paths] == [".csv", ".xlsx"]
    assert pd.read_excel(paths[1])["customer_id"].tolist() == ["C", "B", "F"]


def test_winback_files_from_a_hostile_customers_table_hold_no_formula(tmp_path):
    hostile = customers([True] * 6).assign(
        name=['=HYPERLINK("http://x","store")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
    tricky = favs().assign(top_categories='=cmd|" /C calc"!A0', usual_store="@S1")
    csv_path, xlsx_path = actions.winback(scores(), hostile, tricky, budget=10).write(tmp_path / "winback.csv", tmp_path / "winback.xlsx")
    cells = [c for row in openpyxl.load_workbook(xlsx_path).active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in text if t[:1] in "=+-@\t\r\n"]
    assert text.count("'@S1") == 5 and text.count("'=cmd|\" /C calc\"!A0") == 5
    listed = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert listed["customer_id"].tolist() == ["C", "B", "F", "A", "D"]  # same ranking as before
    assert listed["name"].str[0].eq("'").all() and (listed["usual_store"] == "'@S1").all()
    assert pd.api.types.is_float_dtype(listed["contact_value"])


def test_the_notebook_shows_the_list_as_display_text():
    out = actions.winback(scores(), customers([True] * 6), favs().assign(last_purchase=pd.NaT), budget=3)
    table = shown.winback_table(out.rows, "CNY")
    cells = table.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells) and not [c for c in cells if c.lower() in ("nan", "nat", "none")]
    assert "name" not in table and "phone" not in table and "n" + "C" not in cells
    first = table.iloc[0]
    # C: P(alive) 0.20, CLV if retained 900 -> contact value 180
    assert (first["member"], first["P(alive)"], first["CLV if retained (CNY)"], first["contact value (CNY)"]) == (
        "C", "20%", "900", "180")
    assert first["last purchase"] == "—"


def test_the_track_record_is_shown_as_display_text():
    record = pd.DataFrame([{"for_month": "2025-02", "made_in": "2025-01", "members": 1234, "predicted_purchases": 4021.37,
                            "actual_purchases": 3890.0, "aggregate_error_pct": 3.3771, "mae": 0.812345,
                            "predicted_active": 950.4, "actual_active": 911.0, "brier_active": 0.1623456}])
    row = shown.track_record_table(record).iloc[0].tolist()
    assert row == ["2025-02", "2025-01", "1,234", "4,021", "3,890", "+3.4%", "0.81", "950", "911", "0.162"]
