"""Data quality, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- data quality
    "dq.summary": "Source: <b>{source}</b>, data from {data_from:date} to {data_to:date}. {lines:count} transaction "
                  "lines read; <b>{rejected:count}</b> rows across all tables set aside by validation (listed with "
                  "reasons in <code>rejects.csv</code>). Tables not supplied: {absent}. In {month}: "
                  "{member_baskets:count} member baskets and {non_member_baskets:count} non-member baskets; members "
                  "brought {member_share:pct0} of revenue. Days in the month with no basket at all: "
                  "{days_without} of {days_in_month}.",
    "dq.none": "none",
    # a field the source filled from something else (data/sources: SUBSTITUTED), one note each
    "dq.substituted.customers.join_date": "This source has no join dates: a member's join date is their first "
                                          "purchase in the data. Time since joining is therefore not compared, and "
                                          "cohorts are by month of first purchase, the first month of data holding "
                                          "every existing customer.",

}
