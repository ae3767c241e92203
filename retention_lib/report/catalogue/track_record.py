"""The model's track record when a month's forecast is reconstructed from the data, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- a reconstructed forecast (ledger.reconstructed)
    "track_record.reconstructed": "<b>Model track record.</b> No forecast for {for_month} was published a month "
                                  "ahead, so it is reconstructed from the data: this month's churn model, fitted to "
                                  "the end of {made_in}, would have forecast {predicted:num0} member purchase days; "
                                  "members made {actual:num0} ({error_pct:signed1}%). Each published run stores its "
                                  "forecast for the next month, and those are scored from then on.",
    "track_record.made_in.reconstructed": "{month} (reconstructed)",
    "finding.track_record.reconstructed": "Reconstructed from the data, as no forecast was published a month ahead: "
                                          "the churn model fitted to the end of {made_in} would have forecast "
                                          "{predicted:num0} member purchase days for {for_month}; members made "
                                          "{actual:num0} ({error_pct:signed1}%).",
    "chart.track_record.reconstructed": "Reconstructed from the data (no forecast published)",

    # ---------------------------------------------------------------- none can be reconstructed: why
    "track_record.cannot.no_model": "A forecast for {month} cannot be reconstructed from the data: this month "
                                    "at-risk members are judged by the lapse rule, not by a model (the churn section "
                                    "says why). Months in which the model can be used have a track record.",
    "track_record.cannot.short_history": "A forecast for {month} cannot be reconstructed from the data: the data "
                                         "starts in {first}, {months} before {month}, and a forecast made at the end "
                                         "of {made_in} needs at least {needed} months of history. A longer extract "
                                         "(earlier months of transactions) allows it; otherwise each published run "
                                         "stores its forecast for the next month, scored a month later.",
    "track_record.cannot.unusable": "A forecast for {month} cannot be reconstructed from the data, because the "
                                    "{model} model cannot be used on the data to the end of {made_in}: {error}. Each "
                                    "published run in which the model can be used stores its forecast for the next "
                                    "month, scored a month later.",

    # ---------------------------------------------------------------- next-month churn (ledger.churn_scored)
    "track_record.churn": "<b>Who bought nothing in {for_month:month}.</b> Of the {base:count} members in the base at "
                          "the end of {made_in:month}, {share:pct0} bought nothing in {for_month:month}. The model's "
                          "chance of no purchase put a member who then bought nothing above one who bought in "
                          "{auc:pct0} of pairs (50% would be guessing), and its top tenth bought nothing {lift:num1} "
                          "times as often as the base.",
    "track_record.at_risk": "Of the {members:count} members at risk, {share:pct0} bought nothing, against {rest:pct0} "
                            "of the rest of the base ({times:num1} times as often).",
    "track_record.warned": "Of the {members:count} members the early warning flagged, {share:pct0} bought nothing, "
                           "against {rest:pct0} of the rest of the base ({times:num1} times as often).",
    "track_record.reason.reason": "early-warning reason",
    "track_record.reason.members": "members flagged",
    "track_record.reason.no_purchase": "bought nothing next month",
    "track_record.reason.rest_no_purchase": "rest of the base",
    "track_record.reason.times": "times as often",
    "track_record.reliability.decile": "tenth (10 = most likely to buy nothing)",
    "track_record.reliability.customers": "members",
    "track_record.reliability.predicted": "chance of no purchase (mean)",
    "track_record.reliability.observed": "bought nothing",
}
