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
    # ---------------------------------------------------------------- what looks wrong (data/quality flags)
    # months of history that changed since the last published report of the config (data/history)
    "dq.changed.one": "<b>The data of {n:count} month changed</b> since the report for {report_month:month} was "
                      "published (a new or corrected export). This report reads the new data, so its figures for "
                      "that month differ from the earlier report's:",
    "dq.changed.other": "<b>The data of {n:count} months changed</b> since the report for {report_month:month} was "
                        "published (a new or corrected export). This report reads the new data, so its figures for "
                        "those months differ from the earlier report's:",
    "dq_changed.month": "month",
    "dq_changed.revenue_before": "revenue then",
    "dq_changed.revenue_after": "revenue now",
    # a customer id with too many baskets for one shopper
    "dq.suspect_id": "<b>Customer id {customer_id} holds {baskets:count} baskets, {share:pct1} of all baskets</b> "
                     "to the month's end, {times:num0} times as many as the member at the 99th percentile: too many "
                     "for one shopper, most likely the id the till gives walk-in customers. This report counts its "
                     "baskets as a member's.",
    "dq.suspect_fix": "To count such baskets as non-member baskets, add this line to the config (the list replaces "
                      "the default one, so it repeats it) and run the month again: <code>{config_line}</code>",
    # baskets far above their store's usual amounts, kept
    "dq.outliers.one": "<b>One basket is far above its store's usual amounts</b> (more than {times:count} times the "
                       "store's 99.9th percentile basket): {amount:cur} on {date:date} at {store}. It is kept in "
                       "every figure; <code>settings.max_basket_amount</code> would set it aside.",
    "dq.outliers.other": "<b>{n:count} baskets are far above their store's usual amounts</b> (more than "
                         "{times:count} times the store's 99.9th percentile basket), {in_month:count} of them in "
                         "{month:month}. The largest: {amount:cur} on {date:date} at {store}. They are kept in every "
                         "figure; <code>settings.max_basket_amount</code> would set them aside.",
    # baskets above settings.max_basket_amount, set aside
    "dq.set_aside.one": "<b>One basket above {cap:cur} is set aside</b> (<code>settings.max_basket_amount</code>): "
                        "its {lines:count} lines are in <code>rejects.csv</code> (rule <code>basket_over_cap</code>). "
                        "It counts in no figure of this report.",
    "dq.set_aside.other": "<b>{n:count} baskets above {cap:cur} are set aside</b> "
                          "(<code>settings.max_basket_amount</code>): their {lines:count} lines are in "
                          "<code>rejects.csv</code> (rule <code>basket_over_cap</code>). They count in no figure of "
                          "this report.",
    # months inside the data without a transaction
    "dq.gaps.one": "<b>No transactions at all in {months}</b>: a month inside the data without a single sale, most "
                   "likely missing from the export; ask the client for it. The KPI board does not compare with it.",
    "dq.gaps.other": "<b>No transactions at all in {months}</b>: {n:count} months inside the data without a single "
                     "sale, most likely missing from the export; ask the client for them. The KPI board does not "
                     "compare with them.",
    # stored-value top-ups (the topups table), not sales
    "dq.topups": "Stored-value top-ups in {month:month}: {n:count}, {amount:cur} paid onto members' cards. They are "
                 "not counted as sales.",
    "dq_topups.store_id": "store",
    "dq_topups.topups": "top-ups",
    "dq_topups.amount": "amount",
    "notebook.no_flags": "Nothing looks wrong: no month of history changed since the last published report, no "
                         "customer id holds too many baskets for one shopper, no basket is far outside its store's "
                         "amounts and no month inside the data is without transactions.",
    # the KPI board, when a comparison month is a month without data (a gap)
    "kpis.no_data_month": "No data in {month:month}: the comparison with it is left out.",
    # the console (pipeline), one line each
    "console.dq.changed": "Data of {month:month} changed since the report for {report_month:month}: "
                          "{lines_before:count} lines then, {lines_after:count} now; revenue {revenue_before:cur} "
                          "then, {revenue_after:cur} now",
    "console.dq.suspect_id": "Customer id {customer_id} holds {baskets:count} baskets ({share:pct1} of all): most "
                             "likely the id the till gives walk-in customers",
    "console.dq.suspect_fix": "    to count it as non-member baskets, put in the config: {config_line}",
    "console.dq.set_aside": "Baskets above `settings.max_basket_amount` ({cap:cur}) set aside: {n:count} "
                            "({lines:count} lines, in rejects.csv)",
    "console.dq.outliers": "Baskets far above their store's usual amounts, kept: {n:count} (the largest {amount:cur} "
                           "on {date:date} at {store})",
    "console.dq.gaps": "Months without any transaction: {months}",
}
