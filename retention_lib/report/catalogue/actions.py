"""Actions and campaigns, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- actions
    "actions.winback": "<b>Win-back list: {listed:count} members</b> to contact, worth an expected {value:money0} "
                       "{currency} in {horizon_months}-month CLV. Of {at_risk:count} members at risk, "
                       "{without_consent:count} have no marketing consent and are left out; {over_budget:count} more "
                       "are beyond the contact budget of {budget:count}.",
    "actions.birthdays": "Birthday greetings next month: {listed:count} members.",
    "actions.holidays": "Holiday care for core and key members: {listed:count}.",
    "actions.files": "The lists themselves are files for the consultant, not part of this report.",
    "actions.table.campaign": "campaign",
    "actions.table.type": "type",
    "actions.table.sent": "sent",
    "actions.table.result": "result",
    "actions.reactivation": "reactivation {treatment:pct1} vs {control:pct1} in control: uplift {uplift:pp1} points "
                            "(95% CI {low:pp1} to {high:pp1})",
    "actions.reactivation.not_significant": "reactivation {treatment:pct1} vs {control:pct1} in control: uplift "
                                            "{uplift:pp1} points (95% CI {low:pp1} to {high:pp1}), not significant",
    "actions.revenue": "{result}; incremental revenue {uplift:money0} {currency} (95% CI {low:money0} to "
                       "{high:money0}) over {weeks} weeks",
    "actions.campaigns": "Campaigns, treatment against a randomised control group:",
    "actions.no_campaigns": "This data source has no campaigns to evaluate.",
    "actions.described": "Campaigns without a control group cannot be measured. Their targeted members are described "
                         "beside untargeted recent shoppers; targeting was not random, so the difference is not an "
                         "effect of the campaign.",
    "actions.track_record": "<b>Model track record.</b> For {for_month}, the model forecast {predicted:num0} member "
                            "purchase days a month ahead; members made {actual:num0} ({error_pct:signed1}%).",
    "actions.no_track_record": "Model track record: no forecast for this month was recorded yet (the ledger fills as "
                               "monthly runs are published).",
}
