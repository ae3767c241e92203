"""Key findings come from the numbers in the artifacts, and a missing source is not an error."""
import json

import pytest

from retention_lib.report.findings import headline_rows, key_findings


def write(folder, name, payload):
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    (folder / "artifacts" / name).write_text(json.dumps(payload), encoding="utf-8")


def kpi(name, label, kind, value, mom_abs, mom_rel, yoy_abs=None, yoy_rel=None):
    return {"kpi": name, "label": label, "kind": kind, "value": value, "mom_abs": mom_abs, "mom_rel": mom_rel,
            "previous": value - mom_abs, "yoy_abs": yoy_abs, "yoy_rel": yoy_rel}


def test_findings_state_the_numbers(tmp_path):
    write(tmp_path, "kpi_board.json", {"lapse": {"days": 35}, "board": [
        kpi("churn_rate", "Churn rate", "rate", 0.15, 0.03, 0.25),
        kpi("lapsed_customers", "Lapsed this month", "count", 300, 60, 0.25),
        kpi("active_base_start", "Members in the base at month start", "count", 2000, 50, 0.026),
        kpi("active_customers", "Members who shopped", "count", 2000, -50, -0.024, 100, 0.05)]})
    write(tmp_path, "satisfaction_summary.json", {"has_surveys": True, "headline": {
        "now": {"nps": {"nps": 12.0}}, "changes": {"month_on_month": {"nps": {
            "change": -15.0, "lo": -25.0, "hi": -5.0, "significant": True, "n_now": 240, "n_before": 260}}}},
        "drivers": None, "behaviour": None})
    found = key_findings(tmp_path, "CNY")
    assert found[0].startswith("NPS fell 15 points to +12")
    # churn = lapsed ÷ the base at the month's start
    assert any(f.startswith("Churn rose to 15.0% (+3.0 points on last month, very likely between +0.9 and +5.1): 300 of the "
                            "2,000 members in the base at the month's start lapsed under the 35-day rule") for f in found)
    rows = headline_rows(tmp_path, "CNY")
    # the board's first line is the members who shopped in the month (not the lifecycle's active state)
    assert rows[0] == ("Members who shopped", "2,000", "-50 (-2.4%)", "+100 (+5.0%)")


@pytest.mark.parametrize("before_rate, rose", [(0.12, True), (0.145, False)])
def test_a_churn_move_within_the_noise_is_not_called_a_rise(tmp_path, before_rate, rose):
    """300 of 2,000 against before_rate of 1,950: a rise only when the 95% interval of the difference
    excludes 0 (checked here with the normal approximation, which Newcombe's interval tracks at this n)."""
    write(tmp_path, "kpi_board.json", {"lapse": {"days": 35}, "board": [
        kpi("churn_rate", "Churn rate", "rate", 0.15, 0.15 - before_rate, 0.1),
        kpi("lapsed_customers", "Lapsed this month", "count", 300, 10, 0.1),
        kpi("active_base_start", "Members in the base at month start", "count", 2000, 50, 0.026)]})
    se = (0.15 * 0.85 / 2000 + before_rate * (1 - before_rate) / 1950) ** 0.5
    assert (0.15 - before_rate - 1.96 * se > 0) == rose          # the independent check
    [finding] = key_findings(tmp_path, "CNY")
    assert finding.startswith("Churn rose to 15.0%" if rose else "Churn was 15.0%, about as last month")
    # the churn numerator and denominator: the lapsed of the base at the month's start, worded alike either way
    assert "300 of the 2,000 members in the base at the month's start lapsed under the 35-day rule" in finding
    assert key_findings(tmp_path, "CNY", min_group_n=2001) == []      # the base is the group


def at_risk_artifacts(folder, newly, retain_listed=None, method="model"):
    write(folder, "churn_summary.json", {"headline": {
        "method": method, "threshold": 0.5, "overdue_factor": 2.0 if method == "lapse_rule" else None,
        "newly_at_risk": newly, "at_risk": 120, "active": 900, "lapse_days": 35}})
    write(folder, "clv_summary.json", {"horizon_months": 12, "newly_at_risk_value_at_stake": 12345.0})
    if retain_listed is not None:
        write(folder, "actions_summary.json", {"campaigns": [], "track_record": [], "retain": {
            "consent_field": True, "candidates": 120, "without_consent": 20, "eligible": 100, "over_budget": 0,
            "listed": retain_listed, "budget": 500, "by_store": {"S1": retain_listed}, "listed_if_consented": 120,
            "listed_value": 9000.0, "value_if_consented": 10000.0}})


def test_the_at_risk_finding_counts_active_members_and_points_to_the_retain_list(tmp_path):
    at_risk_artifacts(tmp_path, newly=40, retain_listed=100)
    [finding] = key_findings(tmp_path, "CNY")
    # the newly at risk are active members (at risk is a subset of the active), with their value at stake
    assert finding.startswith("40 active members became at risk this month (the churn model gives them at least 50% "
                              "chance of buying nothing next month); keeping them would be worth ")
    assert "12,345" in finding and "12-month CLV." in finding
    # the retain list's own count, as notebook 07 saved it
    assert finding.endswith("The retain list (actions/retain.csv) holds the 100 members at risk who can be called.")
    assert "lapsed" not in finding and "35 days" not in finding      # at risk never means already gone


@pytest.mark.parametrize("retain_listed", [None, 0])
def test_without_anyone_on_the_retain_list_the_at_risk_finding_names_no_list(tmp_path, retain_listed):
    at_risk_artifacts(tmp_path, newly=40, retain_listed=retain_listed, method="lapse_rule")
    [finding] = key_findings(tmp_path, "CNY")
    assert finding.startswith("40 active members became at risk this month (silent for over 2 times their usual gap "
                              "between visits)")
    assert "retain list" not in finding and finding.endswith("12-month CLV.")


def test_no_member_newly_at_risk_is_no_finding(tmp_path):
    at_risk_artifacts(tmp_path, newly=0, retain_listed=100)
    assert key_findings(tmp_path, "CNY") == []


def test_a_source_without_surveys_campaigns_or_kpis_gives_what_it_can(tmp_path):
    write(tmp_path, "satisfaction_summary.json", {"has_surveys": False, "headline": None, "drivers": None,
                                                 "behaviour": None})
    write(tmp_path, "actions_summary.json", {"campaigns": [], "track_record": []})
    assert key_findings(tmp_path, "USD") == []
    assert headline_rows(tmp_path, "USD") == []


# ------------------------------------------------------------------ comparisons: n shown, a minimum enforced
def satisfaction(n_detractors, n_promoters, n_now, n_before):
    """A month whose NPS fell significantly and whose detractors churned significantly more."""
    return {"has_surveys": True, "drivers": None,
            "headline": {"now": {"nps": {"nps": 12.0}}, "changes": {"month_on_month": {"nps": {
                "change": -15.0, "lo": -25.0, "hi": -5.0, "significant": True, "n_now": n_now,
                "n_before": n_before}}}},
            "behaviour": {"groups": [{"group": "detractor", "members": n_detractors, "churn_share": 0.4},
                                     {"group": "promoter", "members": n_promoters, "churn_share": 0.1}],
                          "detractor_vs_promoter": {"churn_difference": 0.3, "lo": 0.1, "hi": 0.5,
                                                    "significant": True}}}


def drivers_artifact(n_lapsed, n_retained, lapsed=387, retained=1987):
    row = {"feature": "coupon_basket_share", "lapsed": 8.0, "retained": 10.0, "difference": -2.0, "ci_low": -3.0,
           "ci_high": -1.0, "cohens_d": -0.2, "n_lapsed": n_lapsed, "n_retained": n_retained, "of_lapsed": lapsed,
           "of_retained": retained, "significant": True}
    return {"lapsed": lapsed, "retained": retained, "headline": [row], "min_group_n": 30}


def test_a_comparison_under_the_minimum_n_never_becomes_a_finding(tmp_path):
    write(tmp_path, "satisfaction_summary.json", satisfaction(20, 400, 25, 300))
    write(tmp_path, "drivers.json", drivers_artifact(20, 1987))
    assert key_findings(tmp_path, "USD", min_group_n=30) == []
    # the same numbers pass a lower minimum: the minimum, not the data, kept them out
    assert len(key_findings(tmp_path, "USD", min_group_n=20)) == 3


def test_every_finding_that_compares_groups_carries_its_n(tmp_path):
    write(tmp_path, "satisfaction_summary.json", satisfaction(45, 410, 240, 260))
    write(tmp_path, "drivers.json", drivers_artifact(380, 1987))
    found = key_findings(tmp_path, "USD")
    nps = next(f for f in found if f.startswith("NPS fell"))
    assert "240 responses this month" in nps and "260 last month" in nps
    detractors = next(f for f in found if f.startswith("Detractors churn more"))
    assert "45 detractors" in detractors and "410 promoters" in detractors
    drivers = next(f for f in found if f.startswith("Lapsed members differ most"))
    assert "known for 380 of 387 lapsed and 1,987 of 1,987 retained members" in drivers
    assert "8.0%" in drivers and "10.0%" in drivers     # values with their unit


def test_a_driver_without_the_flag_is_not_a_finding(tmp_path):
    artifact = drivers_artifact(387, 1987)
    artifact["headline"][0]["significant"] = False
    write(tmp_path, "drivers.json", artifact)
    assert key_findings(tmp_path, "USD") == []


def test_the_summary_a_manager_reads_first_has_no_statistics_jargon():
    """Key findings say "very likely between" and "chance of still shopping here"; the terms of
    method (P(alive), CI, Cohen's d, quintiles, the model's name) stay in the sections and the glossary."""
    import re

    from retention_lib.report.catalogue import MESSAGES

    jargon = re.compile(r"P\(alive\)|\bCI\b|Cohen|quintile|BG/NBD|calibration|\bpp\b")
    assert [k for k, t in MESSAGES.items() if k.startswith("finding.") and jargon.search(t)] == []
