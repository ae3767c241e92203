"""A page per store (report/sections/stores.py) and the store manager's email (delivery/store_emails.py),
in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- the report's section
    "section.stores": "Store by store",
    "part.store_pages": "the page per store",
    "stores.intro": "A page for each store: its headline KPIs, its members at risk, its complaints and up to three "
                    "actions for {month}, each drawn from the store's own numbers. Members count in their home store "
                    "(the store where they made the most purchase baskets in the {home_months} months to the month's "
                    "end); revenue and the average basket count where the purchase was made.",
    "stores.rest.one": "{n:count} more store is not shown on its own page: {active:count} active members and "
                       "{revenue:cur0} revenue in {month} (the KPI board's store table lists it).",
    "stores.rest.other": "{n:count} more stores are not shown on their own pages: together {active:count} active "
                         "members and {revenue:cur0} revenue in {month} (the KPI board's store table sums them).",
    "stores.at_risk.value.one": "<b>{n:count}</b> member whose home store this is is at risk ({newly:count} of them "
                                "newly); <b>{value:cur0}</b> is at stake: what they would add to CLV if they stayed.",
    "stores.at_risk.value.other": "<b>{n:count}</b> members whose home store this is are at risk ({newly:count} of "
                                  "them newly); <b>{value:cur0}</b> is at stake: what they would add to CLV if they "
                                  "stayed.",
    "stores.at_risk.one": "<b>{n:count}</b> member whose home store this is is at risk ({newly:count} of them newly).",
    "stores.at_risk.other": "<b>{n:count}</b> members whose home store this is are at risk ({newly:count} of them "
                            "newly).",
    "stores.at_risk.none": "No member whose home store this is is at risk.",
    "stores.stored_value.one": "<b>{balance:cur0}</b> of stored value sits with {n:count} member of this store who "
                               "is at risk, lapsed or dormant: a balance reminder is the cheapest win-back message.",
    "stores.stored_value.other": "<b>{balance:cur0}</b> of stored value sits with {n:count} members of this store "
                                 "who are at risk, lapsed or dormant: a balance reminder is the cheapest win-back "
                                 "message.",
    "stores.stored_value.points.one": "<b>{points:count}</b> points sit with {n:count} member of this store who is at "
                                      "risk, lapsed or dormant: a points reminder is the cheapest win-back message.",
    "stores.stored_value.points.other": "<b>{points:count}</b> points sit with {n:count} members of this store who "
                                        "are at risk, lapsed or dormant: a points reminder is the cheapest win-back "
                                        "message.",
    "stores.complaints.other": "<b>{n:count}</b> complaints opened in {month}: {rate:num1} per 1,000 purchase "
                               "baskets (all stores: {chain:num1}); most about {category:label:complaint_category} "
                               "({top:count}).",
    "stores.complaints.spread.one": "<b>{n:count}</b> complaint opened in {month}: {rate:num1} per 1,000 purchase "
                                    "baskets (all stores: {chain:num1}).",
    "stores.complaints.spread.other": "<b>{n:count}</b> complaints opened in {month}: {rate:num1} per 1,000 "
                                      "purchase baskets (all stores: {chain:num1}), no category more than the others.",
    "stores.complaints.none": "No complaint was opened about this store in {month} (all stores: {chain:num1} per "
                              "1,000 purchase baskets).",
    "stores.actions": "This month:",
    "stores.actions.short.one": "The store's numbers call for {n:count} action this month.",
    "stores.actions.short.other": "The store's numbers call for {n:count} actions this month.",
    "stores.actions.none": "The store's numbers call for no particular action this month: none of the rules "
                           "(churn or complaints above all stores, members at risk to call, revenue, average basket "
                           "or new members down on a year ago, members lapsed or new this month) applies.",
    # ---------------------------------------------------------------- actions (analytics/store_pages.RULES)
    "store.action.complaints_above.other": "Complaints run at {rate:num1} per 1,000 baskets against {chain:num1} for "
                                           "all stores: review the {n:count} complaints about "
                                           "{category:label:complaint_category}, the most frequent here "
                                           "({total:count} in all).",
    "store.action.complaints_above.all.one": "Complaints run at {rate:num1} per 1,000 baskets against {chain:num1} "
                                             "for all stores: go through this month's {n:count} complaint with the "
                                             "staff and answer the customer.",
    "store.action.complaints_above.all.other": "Complaints run at {rate:num1} per 1,000 baskets against "
                                               "{chain:num1} for all stores: go through this month's {n:count} "
                                               "complaints with the staff and answer each customer.",
    "store.action.basket_down": "The average basket is {value:cur} against {year_ago:cur} a year ago "
                                "({change:spct1}): check the prices, promotions and range members buy here.",
    "store.action.revenue_down": "Revenue is {value:cur0} against {year_ago:cur0} a year ago ({change:spct1}): "
                                 "look at which days and categories fell.",
    "store.action.new_down.one": "{n:count} new member joined against {year_ago:count} a year ago: offer "
                                 "membership at the checkout again.",
    "store.action.new_down.other": "{n:count} new members joined against {year_ago:count} a year ago: offer "
                                   "membership at the checkout again.",
    "store.action.complaints_top": "Review the {n:count} complaints about {category:label:complaint_category}, the "
                                   "most frequent here this month ({total:count} in all).",
    # ---------------------------------------------------------------- the store manager's email
    "store_email.subject": "{store} · customer retention report {month} · {name}",
    "store_email.subject.simulated": "{store} · customer retention report {month} · {name} (SIMULATED DATA)",
    "store_email.intro": "{store}: this store's figures for {month:month}. The report for all stores is attached "
                         "({attachment}, opens in any browser).",
    "store_email.actions_title": "This month",
}
