"""RFM segments, value tiers and their migration, the early warning and the churn drivers."""
from __future__ import annotations

import pandas as pd

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, paragraph, table, unavailable
from retention_lib.report.sections.drivers import drivers_items
from retention_lib.report.text import say


def segments_section(run: Run) -> list | None:
    """RFM segments, value tiers, migration, early-warning counts and churn drivers (aggregates only)."""
    seg = run.read("segments_summary")
    warn = run.read("early_warning_summary")
    cur = run.config.currency
    items = unavailable(run, "segments", "early_warning")
    if seg:
        s = pd.DataFrame(seg["segments"])
        recency = seg["recency"]
        described = dict(lapse_days=recency["lapse_days"], last_quiet_day=recency["long_lapse_days"] - 1,
                         long_days=recency["long_lapse_days"])
        items.append(paragraph("segments.rfm", members=seg["members"], month=seg["month"],
                               window_days=seg["rfm_window_days"], recency=recency["rule"]))
        items.append(table(text.headers(pd.DataFrame({
            "segment": [text.label("segment", k) for k in s["segment"]], "members": s["members"].map(text.count),
            "share_of_members": s["share_of_members"].map(lambda x: text.percent(x, 1)),
            "bought_this_month": s["bought_this_month"].map(text.count),
            "revenue": s["revenue"].map(lambda v: text.money(v, 0, cur)),
            "share_of_revenue": s["share_of_revenue"].map(lambda x: text.percent(x, 1)),
            "description": [say(f"segment_description.{k}", **described)
                            for k in s["segment"]]}),
            "segments.table", currency=cur)))
        items += image(run, "rfm_chart")
        t = pd.DataFrame(seg["tiers"])
        items.append(paragraph("tiers.intro", rule=seg["tier_rule"]["rule"]))
        items.append(table(text.headers(pd.DataFrame({
            "tier": [text.label("tier", k) for k in t["tier"]],
            "action": [text.label("tier_action", k) for k in t["tier"]], "members": t["members"].map(text.count),
            "share_of_members": t["share_of_members"].map(lambda x: text.percent(x, 1)),
            "clv": t["clv"].map(lambda v: text.money(v, 0, cur)),
            "share_of_clv": t["share_of_clv"].map(lambda x: text.percent(x, 1)),
            "mean_p_alive": t["mean_p_alive"].map(lambda x: text.format_value(x, "probability"))}), "tiers.table", currency=cur)))
        moves = seg["tier_moves"]
        items.append(paragraph("tiers.moves", previous_month=seg["previous_month"], month=seg["month"], up=moves["up"],
                        down=moves["down"], down_revenue=moves["down_revenue"], currency=cur))
        m = seg["tier_migration"]["counts"]
        moves_table = pd.DataFrame(m["values"], index=[text.label("tier", k) for k in m["rows"]],
                             columns=[text.label("tier", k) for k in m["columns"]]).astype(int).map(text.count)
        moves_table.insert(0, say("tiers.moves.corner", previous_month=seg["previous_month"], month=seg["month"]),
                     moves_table.index)
        items.append(table(moves_table))
        items += image(run, "rfm_migration_chart")
    if warn:
        c = pd.DataFrame(warn["counts"])
        w = warn["windows"]
        items.append(paragraph("warning.summary", checked=warn["checked_members"],
                               weeks=w["recent_weeks"] + w["baseline_weeks"], flagged=warn["flagged_members"],
                               multiple=warn["multiple_reasons"], windows=w["rule"],
                               lookback_days=warn["lookback_days"]))
        items.append(table(pd.DataFrame({
            say("warning.table.reason"): [text.label("warning", r) for r in c["reason"]],
            say("warning.table.members"): [(say("warning.no_data") if not a else text.count(n))
                                           for n, a in zip(c["members"], c["available"])],
            say("warning.table.share"): [text.percent(x, 1) for x in c["share_of_checked"]]})))
    items += drivers_items(run)
    return items
