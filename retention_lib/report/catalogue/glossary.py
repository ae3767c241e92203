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
    "glossary.term.flagged": "Flagged",
    "glossary.term.p_alive": "P(alive)",
    "glossary.term.clv": "CLV",
    "glossary.term.value_at_stake": "Value at stake",
    "glossary.term.rfm_segment": "RFM segment",
    "glossary.term.value_tier": "Value tier",
    "glossary.new": "A member whose first purchase in the data falls in the month; left empty in the first months "
                    "of the data, when a first purchase may be an existing customer's first visit in the extract.",
    "glossary.flagged": "Picked up by the early warning: at least one sign of turning away against the member's own "
                        "history (fewer visits, less spend per visit, a drop in the chance of still shopping, a low survey score, an open "
                        "complaint). A flagged member need not be at risk, nor a member at risk flagged.",
    "glossary.p_alive.model": "The {model} model's probability that a member is still a customer, from how often "
                              "and how recently they bought.",
    "glossary.p_alive.lapse_rule": "The churn model's probability that a member is still a customer; not estimated "
                                   "this month, because the model is not used.",
    "glossary.clv": "Customer lifetime value: expected gross margin over the next {horizon_months} months "
                    "({margin:pct0} of expected spend), discounted at {annual_discount_rate:pct0} a year, in "
                    "{currency}.",
    "glossary.rfm_segment": "A group by recency (days since the last purchase, against the lapse rule's "
                            "{lapse_days} days), and by frequency and spend over the last {window_days} days in "
                            "quintiles. Segment names describe behaviour; none of them means at risk, "
                            "lapsed or flagged.",
}
