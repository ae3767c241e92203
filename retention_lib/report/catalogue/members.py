"""The KPI board, churn, value, segments and tiers, early warning and churn drivers, in English."""

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

    # ---------------------------------------------------------------- churn (analytics/churn.py)
    "churn.headline.model": "{model} model fitted on {members:count} members' purchase histories to {month}. "
                            "<b>{at_risk:count}</b> members have a probability of still being a customer (P(alive)) "
                            "below {threshold:pct0}; <b>{newly:count}</b> of them crossed that line this month (newly "
                            "at risk) and {likely_lost:count} others are below {likely_lost_below:pct0} (likely lost). "
                            "Members are expected to make {expected:num0} purchase visits next month.",
    "churn.headline.lapse_rule": "<b>Churn by the lapse rule this month.</b> {reason} <b>{at_risk:count}</b> of "
                                 "{members:count} members have been silent for more than {overdue_factor:g} times "
                                 "their usual gap between visits (at risk); <b>{newly:count}</b> of them crossed that "
                                 "line this month and {likely_lost:count} others have not bought for {lapse_days} "
                                 "days or more (likely lost).",
    "churn.backtest": "Track record on held-out data: fitted to {calibration_end}, the model expected "
                      "{predicted:num0} purchase visits in the {holdout_weeks:num0} weeks to {observation_end}; "
                      "members made {actual:num0} ({error_pct:signed1}%). Per member the mean absolute error was "
                      "{mae:num2} visits.",
    "churn.describe.model": "By the {model} model, **{at_risk:count}** of {members:count} members have a probability "
                            "of still being a customer (P(alive)) below {threshold:pct0}; **{newly:count}** of them "
                            "crossed that line this month (newly at risk) and {likely_lost:count} others are likely "
                            "lost (below {likely_lost_below:pct0}).",
    "churn.describe.lapse_rule": "By the lapse rule (the churn model is not used this month), **{at_risk:count}** of "
                                 "{members:count} members have been silent for more than {overdue_factor:g} times "
                                 "their usual gap between visits; **{newly:count}** of them crossed that line this "
                                 "month (newly at risk) and {likely_lost:count} others are likely lost (silent for "
                                 "{lapse_days} days or more).",
    "churn.unusable": "The {model} churn model cannot be used on this data ({error}). The data covers {months} "
                      "({first:date} to the end of {month}), and {lapsed:count} of {members:count} members have gone "
                      "{lapse_days} days or more without buying: {advice}.",
    "churn.unusable.nobody_lapsed": "nobody has lapsed yet, so the model has no one leaving to learn from. At-risk "
                                    "members are judged by the lapse rule until the history shows members leaving",
    "churn.unusable.short_history": "the history is too short for the model. At-risk members are judged by the lapse "
                                    "rule; a longer extract (a year or more) lets the model learn each member's rhythm",
    "churn.unusable.other": "at-risk members are judged by the lapse rule this month",
    "churn.backtest_history": "The backtest needs at least {needed} months of history ({calibration} to fit the "
                              "model, {holdout} held out to test it); the data has {have} ({first:month} to {month}). "
                              "The model's track record will be measured once the history is long enough.",
    "churn.backtest_fit": "The {model} model could not be fitted on the months before the holdout (to "
                          "{calibration_end:date}): {note}",
    "notebook.churn_not_used": "**The churn model is not used this month.** {reason}",
    "notebook.model_parameters": "{model} parameters (weeks): {params:sigs4}; fitted on {members:count} members "
                                 "compressed to {histories:count} distinct histories.",

    # ---------------------------------------------------------------- value (analytics/value.py)
    "churn_group.not_at_risk": "Not at risk",
    "churn_group.newly_at_risk": "Newly at risk",
    "churn_group.at_risk_earlier": "At risk (earlier)",
    "churn_group.likely_lost": "Likely lost",
    "clv.convention": "CLV = expected gross margin over the next {horizon_months} months, in {currency}: margin "
                      "{margin:pct0} of expected spend, discounted monthly at {monthly_rate:pct3} a month "
                      "({annual_discount_rate:pct0} a year), each month's cash flow at the month's end.",
    "clv.convention.observed_spend": "{base} Simpler estimate this month: spend per purchase is each member's own "
                                     "average spend per purchase day, not the Gamma-Gamma model ({reason})",
    "clv.convention.run_rate": "{base} Simple estimate this month (run rate): each member's purchase days per week "
                               "over the last {weeks} weeks times their average spend per purchase day; members "
                               "silent for the lapse rule's days count as 0. The churn model is not used this month "
                               "({reason})",
    "clv.spend_model_unusable": "The Gamma-Gamma spend model cannot be used on this data ({error}); CLV uses each "
                                "member's own average spend per visit instead.",
    "clv.no_churn_model": "No churn model this month, so no spend model either: CLV is a run-rate estimate (see the "
                          "CLV section).",
    "clv.summary": "{convention} Total expected CLV of members: <b>{total_clv:cur0}</b>. The {at_risk:count} members "
                   "at risk but not yet likely lost carry {at_risk_clv:cur0} of expected CLV, and "
                   "<b>{at_stake:cur0}</b> more is at stake: what they would add if they stayed ({newly_at_stake:cur0} "
                   "of it from members newly at risk this month). Winning back the {likely_lost:count} likely lost "
                   "members would be worth up to {won_back:cur0}, at long odds.",
    "clv.groups.group": "Members",
    "clv.groups.members": "count",
    "clv.groups.clv": "expected CLV ({currency})",
    "clv.groups.clv_if_alive": "CLV if retained ({currency})",
    "clv.groups.value_at_stake": "value at stake ({currency})",
    "notebook.gamma_gamma": "Gamma-Gamma p = {p:sig3}, q = {q:sig3}, γ = {gamma:sig4}, fitted on "
                            "{repeat_buyers:count} repeat buyers; mean spend per purchase day {mean_spend:num2} "
                            "{currency}. Correlation of frequency and spend: {correlation:signed2}, so the "
                            "independence assumption {verdict}.",
    "notebook.gamma_gamma.holds": "holds",
    "notebook.gamma_gamma.doubtful": "is doubtful: read CLV with care",
    "notebook.no_spend_model": "**No spend model this month.** {reason}",

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

    # ---------------------------------------------------------------- churn drivers (analytics/lapse_drivers.py)
    "feature.share": "Share of spend: {category} (%)",
    "feature.discount_share": "Discounts as a share of spend before discounts (%)",
    "feature.coupon_basket_share": "Share of baskets with a coupon (%)",
    "feature.spend_per_basket": "Spend per purchase basket",
    "feature.tenure_months": "Months since joining",
    "feature_name.share": "Share of spend: {category}",
    "feature_name.discount_share": "Discounts as a share of spend before discounts",
    "feature_name.coupon_basket_share": "Share of baskets with a coupon",
    "feature_name.spend_per_basket": "Spend per purchase basket",
    "feature_name.tenure_months": "Months since joining",
    "feature_inline.share": "share of spend: {category}",
    "feature_inline.discount_share": "discounts as a share of spend before discounts",
    "feature_inline.coupon_basket_share": "share of baskets with a coupon",
    "feature_inline.spend_per_basket": "spend per purchase basket",
    "feature_inline.tenure_months": "months since joining",
    "variable.main_store": "Main store",
    "variable.age_band": "Age band",
    "variable.income_band": "Income band",
    "variable.household_size": "Household size",
    "variable.gender": "Gender",
    "level.other_stores": "other stores",
    "drivers.groups": "Members who bought between {window_start:date} and {cutoff:date} (so each had {lapse_days} "
                      "days to come back by {last_day:date}): {lapsed:count} lapsed (no purchase in the last "
                      "{lapse_days} days) against {retained:count} retained (bought in the last {lapse_days} days). "
                      "Features from their purchases from {window_start:date} to {last_day:date}.",
    "drivers.too_few": "Too few lapsed or retained members to compare.",
    "drivers.no_categories": "The data has no product categories, so the category mix of lapsed and retained members "
                             "cannot be compared; map a category column in the config to see it.",
    "drivers.no_discounts": "No discounts recorded in the data, so discount use cannot be compared; map a discount "
                            "column in the config if the source has one.",
    "drivers.no_coupons": "No coupon use recorded in the data, so coupon use cannot be compared; map a "
                          "coupon_discount column in the config if the source has one.",
    "drivers.too_few_to_compare": "Only {lapsed:count} lapsed and {retained:count} retained members to compare (at "
                                  "least {minimum} of each are needed): {groups} The comparison appears once enough "
                                  "members have lapsed.",
    "drivers.none_lapsed": "No lapsed members to compare yet.",
    "drivers.intro": "<b>Why members leave.</b> {groups}",
    "drivers.largest": "The largest differences whose 95% confidence interval excludes zero (associations, not proof "
                       "of cause):",
    "drivers.numeric": "{name}: lapsed {lapsed:num1} vs retained {retained:num1}, difference {difference:signed1} "
                       "{unit} (95% CI {ci_low:signed1} to {ci_high:signed1}); Cohen's d {cohens_d:signed2}",
    "drivers.categorical": "{variable} {level}: {lapsed_share:pct1} of lapsed vs {retained_share:pct1} of retained "
                           "members, {difference:pp1} pp (95% CI {ci_low:pp1} to {ci_high:pp1})",
    "notebook.no_categorical": "No categorical variables to compare.",
    "drivers.table.lapsed_share": "lapsed %",
    "drivers.table.retained_share": "retained %",
    "drivers.table.difference": "difference (pp)",
    "drivers.table.ci_low": "CI low (pp)",
    "drivers.table.ci_high": "CI high (pp)",
}
