"""The report's glossary ("Terms used"), in English: each term the report uses, defined once."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- glossary (report/sections/glossary.py)
    "section.glossary": "Terms used",
    "glossary.intro": "Each term means the same in every section of this report and in its email.",
    "glossary.term.active": "Active",
    "glossary.term.new": "New",
    "glossary.term.lapsed": "Lapsed",
    "glossary.term.churn_rate": "Churn rate",
    "glossary.term.at_risk": "At risk",
    "glossary.term.likely_lost": "Likely lost",
    "glossary.term.flagged": "Flagged",
    "glossary.term.p_alive": "P(alive)",
    "glossary.term.clv": "CLV",
    "glossary.term.value_at_stake": "Value at stake",
    "glossary.term.rfm_segment": "RFM segment",
    "glossary.term.value_tier": "Value tier",
    "glossary.active": "A member with at least one purchase in the month.",
    "glossary.new": "A member whose first purchase in the data falls in the month; left empty in the first months "
                    "of the data, when a first purchase may be an existing customer's first visit in the extract.",
    "glossary.lapsed": "{rule} The KPI board's “lapsed” counts the members who reached {lapse_days} days without a "
                       "purchase during the month.",
    "glossary.churn_rate": "Members of the month's starting active base (members not yet lapsed when the month "
                           "began) who lapsed during it, divided by that base.",
    "glossary.at_risk.model": "P(alive) below {threshold:pct0} by the {model} churn model. A member at risk may "
                              "already have lapsed: the report says how many have not bought for {lapse_days} days "
                              "or more.",
    "glossary.at_risk.lapse_rule": "Silent for more than {overdue_factor:g} times the member's usual gap between "
                                   "visits (at least a week), by the lapse rule: the churn model is not used this "
                                   "month.",
    "glossary.likely_lost.model": "At risk, with P(alive) below {likely_lost_below:pct0}.",
    "glossary.likely_lost.lapse_rule": "At risk and silent for {lapse_days} days or more.",
    "glossary.flagged": "Picked up by the early warning: at least one sign of turning away against the member's own "
                        "history (fewer visits, less spend per visit, a drop in P(alive), a low survey score, an open "
                        "complaint). A flagged member need not be at risk, nor a member at risk flagged.",
    "glossary.p_alive.model": "The {model} model's probability that a member is still a customer, from how often "
                              "and how recently they bought.",
    "glossary.p_alive.lapse_rule": "The churn model's probability that a member is still a customer; not estimated "
                                   "this month, because the model is not used.",
    "glossary.clv": "Customer lifetime value: expected gross margin over the next {horizon_months} months "
                    "({margin:pct0} of expected spend), discounted at {annual_discount_rate:pct0} a year, in "
                    "{currency}.",
    "glossary.value_at_stake": "What members at risk would add to CLV if they surely stayed: CLV if retained minus "
                               "expected CLV.",
    "glossary.rfm_segment": "A group by recency (days since the last purchase, against the lapse rule's "
                            "{lapse_days} days), and by frequency and spend over the last {window_days} days in "
                            "quintiles. Segment names describe behaviour; none of them means at risk, likely lost "
                            "or flagged.",
    "glossary.value_tier": "Core, key, developable or low-priority, from each member's CLV and whether the churn "
                           "view counts them at risk or likely lost.",
}
