"""RFM segments, value tiers and the early warning, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- segments and tiers (analytics/segments.py)
    "segment.champions": "champions",
    "segment.loyal": "loyal",
    "segment.new": "new",
    "segment.occasional": "occasional",
    "segment.best_gone_quiet": "best customers gone quiet",
    "segment.gone_quiet": "gone quiet",
    "segment.not_yet": "(not a customer yet)",
    "segment_description.champions": "recent; high frequency and spend (FM 4–5)",
    "segment_description.loyal": "recent; middling frequency and spend (FM 3)",
    "segment_description.new": "recent; first purchase this month (the lifecycle's new members)",
    "segment_description.occasional": "recent, but buying rarely or for little (FM 1–2)",
    "segment_description.best_gone_quiet": "high frequency and spend (FM 4–5), but no purchase for {lapse_days} to "
                                           "{last_quiet_day} days",
    "segment_description.gone_quiet": "no purchase for {lapse_days} to {last_quiet_day} days",
    "tier.core": "core",
    "tier.key": "key",
    "tier.developable": "developable",
    "tier.low-priority": "low-priority",
    "tier.not_yet": "(not a customer yet)",
    "tier_action.core": "keep with VIP care",
    "tier_action.key": "special service plans",
    "tier_action.developable": "lukewarm: find out why",
    "tier_action.low-priority": "occasional shoppers: no special effort",
    "tiers.key_quantile": ", {quantile:pct0} quantile",
    "segments.rfm": "<b>RFM segments</b> of the {members:count} members with a purchase so far, at the end of "
                    "{month}. {recency} Frequency (purchase days) and spend over the last {window_days} days are "
                    "scored in quintiles (5 best); FM is their average, rounded up. Revenue is the members' net "
                    "spend this month.",
    "segments.recency_rule": "Recent: a purchase in the last {lapse_days} days (the lapse rule: members in the "
                             "base); gone quiet: no purchase for {lapse_days} to {last_quiet_day} days (lapsed this "
                             "month or dormant); lost: none for {long_days} days or more.",
    "segments.table.segment": "segment",
    "segments.table.members": "members",
    "segments.table.share_of_members": "share of members",
    "segments.table.bought_this_month": "bought this month",
    "segments.table.revenue": "revenue this month",
    "segments.table.share_of_revenue": "share of revenue",
    "segments.table.description": "who they are",
    "segments.chart.members": "Members by RFM segment, end of {month}",
    "segments.chart.members_axis": "Members",
    "segments.chart.segment_axis": "RFM segment",
    "segments.chart.revenue": "Members' revenue in {month} by segment",
    "segments.chart.revenue_axis": "{currency} thousands",
    "segments.chart.status.recent": "recent: bought in the last {lapse_days} days",
    "segments.chart.status.lapsed": "gone quiet: {lapse_days}–{last_quiet_day} days without a purchase",
    "segments.chart.status.long_lapsed": "lost: {long_days} days or more",
    "tiers.chart.members": "Members by value tier, end of {month}",
    "tiers.chart.tier_axis": "Value tier",
    "tiers.chart.clv": "{horizon}-month CLV by tier, {month}",
    "tiers.chart.clv_axis": "{currency} thousands (discounted)",
    "migration.what.segment": "RFM segment",
    "migration.what.tier": "Value tier",
    "migration.chart.title": "{what}: members moving from the end of {previous} to the end of {month}",
    "migration.chart.rows": "{what} at the end of {previous}",
    "migration.chart.columns": "{what} at the end of {month}",
    "migration.chart.colour": "% of the row's members",
    "tiers.intro": "<b>Value tiers</b> from each member's CLV and chance of still shopping. {rule}",
    "tiers.table.tier": "tier",
    "tiers.table.action": "action",
    "tiers.table.members": "members",
    "tiers.table.share_of_members": "share of members",
    "tiers.table.clv": "expected CLV",
    "tiers.table.share_of_clv": "share of CLV",
    "tiers.table.mean_p_alive": "mean chance of still shopping",
    "tiers.moves": "<b>Since last month</b> ({previous_month} → {month}): {up:count} members moved up a value tier "
                   "and {down:count} moved down (they spent {down_revenue:cur0} this month). Rows are last month's "
                   "tier, columns this month's; last month's chances and CLV use this month's models.",
    "tiers.moves.corner": "{previous_month} → {month}",
    "notebook.segments_intro": "{members:count} members with a purchase so far.",
    "notebook.tier_members": "**Value tiers: members** (rows {previous_month}, columns {month})",
    "notebook.tier_revenue": "**Value tiers: revenue in {month} ({currency})**",
    "notebook.rfm_revenue": "**RFM segments: revenue in {month} ({currency})**",

    # ---------------------------------------------------------------- early warning (analytics/early_warning.py)
    "warning.skip_risk": "Likely to skip next month",
    "warning.rising_risk": "Rising risk of skipping",
    "warning.overdue": "Overdue by own rhythm",
    "warning.falling_frequency": "Falling visit frequency",
    "warning.falling_spend": "Spending less per visit",
    "warning.low_survey_score": "Low survey score",
    "warning.open_complaint": "Open or unresolved complaint",
    "warning.any": "Any reason",
    "warning_inline.skip_risk": "likely to skip next month",
    "warning_inline.rising_risk": "rising risk of skipping",
    "warning_inline.overdue": "overdue by own rhythm",
    "warning_inline.falling_frequency": "falling visit frequency",
    "warning_inline.falling_spend": "spending less per visit",
    "warning_inline.low_survey_score": "low survey score",
    "warning_inline.open_complaint": "open or unresolved complaint",
    "warning.reasons": "{reasons:labels:warning_inline}",
    "warning.summary": "<b>Early warning.</b> Of {checked:count} members who bought in the last {weeks} weeks, "
                       "<b>{flagged:count}</b> are flagged: they show at least one sign of turning away "
                       "({multiple:count} show two or more). {windows} Survey and complaint signs look back "
                       "{lookback_days} days. The list of flagged members is a file for the consultant, not part of "
                       "this report.",
    "warning.windows.full": "Frequency and spend compare the last {recent_weeks} weeks with each member's own "
                            "previous {baseline_weeks} weeks.",
    "warning.windows.shortened": "Frequency and spend compare the last {recent_weeks} weeks with each member's own "
                                 "previous {baseline_weeks} weeks: the data starts on {first:date}, too late for the "
                                 "usual {usual_weeks}-week baseline.",
    "warning.windows.unavailable": "Falling frequency and spend are not checked this month: {reason}",
    "warning.short_history": "the data starts on {first:date}, leaving {weeks} weeks before the last {recent_weeks} "
                             "weeks, fewer than the {min_weeks} weeks of each member's own history they compare "
                             "against.",
    "warning.chart.title": "Early warning at the end of {month}: members flagged by reason (of {checked:count} "
                           "checked)",
    "warning.chart.axis": "Members flagged",
    "warning.table.reason": "reason",
    "warning.table.members": "members",
    "warning.table.share": "share of checked",
    "warning.no_data": "not checked",

}
