"""Churn and value, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- churn (analytics/churn.py)
    "churn.backtest": "Track record on held-out data: fitted to {calibration_end}, the model expected "
                      "{predicted:num0} purchase visits in the {holdout_weeks:num0} weeks to {observation_end}; "
                      "members made {actual:num0} ({error_pct:signed1}%). Per member the mean absolute error was "
                      "{mae:num2} visits.",
    "churn.baseline_wins": "<b>No model beats common sense here:</b> per member, {baseline} missed by "
                           "{baseline_mae:num2} visits on average over the holdout, the best model ({model}) by "
                           "{model_mae:num2}. Read the model's figures as no better than that simple rule.",
    "churn.baseline_beaten": "Per member, {model} missed by {model_mae:num2} visits on average over the holdout; "
                             "the better of two forecasts that need no model, {baseline}, missed by "
                             "{baseline_mae:num2}.",
    "churn.choice.named": "Churn model: {model}, as the settings name it.",
    "churn.choice.kept_best": "Churn model: {model}, chosen by backtest: of the models tried it missed by least "
                              "per member over the {holdout_weeks:num0}-week holdout ({mae:num2} visits on average).",
    "churn.choice.kept_within": "Churn model: {model}, chosen by backtest: {best} missed by {best_mae:num2} visits "
                                "per member over the {holdout_weeks:num0}-week holdout against {kept_mae:num2} for "
                                "{model}, less than the {margin:pct0} gain that would justify a more complex model.",
    "churn.choice.better": "Churn model: {model}, chosen by backtest: per member it missed by {mae:num2} visits over "
                           "the {holdout_weeks:num0}-week holdout against {kept_mae:num2} for {kept}, a gain of more "
                           "than {margin:pct0}.",
    "churn.choice.replaced": "Churn model: {model}, chosen by backtest: {kept} could not be fitted on the months "
                             "before the holdout, and of the models that could, {model} missed by least per member "
                             "({mae:num2} visits on average over the {holdout_weeks:num0}-week holdout).",
    "churn.choice.fallback": "Churn model: {model}, the default, without a backtest to choose by: {reason}",
    "churn.choice.none_fitted": "no model could be fitted on the months before the holdout.",
    "churn.blend": "{model} blended with {baseline} ({model_share:pct0} and {baseline_share:pct0}, weights chosen "
                   "on the months before the holdout)",
    "regularity.none": "Members' purchase timing: regularity {k:num1} (Wheat–Morrison, on {members:count} members "
                       "with three purchase days or more). They do not buy on a rhythm: the time to the next visit "
                       "is as hard to guess as chance, which BG/NBD assumes.",
    "regularity.rhythm": "Members' purchase timing: regularity {k:num1} (Wheat–Morrison, on {members:count} members "
                         "with three purchase days or more; 1 would be no rhythm). Members buy on a rhythm: a gap "
                         "much longer than a member's usual one is an early sign of drifting away.",
    "regularity.steady": "Members' purchase timing: regularity {k:num1} (Wheat–Morrison, on {members:count} members "
                         "with three purchase days or more; 1 would be no rhythm). Members buy on a steady rhythm: "
                         "a gap much longer than a member's usual one is a clear sign of drifting away.",
    "regularity.too_few": "Only {members:count} members have three purchase days or more ({needed} are needed) to "
                          "tell whether members buy on a rhythm; it will show once more members come back.",
    "holiday_calendar.cn": "春节, 国庆 and 中秋",
    "holiday_calendar.us": "New Year's Day, Thanksgiving and Christmas",
    "churn.calendar.used": "Holidays ({holidays}): on their days members bought at {ratio:num2} times their usual "
                           "rate (very likely between {low:num2} and {high:num2} times), so the model counts time "
                           "without them: a member quiet over a holiday is not taken for drifting away, and a month "
                           "with holidays ahead expects fewer visits.",
    "churn.calendar.used_open": "Holidays ({holidays}): on their days members bought at about {ratio:num2} times "
                                "their usual rate, so the model counts time without them: a member quiet over a "
                                "holiday is not taken for drifting away, and a month with holidays ahead expects "
                                "fewer visits.",
    "churn.calendar.unused": "Holidays ({holidays}) checked: on their days members bought at {ratio:num2} times "
                             "their usual rate (very likely between {low:num2} and {high:num2} times), not clearly "
                             "different from other days, so the model reads them as ordinary days.",
    "churn.calendar.unused_open": "Holidays ({holidays}) checked: too few of their days are in the members' "
                                  "history to tell whether members buy differently on them, so the model reads "
                                  "them as ordinary days.",
    "churn.calendar.none_seen": "Holidays ({holidays}): none in the members' history yet, so the model reads "
                                "every day alike.",
    "churn.calendar.not_for_model": "Holidays ({holidays}) are not taken into account by {model}, which needs "
                                    "each gap between visits in time without holidays: the model reads every "
                                    "day alike.",
    # ---------------------------------------------------------------- who buys more, who leaves sooner
    "effects.intro": "<b>Who buys more and who leaves sooner.</b> Against members otherwise alike, in a model of "
                     "all {members:count} members with their attributes:",
    "effects.purchase": "Buying: {who} buy {ratio:num2} times as often as {reference} (very likely between "
                        "{low:num2} and {high:num2} times).",
    "effects.leaving": "Leaving: for {who}, the odds of leaving after a purchase are {ratio:num2} times those of "
                       "{reference} (very likely between {low:num2} and {high:num2} times).",
    "effects.none": "<b>Who buys more and who leaves sooner.</b> In a model of all {members:count} members with "
                    "their attributes, no attribute clearly changes how often members buy.",
    "effects.reason": "<b>Who buys more and who leaves sooner</b> is not shown this month: {reason}",
    "effects.no_attributes": "the data has no member attribute that differs between members (home store, age, "
                             "income or household, survey answers, complaints).",
    "effects.purchase_only": "How attributes change leaving cannot be told apart on this data (its fit does not "
                             "settle: too few members have visibly left for so many attributes); the model above "
                             "has them on buying only.",
    "effects.service_only": "How every attribute changes leaving cannot be told apart on this data (too few "
                            "members have visibly left for so many attributes); the model above has the survey "
                            "and complaint signs on leaving, and every attribute on buying.",
    "effects.unusable": "the model with members' attributes cannot be fitted on this data (notebook 03 says why).",
    "effects.level": "members with {attribute} {level}",
    "effects.missing": "members whose {attribute} is unknown",
    "effects.missing.detractor": "members who answered no survey in the last year",
    "effects.known_reference": "members whose {attribute} is known",
    "effects.flag.detractor": "detractors (latest survey answer NPS 0–6)",
    "effects.flag.complained": "members who complained in the last year",
    "effects.flag_reference.detractor": "members whose latest answer was 7–10",
    "effects.flag_reference.complained": "members who did not",
    "effects.attribute.home_store": "home store",
    "effects.attribute.age_band": "age band",
    "effects.attribute.income_band": "income band",
    "effects.attribute.household_size": "household size",
    "effects.attribute.gender": "gender",
    "effects.attribute.tier": "tier",
    "effects.attribute.detractor": "survey answer",
    "effects.attribute.complained": "complaint",
    "churn.compare.forecast": "forecast backtested",
    "churn.compare.mae": "mean miss per member (visits in {weeks:num0} weeks)",
    "churn.compare.bias": "mean over (+) or under (−) per member",
    "baseline.naive_rate": "each member buying at their own weekly rate so far",
    "baseline.naive_recent": "each member repeating their last {weeks:num0} weeks",
    "churn.unusable": "The {model} churn model cannot be used on this data ({error}). The data covers {months} "
                      "({first:date} to the end of {month}), and {lapsed:count} of {members:count} members have gone "
                      "{lapse_days} days or more without buying: {advice}.",
    "churn.unusable.nobody_lapsed": "nobody has lapsed yet, so the model has no one leaving to learn from. At-risk "
                                    "members are judged by the lapse rule until the history shows members leaving",
    "churn.unusable.short_history": "the history is too short for the model. At-risk members are judged by the lapse "
                                    "rule; a longer extract (a year or more) lets the model learn each member's rhythm",
    "churn.unusable.other": "at-risk members are judged by the lapse rule this month",
    "churn.backtest_history": "The backtest needs at least {needed} months of history ({calibration} to fit the "
                              "model, {holdout} held out to test it); the data has {have} ({first:month} to {month}). "
                              "The model's track record will be measured once the history is long enough.",
    "churn.backtest_fit": "The {model} model could not be fitted on the months before the holdout (to "
                          "{calibration_end:date}): {note}",
    "notebook.erlang_k": "By maximum likelihood on all {gaps:count} gaps between purchase days of {members:count} "
                         "members (each member's rate of buying their own, varying across members as a gamma "
                         "distribution): Erlang k = {k}.",
    "notebook.churn_not_used": "**The churn model is not used this month.** {reason}",
    "notebook.model_parameters": "{model} parameters (weeks): {params:sigs4}; fitted on {members:count} members "
                                 "compressed to {histories:count} distinct histories.",

    # ---------------------------------------------------------------- value (analytics/value.py)
    "clv.convention": "CLV = expected gross margin over the next {horizon_months} months, in {currency}: margin "
                      "{margin:pct0} of expected spend, discounted monthly at {monthly_rate:pct3} a month "
                      "({annual_discount_rate:pct0} a year), each month's cash flow at the month's end.",
    "clv.convention.observed_spend": "{base} Simpler estimate this month: spend per purchase is each member's own "
                                     "average spend per purchase day, not the Gamma-Gamma model ({reason})",
    "clv.convention.run_rate": "{base} Simple estimate this month (run rate): each member's purchase days per week "
                               "over the last {weeks} weeks times their average spend per purchase day; members "
                               "silent for the lapse rule's days count as 0. The churn model is not used this month "
                               "({reason})",
    "clv.spend_model_unusable": "The Gamma-Gamma spend model cannot be used on this data ({error}); CLV uses each "
                                "member's own average spend per visit instead.",
    "clv.no_churn_model": "No churn model this month, so no spend model either: CLV is a run-rate estimate (see the "
                          "CLV section).",
    "clv.groups.members": "count",
    "clv.groups.clv": "expected CLV",
    "clv.groups.clv_if_alive": "CLV if retained",
    "notebook.gamma_gamma": "Gamma-Gamma p = {p:sig3}, q = {q:sig3}, γ = {gamma:sig4}, fitted on "
                            "{repeat_buyers:count} repeat buyers; mean spend per purchase day {mean_spend:num2} "
                            "{currency}. Correlation of frequency and spend: {correlation:signed2}, so the "
                            "independence assumption {verdict}.",
    "notebook.gamma_gamma.holds": "holds",
    "notebook.gamma_gamma.doubtful": "is doubtful: read CLV with care",
    "notebook.no_spend_model": "**No spend model this month.** {reason}",

    # ---------------------------------------------------------------- stored value (analytics/stored_value.py)
    "part.stored_value": "the stored value held by members drifting away",
    "stored_value.no_column": "The member table has no stored-value balance (储值余额): map it as "
                              "<code>customers.stored_value</code> to see the balance at risk.",
    "stored_value.summary.one": "<b>{balance:cur0}</b> of stored value (储值沉淀) sits with <b>{n:count}</b> member "
                                "who is at risk, lapsed or dormant at the end of {month} ({at_risk:count} at risk, "
                                "{lapsed:count} lapsed this month, {dormant:count} dormant; balances as the member "
                                "table gives them). By home store: {stores}.",
    "stored_value.summary.other": "<b>{balance:cur0}</b> of stored value (储值沉淀) sits with <b>{n:count}</b> "
                                  "members who are at risk, lapsed or dormant at the end of {month} ({at_risk:count} "
                                  "at risk, {lapsed:count} lapsed this month, {dormant:count} dormant; balances as "
                                  "the member table gives them). By home store: {stores}.",
    "stored_value.summary.none": "No member who is at risk, lapsed or dormant at the end of {month} holds a "
                                 "stored-value balance.",
    "stored_value.points_only.one": "<b>{points:count}</b> points (积分) sit with <b>{n:count}</b> member who is at "
                                    "risk, lapsed or dormant at the end of {month} ({at_risk:count} at risk, "
                                    "{lapsed:count} lapsed this month, {dormant:count} dormant; points as the member "
                                    "table gives them). By home store: {stores}.",
    "stored_value.points_only.other": "<b>{points:count}</b> points (积分) sit with <b>{n:count}</b> members who are "
                                      "at risk, lapsed or dormant at the end of {month} ({at_risk:count} at risk, "
                                      "{lapsed:count} lapsed this month, {dormant:count} dormant; points as the "
                                      "member table gives them). By home store: {stores}.",
    "stored_value.points_only.none": "No member who is at risk, lapsed or dormant at the end of {month} holds points.",
    "stored_value.store": "{store} {balance:cur0} ({n:count})",
    "stored_value.store.points": "{store} {points:count} points ({n:count})",
    "stored_value.more_stores.one": "{n:count} more store {balance:cur0}",
    "stored_value.more_stores.other": "{n:count} more stores {balance:cur0}",
    "stored_value.more_stores.points.one": "{n:count} more store {points:count} points",
    "stored_value.more_stores.points.other": "{n:count} more stores {points:count} points",
    "stored_value.points": "Together they also hold {points:count} points (积分).",
    "stored_value.lost.one": "A further {balance:cur0} sits with {n:count} lost member: money still owed to someone "
                             "who has gone.",
    "stored_value.lost.other": "A further {balance:cur0} sits with {n:count} lost members: money still owed to people "
                               "who have gone.",
    "stored_value.lost.points.one": "A further {points:count} points sit with {n:count} lost member.",
    "stored_value.lost.points.other": "A further {points:count} points sit with {n:count} lost members.",
    "stored_value.action": "<b>What to do:</b> a balance reminder is the cheapest win-back message: it costs nothing "
                           "and gives them a reason to come back. The win-back and retain lists (actions/winback.csv, "
                           "actions/retain.csv) carry each member's balance and points.",
    "stored_value.in_play": "At risk, lapsed or dormant",
    "stored_value.table.state": "state",
    "stored_value.table.members": "members",
    "stored_value.table.with_balance": "with a balance",
    "stored_value.table.balance": "balance",
    "stored_value.table.with_points": "with points",
    "stored_value.table.points": "points",

}
