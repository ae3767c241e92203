"""The KPI board, stores and cohorts, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- KPI board (analytics/kpis.py)
    "kpi.active_customers": "Active members",
    "kpi.new_customers": "New members",
    "kpi.returning_customers": "Returning members",
    "kpi.reactivated_customers": "of which reactivated",
    "kpi.lapsed_customers": "Lapsed this month",
    "kpi.active_base_start": "Active base at month start",
    "kpi.churn_rate": "Churn rate",
    "kpi.retention_rate": "Retention rate",
    "kpi.repurchase_rate": "Repurchase rate",
    "kpi.visits_per_active": "Visits per active member",
    "kpi.baskets": "Purchase baskets",
    "kpi.revenue": "Revenue",
    "kpi.avg_basket_value": "Average basket value",
    "kpi.revenue_per_active": "Revenue per active member",
    "kpi.member_revenue_share": "Members' share of revenue",
    "kpi.non_member_baskets": "Non-member baskets",
    "kpi.complaints": "Complaints opened",
    "kpi.complaint_rate": "Complaints per 1,000 baskets",
    "kpi.survey_responses": "Survey responses",
    "kpi.nps": "NPS",
    "kpi.csat": "CSAT (% rating 4–5)",
    "kpi.at_risk.model": "At risk by the {model} model (P(alive) < {threshold:pct0})",
    "kpi.at_risk.lapse_rule": "At risk by the lapse rule (silent over {overdue_factor:g}× their usual gap)",
    "board.kpi": "KPI",
    "board.month_on_month": "month on month",
    "board.year_on_year": "year on year",
    "store.scope": "store",
    "store.all": "All stores",
    "store.active_customers": "active members",
    "store.new_customers": "new",
    "store.lapsed_customers": "lapsed",
    "store.churn_rate": "churn rate",
    "store.repurchase_rate": "repurchase rate",
    "store.avg_basket_value": "average basket",
    "store.revenue": "revenue",
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
    "kpis.at_risk.model": "Beside the lapse count, the {model} churn model puts <b>{at_risk:count}</b> members at risk "
                          "(P(alive) below {threshold:pct0}), {newly:count} of them newly. The two measure different "
                          "things: the lapse rule counts members already silent for that long; the model judges from "
                          "each member's own buying rhythm who has probably left.",
    "kpis.at_risk.lapse_rule": "The churn model is not used this month (see Churn and value); by the lapse rule "
                               "<b>{at_risk:count}</b> members are at risk, {newly:count} of them newly.",
    "kpis.warm_up": "This month is within the first weeks of the data, so churn figures cannot be measured yet.",
    "kpis.definitions": "Active: a member with at least one purchase in the month. Churn rate: members of the month's "
                        "starting active base who lapsed during it, divided by that base. Repurchase rate: share of "
                        "last month's active members who bought again this month. Rates change in percentage points "
                        "(pp); “—” means the comparison month has no data. Figures for each of the {stores} stores "
                        "are in notebook 02 (store customer counts do not add up to the total: a member counts in "
                        "every store they visit).",
    "kpis.cohorts.join": "Cohort retention: members grouped by join month, and the share of each cohort who bought "
                         "in each later month.",
    "kpis.cohorts.first_purchase": "Cohort retention: members grouped by month of first purchase, and the share of "
                                   "each cohort who bought in each later month.",

}
