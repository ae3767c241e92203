"""The email, in English."""

MESSAGES: dict[str, str] = {
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
