"""Data quality: what was read, set aside and covered."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image
from retention_lib.report.text import say, say_html


MEMBERSHIP_COLUMNS = ("month", "member_baskets", "member_purchases", "non_member_baskets", "non_member_purchases",
                      "member_revenue_share")


def membership_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """data/quality.membership_by_month for notebook 01: baskets and purchases as counts, the
    members' share of revenue as a percentage, under their headers, one row per month."""
    shown = pd.DataFrame({c: [text.month_label(v) if c == "month" else text.percent(v, 1)
                              if c == "member_revenue_share" else text.count(v) for v in monthly[c]]
                          for c in MEMBERSHIP_COLUMNS})
    return text.headers(shown, "membership").set_index(say("membership.month"))


def purchase_counts(board: dict) -> tuple[int, int]:
    """Member and non-member purchase baskets of the month, as the KPI board counts them."""
    value = {row["kpi"]: row["value"] for row in board["board"]}
    non_members = int(value["non_member_baskets"] or 0)
    return int(value["baskets"] or 0) - non_members, non_members


def data_quality(run: Run) -> list | None:
    facts = run.read("data_quality_summary")
    absent = say("list.separator").join(facts["tables_absent"]) or say("dq.none")
    summary = say_html("dq.summary", source=facts["source"], data_from=facts["data_from"], data_to=facts["data_to"],
                       lines=facts["lines_read"], rejected=facts["rows_rejected"], absent=absent, month=facts["month"],
                       member_baskets=facts["member_baskets"], non_member_baskets=facts["non_member_baskets"],
                       member_share=facts["member_revenue_share"], days_without=facts["days_without_baskets"],
                       days_in_month=facts["days_in_month"])
    # The KPI board counts purchases only: say how the baskets above split, so the two counts agree.
    members, non_members = purchase_counts(run.read("kpi_board"))
    split = []
    if members != facts["member_baskets"]:
        split.append(say_html("dq.member_purchases", member_baskets=facts["member_baskets"], n=members,
                              other=facts["member_baskets"] - members))
    if non_members != facts["non_member_baskets"]:
        split.append(say_html("dq.non_member_purchases", non_member_baskets=facts["non_member_baskets"],
                              n=non_members))
    # Fields the source filled from something else (data/quality.facts), one note each.
    notes = [HTML(f"<p>{say_html(note)}</p>") for note in facts.get("substituted", [])]
    return [HTML(f"<p>{' '.join([summary, *split])}</p>"), *notes] + image(run, "coverage_chart")
