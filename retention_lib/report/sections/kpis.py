"""The KPI board: headline KPIs with month-on-month and year-on-year changes, trends and cohorts."""
from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, paragraph, table, unavailable
from retention_lib.report.text import say, say_html


def kpi_section(run: Run) -> list | None:
    """Headline KPIs with month-on-month and year-on-year changes (aggregates only)."""
    from retention_lib.analytics import kpis

    facts = run.read("kpi_board")
    cur = run.config.currency
    rows = list(facts["board"])
    h = run.read("churn_summary")["headline"]
    before = float(h["at_risk_last_month"])  # at risk at last month's end, judged the same way
    mom, mom_rel = kpis.change(float(h["at_risk"]), before)
    lapsed_at = [i for i, r in enumerate(rows) if r["kpi"] == "lapsed_customers"]
    label = (say("kpi.at_risk.model", model=h["model"], threshold=h["threshold"]) if h["method"] == "model"
             else say("kpi.at_risk.lapse_rule", overdue_factor=h["overdue_factor"]))
    rows.insert(lapsed_at[0] + 1 if lapsed_at else len(rows), {
        "kpi": "at_risk", "kind": "count", "value": float(h["at_risk"]), "previous": before,
        "mom_abs": mom, "mom_rel": mom_rel})
    if h["method"] == "model":
        at_risk_text = say_html("kpis.at_risk.model", model=h["model"], at_risk=h["at_risk"], threshold=h["threshold"],
                                newly=h["newly_at_risk"])
    else:
        at_risk_text = say_html("kpis.at_risk.lapse_rule", at_risk=h["at_risk"], newly=h["newly_at_risk"])
    board = pd.DataFrame(rows).assign(month=facts["month"], previous_month=facts["previous_month"],
                                      year_ago_month=facts["year_ago_month"])
    for col in ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel"):
        board[col] = pd.to_numeric(board[col], errors="coerce").astype(float)
    v = board.set_index("kpi")["value"]
    summary = say_html("kpis.summary", month=facts["month"], active=v.get("active_customers"),
                       new=v.get("new_customers"), lapsed=v.get("lapsed_customers"), churn=v.get("churn_rate"),
                       retention=v.get("retention_rate"))
    warm = say_html("kpis.warm_up") if facts.get("warm_up") else ""
    summary_line = " ".join(filter(None, [summary, html.escape(text.render(facts["lapse"]["rule"])), at_risk_text,
                                       warm]))
    items = [HTML(f"<p>{summary_line}</p><p>{say_html('kpis.definitions', stores=facts['stores'])}</p>"),
             table(text.format_board(board, cur, names={"at_risk": label}))]
    items += image(run, "kpi_trends_chart")
    if facts.get("cohort_basis"):
        items.append(paragraph("kpis.cohorts.join" if facts["cohort_basis"] == "join" else "kpis.cohorts.first_purchase"))
    return items + unavailable(run, "cohorts") + image(run, "cohort_chart")
