"""The KPI board: headline KPIs with month-on-month and year-on-year changes, the stores, trends and cohorts."""
from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from retention_lib.analytics import kpis
from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.churn_value import lifecycle_items
from retention_lib.report.sections.common import image, paragraph, table, unavailable
from retention_lib.report.text import say, say_html


def _history_note(facts: dict, board: pd.DataFrame) -> str:
    """One sentence when the data is too short for a comparison the board leaves out, or when a
    comparison month is a month without data (kpis.comparison_gaps)."""
    gaps = facts.get("no_data_months") or []
    notes = [say_html("kpis.no_data_month", month=m) for m in gaps]
    if board["previous"].isna().all() and facts["previous_month"] not in gaps:
        notes.append(say_html("kpis.first_month", data_from=facts["data_from"]))
    elif board["year_ago"].isna().all() and facts["year_ago_month"] not in gaps:
        notes.append(say_html("kpis.short_history", data_from=facts["data_from"]))
    return " ".join(notes)


def store_items(run: Run) -> list:
    """The month's stores: all stores, the top stores by revenue and a line summing the rest, with
    the note that says how members are assigned to a store. Nothing for a single store."""
    facts = run.read("kpi_stores")
    stores = pd.DataFrame(facts["rows"]).set_index("scope")
    listed = len(stores) - 1
    if listed < 2:
        return []
    notes = [say_html("kpis.stores.note", n=facts["stores_with_baskets"], month=facts["month"],
                      home_months=facts["home_store_months"], month_end=facts["month_end"])]
    if facts["stores_home_only"]:
        notes.append(say_html("kpis.stores.home_only", n=facts["stores_home_only"], month=facts["month"]))
    if kpis.MORE_STORES in stores.index:
        notes.append(say_html("kpis.stores.more", shown=facts["top"], rest=stores.at[kpis.MORE_STORES, "stores"]))
    shown = text.stores_display(stores.apply(pd.to_numeric, errors="coerce"), run.config.currency)
    return [HTML(f"<p>{' '.join(notes)}</p>"), table(shown)]


def kpi_section(run: Run) -> list | None:
    """Headline KPIs with month-on-month and year-on-year changes, and per store (aggregates only)."""
    facts = run.read("kpi_board")
    cur = run.config.currency
    rows = list(facts["board"])
    h = run.read("churn_summary")["headline"]
    # at risk at last month's end, judged the same way; nothing to judge before the data starts
    before = float(h["at_risk_last_month"]) if facts["previous_month"] >= facts["data_from"] else float("nan")
    mom, mom_rel = kpis.change(float(h["at_risk"]), before)
    lapsed_at = [i for i, r in enumerate(rows) if r["kpi"] == "lapsed_customers"]
    method = "model" if h["method"] == "model" else "lapse_rule"
    label = say(f"kpi.at_risk.{method}")
    rows.insert(lapsed_at[0] + 1 if lapsed_at else len(rows), {
        "kpi": "at_risk", "kind": "count", "value": float(h["at_risk"]), "previous": before,
        "mom_abs": mom, "mom_rel": mom_rel})
    at_risk_text = say_html(f"kpis.at_risk.states.{method}", model=h["model"], at_risk=h["at_risk"],
                            threshold=h["threshold"], newly=h["newly_at_risk"], active=h["active"])
    board = pd.DataFrame(rows).assign(month=facts["month"], previous_month=facts["previous_month"],
                                      year_ago_month=facts["year_ago_month"])
    for col in ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel"):
        board[col] = pd.to_numeric(board[col], errors="coerce").astype(float)
    v = board.set_index("kpi")["value"]
    if facts.get("warm_up"):
        summary = say_html("kpis.summary.warm_up", month=facts["month"], active=v.get("active_customers"))
        warm = say_html("kpis.warm_up", lapse_days=facts["lapse"]["days"], data_from=facts["data_from"])
    else:
        summary = say_html("kpis.summary", month=facts["month"], active=v.get("active_customers"),
                           new=v.get("new_customers"), lapsed=v.get("lapsed_customers"), churn=v.get("churn_rate"),
                           retention=v.get("retention_rate"))
        warm = ""
    summary_line = " ".join(filter(None, [summary, html.escape(text.render(facts["lapse"]["rule"])), at_risk_text,
                                       warm]))
    definitions = " ".join(filter(None, [say_html("kpis.definitions"), _history_note(facts, board)]))
    items = [HTML(f"<p>{summary_line}</p><p>{definitions}</p>"),
             table(text.format_board(board, cur, names={"at_risk": label}))]
    # in the warm-up nobody's state can be told yet (a member first seen may be an old customer)
    items += ([] if facts.get("warm_up") else lifecycle_items(run)) + store_items(run)
    items += image(run, "kpi_trends_chart")
    if facts.get("cohort_basis"):
        items.append(paragraph("kpis.cohorts.join" if facts["cohort_basis"] == "join" else "kpis.cohorts.first_purchase"))
    return items + unavailable(run, "cohorts") + image(run, "cohort_chart")
