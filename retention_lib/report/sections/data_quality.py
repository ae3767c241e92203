"""Data quality: what was read, set aside and covered."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, paragraph, table
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


def loaded_table(loaded: pd.DataFrame) -> pd.DataFrame:
    """data/quality.loaded_tables for notebook 01: the tables by name, one not supplied said so, under headers."""
    shown = text.labelled(loaded, "table", "source_table").astype({"file": object})
    shown["file"] = shown["file"].where(shown["file"].notna(), say("loaded.not_supplied"))
    return text.headers(shown, "loaded")


def rejects_table(rejects: pd.DataFrame) -> pd.DataFrame:
    """data/quality.rejects_by_reason for notebook 01, under headers (each reason as validation wrote it)."""
    return text.headers(text.labelled(rejects, "table", "source_table"), "rejected")


def purchase_counts(board: dict) -> tuple[int, int]:
    """Member and non-member purchase baskets of the month, as the KPI board counts them."""
    value = {row["kpi"]: row["value"] for row in board["board"]}
    non_members = int(value["non_member_baskets"] or 0)
    return int(value["baskets"] or 0) - non_members, non_members


def _largest(flag: dict) -> dict:
    top = flag["largest"][0]
    return {"amount": top["amount"], "date": top["date"], "store": top["store_id"]}


def flag_items(facts: dict) -> list:
    """What looks wrong in the data (data/quality flags, in data_quality_summary): changed months of
    history with their revenue then and now, suspect customer ids with the config line that makes
    them non-members, baskets set aside or far outside their store's amounts, months without data,
    and the month's stored-value top-ups. Nothing when nothing is wrong."""
    cur, month = facts.get("currency") or "", facts.get("month")
    items = []
    changes = facts.get("history_changes") or {}
    if changes.get("months"):
        items.append(HTML("<p>" + say_html("dq.changed", n=len(changes["months"]),
                                           report_month=changes["report_month"]) + "</p>"))
        rows = pd.DataFrame(changes["months"])
        shown = pd.DataFrame({"month": [text.month_label(m) for m in rows["month"]],
                              "revenue_before": text.money_cells(rows["revenue_before"], cur),
                              "revenue_after": text.money_cells(rows["revenue_after"], cur)})
        items.append(table(text.headers(shown, "dq_changed", currency=cur).set_index(say("dq_changed.month"))))
    suspects = facts.get("suspect_ids") or {}
    for r in suspects.get("ids", []):
        items.append(paragraph("dq.suspect_id", customer_id=r["customer_id"], baskets=r["baskets"], share=r["share"],
                               times=r["times_p99"]))
    if suspects.get("ids"):
        items.append(paragraph("dq.suspect_fix", config_line=suspects["config_line"]))
    aside = facts.get("set_aside_baskets")
    if aside and aside["count"]:
        items.append(paragraph("dq.set_aside", n=aside["count"], cap=aside["cap"], lines=aside["lines"],
                               currency=cur))
    outliers = facts.get("outlier_baskets") or {}
    if outliers.get("count"):
        items.append(paragraph("dq.outliers", n=outliers["count"], times=outliers["times"],
                               in_month=outliers["in_month"], month=month, currency=cur, **_largest(outliers)))
    gaps = facts.get("gap_months") or []
    if gaps:
        items.append(paragraph("dq.gaps", n=len(gaps), months=text.listing(text.month_label(m) for m in gaps)))
    topups = facts.get("topups")
    if topups and topups["topups"]:
        items.append(paragraph("dq.topups", month=topups["month"], n=topups["topups"], amount=topups["amount"],
                               currency=cur))
        if len(topups["stores"]) > 1:
            stores = pd.DataFrame(topups["stores"])
            shown = pd.DataFrame({"store_id": stores["store_id"], "topups": [text.count(v) for v in stores["topups"]],
                                  "amount": text.money_cells(stores["amount"], cur)})
            items.append(table(text.headers(shown, "dq_topups", currency=cur).set_index(say("dq_topups.store_id"))))
    return items


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
    return [HTML(f"<p>{' '.join([summary, *split])}</p>"), *notes, *flag_items(facts)] + image(run, "coverage_chart")
