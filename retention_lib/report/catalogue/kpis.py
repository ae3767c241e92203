"""The KPI board, stores and cohorts, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- KPI board (analytics/kpis.py)
    "kpi.active_customers": "Members who shopped",
    "kpi.new_customers": "New members",
    "kpi.returning_customers": "Returning members",
    "kpi.reactivated_customers": "of which returned after lapsing",
    "kpi.lapsed_customers": "Lapsed this month",
    "kpi.active_base_start": "Members in the base at month start",
    "kpi.churn_rate": "Churn rate",
    "kpi.retention_rate": "Retention rate",
    "kpi.repurchase_rate": "Repurchase rate",
    "kpi.visits_per_active": "Visits per member who shopped",
    "kpi.baskets": "Purchase baskets",
    "kpi.revenue": "Revenue",
    "kpi.avg_basket_value": "Average basket value",
    "kpi.revenue_per_active": "Revenue per member who shopped",
    "kpi.member_revenue_share": "Members' share of revenue",
    "kpi.non_member_baskets": "Non-member baskets",
    "kpi.complaints": "Complaints opened",
    "kpi.complaint_rate": "Complaints per 1,000 baskets",
    "kpi.survey_responses": "Survey responses",
    "kpi.nps": "NPS",
    "kpi.csat": "CSAT (% rating 4–5)",
    "kpi.at_risk.model": "Members at risk",
    "kpi.at_risk.lapse_rule": "Members at risk (by the lapse rule)",
    "board.kpi": "KPI",
    "board.month_on_month": "month on month",
    "board.year_on_year": "year on year",
    "store.scope": "store",
    "store.all": "All stores",
    "store.more.one": "{n:count} more store",
    "store.more.other": "{n:count} more stores",
    "store.active_customers": "members who shopped",
    "store.new_customers": "new",
    "store.lapsed_customers": "lapsed",
    "store.churn_rate": "churn rate",
    "store.baskets": "purchase baskets",
    "store.revenue": "revenue",
    "store.avg_basket_value": "average basket",
    "store.member_revenue_share": "members' share of revenue",
    "lapse.parameter": "A member is lapsed after {days} days without a purchase (set in the parameter).",
    "lapse.config": "A member is lapsed after {days} days without a purchase (set in the config).",
    "lapse.fallback": "A member is lapsed after {days} days without a purchase (the lower bound: the data has no "
                      "repeat purchases to derive it from).",
    "lapse.data": "A member is lapsed after {days} days without a purchase: the {quantile:pct0} quantile of the "
                  "{n_gaps:count} gaps between members' consecutive purchase days ({gap_quantile_days:num0} days), "
                  "rounded up to whole weeks and kept within {min_days}–{max_days} days.",
    "kpis.summary": "In {month}, <b>{active:count}</b> members shopped, {new:count} of them new. <b>{lapsed:count}</b> "
                    "lapsed this month: churn rate {churn:pct1}, retention rate {retention:pct1}.",
    "kpis.summary.warm_up": "In {month}, <b>{active:count}</b> members shopped.",
    "kpis.warm_up": "This month starts within the first {lapse_days} days of the data, so churn, new and returning "
                    "members cannot be measured yet: a member seen for the first time may be an existing customer "
                    "whose last visit came before the data starts ({data_from:month}).",
    "kpis.short_history": "The data starts in {data_from:month}: year-on-year comparisons need 13 months of data, so "
                          "they are left out.",
    "kpis.first_month": "The data starts in {data_from:month}: there is no earlier month to compare with.",
    "kpis.definitions": "Members who shopped: at least one purchase in the month. Base: members not lapsed (new, "
                        "active, at risk). Churn rate: members who lapsed in the month, divided by the base at its "
                        "start. Repurchase rate: share of "
                        "last month's members who shopped who bought again this month. Rates change in percentage points "
                        "(pp); “—” means the comparison month has no data.",
    "kpis.stores.note": "{n:count} stores had baskets in {month}. Each member counts in one store, their home "
                        "store: the store where they made the most purchase baskets in the {home_months} months to "
                        "{month_end:date} (ties: the store visited most recently, then the lower store id). So the "
                        "stores' member counts add up to all stores; baskets, revenue and the average basket are "
                        "counted in the store where the purchase was made.",
    "kpis.stores.home_only.one": "The table also counts {n:count} store without a basket in {month}: members counted "
                                 "in the month have their home store there.",
    "kpis.stores.home_only.other": "The table also counts {n:count} stores without a basket in {month}: members "
                                   "counted in the month have their home store there.",
    "kpis.stores.more": "The {shown:count} stores with the most revenue are listed one by one; the last line sums "
                        "the other {rest:count}.",
    "kpis.cohorts.join": "Cohort retention: members grouped by join month, and the share of each cohort who bought "
                         "in each later month.",
    "kpis.cohorts.first_purchase": "Cohort retention: members grouped by month of first purchase, and the share of "
                                   "each cohort who bought in each later month.",
    # ------------------------------------------------ data quality: baskets as the KPI board counts them
    "dq.member_purchases.one": "Of the {member_baskets:count} member baskets, {n:count} is a purchase (the baskets "
                               "the KPI board counts) and {other:count} net to zero or less (returns, or nothing "
                               "charged).",
    "dq.member_purchases.other": "Of the {member_baskets:count} member baskets, {n:count} are purchases (the baskets "
                                 "the KPI board counts) and {other:count} net to zero or less (returns, or nothing "
                                 "charged).",
    "dq.non_member_purchases.one": "Of the {non_member_baskets:count} non-member baskets, {n:count} is a purchase.",
    "dq.non_member_purchases.other": "Of the {non_member_baskets:count} non-member baskets, {n:count} are purchases.",
    "membership.month": "month",
    "membership.member_baskets": "member baskets",
    "membership.member_purchases": "member purchases (net above zero)",
    "membership.non_member_baskets": "non-member baskets",
    "membership.non_member_purchases": "non-member purchases (net above zero)",
    # ---------------------------------------------------------------- charts (report/charts/activity.py)
    "activity_chart.month": "Month",
    "activity_chart.coverage.stores": "Baskets per day and store, {month}",
    "activity_chart.coverage.chain": "Baskets per day, all {n:count} stores with baskets in {month}",
    "activity_chart.coverage.store": "Store",
    "activity_chart.coverage.xlabel": "Day",
    "activity_chart.coverage.ylabel": "Baskets per day",
    "activity_chart.membership.title": "Baskets per month, members and non-members, {first} to {month}",
    "activity_chart.membership.members": "Member baskets",
    "activity_chart.membership.non_members": "Non-member baskets",
    "activity_chart.membership.ylabel": "Baskets per month",
    "activity_chart.trends.title": "Monthly KPIs, all stores, {first} to {last} ({month} shaded)",
    "activity_chart.trends.title_warm_up": "{title}. Hatched: the first weeks of data (churn, new and returning "
                                           "members not measured)",
    "activity_chart.panel.active": "Members who shopped",
    "activity_chart.panel.flows": "New, returned and lapsed members",
    "activity_chart.panel.rates": "Churn and repurchase rate",
    "activity_chart.panel.avg_basket": "Average basket value",
    "activity_chart.panel.revenue_per_active": "Revenue per member who shopped",
    "activity_chart.panel.member_share": "Members' share of revenue",
    "activity_chart.panel.complaints": "Complaints per 1,000 baskets",
    "activity_chart.panel.satisfaction": "NPS and CSAT",
    "activity_chart.ylabel.members": "Members",
    "activity_chart.ylabel.pct_members": "% of members",
    "activity_chart.ylabel.per_basket": "{currency} per basket",
    "activity_chart.ylabel.per_member": "{currency} per member",
    "activity_chart.ylabel.pct_revenue": "% of revenue",
    "activity_chart.ylabel.complaints": "Complaints per 1,000 baskets",
    "activity_chart.ylabel.satisfaction": "NPS (−100 to 100) / CSAT (%)",
    "activity_chart.series.active": "Active",
    "activity_chart.series.new": "New",
    "activity_chart.series.reactivated": "Returned",
    "activity_chart.series.lapsed": "Lapsed ({lapse_days}-day rule)",
    "activity_chart.series.churn": "Churn rate",
    "activity_chart.series.repurchase": "Repurchase rate",
    "activity_chart.series.avg_basket": "Average basket",
    "activity_chart.series.revenue_per_active": "Revenue per member",
    "activity_chart.series.member_share": "Members' share",
    "activity_chart.series.complaint_rate": "Complaint rate",
    "activity_chart.series.nps": "NPS",
    "activity_chart.series.csat": "CSAT (% 4–5)",
}
