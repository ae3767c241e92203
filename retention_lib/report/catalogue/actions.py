"""Actions and campaigns, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- action lists
    "actions.birthdays": "Birthday greetings next month: {listed:count} members.",
    "actions.birthdays.no_consent_field": "Birthday greetings next month: none without a consent field "
                                          "({members:count} members have a birthday then).",
    "actions.holidays": "Holiday care for core and key members: {listed:count}.",
    "actions.holidays.no_consent_field": "Holiday care: none without a consent field ({members:count} core and key "
                                         "members would receive it).",
    "actions.files": "The lists themselves are files for the consultant, not part of this report.",
    "actions.unavailable.no_birthdays": "No birthdays in this data source.",
    "actions.unavailable.no_tiers": "Value tiers are not available this month.",

    # ---------------------------------------------------------------- campaigns
    "campaign_type.winback_coupon": "win-back coupon",
    "campaign_type.holiday_flyer": "holiday flyer",
    "actions.id_range": "{first}–{last}",
    "actions.table.campaign": "campaign",
    "actions.table.type": "type",
    "actions.table.sent": "sent",
    "actions.table.result": "result",
    "actions.status.window_open": "the {weeks}-week measurement window ends {end:date}: not complete yet",
    "actions.reactivation": "reactivation {treatment:pct1} vs {control:pct1} in control: uplift {uplift:change:rate}, "
                            "very likely between {low:pp1} and {high:pp1}",
    "actions.reactivation.not_significant": "reactivation {treatment:pct1} vs {control:pct1} in control: uplift "
                                            "{uplift:change:rate}, very likely between {low:pp1} and {high:pp1}: no "
                                            "clear effect",
    "actions.revenue": "{result}; incremental revenue {uplift:cur0} (very likely between {low:cur0} and "
                       "{high:cur0}) over {weeks} weeks",
    "actions.campaigns": "Campaigns with a randomised control group, treatment against control:",
    "actions.unevaluable.both": "<b>Campaigns that cannot be evaluated: {n:count}</b>, {before:count} sent before "
                                "the data starts on {start:date} ({before_ids:list}) and {no_control:count} without "
                                "a control group ({no_control_ids:list}; {no_control_types:list}).",
    "actions.unevaluable.before_data": "<b>Campaigns that cannot be evaluated: {n:count}</b>, sent before the data "
                                       "starts on {start:date} ({ids:list}; {types:list}).",
    "actions.unevaluable.no_control": "<b>Campaigns that cannot be evaluated: {n:count}</b>, without a control "
                                      "group ({ids:list}; {types:list}).",
    "actions.no_campaigns": "This data source has no campaigns to evaluate.",
    "actions.described": "Campaigns without a control group cannot be measured. For the consultant, notebook 07 "
                         "describes their targeted members beside untargeted recent shoppers; targeting was not "
                         "random, so that difference is not an effect of the campaign.",

    # ---------------------------------------------------------------- the model's track record
    "actions.track_record": "<b>Model track record.</b> For {for_month}, the model forecast {predicted:num0} member "
                            "purchase days a month ahead; members made {actual:num0} ({error_pct:signed1}%).",
    "actions.no_track_record": "Model track record: no forecast for this month was recorded yet (the ledger fills as "
                               "monthly runs are published).",

    # ---------------------------------------------------------------- notebook 07's tables
    "actions.list.rank": "rank",
    "actions.list.customer_id": "member",
    "actions.list.top_categories": "top categories (6 months)",
    "actions.list.usual_store": "usual store",
    "actions.list.last_purchase": "last purchase",
    "actions.list.p_alive": "P(alive)",
    "actions.list.clv_if_alive": "CLV if retained ({currency})",
    "actions.list.contact_value": "contact value ({currency})",
    "actions.list.newly_at_risk": "newly at risk",
    "actions.list.empty": "No one on the win-back list this month.",
    "actions.yes": "yes",
    "actions.no": "no",
    "actions.eval.campaign": "campaign",
    "actions.eval.type": "type",
    "actions.eval.sent": "sent",
    "actions.eval.status": "status",
    "actions.eval.measure": "measure",
    "actions.eval.n_treatment": "treated",
    "actions.eval.n_control": "control",
    "actions.eval.treatment_mean": "treated mean",
    "actions.eval.control_mean": "control mean",
    "actions.eval.uplift": "uplift",
    "actions.eval.interval": "very likely between",
    "actions.eval.significant": "significant",
    "actions.status.estimated": "effect estimated",
    "actions.status.before_data": "sent before the data starts: cannot be evaluated",
    "actions.status.no_control": "no control group: the effect cannot be estimated",
    "actions.measure.reactivated": "reactivated (share)",
    "actions.measure.visits": "visits per member",
    "actions.measure.spend": "spend per member ({currency})",
    "actions.measure.incremental revenue": "incremental revenue ({currency})",
    "actions.described.targeted": "targeted",
    "actions.described.untargeted": "untargeted",
    "actions.described.targeted_mean": "targeted mean",
    "actions.described.untargeted_mean": "untargeted mean",
    "actions.described.difference": "difference (not an effect)",
    "actions.record.for_month": "forecast month",
    "actions.record.made_in": "made in",
    "actions.record.members": "members",
    "actions.record.predicted_purchases": "predicted purchase days",
    "actions.record.actual_purchases": "actual purchase days",
    "actions.record.aggregate_error_pct": "error",
    "actions.record.mae": "mean absolute error per member",
    "actions.record.predicted_active": "predicted active",
    "actions.record.actual_active": "actual active",
    "actions.record.brier_active": "Brier score (active)",
    "actions.value.pp": "{value:pp1} pp",
    "actions.interval.pp": "{low:pp1} to {high:pp1} pp",
    "actions.value.percent": "{value:signed1}%",
}
