"""Actions and their results: the lists, campaign evaluation and the model's track record."""
from __future__ import annotations

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import action_register
from retention_lib.report import actions_display as shown
from retention_lib.report import holdouts_display as held
from retention_lib.report.sections.common import image, paragraph, table
from retention_lib.report.text import say_html


def actions_section(run: Run) -> list | None:
    summary = run.read("actions_summary")
    cur = run.config.currency
    lists = shown.list_sentences(summary, cur, run.read("clv_summary")["horizon_months"])
    holdout = summary.get("holdout") or {}
    kept = held.kept_sentences(summary, holdout.get("share", 0.0), holdout.get("min_members", 0)) if holdout else []
    items = [HTML("<p>" + " ".join(lists + kept + [say_html("actions.files")]) + "</p>")]
    results = run.read("list_results") if run.has("list_results") else None
    if results is not None:   # did last month's lists work: contacted against held out
        items.append(HTML("<p>" + " ".join(held.result_sentences(results, run.month - 1, cur)) + "</p>"))
        shown_results = held.results_table(results, run.month - 1)
        if len(shown_results):
            items.append(table(shown_results))
    if run.has("action_follow_up"):   # the store actions done, and what their lists did
        follow_up = run.read("action_follow_up")
        said = action_register.sentences(follow_up) + held.done_sentences(follow_up, results)
        items.append(HTML("<p>" + " ".join(said) + "</p>"))
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
        churned = shown.churn_record_sentences(last)   # did last month's at-risk and warned members stay away
        if churned:
            items.append(HTML("<p>" + " ".join(churned) + "</p>"))
        reasons = shown.reasons_record_table(summary.get("track_record_warnings") or {})
        if len(reasons):
            items.append(table(reasons))
        if len(record) > 1:
            items += image(run, "track_record_chart")
    else:
        items.append(paragraph("actions.no_track_record"))
    if note:   # no forecast for this month, and none could be reconstructed: why
        items.append(HTML(f"<p>{say_html(note)}</p>"))
    return items
