"""Churn and value: the churn model's headline, its backtest and CLV at stake."""
from __future__ import annotations


import pandas as pd

from retention_lib.analytics import churn, model_choice
from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, paragraph, table, unavailable


def churn_and_value(run: Run) -> list | None:
    h = run.read("churn_summary")["headline"]
    cur = run.config.currency
    counts = dict(members=h["members_scored"], at_risk=h["at_risk"], newly=h["newly_at_risk"],
                  likely_lost=h["likely_lost"])
    if h["method"] == "model":
        items = [paragraph("churn.headline.model", model=h["model"], month=run.month, threshold=h["threshold"],
                    likely_lost_below=h["likely_lost_below"], expected=h["expected_purchases_next_month"], **counts)]
    else:
        items = [paragraph("churn.headline.lapse_rule", reason=h["reason"], overdue_factor=h["overdue_factor"],
                    lapse_days=h["lapse_days"], **counts)]
    choice = model_choice.choice_note(h.get("choice")) if h["method"] == "model" else None
    if choice is not None:
        items.append(paragraph(choice.key, **choice.params))
    regular = run.read("regularity") if run.has("regularity") else None
    if regular:
        found = churn.regularity_note(regular)
        items.append(paragraph(found.key, **found.params))
    note = churn.lapsed_note(h)
    if note is not None:
        items.append(paragraph(note.key, **note.params))
    bt = run.read("backtest")
    if bt:
        m = bt["metrics"]
        items.append(paragraph("churn.backtest", calibration_end=m["calibration_end"], predicted=m["predicted_purchases"],
                        holdout_weeks=m["holdout_weeks"], observation_end=m["observation_end"],
                        actual=m["actual_purchases"], error_pct=m["aggregate_error_pct"], mae=m["mae"]))
        versus = churn.baseline_note(bt["comparison"], m["holdout_weeks"])
        if versus is not None:
            items.append(paragraph(versus.key, **versus.params))
    items += unavailable(run, "backtest", "churn_model") + image(run, "tracking_chart")
    value = run.read("clv_summary")
    items.append(paragraph("clv.summary", convention=value["convention"], currency=cur, total_clv=value["total_clv"],
                    at_risk=value["at_risk_members"], at_risk_clv=value["at_risk_clv"],
                    at_stake=value["at_risk_value_at_stake"], newly_at_stake=value["newly_at_risk_value_at_stake"],
                    likely_lost=value["likely_lost_members"], won_back=value["likely_lost_value_if_won_back"]))
    groups = text.labelled(pd.DataFrame(value["groups"]), "group", "churn_group")
    # counts and money as the reader reads them (separators; the currency is in the headers)
    shown = groups.assign(members=groups["members"].map(text.count),
                          **{c: groups[c].map(lambda v: text.money(v, 0))
                             for c in ("clv", "clv_if_alive", "value_at_stake")})
    items.append(table(text.headers(shown, "clv.groups", currency=cur)))
    return items + image(run, "clv_chart")
