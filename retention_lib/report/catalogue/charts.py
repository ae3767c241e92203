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
    # ---------------------------------------------------------------- CLV (report/charts/churn_value.py)
    "chart.clv_groups.clv": "Expected {horizon}-month CLV",
    "chart.clv_groups.at_stake": "Value at stake if retained ({horizon} months)",
    "chart.clv_groups.ylabel": "{currency}, discounted",
    "chart.clv_groups.likely_lost": "grey: if won back, at long odds",
    "chart.clv_groups.title": "CLV and value at stake by churn status of members, {month}",
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
    "chart.satisfaction_trend.nps_title": "NPS by month with 95% intervals, {first} to {last}",
    "chart.satisfaction_trend.csat_title": "CSAT by month with 95% intervals, {first} to {last}",
    "chart.importance.fix_first": "FIX FIRST\nimportant, performing below average",
    "chart.importance.title": "What to fix first: importance vs performance of the seven dimensions, {period}",
    "chart.importance.xlabel": "Performance: mean rating (1–5 stars), 95% CI",
    "chart.importance.ylabel": "Importance: % of explained {outcome} variance, 95% CI",
    "chart.complaints.title": "Complaints per 1,000 baskets, {first} to {last} (95% CI)",
    "chart.complaints.xlabel": "Month opened",
    "chart.complaints.rate_axis": "Complaints per 1,000 baskets",
    "chart.complaints.none": "No complaints this month",
    "chart.complaints.by_category": "By category, {month} (95% CI)",
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
    "chart.satisfaction_churn.title": "Do detractors leave? Members surveyed {period}, by NPS group (95% CI)",
    "chart.comment_themes.from.detractors": "From detractors",
    "chart.comment_themes.from.passives": "From passives",
    "chart.comment_themes.from.promoters": "From promoters",
    "chart.comment_themes.title": "Comment themes in {month}, by the respondent's NPS group",
    "chart.comment_themes.xlabel": "Comments mentioning the theme (Chinese and English)",
}
