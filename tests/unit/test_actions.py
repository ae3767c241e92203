"""Win-back and care lists on small hand-built tables: ranking, consent and budget."""
import openpyxl
import pandas as pd

from retention_lib.analytics import actions


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


def test_birthdays_next_month_among_active_consenting_members():
    c = customers([True, True, False, True, True, True])
    out = actions.birthdays(c, pd.Period("2025-01", "M"), active=pd.Index(["A", "C", "E"]))
    assert sorted(out.rows["customer_id"]) == ["A", "E"]  # C has no consent; F has no birthday
    assert out.counts == {"birthdays": 3, "without_consent": 1, "listed": 2}


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
