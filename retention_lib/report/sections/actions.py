"""Actions and their results: the lists, campaign evaluation and the model's track record."""
from __future__ import annotations

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import actions_display as shown
from retention_lib.report.sections.common import image, paragraph, table
from retention_lib.report.text import say_html


def actions_section(run: Run) -> list | None:
    summary = run.read("actions_summary")
    cur = run.config.currency
    lists = shown.list_sentences(summary, cur, run.read("clv_summary")["horizon_months"])
    items = [HTML("<p>" + " ".join(lists + [say_html("actions.files")]) + "</p>")]
    overview = summary.get("campaign_overview") or {}
    rows = shown.report_rows(summary["campaigns"], cur)
    # the heading names a control group: only campaigns that have one are listed under it
    if len(rows):
        items.append(paragraph("actions.campaigns"))
        items.append(table(rows))
    unevaluable = shown.unevaluable_sentence(overview, summary.get("data_start"))
    if unevaluable:
        items.append(HTML(f"<p>{unevaluable}</p>"))
    if not len(rows) and not unevaluable:
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
