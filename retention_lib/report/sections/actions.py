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
    record, note = summary["track_record"], summary.get("track_record_note")
    if record:
        last = record[-1]
        items.append(paragraph("track_record.reconstructed" if last.get("reconstructed") else "actions.track_record",
                               for_month=last["for_month"], made_in=last["made_in"],
                               predicted=last["predicted_purchases"], actual=last["actual_purchases"],
                               error_pct=last["aggregate_error_pct"]))
        if len(record) > 1:
            items += image(run, "track_record_chart")
    else:
        items.append(paragraph("actions.no_track_record"))
    if note:   # no forecast for this month, and none could be reconstructed: why
        items.append(HTML(f"<p>{say_html(note)}</p>"))
    return items
