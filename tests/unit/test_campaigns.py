"""Campaign uplift: intervals by hand, and the simulated win-back's known effect recovered."""
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retention_lib.analytics import actions, campaigns
from retention_lib.report import actions_display as shown, text
from retention_lib.core.stats import newcombe, welch, wilson
from retention_lib.data.aggregate import baskets_from_lines
from retention_lib.data.sources.demo import simulate_store


def test_wilson_and_newcombe_match_hand_computation():
    lo, hi = wilson(30, 100)
    z = stats.norm.ppf(0.975)
    p, n = 0.3, 100
    centre = (p + z * z / 200) / (1 + z * z / 100)
    half = z * np.sqrt(p * (1 - p) / n + z * z / 40000) / (1 + z * z / 100)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    # Newcombe (1998) table II example: 56/70 vs 48/80 -> 0.2, CI 0.0524 to 0.3339
    d, lo, hi = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0524, 0.3339), abs=5e-4)


def test_welch_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 3, 80), rng.normal(8, 5, 50)
    w = welch(a, b)
    d, lo, hi = w.difference, w.lo, w.hi
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert d == pytest.approx(a.mean() - b.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


@pytest.fixture(scope="module")
def store():
    return simulate_store(seed=5, n_customers=3000, months=24)


@pytest.mark.slow
def test_simulated_winback_effect_falls_inside_the_interval(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    table = campaigns.evaluate(store.tables["campaigns"], baskets, pd.Timestamp("2026-01-01"))
    [cid] = [c for c, t in store.truth.campaigns.items() if t["has_control"]]
    truth = store.truth.campaigns[cid]
    rows = table[table["campaign_id"] == cid].set_index("measure")
    for measure, key in (("reactivated", "true_uplift_reactivation"), ("visits", "true_uplift_visits"),
                         ("spend", "true_uplift_spend")):
        assert rows.loc[measure, "low"] <= truth[key] <= rows.loc[measure, "high"], measure
        assert rows.loc[measure, "significant"]
    revenue = rows.loc["incremental revenue"]
    assert revenue["uplift"] == pytest.approx(rows.loc["spend", "uplift"] * truth["n_treatment"])


@pytest.mark.slow
def test_campaign_without_control_is_not_estimated(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    table = campaigns.evaluate(store.tables["campaigns"], baskets, pd.Timestamp("2026-06-01"))
    [cid] = [c for c, t in store.truth.campaigns.items() if not t["has_control"]]
    row = table[table["campaign_id"] == cid]
    assert len(row) == 1 and row["status"].iloc[0] == campaigns.NO_CONTROL
    assert pd.isna(row.get("uplift", pd.Series([np.nan])).iloc[0])


@pytest.mark.slow
def test_incomplete_window_is_not_measured_yet(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    cid = next(c for c, t in store.truth.campaigns.items() if t["has_control"])
    sent = store.tables["campaigns"].loc[store.tables["campaigns"]["campaign_id"] == cid, "sent_at"].min()
    table = campaigns.evaluate(store.tables["campaigns"], baskets, sent + pd.Timedelta(weeks=4))
    row = table[table["campaign_id"] == cid]
    assert len(row) == 1 and row["status"].iloc[0] == campaigns.WINDOW_OPEN


@pytest.mark.slow
def test_targeted_vs_untargeted_is_labelled_not_an_effect(store):
    baskets = baskets_from_lines(store.tables["transactions"])
    out = campaigns.targeted_vs_untargeted(store.tables["campaigns"], baskets, pd.Timestamp("2026-06-01"))
    assert len(out) == 3 and out["not_an_effect"].all()


# ------------------------------------------------------------------ order, status and what the report lists
def _baskets(start="2025-01-01", members=40, days=120):
    """Every member buys every 10 days from `start`; the even ones spend 20, the odd 10."""
    t0 = pd.Timestamp(start)
    rows = [(f"m{i}", t0 + pd.Timedelta(days=d, hours=9), 20.0 if i % 2 == 0 else 10.0)
            for i in range(members) for d in range(0, days, 10)]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"]).assign(is_member=True,
                                                                                   is_purchase=True)


def _sends(cid, sent, control=True, ctype="winback_coupon", members=range(20)):
    return pd.DataFrame({"campaign_id": cid, "customer_id": [f"m{i}" for i in members],
                         "group": ["control" if control and i % 2 else "treatment" for i in members],
                         "sent_at": pd.Timestamp(sent), "type": ctype})


def test_campaigns_come_in_numeric_order_whatever_the_input_order():
    ids = ["1", "10", "2", "24", "3", "9"]
    table = pd.concat([_sends(c, "2025-02-01", control=False) for c in ids], ignore_index=True)
    out = campaigns.evaluate(table, _baskets(), pd.Timestamp("2025-05-01"))
    assert out["campaign_id"].tolist() == sorted(ids, key=int)
    shuffled = table.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(campaigns.evaluate(shuffled, _baskets(), pd.Timestamp("2025-05-01")), out)


def test_ids_that_are_not_all_numbers_sort_naturally():
    key = campaigns.order_key(["WB10", "WB9", "HF1", "wb9"])
    assert sorted(["WB10", "WB9", "HF1", "wb9"], key=key) == ["HF1", "WB9", "wb9", "WB10"]
    assert sorted(["2.5", "10", "-1"], key=campaigns.order_key(["2.5", "10", "-1"])) == ["-1", "2.5", "10"]


def test_a_campaign_sent_before_the_data_starts_is_never_evaluated():
    # randomised, window complete, but sent three weeks before the first basket
    table = pd.concat([_sends("7", "2024-12-10"), _sends("8", "2025-02-01")], ignore_index=True)
    out = campaigns.evaluate(table, _baskets(), pd.Timestamp("2025-05-01"))
    assert set(out.loc[out["campaign_id"] == "7", "status"]) == {campaigns.BEFORE_DATA}
    assert out.loc[out["campaign_id"] == "7", "measure"].isna().all()
    assert set(out.loc[out["campaign_id"] == "8", "status"]) == {campaigns.ESTIMATED}
    overview = campaigns.overview(out)
    assert [e["campaign_id"] for e in overview[campaigns.BEFORE_DATA]] == ["7"]
    listed = shown.report_rows(out.to_dict("records"), "CNY")
    assert listed.iloc[:, 0].tolist() == ["8"]
    line = shown.unevaluable_sentence(overview, campaigns.data_start(_baskets()), html=False)
    assert "cannot be evaluated: 1" in line and "sent before the data starts on 2025-01-01 (7;" in line
    assert campaigns.targeted_vs_untargeted(_sends("7", "2024-12-10", control=False), _baskets(),
                                            pd.Timestamp("2025-05-01")).empty
    # a send at midnight of the first day, before its first basket at 09:00, is inside the data
    first_day = campaigns.evaluate(_sends("6", "2025-01-01"), _baskets(), pd.Timestamp("2025-05-01"))
    assert set(first_day["status"]) == {campaigns.ESTIMATED}


def test_a_randomised_campaign_is_measured_against_its_control():
    # treatment = the even members (20 a visit), control = the odd ones (10); both visit every 10 days
    out = campaigns.evaluate(_sends("8", "2025-02-01"), _baskets(), pd.Timestamp("2025-05-01")).set_index("measure")
    visits = sum(31 <= d < 31 + 8 * 7 for d in range(0, 120, 10))   # sent on day 31, an 8-week window
    assert out.loc["reactivated", "uplift"] == 0 and out.loc["visits", "uplift"] == 0
    assert out.loc["spend", "treatment_mean"] == pytest.approx(20.0 * visits)
    assert out.loc["spend", "uplift"] == pytest.approx(10.0 * visits)
    assert out.loc["incremental revenue", "uplift"] == pytest.approx(10.0 * visits * 10)


def _section(summary):
    from types import SimpleNamespace

    from retention_lib.report.sections.actions import actions_section

    artifacts = {"actions_summary": summary, "clv_summary": {"horizon_months": 12}, "track_record_chart": None}
    run = SimpleNamespace(read=artifacts.get, has=artifacts.__contains__, config=SimpleNamespace(currency="CNY"),
                          month=pd.Period("2025-03", "M"))
    return "".join(item.data for item in actions_section(run))


def _lists():
    """The contact lists' counts as notebook 07 saves them, from the list builders: one member in each
    list's state (m0 at risk, m1 lapsed, m2 new), all consenting."""
    scores = pd.DataFrame({"state": ["at_risk", "lapsed", "new"], "home_store": "S1", "silent": [20, 40, 3],
                           "last_purchase": pd.Timestamp("2025-04-01"), "newly_at_risk": [True, False, False],
                           "p_alive": [0.4, 0.3, 0.9], "clv": [100.0, 50.0, 80.0], "clv_if_alive": [300.0, 200.0, 90.0]},
                          index=pd.Index(["m0", "m1", "m2"], name="customer_id"))
    people = pd.DataFrame({"customer_id": ["m0", "m1", "m2"], "marketing_consent": True})
    favs = pd.DataFrame(index=pd.Index([], name="customer_id"))
    return {name: make(scores, people, favs, budget=5).counts
            for name, make in (("retain", actions.retain), ("winback", actions.winback), ("welcome", actions.welcome))}


def _summary(table, as_of="2025-05-01"):
    out = campaigns.evaluate(table, _baskets(), pd.Timestamp(as_of))
    return {**_lists(), "birthdays": {}, "holiday_greetings": {}, "data_start": "2025-01-01",
            "campaigns": out.to_dict("records"), "campaign_overview": campaigns.overview(out),
            "campaigns_described": [], "track_record": []}


def test_the_heading_names_a_control_group_only_above_campaigns_that_have_one():
    uncontrolled = pd.concat([_sends(c, "2025-02-01", control=False, ctype="Type B") for c in ("1", "2", "3")]
                             + [_sends("24", "2024-11-14", control=False, ctype="<i>Type C</i>")], ignore_index=True)
    html = _section(_summary(uncontrolled))
    # the lists come first, each sentence naming its file: one member on each list
    assert all(f"{name} list (actions/{file}.csv): 1 " in html.lower()
               for name, file in (("retain", "retain"), ("win-back", "winback"), ("welcome", "welcome")))
    assert html.index("actions/retain.csv") < html.index("Campaigns that cannot be evaluated")
    assert "control group, treatment against control" not in html and "<table" not in html
    assert "Campaigns that cannot be evaluated: 4</b>" in html
    assert "1 sent before the data starts on 2025-01-01 (24)" in html and "3 without a control group (1–3; Type B)" in html
    with_control = pd.concat([uncontrolled, _sends("WB", "2025-02-01", control=True)], ignore_index=True)
    html = _section(_summary(with_control))
    assert "Campaigns with a randomised control group, treatment against control:" in html
    table = html[html.index("<table"):html.index("</table>")]
    assert re.search(r"<td[^>]*>WB</td>", table) and "win-back coupon" in table and "winback_coupon" not in html
    assert "Type B" not in table and "<i>" not in html


def test_a_campaign_waiting_for_its_window_stays_under_the_control_heading():
    html = _section(_summary(_sends("5", "2025-04-20"), as_of="2025-05-01"))
    assert "treatment against control:" in html and "measurement window ends 2025-06-15: not complete yet" in html


def test_campaign_types_are_labels_and_client_codes_are_shown_as_given():
    assert text.label("campaign_type", "winback_coupon") == "win-back coupon"
    assert text.label("campaign_type", "holiday_flyer") == "holiday flyer"
    assert text.label("campaign_type", "Type A") == "Type A"
    assert shown.id_list(["27", "1", "2", "3", "10", "9", "24", "25"]) == ["1–3", "9", "10", "24", "25", "27"]


def test_the_campaign_finding_uses_only_a_measured_campaign_and_its_label(tmp_path):
    import json

    from retention_lib.report.findings import key_findings

    table = pd.concat([_sends("1", "2025-02-01", control=False, ctype="Type B"), _sends("9", "2025-02-01")],
                      ignore_index=True)
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "actions_summary.json").write_text(json.dumps(_summary(table), default=str))
    [finding] = key_findings(tmp_path, "CNY", min_group_n=10)
    assert finding.startswith("Campaign 9 (win-back coupon) showed no clear effect")
    assert "10 treated, 10 in control" in finding
    # 10 per group is below a minimum of 11: no finding at all
    assert key_findings(tmp_path, "CNY", min_group_n=11) == []


def _no_raw_numbers(frame):
    """Every cell is display text: no NaN, no 'nan', no float printed with all its digits."""
    cells = frame.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells), cells
    assert not [c for c in cells if c.lower() in ("nan", "none", "nat") or re.search(r"\d\.\d{4,}", c)]


def test_notebook_tables_are_display_text():
    table = pd.concat([_sends("1", "2025-02-01", control=False, ctype="Type B"), _sends("9", "2025-02-01"),
                       _sends("24", "2024-11-14")], ignore_index=True)
    out = campaigns.evaluate(table, _baskets(), pd.Timestamp("2025-05-01"))
    shown_eval = shown.evaluation_table(out, "CNY")
    _no_raw_numbers(shown_eval)
    assert shown_eval["campaign"].tolist() == ["1", "9", "9", "9", "9", "24"]
    spend = shown_eval[shown_eval["measure"] == "spend per member (CNY)"].iloc[0]
    assert spend["uplift"] == f"{out.loc[out['measure'] == 'spend', 'uplift'].iloc[0]:+,.2f}"
    # nothing estimated: the columns of the measures are left out rather than filled with dashes
    only_uncontrolled = shown.evaluation_table(out[out["campaign_id"] == "1"], "CNY")
    assert "uplift" not in only_uncontrolled and "status" in only_uncontrolled
    described = campaigns.targeted_vs_untargeted(table, _baskets(), pd.Timestamp("2025-05-01"))
    assert len(described) == 3   # campaign 1 only: 9 has a control, 24 was sent before the data
    _no_raw_numbers(shown.described_table(described, "CNY"))
