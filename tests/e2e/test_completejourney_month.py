"""The Complete Journey end to end: a real month published with what the data lacks said plainly."""
import json
import os

from retention_lib.app.pipeline import run_month


def test_monthly_run_on_the_complete_journey(tmp_path):
    """Real data end to end: no surveys, complaints or control groups, and the run still succeeds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    result = run_month("data/completejourney.yml", "2017-06", reports_dir=tmp_path, progress=lambda s: None, env=env)
    html = result.report.read_text(encoding="utf-8")
    assert "has no satisfaction surveys" in html and "has no complaints" in html
    assert set(result.unavailable) == {"satisfaction", "satisfaction_drivers", "satisfaction_churn",
                                       "comment_themes", "complaints"}
    assert "SIMULATED DATA" not in html
    assert 'id="kpis"' in html and 'id="churn-value"' in html
    summary = json.loads((result.folder / "artifacts" / "churn_summary.json").read_text())
    assert summary["headline"]["members_scored"] > 2000
