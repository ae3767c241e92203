"""Data quality: what was read, set aside and covered."""
from __future__ import annotations

from retention_lib.core.run import Run
from retention_lib.report.sections.common import image, paragraph
from retention_lib.report.text import say


def data_quality(run: Run) -> list | None:
    facts = run.read("data_quality_summary")
    absent = say("list.separator").join(facts["tables_absent"]) or say("dq.none")
    items = [paragraph("dq.summary", source=facts["source"], data_from=facts["data_from"], data_to=facts["data_to"],
                lines=facts["lines_read"], rejected=facts["rows_rejected"], absent=absent, month=facts["month"],
                member_baskets=facts["member_baskets"], non_member_baskets=facts["non_member_baskets"],
                member_share=facts["member_revenue_share"], days_without=facts["days_without_baskets"],
                days_in_month=facts["days_in_month"])]
    return items + image(run, "coverage_chart")
