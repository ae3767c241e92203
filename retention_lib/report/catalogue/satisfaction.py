"""Satisfaction and complaints, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- satisfaction (analytics/satisfaction)
    "dimension.dim_variety": "Product variety",
    "dimension.dim_price": "Price",
    "dimension.dim_freshness": "Freshness & quality",   # no "and": the name sits in lists
    "dimension.dim_staff": "Staff attitude",
    "dimension.dim_environment": "Store environment",
    "dimension.dim_checkout": "Checkout speed",
    "dimension.dim_after_sales": "After-sales service",
    "dimension_inline.dim_variety": "product variety",
    "dimension_inline.dim_price": "price",
    "dimension_inline.dim_freshness": "freshness & quality",
    "dimension_inline.dim_staff": "staff attitude",
    "dimension_inline.dim_environment": "store environment",
    "dimension_inline.dim_checkout": "checkout speed",
    "dimension_inline.dim_after_sales": "after-sales service",
    "quadrant.fix_first": "Fix first",
    "quadrant.keep_up": "Keep up the good work",
    "quadrant.lower_priority": "Lower priority",
    "quadrant.possible_overkill": "Possible overkill",
    "outcome.nps": "NPS",
    "outcome.csat": "CSAT",
    "theme.location": "Location and convenience",
    "theme.none": "No theme (general remarks)",
    "missing.(no_store)": "(no store)",
    "missing.(no_channel)": "(no channel)",
    "missing.(no_category)": "(no category)",
    "satisfaction.no_data": "This data source has no satisfaction surveys or complaints, so this section is empty.",
    "satisfaction.no_surveys": "This data source has no satisfaction surveys, so NPS, CSAT, the dimension drivers, "
                               "comment themes and the link between satisfaction and churn cannot be shown. Map a "
                               "surveys table in the config (NPS 0–10, CSAT 1–5 and the seven dimension ratings) "
                               "to see them.",
    "satisfaction.no_complaints": "This data source has no complaints, so complaint rates and resolution times cannot "
                                  "be shown. Map a complaints table in the config to see them.",
    "satisfaction.too_few_for_drivers": "Too few complete survey responses (under {minimum}) to estimate which "
                                        "dimensions drive satisfaction.",
    "satisfaction.no_cohort": "No member answered a survey in the months before the churn window, so satisfaction "
                              "cannot be linked to churn yet.",
    "satisfaction.no_comments": "No survey comments were written in {month}.",
    "satisfaction.no_responses": "No survey responses were received in {month}, so there is no NPS or CSAT for the "
                                 "month; the trend below shows the months that had responses.",
    "satisfaction.headline": "In {month}, {responses:count} customers answered the survey. NPS was {nps:measure:nps} "
                             "({promoters:pct0} promoters, {detractors:pct0} detractors) and CSAT {csat:measure:csat}; "
                             "with this many answers, NPS is very likely between {nps_lo:measure:nps} and {nps_hi:measure:nps} "
                             "and CSAT between {csat_lo:measure:csat} and {csat_hi:measure:csat}.",
    "satisfaction.significant.rose": "{measure} rose by {points} since {previous_month}, more than chance explains",
    "satisfaction.significant.fell": "{measure} fell by {points} since {previous_month}, more than chance explains",
    "satisfaction.noise": "the change in {measure} since {previous_month} ({points}) is within the noise of sampling",
    "satisfaction.noise.first": "The change in {measure} since {previous_month} ({points}) is within the noise of "
                                "sampling",
    "satisfaction.moves": "{moves}.",
    "satisfaction.small": "Fewer than {minimum} responses: read these figures with care.",
    "satisfaction.table.measure": "measure",
    "satisfaction.table.value": "value",
    "satisfaction.table.ci": "very likely between",
    "satisfaction.table.responses": "responses",
    "satisfaction.table.versus": "vs {month}",
    "satisfaction.measure.nps": "NPS (−100 to 100)",
    "satisfaction.measure.csat": "CSAT (% rating 4–5)",
    "satisfaction.measure.ces": "CES (mean, 1–7)",
    "satisfaction.change": "{change} ({ci}), {verdict}",
    "satisfaction.change.small": "{change} ({ci}), {verdict}; small sample",
    "satisfaction.change.none": "— (no responses to compare)",
    "satisfaction.significant": "a real change",
    "satisfaction.not_significant": "within the noise",
    "drivers_text.too_few": "Too few complete survey responses (under {minimum}) to estimate which dimensions drive "
                            "satisfaction.",
    "drivers_text.main": "From {complete:count} responses between {window_start} and {window_end} that rated all "
                         "seven dimensions ({dropped:count} with a dimension left blank were set aside), the "
                         "dimensions explain {r2:pct0} of the variation in the {outcome:label:outcome} rating. The "
                         "most important is {top:label:dimension_inline} ({importance:pct0} of the explained "
                         "variation, very likely between {importance_lo:pct0} and {importance_hi:pct0}).",
    "drivers_text.fix": "Fix first (above-average importance, below-average rating): {dimensions}.",
    "drivers_text.fix.unclear": "{dimension:label:dimension_inline} (its importance is not clearly above average)",
    "drivers_text.no_fix": "No dimension is both more important than average and rated below average.",
    "drivers_text.near": "Close to the line (rated below average, importance not clearly below average): "
                         "{dimensions:and:dimension_inline}.",
    "behaviour.definition": "Members whose last survey was answered between {cohort_start:date} and "
                            "{cohort_last:date}, grouped by that NPS rating. Churned: no purchase in the {window_days} "
                            "days after that, {outcome_start:date} to {outcome_end:date}. Spend: net spend in those "
                            "days. P(alive): from the churn model at the month's end.",
    "behaviour.not_both": "{definition} There are not both promoters and detractors among them to compare.",
    "behaviour.main": "Of {members:count} surveyed members, {detractor_churn:pct0} of detractors (n={detractors}) "
                      "made no purchase in the last {window_days} days, against {promoter_churn:pct0} of promoters "
                      "(n={promoters}): a difference of {difference:change:rate}, very likely between {lo:pp1} and {hi:pp1}, "
                      "{verdict}.",
    "behaviour.real": "so a real difference",
    "behaviour.unclear": "so not a clear difference",
    "behaviour.p_alive": "Their mean chance of still shopping is {detractor_p_alive:pct0} against "
                         "{promoter_p_alive:pct0}, and they spent {detractor_spend:cur0} against {promoter_spend:cur0} "
                         "each in the last {window_days} days.",
    "behaviour.small": "One group has fewer than {minimum} members: read with care.",
    "scores.table.store": "store",
    "scores.table.responses": "responses",
    "scores.table.nps": "NPS (very likely range)",
    "scores.table.csat": "CSAT (very likely range)",
    "scores.small": "{n:count} (small sample)",
    "scores.nps": "{value:measure:nps} ({lo:measure:nps} to {hi:measure:nps})",
    "scores.csat": "{value:measure:csat} ({lo:measure:csat} to {hi:measure:csat})",
    "themes.table.theme": "theme",
    "themes.table.comments": "comments",
    "themes.table.zh": "in Chinese",
    "themes.table.en": "in English",
    "themes.table.from_detractors": "from detractors",
    "themes.table.from_promoters": "from promoters",
    "satisfaction.section.by_store": "By store in {month}, lowest NPS first:",
    "satisfaction.section.drivers": "<b>What drives satisfaction.</b> {text}",
    "satisfaction.section.behaviour": "<b>Do dissatisfied members leave?</b> {text}",
    "satisfaction.section.themes": "<b>What customers write about.</b> {comments:count} comments in {month} "
                                   "({zh:count} in Chinese, {en:count} in English), counted by theme; a comment can "
                                   "touch several themes. The comments themselves stay with the consultant.",
    "satisfaction.section.complaints": "<b>Complaints.</b> {text}",
    "satisfaction.section.complaints_by_store": "Complaints by store in {month}, highest rate first:",
    "notebook.by_store_missing": "No store on the survey responses.",
    "notebook.comments_in": "**{language}** ({comments:count} comments)",
    "language.zh": "Chinese",
    "language.en": "English",

    # ---------------------------------------------------------------- complaints
    # Complaint categories are client data; the ones that are a survey dimension take its name
    # (a category the catalogue does not know is shown as the data has it).
    "complaint_category.checkout wait": "Checkout speed",
    "complaint_category.staff": "Staff attitude",
    "complaint_category.environment": "Store environment",
    "complaint_category.price": "Price",
    "complaint_category.refund/after-sales": "After-sales service",
    "complaint_category.freshness": "Freshness",
    "complaint_category.product quality": "Product quality",
    "complaints.table.store": "store",
    "complaints.table.complaints": "complaints",
    "complaints.table.baskets": "baskets",
    "complaints.table.rate": "per 1,000 baskets (very likely range)",
    "complaints.rate": "{value:num2} ({lo:num2} to {hi:num2})",
    "complaints.no_baskets": "No baskets in {month}, so no complaint rate.",
    "complaints.opened": "{complaints:count} complaints were opened in {month}: {rate:num2} per 1,000 baskets (very likely "
                         "between {lo:num2} and {hi:num2}).",
    "complaints.change.significant": "Against {previous:count} the month before, the change of {change:signed2} per "
                                     "1,000 is significant.",
    "complaints.change.noise": "Against {previous:count} the month before, the change of {change:signed2} per 1,000 "
                               "is within the noise.",
    "complaints.resolved": "Of {closed:count} complaints closed this month, {resolved:count} were resolved, taking "
                           "{median_hours:measure:hours} at the median and {p90_hours:measure:hours} for nine in ten.",
    "complaints.resolved.unresolved.one": "Of {closed:count} complaints closed this month, {resolved:count} were "
                                          "resolved, taking {median_hours:measure:hours} at the median and "
                                          "{p90_hours:measure:hours} for nine in ten; {n:count} was closed "
                                          "unresolved.",
    "complaints.resolved.unresolved.other": "Of {closed:count} complaints closed this month, {resolved:count} were "
                                            "resolved, taking {median_hours:measure:hours} at the median and "
                                            "{p90_hours:measure:hours} for nine in ten; {n:count} were closed "
                                            "unresolved.",
    "complaints.sla": "Of {due:count} complaints due for their {sla_hours:g}-hour service level this month, "
                      "{breached:count} ({share:pct0}) were not resolved in time.",
    "complaints.backlog": "At the month's end {open:count} complaints were open, {past:count} of them past the "
                          "{sla_hours:g}-hour service level.",
    "complaints.small": "Resolution figures rest on fewer than {minimum} complaints: read them with care.",

}
