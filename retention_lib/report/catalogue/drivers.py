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
