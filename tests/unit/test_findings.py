"""Key findings come from the numbers in the artifacts, and a missing source is not an error."""
import json

from retention_lib.report.findings import headline_rows, key_findings


def write(folder, name, payload):
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    (folder / "artifacts" / name).write_text(json.dumps(payload), encoding="utf-8")


def kpi(name, label, kind, value, mom_abs, mom_rel, yoy_abs=None, yoy_rel=None):
    return {"kpi": name, "label": label, "kind": kind, "value": value, "mom_abs": mom_abs, "mom_rel": mom_rel,
            "yoy_abs": yoy_abs, "yoy_rel": yoy_rel}


def test_findings_state_the_numbers(tmp_path):
    write(tmp_path, "kpi_board.json", {"lapse": {"days": 35}, "board": [
        kpi("churn_rate", "Churn rate", "rate", 0.15, 0.03, 0.25),
        kpi("lapsed_customers", "Lapsed this month", "count", 300, 60, 0.25),
        kpi("active_customers", "Active members", "count", 2000, -50, -0.024, 100, 0.05)]})
    write(tmp_path, "satisfaction_summary.json", {"has_surveys": True, "headline": {
        "now": {"nps": {"nps": 12.0}}, "changes": {"month_on_month": {"nps": {
            "change": -15.0, "lo": -25.0, "hi": -5.0, "significant": True}}}}, "drivers": None, "behaviour": None})
    found = key_findings(tmp_path, "CNY")
    assert found[0].startswith("NPS fell 15 points to +12")
    assert any(f.startswith("Churn rose to 15.0% (+3.0 pp on last month): 300 members lapsed under the 35-day rule")
               for f in found)
    rows = headline_rows(tmp_path, "CNY")
    assert rows[0] == ("Active members", "2,000", "-50 (-2.4%)", "+100 (+5.0%)")


def test_a_source_without_surveys_campaigns_or_kpis_gives_what_it_can(tmp_path):
    write(tmp_path, "satisfaction_summary.json", {"has_surveys": False, "headline": None, "drivers": None,
                                                 "behaviour": None})
    write(tmp_path, "actions_summary.json", {"campaigns": [], "track_record": []})
    assert key_findings(tmp_path, "USD") == []
    assert headline_rows(tmp_path, "USD") == []
