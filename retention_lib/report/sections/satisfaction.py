"""Satisfaction and complaints."""
from __future__ import annotations

import html

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import satisfaction_display as sat_text
from retention_lib.report.sections.common import image, paragraph, table, unavailable


def satisfaction_section(run: Run) -> list | None:
    """NPS/CSAT with intervals, drivers, satisfaction against churn, comment themes, complaints.

    Built from notebook 06's artifacts only. Comments appear as theme counts, never as text.
    """
    s = run.read("satisfaction_summary")
    items = unavailable(run, "satisfaction", "satisfaction_drivers", "satisfaction_churn", "comment_themes",
                         "complaints")
    if s["has_surveys"]:
        items.append(HTML(f"<p>{html.escape(sat_text.headline_text(s['headline']))}</p>"))
        items.append(table(sat_text.headline_table(s["headline"])))
        items += image(run, "satisfaction_trend_chart")
        if s["by_store"] and len(s["by_store"]) > 1:
            items.append(paragraph("satisfaction.section.by_store", month=run.month))
            items.append(table(sat_text.score_display(s["by_store"], "store_id", "scores.table.store")))
        items.append(paragraph("satisfaction.section.drivers", text=sat_text.drivers_text(s["drivers"])))
        items += image(run, "satisfaction_drivers_chart")
        items.append(paragraph("satisfaction.section.behaviour",
                        text=sat_text.behaviour_text(s["behaviour"], run.config.currency)))
        items += image(run, "satisfaction_churn_chart")
        themes = s["themes"] or {}
        if themes.get("comments"):
            items.append(paragraph("satisfaction.section.themes", comments=themes["comments"], month=run.month,
                            zh=themes["zh"], en=themes["en"]))
            items.append(table(sat_text.themes_display(themes)))
    if s["has_complaints"]:
        items.append(paragraph("satisfaction.section.complaints", text=sat_text.complaints_text(s["complaints"])))
        items += image(run, "complaints_chart")
        stores = s["complaints"]["by_store"]
        if len(stores) > 1:
            items.append(paragraph("satisfaction.section.complaints_by_store", month=run.month))
            items.append(table(sat_text.store_display(stores)))
    return items


# Later issues add their sections here, in reading order; data quality stays last.
