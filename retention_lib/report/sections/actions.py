"""Actions and their results: the lists, campaign evaluation and the model's track record."""
from __future__ import annotations


import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, paragraph, table
from retention_lib.report.text import say, say_html


def actions_section(run: Run) -> list | None:
    summary = run.read("actions_summary")
    cur = run.config.currency
    wb, bd, hg = summary["winback"], summary["birthdays"], summary["holiday_greetings"]
    lists = [say_html("actions.winback", listed=wb["listed"], value=wb["listed_contact_value"], currency=cur,
                      horizon_months=run.read("clv_summary")["horizon_months"], at_risk=wb["at_risk"],
                      without_consent=wb["without_consent"], over_budget=wb["over_budget"], budget=wb["budget"])]
    if "listed" in bd:
        lists.append(say_html("actions.birthdays", listed=bd["listed"]))
    if "listed" in hg:
        lists.append(say_html("actions.holidays", listed=hg["listed"]))
    items = [HTML("<p>" + " ".join(lists + [say_html("actions.files")]) + "</p>")]
    rows = []
    for c in summary["campaigns"]:
        measure = c.get("measure") if isinstance(c.get("measure"), str) else None
        if measure in (None, "reactivated", "incremental revenue"):
            if measure is None:
                result = c["status"]
            elif measure == "reactivated":
                result = say("actions.reactivation" if c["significant"] else "actions.reactivation.not_significant",
                             treatment=c["treatment_mean"], control=c["control_mean"], uplift=c["uplift"],
                             low=c["low"], high=c["high"])
            else:
                rows[-1]["result"] = say("actions.revenue", result=rows[-1]["result"], uplift=c["uplift"],
                                         currency=cur, low=c["low"], high=c["high"], weeks=c["window_weeks"])
                continue
            rows.append({"campaign": c["campaign_id"], "type": c["type"], "sent": text.date_label(c["sent_at"]),
                         "result": result})
    if rows:
        items.append(paragraph("actions.campaigns"))
        items.append(table(text.headers(pd.DataFrame(rows), "actions.table")))
    else:
        items.append(paragraph("actions.no_campaigns"))
    if summary["campaigns_described"]:
        items.append(paragraph("actions.described"))
    record = summary["track_record"]
    if record:
        last = record[-1]
        items.append(paragraph("actions.track_record", for_month=last["for_month"], predicted=last["predicted_purchases"],
                        actual=last["actual_purchases"], error_pct=last["aggregate_error_pct"]))
        if len(record) > 1:
            items += image(run, "track_record_chart")
    else:
        items.append(paragraph("actions.no_track_record"))
    return items
