"""Churn drivers, in English."""

MESSAGES: dict[str, str] = {
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
    "variable.home_store": "Home store",
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
    "drivers.no_tenure": "The data has no join dates, so time since joining is not compared.",
    "drivers.no_tenure.substituted": "This data has no join dates (the join date it gives is each member's first "
                                     "purchase in the data), so time since joining is not compared.",
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
    "drivers.largest": "The largest differences that are very likely real (the range each very likely lies in "
                       "excludes zero, and each group has at least {min_group_n:count} members with the value); they "
                       "are associations, not proof of cause:",
    "drivers.none_significant": "No difference between lapsed and retained members is clearly real: for none does the "
                                "range it very likely lies in exclude zero with at least {min_group_n:count} members "
                                "with the value in each group.",
    "drivers.numeric": "{name}: lapsed {lapsed} vs retained {retained} ({difference}); {groups}",
    "drivers.categorical": "{variable} {level}: {lapsed_share:pct1} of lapsed vs {retained_share:pct1} of retained "
                           "members ({difference:change:rate}); {groups}",
    "drivers.n": "{n_lapsed:count} lapsed and {n_retained:count} retained members",
    "drivers.n.coverage": "known for {n_lapsed:count} of {of_lapsed:count} lapsed and {n_retained:count} of "
                          "{of_retained:count} retained members",
    "drivers.coverage": "{variables}: known for {n_lapsed:count} of {of_lapsed:count} lapsed and {n_retained:count} "
                        "of {of_retained:count} retained members, and compared on those.",
    "drivers.coverage.too_few": "{variables}: known for only {n_lapsed:count} of {of_lapsed:count} lapsed and "
                                "{n_retained:count} of {of_retained:count} retained members, fewer than "
                                "{min_group_n:count} in a group, so no difference in them is called significant.",
    "drivers.chart.title": "How lapsed members differ from retained ones, {window}",
    "drivers.chart.xlabel": "Lapsed − retained, in standard deviations; the line: the range it very likely lies in\n"
                            "coloured: a real difference (the range excludes 0, at least {min_group_n:count} members "
                            "in each group)",
    "drivers.chart.xlabel_any": "Lapsed − retained, in standard deviations; the line: the range it very likely lies in\n"
                                "coloured: a real difference (the range excludes 0, enough members in each group)",
    # ---------------------------------------------------------------- cohort heatmap (report/charts/cohorts.py)
    "cohort.row": "{cohort:month} (n={members:count})",
    "cohort.row.existing": "{cohort:month} (existing customers, n={members:count})",
    "cohort.chart.title.join": "Cohort retention by join month: % of members who bought in each later month, to "
                               "{month:month}",
    "cohort.chart.title.first_purchase": "Cohort retention by month of first purchase: % of members who bought in "
                                         "each later month, to {month:month}",
    "cohort.chart.xlabel.join": "Months since joining (0 = the joining month)",
    "cohort.chart.xlabel.first_purchase": "Months since the first purchase (0 = that month)",
    "cohort.chart.ylabel.join": "Cohort (join month, members)",
    "cohort.chart.ylabel.first_purchase": "Cohort (month of first purchase, members)",
    "cohort.chart.colour": "% of cohort who bought",
    "cohort.chart.latest": "The latest {n:count} of {all:count} cohorts",
    "notebook.no_categorical": "No categorical variables to compare.",
    "drivers.table.lapsed_share": "lapsed %",
    "drivers.table.retained_share": "retained %",
    "drivers.table.difference": "difference (pp)",
    "drivers.table.ci_low": "CI low (pp)",
    "drivers.table.ci_high": "CI high (pp)",
}
