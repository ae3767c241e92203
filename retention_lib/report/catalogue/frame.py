"""The report's frame, the parts a month can miss, the notebooks' own lines, data quality, the key
findings and the email, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- numbers and units
    "missing": "—",
    "range": "{lo} to {hi}",
    "list.separator": ", ",
    "change.pp": "{change:pp1} pp",
    "change.points": "{change:signed0} pts",
    "change.relative": "{head} ({relative:spct1})",
    "unit.pp": "pp",
    "unit.months": "months",
    "months.one": "{n} month",
    "months.other": "{n} months",

    # ---------------------------------------------------------------- stage parts (what a reader misses)
    "part.data": "the validated data",
    "part.data_quality": "data quality",
    "part.kpis": "the KPI board",
    "part.cohorts": "cohort retention",
    "part.backtest": "the backtest of the churn model on held-out months",
    "part.churn_model": "the churn model's P(alive) and forecasts",
    "part.churn_scores": "who is at risk",
    "part.spend_model": "the Gamma-Gamma spend model",
    "part.clv": "CLV and the value at risk",
    "part.segments": "RFM segments and value tiers",
    "part.early_warning": "the early warning",
    "part.drivers": "how lapsed members differ from retained ones",
    "part.category_mix": "the category mix of lapsed and retained members",
    "part.satisfaction_data": "the satisfaction and complaints summary",
    "part.satisfaction": "NPS and CSAT",
    "part.satisfaction_drivers": "what drives satisfaction",
    "part.satisfaction_churn": "whether dissatisfied members leave",
    "part.comment_themes": "what customers write about",
    "part.complaints": "complaints and their handling",
    "part.actions": "the action lists",
    "unavailable.html": "<b>Not available this month: {titles}.</b> {reason}",
    "unavailable.console": "Parts unavailable on this data (see manifest.json):",
    "notebook.unavailable": "**Not available this month ({titles}):** {reason}",

    # ---------------------------------------------------------------- notebooks
    "notebook.run_folder": "{title} (run folder `{folder}`)",
    "notebook.no_rejects": "No rows were set aside.",
    "membership.member_revenue_share": "member share of revenue",
    "notebook.files_written": "Files written to `actions/`: {files:list}",
    "notebook.no_campaigns": "This data source has no campaigns.",
    "notebook.no_described": "No campaign without a control group to describe.",
    "notebook.no_forecasts": "No forecasts recorded for this month yet: the ledger fills as monthly runs are "
                             "published.",
    "parameter": "{name} = {value}",

    # ---------------------------------------------------------------- the report's frame
    "report.title": "Customer retention report · {month}",
    "report.subtitle": "{name} · reporting month {month} (data up to {data_end:date})",
    "report.simulated": "SIMULATED DATA: this report is built from the simulated demo store, not from a real "
                        "client.",
    "report.contents": "Contents",
    "section.key-findings": "Key findings",
    "section.kpis": "KPI board",
    "section.churn-value": "Churn and value",
    "section.segments": "Segments, early warning and churn drivers",
    "section.satisfaction": "Satisfaction and complaints",
    "section.actions": "Actions and their results",
    "section.data-quality": "Data quality",

    # ---------------------------------------------------------------- data quality
    "dq.summary": "Source: <b>{source}</b>, data from {data_from:date} to {data_to:date}. {lines:count} transaction "
                  "lines read; <b>{rejected:count}</b> rows across all tables set aside by validation (listed with "
                  "reasons in <code>rejects.csv</code>). Tables not supplied: {absent}. In {month}: "
                  "{member_baskets:count} member baskets and {non_member_baskets:count} non-member baskets; members "
                  "brought {member_share:pct0} of revenue. Days in the month with no basket at all: "
                  "{days_without} of {days_in_month}.",
    "dq.none": "none",

    # ---------------------------------------------------------------- key findings (report/findings.py)
    "finding.churn.rose": "Churn rose to {rate:pct1} ({change:pp1} pp on last month): {lapsed:count} members lapsed "
                          "under the {lapse_days}-day rule.",
    "finding.churn.fell": "Churn fell to {rate:pct1} ({change:pp1} pp on last month): {lapsed:count} members lapsed "
                          "under the {lapse_days}-day rule.",
    "finding.at_risk": "{newly:count} members became at risk this month ({how}); keeping them would be worth "
                       "{at_stake:cur0} of {horizon_months}-month CLV.",
    "finding.at_risk.model": "P(alive) fell below {threshold:pct0}",
    "finding.at_risk.lapse_rule": "silent for over {overdue_factor:g} times their usual gap between visits",
    "finding.nps.rose": "NPS rose {points:num0} points to {nps:signed0} (95% CI {lo:signed0} to {hi:signed0} for the "
                        "change), more than sampling noise explains.",
    "finding.nps.fell": "NPS fell {points:num0} points to {nps:signed0} (95% CI {lo:signed0} to {hi:signed0} for the "
                        "change), more than sampling noise explains.",
    "finding.fix_first": "Fix first: {dimensions} — above-average importance to NPS but below-average ratings "
                         "({top:label:dimension} explains {importance:pct0} of NPS variation, rated "
                         "{performance:num1} of 5).",
    "finding.and": " and ",
    "finding.detractors": "Detractors churn more: {detractors:pct0} stopped buying against {promoters:pct0} of "
                          "promoters (difference {difference:pp0} points, 95% CI {lo:pp0} to {hi:pp0}).",
    "finding.campaign.worked": "Campaign {campaign} ({type}) worked: {uplift:pp1} points of reactivation against its "
                               "control group (95% CI {low:pp1} to {high:pp1}){extra}.",
    "finding.campaign.no_effect": "Campaign {campaign} ({type}) showed no clear effect: {uplift:pp1} points of "
                                  "reactivation against its control group (95% CI {low:pp1} to {high:pp1}){extra}.",
    "finding.campaign.revenue": ", about {revenue:cur0} of extra revenue",
    "finding.drivers": "Lapsed members differ most in {name}: {lapsed:num1} against {retained:num1} for retained "
                       "members ({difference:signed1}{unit}, 95% CI {ci_low:signed1} to {ci_high:signed1}), an "
                       "association rather than proof of cause.",
    "finding.drivers.pp": " pp",
    "finding.track_record": "The churn model forecast {predicted:num0} member purchase days for {for_month} a month "
                            "ahead; members made {actual:num0} ({error_pct:signed1}%).",

    # ---------------------------------------------------------------- the email (delivery/compose.py)
    "email.chart.kpi_trends_chart": "Monthly KPIs over 13 months",
    "email.chart.clv_chart": "CLV by churn status",
    "email.subject": "Customer retention report {month}",
    "email.subject.simulated": "Customer retention report {month} (SIMULATED DATA)",
    "email.intro": "{name}: the report for {month} is attached (report.html, opens in any browser).",
    "email.gaps": "Not available this month on this data (the report says why): {titles}.",
    "email.footer": "Figures are for members (loyalty card holders) unless stated. Customer-level lists stay with "
                    "your consultant and are never emailed.",
    "email.row": "{label}: {value} (vs last month {mom}; vs a year ago {yoy})",
    "email.findings": "Key findings:",
    "email.findings_title": "Key findings",
    "email.head.kpi": "KPI",
    "email.head.month": "This month",
    "email.head.mom": "vs last month",
    "email.head.yoy": "vs a year ago",
    "failure.subject": "FAILED: retention report {month}",
    "failure.body": "The retention report for {month} ({name}) failed in {where}.\n\n{error}\n\nFailed run kept in: "
                    "{failed_dir}\nLog: {log}\nNothing was published for {month}.",
    "failure.where.cell": "{notebook}, cell {cell}",
    "failure.where.preparation": "preparation",
}
