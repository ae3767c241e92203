"""RFM segments, value tiers and the early warning, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- segments and tiers (analytics/segments.py)
    "segment.champions": "champions",
    "segment.loyal": "loyal",
    "segment.new": "new",
    "segment.potential": "potential",
    "segment.can't lose": "can't lose",
    "segment.at risk": "at risk",
    "segment.hibernating": "hibernating",
    "segment.lost": "lost",
    "segment.not_yet": "(not a customer yet)",
    "segment_description.champions": "bought recently, often and for a lot",
    "segment_description.loyal": "recent, with middling or better frequency and spend",
    "segment_description.new": "first purchase in the last {new_days} days",
    "segment_description.potential": "recent, but buying rarely or for little",
    "segment_description.can't lose": "were among the best buyers, now silent",
    "segment_description.at risk": "good buyers who have gone quiet",
    "segment_description.hibernating": "rare, low-spending and quiet for a while",
    "segment_description.lost": "longest silence, little frequency or spend",
    "tier.core": "core",
    "tier.key": "key",
    "tier.developable": "developable",
    "tier.low-priority": "low-priority",
    "tier.not_yet": "(not a customer yet)",
    "tier_action.core": "keep with VIP care",
    "tier_action.key": "special service plans",
    "tier_action.developable": "lukewarm: find out why",
    "tier_action.low-priority": "occasional shoppers: no special effort",
    "tiers.rule.model": "Core: P(alive) ≥ {alive_threshold:pct0} and CLV ≥ {core_clv:cur0} (the "
                        "{core_quantile:pct0} quantile). Key: P(alive) ≥ {alive_threshold:pct0} and CLV ≥ "
                        "{key_clv:cur0} (the median{key_note}). Developable: the rest with P(alive) ≥ "
                        "{lost_below:pct0} who would be worth at least {key_clv:cur0} if they surely stayed (CLV ÷ "
                        "P(alive)). Low-priority: everyone else.",
    "tiers.rule.lapse_rule": "Core: not at risk by the lapse rule and CLV ≥ {core_clv:cur0} (the "
                             "{core_quantile:pct0} quantile). Key: not at risk by the lapse rule and CLV ≥ "
                             "{key_clv:cur0} (the median{key_note}). Developable: the rest who are not likely lost who "
                             "would be worth at least {key_clv:cur0} if they surely stayed (at their rate while "
                             "active). Low-priority: everyone else.",
    "tiers.key_quantile": ", {quantile:pct0} quantile",
    "segments.rfm": "<b>RFM segments</b> of the {members:count} members with a purchase so far, scored at the end of "
                    "{month}: recency, frequency and spend over the last {window_days} days, each in quintiles (5 "
                    "best). Revenue is the members' net spend this month.",
    "segments.table.segment": "segment",
    "segments.table.members": "members",
    "segments.table.share_of_members": "share of members",
    "segments.table.revenue": "revenue this month ({currency})",
    "segments.table.share_of_revenue": "share of revenue",
    "segments.table.description": "who they are",
    "tiers.intro": "<b>Value tiers</b> from each member's CLV and P(alive). {rule}",
    "tiers.table.tier": "tier",
    "tiers.table.action": "action",
    "tiers.table.members": "members",
    "tiers.table.share_of_members": "share of members",
    "tiers.table.clv": "expected CLV ({currency})",
    "tiers.table.share_of_clv": "share of CLV",
    "tiers.table.mean_p_alive": "mean P(alive)",
    "tiers.moves": "<b>Since last month</b> ({previous_month} → {month}): {up:count} members moved up a value tier "
                   "and {down:count} moved down (they spent {down_revenue:cur0} this month). Rows are last month's "
                   "tier, columns this month's; last month's P(alive) and CLV use this month's models.",
    "tiers.moves.corner": "{previous_month} → {month}",
    "notebook.segments_intro": "{members:count} members with a purchase so far.",
    "notebook.tier_members": "**Value tiers: members** (rows {previous_month}, columns {month})",
    "notebook.tier_revenue": "**Value tiers: revenue in {month} ({currency})**",
    "notebook.rfm_revenue": "**RFM segments: revenue in {month} ({currency})**",

    # ---------------------------------------------------------------- early warning (analytics/early_warning.py)
    "warning.falling_frequency": "Falling visit frequency",
    "warning.falling_spend": "Spending less per visit",
    "warning.p_alive_drop": "Drop in P(alive)",
    "warning.low_survey_score": "Low survey score",
    "warning.open_complaint": "Open or unresolved complaint",
    "warning.any": "Any reason",
    "warning_inline.falling_frequency": "falling visit frequency",
    "warning_inline.falling_spend": "spending less per visit",
    "warning_inline.p_alive_drop": "drop in P(alive)",
    "warning_inline.low_survey_score": "low survey score",
    "warning_inline.open_complaint": "open or unresolved complaint",
    "warning.reasons": "{reasons:labels:warning_inline}",
    "warning.summary": "<b>Early warning.</b> Of {checked:count} members who bought in the last {weeks} weeks, "
                       "<b>{flagged:count}</b> show at least one sign of turning away ({multiple:count} show two or "
                       "more). Frequency and spend compare the last {recent_weeks} weeks with each member's own "
                       "previous {baseline_weeks} weeks; survey and complaint signs look back {lookback_days} days. "
                       "The list of members is a file for the consultant, not part of this report.",
    "warning.table.reason": "reason",
    "warning.table.members": "members",
    "warning.table.share": "share of checked",
    "warning.no_data": "no data",

}
