"""Key findings, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- key findings (report/findings.py)
    "finding.churn.rose": "Churn rose to {rate:pct1} ({change:pp1} points on last month, very likely between {lo:pp1} and {hi:pp1}): "
                          "{lapsed:count} of the {base:count} members in the base at the month's start lapsed under the "
                          "{lapse_days}-day rule.",
    "finding.churn.fell": "Churn fell to {rate:pct1} ({change:pp1} points on last month, very likely between {lo:pp1} and {hi:pp1}): "
                          "{lapsed:count} of the {base:count} members in the base at the month's start lapsed under the "
                          "{lapse_days}-day rule.",
    "finding.churn.steady": "Churn was {rate:pct1}, about as last month ({change:pp1} points, within month-to-month "
                            "noise: very likely between {lo:pp1} and {hi:pp1}); {lapsed:count} of the {base:count} members "
                            "in the base at the month's start lapsed under the {lapse_days}-day rule.",
    "finding.at_risk.model": "the churn model gives them at least {threshold:pct0} chance of buying nothing next month",
    "finding.at_risk.lapse_rule": "silent for over {overdue_factor:g} times their usual gap between visits",
    "finding.nps.rose": "NPS rose {points:num0} points to {nps:signed0} (the change very likely between {lo:signed0} and "
                        "{hi:signed0}; {n_now:count} responses this month, {n_before:count} last month), more than "
                        "sampling noise explains.",
    "finding.nps.fell": "NPS fell {points:num0} points to {nps:signed0} (the change very likely between {lo:signed0} and "
                        "{hi:signed0}; {n_now:count} responses this month, {n_before:count} last month), more than "
                        "sampling noise explains.",
    "finding.fix_first": "Fix first: {dimensions} — they matter more than most to NPS but are rated below "
                         "average ({top:label:dimension} accounts for {importance:pct0} of what moves NPS, rated "
                         "{performance:num1} of 5).",
    "finding.detractors": "Detractors churn more: {detractors:pct0} of {n_detractors:count} detractors stopped buying "
                          "against {promoters:pct0} of {n_promoters:count} promoters (difference {difference:pp0} "
                          "points, very likely between {lo:pp0} and {hi:pp0}).",
    "finding.campaign.worked": "Campaign {campaign} ({type}) worked: {uplift:pp1} points of reactivation against its "
                               "randomised control group ({n_treatment:count} treated, {n_control:count} in control; "
                               "very likely between {low:pp1} and {high:pp1}){extra}.",
    "finding.campaign.no_effect": "Campaign {campaign} ({type}) showed no clear effect: {uplift:pp1} points of "
                                  "reactivation against its randomised control group ({n_treatment:count} treated, "
                                  "{n_control:count} in control; very likely between {low:pp1} and {high:pp1}){extra}.",
    "finding.campaign.revenue": ", about {revenue:cur0} of extra revenue",
    "finding.drivers": "Lapsed members differ most in {name}: {lapsed} against {retained} for retained "
                       "members ({difference}, very likely between {ci_low} and {ci_high}; "
                       "{groups}), an association rather than proof of cause.",
    "finding.track_record": "The churn model forecast {predicted:num0} member purchase days for {for_month} a month "
                            "ahead; members made {actual:num0} ({error_pct:signed1}%).",

}
