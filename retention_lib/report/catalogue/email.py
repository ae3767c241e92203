"""The email, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- the email (delivery/compose.py)
    "email.chart.email_trend_chart": "Revenue and members who shopped per month, against a year earlier",
    "email.chart.email_churn_chart": "Churn rate per month with its 95% interval",
    "email.subject": "Customer retention report {month} · {name}",
    "email.subject.simulated": "Customer retention report {month} · {name} (SIMULATED DATA)",
    "email.intro": "{name}: the report for {month:month} is attached ({attachment}, opens in any browser).",
    "email.gaps": "Not available this month on this data (the report says why): {titles}.",
    "email.footer": "Figures are for members (loyalty card holders) unless stated. Customer-level lists stay with "
                    "your consultant and are never emailed.",
    "email.row": "{label}: {value} (vs last month {mom}; vs a year ago {yoy})",
    "email.row.no_year_ago": "{label}: {value} (vs last month {mom})",
    "email.no_year_ago": "The data does not reach back a year yet, so there are no year-on-year changes.",
    "email.findings": "Key findings:",
    "email.findings_title": "Key findings",
    "email.head.kpi": "KPI",
    "email.head.month": "This month",
    "email.head.mom": "vs last month",
    "email.head.yoy": "vs a year ago",
    "part.email_charts": "the email's charts",
    # ---------------------------------------------------------------- the email's charts (report/charts/email.py)
    "email_chart.this_year": "Each month",
    "email_chart.year_ago": "A year earlier",
    "email_chart.revenue.title": "Revenue per month ({currency}), all stores",
    "email_chart.members.title": "Members who shopped per month",
    "email_chart.churn.title": "Churn rate per month: members who lapsed",
    "email_chart.churn.rate": "Churn rate",
    "email_chart.churn.interval": "95% interval",
    "email_chart.churn.value": "{rate:pct1} ({lo:pct1}–{hi:pct1})",
    "email_chart.churn.note": "{month:month}: {lapsed:count} of the {base:count} members in the base at the month's start "
                              "lapsed. Interval: Wilson 95%.",
    "failure.subject": "FAILED: retention report {month}",
    "failure.body": "The retention report for {month} ({name}) failed in {where}.\n\n{error}\n\nFailed run kept in: "
                    "{failed_dir}\nLog: {log}\nNothing was published for {month}.",
    "failure.where.cell": "{notebook}, cell {cell}",
    "failure.where.preparation": "preparation",
}
