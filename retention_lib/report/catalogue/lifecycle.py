"""The member lifecycle and the lists that follow from it, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- states (analytics/lifecycle.py)
    "state.new": "New",
    "state.active": "Active, not at risk",
    "state.at_risk": "At risk",
    "state.lapsed": "Lapsed this month",
    "state.dormant": "Dormant",
    "state.lost": "Lost",
    "state.not_yet": "(not yet a customer)",
    "state.count": "members",
    "state.state": "state",
    "lifecycle.rule": "A member is lapsed after {lapse_days} days without a purchase; lapsed members silent "
                      "fewer than {winback_days} days are dormant (still worth winning back), beyond that lost.",
    "lifecycle.rule.widened": "A member is lapsed after {lapse_days} days without a purchase; lapsed members silent "
                              "fewer than {winback_days} days are dormant (still worth winning back), beyond that "
                              "lost. The win-back window is set to {setting} days, widened to the lapse rule's days "
                              "plus {extra} so that a member who lapsed this month is not yet dormant.",
    "lifecycle.summary": "At the end of {month:month}, <b>{base:count}</b> members are in the base (not lapsed): "
                         "{new:count} new and {active:count} active, <b>{at_risk:count}</b> of whom are at risk "
                         "(still shopping, but drifting). Outside it, {lapsed:count} lapsed this month, {dormant:count} are dormant "
                         "(still worth winning back) and {lost:count} are lost. Since last month's end: a base of "
                         "{base_start:count} + {new_event:count} new + {returned:count} returned − {lapsed_event:count} "
                         "lapsed = {base:count}.",
    "lifecycle.flow": "Where members went since the end of {previous_month:month}: rows are the state then, columns the "
                      "state at the end of {month:month}; every member is counted once.",
    "lifecycle.flow.from": "last month → this month",
    "lifecycle.flow.not_measured": "The data does not yet cover {winback_days} days before this month, so a member "
                                   "seen for the first time may be a lost member coming back: here the new are members "
                                   "first seen in the data, and the KPI board leaves new and returned members empty.",

    # ---------------------------------------------------------------- churn (analytics/churn.py)
    "churn.headline.states.model": "{model} model fitted on {members:count} members' purchase histories to {month}. Of the "
                                   "{active:count} active members (bought within {lapse_days} days, not new), <b>{at_risk:count}</b> are"
                                   " at risk: by the model they are at least {threshold:pct0} likely to buy nothing next month; "
                                   "<b>{newly:count}</b> of them became at risk this month. Members are expected to make {expected:num0}"
                                   " purchase visits next month.",
    "churn.headline.states.lapse_rule": "<b>Churn by the lapse rule this month.</b> {reason} Of the "
                                        "{active:count} active members (bought within {lapse_days} days, not new), "
                                        "<b>{at_risk:count}</b> are at risk: silent for more than "
                                        "{overdue_factor:g} times their usual gap between visits; "
                                        "<b>{newly:count}</b> of them became at risk this month.",
    "churn.describe.states.model": "Of the {active:count} active members, **{at_risk:count}** are at risk: by the {model} model they are"
                                   " at least {threshold:pct0} likely to buy nothing next month; **{newly:count}** of them became at "
                                   "risk this month. Members already past {lapse_days} days without a purchase are lapsed, dormant or "
                                   "lost, not at risk.",
    "churn.describe.states.lapse_rule": "By the lapse rule (the churn model is not used this month), "
                                        "**{at_risk:count}** of the {active:count} active members have been silent "
                                        "for more than {overdue_factor:g} times their usual gap between visits (at "
                                        "risk); **{newly:count}** of them became at risk this month.",
    "kpis.at_risk.states.model": "Of the {active:count} active members, <b>{at_risk:count}</b> are at risk (by the churn model at "
                                 "least {threshold:pct0} likely to buy nothing next month), {newly:count} of them newly: they still "
                                 "shop, but are drifting, so the task is to keep them.",
    "kpis.at_risk.states.lapse_rule": "The churn model is not used this month (see Churn and value); by the lapse "
                                      "rule <b>{at_risk:count}</b> of the {active:count} active members are at risk, "
                                      "{newly:count} of them newly.",
    "kpi.base_end": "Members in the base at month end",

    # ---------------------------------------------------------------- value (analytics/value.py)
    "clv.summary.states": "{convention} Total expected CLV of members: <b>{total_clv:cur0}</b>. The {at_risk:count} "
                          "members at risk carry {at_risk_clv:cur0} of expected CLV, and <b>{at_stake:cur0}</b> more "
                          "is at stake: what they would add if they stayed ({newly_at_stake:cur0} of it from the "
                          "{newly:count} newly at risk). Winning back the {winback:count} lapsed and dormant members "
                          "would be worth up to {winback_value:cur0}. The {lost:count} lost members are beyond the "
                          "win-back window.",
    "clv.intervals": "<b>How sure.</b> From the uncertainty in the models' parameters (a {level:pct0} range), next "
                     "month's expected purchase visits are very likely between {expected_purchases_next_month_low:num0} "
                     "and {expected_purchases_next_month_high:num0}, the members at risk between "
                     "{members_at_risk_low:count} and {members_at_risk_high:count}, the members' total CLV between "
                     "{total_clv_low:cur0} and {total_clv_high:cur0}, and the value at stake of the members at risk "
                     "between {at_risk_value_at_stake_low:cur0} and {at_risk_value_at_stake_high:cur0}.",
    "clv.intervals.purchases": "<b>How sure.</b> From the uncertainty in the churn model's parameters (a {level:pct0} "
                               "range), next month's expected purchase visits are very likely between "
                               "{expected_purchases_next_month_low:num0} and {expected_purchases_next_month_high:num0}, "
                               "and the members at risk between {members_at_risk_low:count} and "
                               "{members_at_risk_high:count}.",
    "clv.intervals.reason": "The figures have no range this month: {reason}",
    "clv.intervals.none": "the model's parameters cannot be drawn from ({error}).",
    "clv.groups.state": "Members",
    "clv.groups.value_in_play": "in play",
    "chart.clv_groups.in_play": "In play: at risk if retained, lapsed and dormant if won back ({horizon} months)",
    "chart.clv_groups.title.states": "CLV and value in play by lifecycle state, {month}",

    # ---------------------------------------------------------------- tiers and segments (analytics/segments.py)
    "tier.lapsed": "Lapsed this month (no tier)",
    "tier.dormant": "Dormant (no tier)",
    "tier.lost": "Lost (no tier)",
    "tier_action.lapsed": "win back: on the win-back list",
    "tier_action.dormant": "win back: on the win-back list",
    "tier_action.lost": "beyond the win-back window: no contact",
    "tiers.rule": "Tiers describe the {living:count} members in the base (new, active, at risk). Core: CLV ≥ "
                  "{core_clv:cur0} (the {core_quantile:pct0} quantile of their CLV). Key: CLV ≥ {key_clv:cur0} (the "
                  "median{key_note}). Developable: below that, but worth at least {key_clv:cur0} if they surely "
                  "stayed. Low-priority: the rest. Lapsed, dormant and lost members are in no tier and are shown by "
                  "their state.",
    "segment.lost": "lost",
    "segment_description.lost": "no purchase for {long_days} days or more",

    # ---------------------------------------------------------------- lists (analytics/actions.py)
    "actions.retain.listed": "<b>Retain list ({file}): {listed:count} members at risk</b> to call, with "
                             "{value:cur0} of {horizon_months}-month CLV at stake. Of {candidates:count} "
                             "members at risk, {without_consent:count} have no marketing consent and are left out; "
                             "{over_budget:count} more are beyond the contact budget of {budget:count}.",
    "actions.retain.no_consent_field": "<b>Retain list: this data has no consent field, so no one can be "
                                       "contacted.</b> If marketing consent were collected, it would hold "
                                       "{listed:count} of the {candidates:count} members at risk (contact budget "
                                       "{budget:count}), with {value:cur0} of {horizon_months}-month CLV "
                                       "at stake.",
    "actions.winback.listed": "<b>Win-back list ({file}): {listed:count} members</b> ({lapsed:count} lapsed this "
                              "month, {dormant:count} dormant), worth an expected {value:cur0} in "
                              "{horizon_months}-month CLV. Of {candidates:count} lapsed and dormant members, "
                              "{without_consent:count} have no marketing consent and are left out; "
                              "{over_budget:count} more are beyond the contact budget of {budget:count}. Lost members "
                              "are never on it.",
    "actions.winback.no_consent_field": "<b>Win-back list: this data has no consent field, so no one can be "
                                        "contacted.</b> If marketing consent were collected, the list would hold "
                                        "{listed:count} of the {candidates:count} lapsed and dormant members (contact "
                                        "budget {budget:count}), worth an expected {value:cur0} in "
                                        "{horizon_months}-month CLV.",
    "actions.welcome.listed": "Welcome list ({file}): {listed:count} of the {candidates:count} new members, for a "
                              "second-visit offer ({without_consent:count} without marketing consent).",
    "actions.welcome.no_consent_field": "Welcome list: none without a consent field ({candidates:count} new "
                                        "members this month).",
    "actions.holidays.of": "Holiday care: {listed:count} of the {members:count} core and key members "
                           "({without_consent:count} without marketing consent).",
    "actions.list.home_store": "home store",
    "actions.list.state": "state",
    "actions.list.tier": "tier",
    "actions.list.clv": "expected CLV ({currency})",
    "actions.list.value_at_stake": "value at stake ({currency})",
    "actions.list.empty.retain": "No one on the retain list this month.",

    # ---------------------------------------------------------------- store pages (analytics/store_pages.py)
    "store.action.retain.one": "Call the {n:count} member at risk on the retain list (actions/retain.csv, home store "
                               "{store}) before they drift away: {at_risk:count} of the store's members are at risk.",
    "store.action.retain.other": "Call the {n:count} members at risk on the retain list (actions/retain.csv, home "
                                 "store {store}) before they drift away: {at_risk:count} of the store's members are "
                                 "at risk.",
    "store.action.retain.churn.one": "Churn here is {churn:pct1} against {chain:pct1} for all stores: call the "
                                     "{n:count} member at risk on the retain list (actions/retain.csv, home store "
                                     "{store}).",
    "store.action.retain.churn.other": "Churn here is {churn:pct1} against {chain:pct1} for all stores: call the "
                                       "{n:count} members at risk on the retain list (actions/retain.csv, home store "
                                       "{store}).",
    "store.action.winback.one": "Send the win-back offer to the {n:count} member on the win-back list "
                                "(actions/winback.csv, home store {store}): {pool:count} of the store's members lapsed "
                                "this month or are dormant.",
    "store.action.winback.other": "Send the win-back offer to the {n:count} members on the win-back list "
                                  "(actions/winback.csv, home store {store}): {pool:count} of the store's members "
                                  "lapsed this month or are dormant.",
    "store.action.winback.rise.one": "{lapsed:count} members lapsed this month against {previous:count} last month: "
                                     "send the win-back offer to the {n:count} member on the win-back list "
                                     "(actions/winback.csv, home store {store}).",
    "store.action.winback.rise.other": "{lapsed:count} members lapsed this month against {previous:count} last "
                                       "month: send the win-back offer to the {n:count} members on the win-back list "
                                       "(actions/winback.csv, home store {store}).",
    "store.action.welcome.one": "Give the {n:count} new member on the welcome list (actions/welcome.csv, home store "
                                "{store}) a reason to come back: a second-visit offer.",
    "store.action.welcome.other": "Give the {n:count} new members on the welcome list (actions/welcome.csv, home "
                                  "store {store}) a reason to come back: a second-visit offer.",
    "stores.states": "At the end of {month:month}, <b>{base:count}</b> members whose home store this is are in the base "
                     "({new:count} new, {active:count} active, {at_risk:count} of them at risk); {lapsed:count} lapsed this "
                     "month, {dormant:count} are dormant and {lost:count} lost.",
    "stores.no_contact": "No member can be contacted (the data has no consent field), so the store pages propose no "
                         "calls or offers to members.",

    # ---------------------------------------------------------------- glossary and findings
    "glossary.term.base": "Base",
    "glossary.term.dormant": "Dormant",
    "glossary.term.lost": "Lost",
    "glossary.term.shopped": "Members who shopped",
    "glossary.base": "Every member not lapsed: new, active and at risk. Base at the month's end = base at its start "
                     "+ new + returned − lapsed.",
    "glossary.active.states": "A member who bought within the lapse rule's {lapse_days} days and is not new this "
                              "month. The at-risk members are the active members who are drifting.",
    "glossary.shopped": "A member with at least one purchase in the month (the KPI board's first line).",
    "glossary.lapsed.states": "{rule} A member lapses in the month their silence reaches {lapse_days} days; every "
                              "lapse is a lapse from the base at the month's start.",
    "glossary.dormant": "Lapsed before this month and silent fewer than {winback_days} days: still worth winning "
                        "back, and on the win-back list when they consented.",
    "glossary.lost": "Silent {winback_days} days or more: beyond the win-back window, on no list.",
    "glossary.churn_rate.states": "Members who lapsed in the month, divided by the base at the month's start.",
    "glossary.at_risk.states.model": "An active member whom the {model} churn model gives at least {threshold:pct0} chance of buying "
                                     "nothing next month: still shopping within {lapse_days} days, but drifting.",
    "glossary.at_risk.states.lapse_rule": "An active member silent for more than {overdue_factor:g} times their "
                                          "usual gap between visits (at least a week). The churn model is not used "
                                          "this month.",
    "glossary.value_at_stake.states": "What members at risk would add to CLV if they surely stayed (CLV if "
                                      "retained minus CLV); for lapsed and dormant members, what winning them back "
                                      "would add.",
    "glossary.value_tier.states": "Core, key, developable or low-priority, from each living member's CLV (new, "
                                  "active and at-risk members); lapsed, dormant and lost members are in no tier.",
    "finding.at_risk.states": "{newly:count} active members became at risk this month ({how}); keeping them would be "
                              "worth {at_stake:cur0} of {horizon_months}-month CLV.{retain}",
    "finding.at_risk.retain_list": " The retain list (actions/retain.csv) holds the {listed:count} members at risk who "
                                   "can be called.",
}
