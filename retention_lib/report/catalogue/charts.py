"""Chart wording not kept with its section: titles, axes, legends and notes of the churn-model, CLV,
track-record and satisfaction charts (retention_lib/report/charts), in English.

Keys are `chart.<chart>.<what>`. Months, counts and units are placeholders: a month without a
format is shown by `month_label`, `{weeks:count}` with thousands separators, `{currency}` as given.
"""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- shared by the churn-model charts
    "chart.actual": "Actual",
    # ---------------------------------------------------------------- churn model (report/charts/churn_value.py)
    "chart.period_transactions.model": "{model} (simulated)",
    "chart.period_transactions.title": "Members by number of repeat purchases, actual vs {model}, history to "
                                       "{month}",
    "chart.period_transactions.xlabel": "Repeat purchases (purchase days after the first)",
    "chart.period_transactions.ylabel": "Members",
    "chart.p_alive_matrix.colour": "P(alive)",
    "chart.p_alive_matrix.title": "{model} P(alive) for a member of {weeks:count} weeks' tenure",
    "chart.p_alive_matrix.xlabel": "Weeks from first to last purchase (recency)",
    "chart.p_alive_matrix.ylabel": "Repeat purchases",
    "chart.tracking.expected": "{model} expected",
    "chart.tracking.calibration_end": "End of calibration",
    "chart.tracking.title": "Weekly repeat purchases of the calibration cohort, actual vs model, {first:month} to "
                            "{last:month}",
    "chart.tracking.xlabel": "Week ending",
    "chart.tracking.ylabel": "Repeat purchases per week",
    "chart.calibration.perfect": "Perfect calibration",
    "chart.calibration.deciles": "Deciles of members",
    "chart.calibration.title": "Predicted vs actual: bought in the {weeks:count}-week holdout",
    "chart.calibration.xlabel": "Predicted probability of buying",
    "chart.calibration.ylabel": "Share who bought",
    "chart.regularity.title": "Gaps between purchase days over each member's own mean gap, to {month:month}",
    "chart.regularity.xlabel": "Gap ÷ the member's mean gap (1 = their usual gap)",
    "chart.regularity.ylabel": "Share of gaps",
    "chart.regularity.exponential": "No rhythm (exponential timing, k = 1)",
    "chart.regularity.fitted": "Fitted rhythm (Erlang k = {k})",
    "chart.regularity.beyond": "{share:pct1} of gaps are over {top:num0} times the member's mean (not shown)",
    "chart.regularity.wheat_morrison": "Wheat–Morrison estimate (last two gaps): k = {k:num1}",
    # ---------------------------------------------------------------- CLV (report/charts/churn_value.py)
    "chart.clv_groups.clv": "Expected {horizon}-month CLV",
    "chart.clv_groups.per_member": "Expected {horizon}-month CLV per member",
    "chart.clv_groups.ylabel": "{currency}, discounted",
    # ---------------------------------------------------------------- track record (report/charts/churn_value.py)
    "chart.track_record.forecast": "Forecast a month ahead",
    "chart.track_record.title": "Model track record: member purchase days per month, forecast vs actual",
    "chart.track_record.xlabel": "Month forecast",
    "chart.track_record.ylabel": "Purchase days per month",
    # ---------------------------------------------------------------- satisfaction (report/charts/satisfaction.py)
    "chart.satisfaction_trend.nps_axis": "NPS (points, −100 to 100)",
    "chart.satisfaction_trend.csat_axis": "CSAT (% rating 4–5 of 5)",
    "chart.satisfaction_trend.enough": "{n:count}+ responses",
    "chart.satisfaction_trend.few": "Under {n:count} responses",
    "chart.satisfaction_trend.xlabel": "Month",
    "chart.satisfaction_trend.nps_title": "NPS by month and the range it very likely lies in, {first} to {last}",
    "chart.satisfaction_trend.csat_title": "CSAT by month and the range it very likely lies in, {first} to {last}",
    "chart.importance.fix_first": "FIX FIRST\nimportant, performing below average",
    "chart.importance.title": "What to fix first: importance vs performance of the seven dimensions, {period}",
    "chart.importance.xlabel": "Performance: mean rating (1–5 stars); lines: very likely range",
    "chart.importance.ylabel": "Importance: % of explained {outcome} variance; lines: very likely range",
    "chart.complaints.title": "Complaints per 1,000 baskets, {first} to {last} (bars: very likely range)",
    "chart.complaints.xlabel": "Month opened",
    "chart.complaints.rate_axis": "Complaints per 1,000 baskets",
    "chart.complaints.none": "No complaints this month",
    "chart.complaints.by_category": "By category, {month} (bars: very likely range)",
    "chart.satisfaction_churn.group.detractor": "Detractors\n(n={n:count})",
    "chart.satisfaction_churn.group.passive": "Passives\n(n={n:count})",
    "chart.satisfaction_churn.group.promoter": "Promoters\n(n={n:count})",
    "chart.satisfaction_churn.churn": "No purchase in the last {days:count} days",
    "chart.satisfaction_churn.churn_axis": "% of members",
    "chart.satisfaction_churn.p_alive": "P(alive) at the month's end",
    "chart.satisfaction_churn.p_alive_axis": "Mean P(alive) (%)",
    "chart.satisfaction_churn.spend": "Spend in the last {days:count} days",
    "chart.satisfaction_churn.spend_axis": "Mean {currency} per member",
    "chart.satisfaction_churn.xlabel": "NPS group of the member's last survey",
    "chart.satisfaction_churn.title": "Do detractors leave? Members surveyed {period}, by NPS group (bars: very likely range)",
    "chart.comment_themes.from.detractors": "From detractors",
    "chart.comment_themes.from.passives": "From passives",
    "chart.comment_themes.from.promoters": "From promoters",
    "chart.comment_themes.title": "Comment themes in {month}, by the respondent's NPS group",
    "chart.comment_themes.xlabel": "Comments mentioning the theme (Chinese and English)",
    # ------------------------------------------- what each chart of the report shows: its image's alt text
    # (report/sections/common.image), read aloud by a screen reader and shown when a mail app blocks images
    "alt.coverage_chart": "Baskets per day in {month:month}, by store; a day without baskets shows as a gap",
    "alt.kpi_trends_chart": "The KPI board's measures month by month, all stores, over the 13 months to "
                            "{month:month}, each on its own scale",
    "alt.cohort_chart": "Cohort retention to {month:month}: each row is the members who joined in one month, each "
                        "column the share of them who bought in a later month; darker is a larger share",
    "alt.tracking_chart": "Repeat purchases per week of the churn model's members, what happened against what the "
                          "model expected, through the months held out to test it, to {month:month}",
    "alt.clv_chart": "Expected CLV of the members in each lifecycle state at the end of {month:month}, in all and "
                     "per member, and the value in play for the at-risk, lapsed and dormant members",
    "alt.rfm_chart": "Members and revenue of each RFM segment at the end of {month:month}",
    "alt.rfm_migration_chart": "How members moved between RFM segments from the end of the month before to the end "
                               "of {month:month}",
    "alt.drivers_chart": "How lapsed members differ from retained ones, factor by factor, with the interval of each "
                         "difference, to {month:month}",
    "alt.satisfaction_trend_chart": "NPS and CSAT month by month to {month:month}, each with the range it very likely lies in",
    "alt.satisfaction_drivers_chart": "How much each survey dimension matters against how well the store does on "
                                      "it, to {month:month}",
    "alt.satisfaction_churn_chart": "Later churn of surveyed members by NPS group (detractors, passives, promoters), "
                                    "to {month:month}",
    "alt.complaints_chart": "Complaints per 1,000 baskets by month and by category, to {month:month}",
    "alt.track_record_chart": "The model's track record: member purchase days each month, forecast a month ahead "
                              "against what happened, to {month:month}",
}
